"""How well `bot.flags.trend` tells sustained CSAT falls from everything else, on synthetic agents.

Run from the repository root::

    python -m bench.detection_quality [--seeds 5] [--agents-per-kind 200] [--set alpha=0.05 ...]

Each synthetic agent has a known true mean CSAT per week. Individual ratings are integers 1-5
drawn from a discretised normal (latent SD 1.3) located so that its expected value is that week's
true mean; that gives a rating SD of about 0.7-1.2, as real CSAT has. The true mean also wobbles
from week to week (SD 0.08). Weekly rating counts are Poisson(12), or Poisson(2) for sparse agents;
weeks with no ratings are left out, as `GROUP BY agent, week` would leave them out. Detection
runs with `as_of` = week 16 (the snapshot, which is what precision and recall are computed on);
two more weeks are simulated so that the borderline kinds can also be judged on the next two
weekly runs.

Scored kinds: positives ("falling") are steady slides (-0.15 to -0.25 a week) and sudden drops
that keep sliding (the drop 5-6 weeks ago); negatives are flat, one-week dips, steady low, rising
and sparse agents. Borderline kinds (slower slides, drops only 3-4 weeks old) and context kinds
(a step down that then stays flat) are reported but not scored. Everything is seeded.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Literal

import numpy as np

from bot.flags.trend import Assessment, TrendConfig, WindowStat, assess_many

WEEKS = 16  # the snapshot is taken at the start of the last of these
EXTRA_WEEKS = 2  # simulated after the snapshot, for the later weekly runs
FIRST_WEEK = date(2025, 1, 6)  # a Monday
LATENT_SD = 1.3
WOBBLE_SD = 0.08
NORMAL_RATE = 12.0
SPARSE_RATE = 2.0
TARGET = 0.95
SLIDE_LO = 0.15  # steady slides slower than this (per week) are borderline
RATE_BANDS = [(0.05, 0.08), (0.08, 0.10), (0.10, 0.12), (0.12, 0.15), (0.15, 0.20), (0.20, 0.25)]

Rng = np.random.Generator
Trajectory = Callable[[Rng], np.ndarray]
Truth = Literal["falling", "not", "borderline", "context"]


def _weeks() -> np.ndarray:
    return np.arange(WEEKS + EXTRA_WEEKS, dtype=np.float64)


def _slide(rng: Rng, lo: float, hi: float) -> np.ndarray:
    """Flat at 3.9-4.6, then down lo-hi a week, started 6-8 weeks before the snapshot."""
    base = rng.uniform(3.9, 4.6)
    rate = rng.uniform(lo, hi)
    length = int(rng.integers(6, 9))
    return base - rate * np.clip(_weeks() - (WEEKS - length) + 1, 0, None)


def _drop_slide(rng: Rng, weeks_lo: int, weeks_hi: int) -> np.ndarray:
    """Flat, a sudden drop of 0.5-1.0 weeks_lo-weeks_hi weeks before the end, then 0.08-0.15/wk."""
    base = rng.uniform(3.9, 4.6)
    at = WEEKS - int(rng.integers(weeks_lo, weeks_hi + 1))
    after = np.clip(_weeks() - at, 0, None)
    fallen = base - rng.uniform(0.5, 1.0) - rng.uniform(0.08, 0.15) * after
    return np.where(_weeks() >= at, fallen, base)


def _step(rng: Rng, weeks_lo: int, weeks_hi: int) -> np.ndarray:
    base = rng.uniform(3.9, 4.6)
    at = WEEKS - int(rng.integers(weeks_lo, weeks_hi + 1))
    return np.where(_weeks() >= at, base - rng.uniform(0.5, 0.9), base)


def _flat(rng: Rng, lo: float, hi: float) -> np.ndarray:
    return np.full(WEEKS + EXTRA_WEEKS, rng.uniform(lo, hi))


def one_week_dip(rng: Rng) -> np.ndarray:
    """Flat at 3.6-4.7; one week 0.8-1.5 lower (mid-span or second-to-last), then back."""
    mu = _flat(rng, 3.6, 4.7)
    mu[int(rng.choice([WEEKS - 4, WEEKS - 3, WEEKS - 2]))] -= rng.uniform(0.8, 1.5)
    return mu


def sparse(rng: Rng) -> np.ndarray:
    """Half flat, half sliding fast (the counts, not the trajectory, make these sparse)."""
    return _flat(rng, 3.4, 4.7) if rng.random() < 0.5 else _slide(rng, 0.15, 0.25)


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    make: Trajectory
    truth: Truth
    describe: str
    rate: float = NORMAL_RATE


KINDS = [
    Kind("steady slide", lambda r: _slide(r, SLIDE_LO, 0.25), "falling", "−0.15…−0.25/wk, 6-8 wk"),
    Kind(
        "drop, then slide",
        lambda r: _drop_slide(r, 5, 6),
        "falling",
        "−0.5…−1.0 5-6 wk ago, slides",
    ),
    Kind("flat", lambda r: _flat(r, 3.4, 4.7), "not", "3.4-4.7"),
    Kind("one-week dip", one_week_dip, "not", "−0.8…−1.5 for a week, back"),
    Kind("steady low", lambda r: _flat(r, 2.5, 3.2), "not", "2.5-3.2"),
    Kind("rising", lambda r: 7.8 - _slide(r, 0.08, 0.25), "not", "+0.08…+0.25/wk, 6-8 wk"),
    Kind("sparse", sparse, "not", "Poisson(2) ratings/wk", SPARSE_RATE),
    Kind("slow slide", lambda r: _slide(r, 0.05, SLIDE_LO), "borderline", "−0.05…−0.15/wk, 6-8 wk"),
    Kind(
        "fresh drop, slide", lambda r: _drop_slide(r, 3, 4), "borderline", "drop 3-4 wk ago, slides"
    ),
    Kind("step, then flat", lambda r: _step(r, 4, 7), "context", "−0.5…−0.9 4-7 wk ago, flat"),
    Kind("old step, flat", lambda r: _step(r, 9, 12), "context", "−0.5…−0.9 9-12 wk ago, flat"),
]


class RatingModel:
    """Integer ratings 1-5 from a discretised normal, located so that its mean is the target."""

    def __init__(self, latent_sd: float = LATENT_SD) -> None:
        self._sd = latent_sd
        self._loc = np.linspace(-2.0, 8.0, 4001)
        self._mean = self._category_probs(self._loc) @ np.arange(1.0, 6.0)

    def _category_probs(self, loc: np.ndarray) -> np.ndarray:
        edges = np.array([-np.inf, 1.5, 2.5, 3.5, 4.5, np.inf])
        erf = np.vectorize(math.erf)
        cdf = 0.5 * (1 + erf((edges[None, :] - loc[:, None]) / (self._sd * math.sqrt(2))))
        return np.diff(cdf, axis=1)

    def probs(self, mean: np.ndarray) -> np.ndarray:
        """Category probabilities (..., 5) whose expected rating is `mean`."""
        loc = np.interp(np.clip(mean, 1.05, 4.95).ravel(), self._mean, self._loc)
        return self._category_probs(loc).reshape(*mean.shape, 5)


def simulate(kind: Kind, n: int, rng: Rng, model: RatingModel) -> list[list[WindowStat]]:
    """`n` agents of one kind, as weekly windows (weeks without ratings left out)."""
    truth = np.stack([kind.make(rng) for _ in range(n)])
    mu = np.clip(truth + rng.normal(0.0, WOBBLE_SD, truth.shape), 1.05, 4.95)
    counts = rng.poisson(kind.rate, truth.shape)
    tallies = rng.multinomial(counts, model.probs(mu))  # (n, weeks, 5): ratings of each value
    sums = tallies @ np.arange(1.0, 6.0)
    return [
        [
            WindowStat(FIRST_WEEK + timedelta(weeks=w), sums[a, w] / c, c)
            for w, c in enumerate(counts[a].tolist())
            if c > 0
        ]
        for a in range(n)
    ]


def week(k: int) -> date:
    """First day of week k (0-based); the snapshot is week WEEKS - 1."""
    return FIRST_WEEK + timedelta(weeks=k)


@dataclasses.dataclass
class Tally:
    agents: int = 0
    flagged: int = 0
    flagged_later: int = 0  # flagged at the snapshot or at one of the next two weekly runs
    verdicts: Counter[str] = dataclasses.field(default_factory=Counter)

    def add(self, now: Iterable[Assessment], later: Iterable[bool]) -> None:
        for a, any_later in zip(now, later, strict=True):
            self.agents += 1
            self.flagged += a.falling
            self.flagged_later += a.falling or any_later
            self.verdicts[a.verdict] += 1


def run(seeds: int, per_kind: int, cfg: TrendConfig) -> dict[str, Tally]:
    """Simulate and assess every kind for every seed."""
    model = RatingModel()
    tallies = {k.name: Tally() for k in KINDS}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        for kind in KINDS:
            histories = dict(enumerate(simulate(kind, per_kind, rng, model)))
            now = assess_many(histories, cfg, as_of=week(WEEKS - 1))
            later = [False] * per_kind
            if kind.truth == "borderline":
                for k in range(WEEKS, WEEKS + EXTRA_WEEKS):
                    res = assess_many(histories, cfg, as_of=week(k))
                    later = [x or res[a].falling for a, x in enumerate(later)]
            tallies[kind.name].add(now.values(), later)
    return tallies


def by_rate(seeds: int, per_band: int, cfg: TrendConfig) -> list[tuple[str, float]]:
    """Snapshot recall of steady slides by rate band."""
    model = RatingModel()
    out = []
    for lo, hi in RATE_BANDS:
        flagged = total = 0
        for seed in range(seeds):
            rng = np.random.default_rng(10_000 + seed)
            kind = Kind("", functools.partial(_slide, lo=lo, hi=hi), "falling", "")
            histories = dict(enumerate(simulate(kind, per_band, rng, model)))
            res = assess_many(histories, cfg, as_of=week(WEEKS - 1))
            flagged += sum(a.falling for a in res.values())
            total += per_band
        out.append((f"−{lo:.2f}…−{hi:.2f}", flagged / total))
    return out


def scores(tallies: dict[str, Tally]) -> tuple[int, int, int, int]:
    """(tp, fn, fp, tn) over the scored kinds."""
    tp = fn = fp = tn = 0
    for kind in KINDS:
        t = tallies[kind.name]
        if kind.truth == "falling":
            tp, fn = tp + t.flagged, fn + t.agents - t.flagged
        elif kind.truth == "not":
            fp, tn = fp + t.flagged, tn + t.agents - t.flagged
    return tp, fn, fp, tn


def _ratio(a: int, b: int) -> float:
    return a / b if b else math.nan


def report(tallies: dict[str, Tally]) -> tuple[float, float]:
    """Print the table per kind and the confusion table; returns (precision, recall)."""
    print(f"{'kind':<18} {'truth':<10} {'trajectory':<29} {'agents':>6} {'flagged':>7} {'rate':>6}")
    print("-" * 80)
    for kind in KINDS:
        t = tallies[kind.name]
        print(
            f"{kind.name:<18} {kind.truth:<10} {kind.describe:<29} {t.agents:>6} "
            f"{t.flagged:>7} {_ratio(t.flagged, t.agents):>6.3f}"
        )
    print()
    print("verdicts per kind:")
    for kind in KINDS:
        verdicts = ", ".join(f"{v} {c}" for v, c in tallies[kind.name].verdicts.most_common())
        print(f"  {kind.name:<18} {verdicts}")
    tp, fn, fp, tn = scores(tallies)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    print()
    print("confusion (scored kinds)   flagged  not flagged")
    print(f"  truly falling           {tp:>7}  {fn:>11}")
    print(f"  not falling             {fp:>7}  {tn:>11}")
    print()
    print(f"precision {precision:.3f}   recall {recall:.3f}   (target ≥ {TARGET} for both)")
    print("borderline (not scored): flagged at the snapshot / by one of the next 2 weekly runs")
    for kind in KINDS:
        if kind.truth == "borderline":
            t = tallies[kind.name]
            print(
                f"  {kind.name:<18} {_ratio(t.flagged, t.agents):.3f} / "
                f"{_ratio(t.flagged_later, t.agents):.3f}"
            )
    return precision, recall


def _parse_overrides(pairs: list[str]) -> dict[str, object]:
    defaults = {f.name: getattr(TrendConfig(), f.name) for f in dataclasses.fields(TrendConfig)}
    out: dict[str, object] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in defaults:
            raise SystemExit(f"unknown TrendConfig field {name!r}; known: {', '.join(defaults)}")
        out[name] = type(defaults[name])(value)
    return out


def time_assess_many(cfg: TrendConfig, agents: int = 5000, repeats: int = 5) -> list[float]:
    """Seconds per assess_many call on `agents` agents with 14 weekly windows each."""
    rng = np.random.default_rng(0)
    starts = [week(k) for k in range(WEEKS - 14, WEEKS)]
    means = rng.uniform(3.0, 5.0, (agents, 14)).round(2).tolist()
    counts = rng.poisson(NORMAL_RATE, (agents, 14)).clip(1).tolist()
    histories = {
        f"agent-{a}": [
            WindowStat(s, m, c) for s, m, c in zip(starts, means[a], counts[a], strict=True)
        ]
        for a in range(agents)
    }
    flagged = {f"agent-{a}": 4.2 for a in range(0, agents, 50)}
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        assess_many(histories, cfg, flagged)
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--agents-per-kind", type=int, default=200)
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="override a threshold"
    )
    args = parser.parse_args(argv)
    cfg = dataclasses.replace(TrendConfig(), **_parse_overrides(args.set))  # type: ignore[arg-type]

    started = time.perf_counter()
    print(f"python {platform.python_version()} on {platform.machine()}, numpy {np.__version__}")
    print(f"seeds 0..{args.seeds - 1}, {args.agents_per_kind} agents per kind per seed")
    print(f"config: {cfg}")
    print()
    precision, recall = report(run(args.seeds, args.agents_per_kind, cfg))
    met = precision >= TARGET and recall >= TARGET
    print(f"target {'met' if met else 'NOT met'}")
    print()
    print("steady slides by rate, snapshot recall:")
    print("  " + "  ".join(f"{band} {r:.3f}" for band, r in by_rate(args.seeds, 100, cfg)))
    print()
    if cfg.trend_test == "vs_baseline":
        for alpha in sorted({cfg.alpha, 0.10}):
            alt = dataclasses.replace(cfg, trend_test="mann_kendall", alpha=alpha)
            tp, fn, fp, _ = scores(run(args.seeds, args.agents_per_kind, alt))
            print(
                f"for comparison, trend_test='mann_kendall' (trend span only), alpha {alpha}: "
                f"precision {_ratio(tp, tp + fp):.3f}, recall {_ratio(tp, tp + fn):.3f}"
            )
        print()
    times = time_assess_many(cfg)
    print(
        f"assess_many, 5000 agents × 14 weekly windows: median {statistics.median(times) * 1000:.0f} ms"
        f" (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {len(times)} runs)"
    )
    print(f"whole run {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
