"""Is an agent's CSAT falling? The pure statistics of detection: no database, no I/O.

Input is one agent's per-window aggregates (`WindowStat`: first day, mean CSAT, number of
ratings), as `GROUP BY agent, window` produces them. A window with no ratings is simply absent:
it is a gap, never a zero.

Windows sit on a grid that ends at `as_of`, the first day of the latest window to judge (by
default the latest window seen; later windows, such as an unfinished week, are ignored). The last
`trend_windows` grid windows are the *trend span*; the `baseline_windows` before them are the
agent's own *baseline*. A window *qualifies* when it has at least `min_ratings` ratings; the others
count as gaps.

Counts are used in three ways: thin windows are dropped (`min_ratings`); the baseline and the
current level are count-weighted means (total CSAT / total ratings), so a busy week counts for
what it is; the rank tests and the slope use one point per qualifying window, unweighted, at its
position on the grid (a gap stretches time rather than being skipped over).

An agent is *falling* when all of these hold:

1. enough data: `min_trend_windows` qualifying windows in the trend span and
   `min_baseline_windows` in the baseline;
2. a significant downward trend: one-sided p < `alpha`. The default test
   (`trend_test="vs_baseline"`) is Mann-Kendall over the baseline and trend windows together,
   with all baseline windows tied as one earlier period: S counts, over pairs of windows, how
   often the later one is lower, both within the trend span and between each trend window and
   each baseline window; its variance is Kendall's, corrected for ties in time and in value (so
   this is Kendall's tau-b test of time against CSAT). `trend_test="mann_kendall"` is the classic
   test over the trend span alone: it can't use the baseline and, with 6 noisy weekly points,
   misses most real slides (see `bench/detection_quality.py`). The Theil-Sen slope over the trend
   span is reported but not required to be negative: after a sudden drop at the start of the
   span, noise alone often tilts it up;
3. the *current level* (count-weighted mean of the last `current_windows` qualifying windows) is
   at least `min_drop` below the baseline;
4. each of those last windows is itself at least `current_margin` below the baseline, so one bad
   week can't carry the current level, and a dip that has already recovered doesn't count.

A flag clears (hysteresis) when the current level is back within `recovery_margin` of the
baseline recorded when the flag was raised and the agent is not falling.

The rank tests themselves (Mann-Kendall, Theil-Sen) are in `bot.flags.rank_stats`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from bot.flags.rank_stats import BoolArray, FloatArray, kendall_batch, norm_cdf, theil_sen_batch

K = TypeVar("K", bound=Hashable)
IntArray = npt.NDArray[np.int64]

TrendTest = Literal["vs_baseline", "mann_kendall"]
Verdict = Literal[
    "falling",
    "insufficient",
    "recovered",
    "not_recovered",
    "improving",
    "dip",
    "recent_drop",
    "slight_decline",
    "steady",
]

_EPS = 1e-9  # so that a drop of exactly min_drop, computed in floating point, still counts


@dataclass(frozen=True, slots=True)
class WindowStat:
    """One agent's ratings in one review window: its first day, mean CSAT and rating count."""

    start: date
    mean: float
    count: int


@dataclass(frozen=True, slots=True)
class TrendConfig:
    """Detection thresholds; the defaults are tuned with `bench/detection_quality.py`."""

    window_days: int = 7
    """Length of one review window, in days."""
    trend_windows: int = 6
    """Recent windows that form the trend span."""
    baseline_windows: int = 8
    """Windows before the trend span that form the agent's own baseline."""
    min_ratings: int = 5
    """Ratings a window needs to qualify; windows with fewer are treated as gaps."""
    min_trend_windows: int = 4
    """Qualifying windows needed in the trend span."""
    min_baseline_windows: int = 3
    """Qualifying windows needed in the baseline."""
    trend_test: TrendTest = "vs_baseline"
    """Which trend test decides: see the module docstring."""
    alpha: float = 0.05
    """One-sided significance level of the trend test for a decrease (or an increase)."""
    min_drop: float = 0.4
    """How far (CSAT points) the current level must be below the baseline."""
    current_windows: int = 2
    """Last qualifying windows whose count-weighted mean is the current level."""
    current_margin: float = 0.2
    """How far (CSAT points) each of those windows must be below the baseline."""
    recovery_margin: float = 0.2
    """A flag clears when the current level is back within this of the flag-time baseline."""

    def __post_init__(self) -> None:
        if self.window_days < 1 or self.min_ratings < 1:
            raise ValueError("window_days and min_ratings must be at least 1")
        if not 1 <= self.current_windows <= self.min_trend_windows <= self.trend_windows:
            raise ValueError("need 1 <= current_windows <= min_trend_windows <= trend_windows")
        if self.min_trend_windows < 3:
            raise ValueError("min_trend_windows must be at least 3 for a trend test")
        if not 1 <= self.min_baseline_windows <= self.baseline_windows:
            raise ValueError("need 1 <= min_baseline_windows <= baseline_windows")
        if self.trend_test not in ("vs_baseline", "mann_kendall"):
            raise ValueError(f"unknown trend_test {self.trend_test!r}")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError("alpha must be between 0 and 1")
        if self.min_drop <= 0 or self.current_margin < 0 or self.recovery_margin < 0:
            raise ValueError("min_drop must be positive and the margins not negative")


DEFAULT_CONFIG = TrendConfig()


@dataclass(frozen=True, slots=True)
class Assessment:
    """What detection concluded about one agent, with the figures behind it."""

    falling: bool
    """A sustained fall now: raise (or keep) a flag."""
    recovered: bool
    """Only with `flagged_baseline`: the trajectory is back, so clear the flag."""
    insufficient: bool
    """Too few ratings to tell either way."""
    verdict: Verdict
    reason: str
    """Plain words for a lead."""
    baseline: float | None
    """Count-weighted mean CSAT over the baseline windows."""
    current: float | None
    """Count-weighted mean CSAT of the last `current_windows` qualifying windows."""
    drop: float | None
    """baseline - current: positive when CSAT is lower now."""
    slope: float | None
    """Theil-Sen slope over the trend span, CSAT points per window."""
    tau: float | None
    """Kendall's tau-b of the trend test (negative: falling)."""
    p_value: float | None
    """One-sided p-value of the trend test for a decrease."""
    ratings: int
    """Ratings in the trend span, including those in windows too thin to qualify."""
    windows_used: int
    """Qualifying windows in the trend span."""
    span_start: date
    """First day of the trend span."""
    span_end: date
    """Last day of the trend span (inclusive)."""
    windows: tuple[WindowStat, ...]
    """The input windows inside the trend span, oldest first."""


def assess(
    windows: Sequence[WindowStat],
    config: TrendConfig = DEFAULT_CONFIG,
    *,
    flagged_baseline: float | None = None,
    as_of: date | None = None,
) -> Assessment:
    """Assess one agent's windows; pass `flagged_baseline` while the agent is flagged."""
    flagged = {} if flagged_baseline is None else {0: flagged_baseline}
    return assess_many({0: windows}, config, flagged, as_of=as_of)[0]


def assess_many(
    histories: Mapping[K, Sequence[WindowStat]],
    config: TrendConfig = DEFAULT_CONFIG,
    flagged_baselines: Mapping[K, float] | None = None,
    *,
    as_of: date | None = None,
) -> dict[K, Assessment]:
    """Assess many agents at once, vectorised; `as_of` defaults to the latest window of any."""
    keys = list(histories)
    if not keys:
        return {}
    if as_of is None:
        starts = [w.start for h in histories.values() for w in h]
        if not starts:
            raise ValueError("no windows at all: pass as_of to say which window is the latest")
        as_of = max(starts)
    flagged_baselines = flagged_baselines or {}
    grid = _Grid.build(keys, histories, config, as_of)
    rows = _rows(_Stats.compute(grid, config))
    return {
        key: _assessment(row, histories[key], grid, config, flagged_baselines.get(key))
        for key, row in zip(keys, rows, strict=True)
    }


# --- internals ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Grid:
    """Agents x grid windows, oldest first: baseline columns, then trend columns."""

    sums: FloatArray
    counts: FloatArray
    means: FloatArray
    as_of: date
    span_start: date
    span_end: date

    @staticmethod
    def build(
        keys: list[K], histories: Mapping[K, Sequence[WindowStat]], cfg: TrendConfig, as_of: date
    ) -> _Grid:
        n_cols = cfg.baseline_windows + cfg.trend_windows
        lengths = [len(histories[key]) for key in keys]
        flat_windows = [w for key in keys for w in histories[key]]
        rows = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
        ords = [w.start.toordinal() for w in flat_windows]
        means = [w.mean for w in flat_windows]
        counts = [w.count for w in flat_windows]
        age = (as_of.toordinal() - np.asarray(ords, dtype=np.int64)) // cfg.window_days
        c = np.asarray(counts, dtype=np.float64)
        keep = (age >= 0) & (age < n_cols) & (c > 0)
        # Inputs landing in the same grid window (off-grid starts) are pooled by count.
        flat = rows[keep] * n_cols + (n_cols - 1 - age[keep])
        size = len(keys) * n_cols
        m = np.asarray(means, dtype=np.float64)[keep]
        shape = (len(keys), n_cols)
        sums = np.bincount(flat, m * c[keep], size).astype(np.float64).reshape(shape)
        cnts = np.bincount(flat, c[keep], size).astype(np.float64).reshape(shape)
        # A window's own mean, untouched: sum/count can be an ulp off and break exact ties.
        inputs = np.bincount(flat, minlength=size).reshape(shape)
        only = np.bincount(flat, m, size).astype(np.float64).reshape(shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            cell_means = np.where(inputs == 1, only, sums / cnts)
        span_start = as_of - timedelta(days=cfg.window_days * (cfg.trend_windows - 1))
        span_end = as_of + timedelta(days=cfg.window_days - 1)
        return _Grid(sums, cnts, cell_means, as_of, span_start, span_end)


@dataclass(frozen=True, slots=True)
class _Stats:
    """Per-agent statistics as arrays (NaN where not computable)."""

    n_trend: IntArray
    n_base: IntArray
    ratings: IntArray
    baseline: FloatArray
    current: FloatArray
    each_below: BoolArray
    dips: IntArray
    tau: FloatArray
    p_decrease: FloatArray
    p_increase: FloatArray
    slope: FloatArray
    lowest: IntArray
    """Index in the trend span of the lowest qualifying window."""
    lowest_is_latest: BoolArray
    latest: IntArray
    """Index in the trend span of the latest qualifying window."""
    means: FloatArray
    """Trend span means, NaN for windows that do not qualify."""

    @staticmethod
    def compute(grid: _Grid, cfg: TrendConfig) -> _Stats:
        b = cfg.baseline_windows
        valid = grid.counts >= cfg.min_ratings
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(valid, grid.means, np.nan)
            vb, vt, mt = valid[:, :b], valid[:, b:], means[:, b:]
            baseline = (grid.sums[:, :b] * vb).sum(1) / (grid.counts[:, :b] * vb).sum(1)
            # The last `current_windows` qualifying windows: count qualifying ones from the right.
            from_right = np.cumsum(vt[:, ::-1], axis=1)[:, ::-1]
            cur = vt & (from_right <= cfg.current_windows)
            current = (grid.sums[:, b:] * cur).sum(1) / (grid.counts[:, b:] * cur).sum(1)
            below = mt <= (baseline - cfg.current_margin + _EPS)[:, None]
            each_below = np.where(cur, below, True).all(1) & cur.any(1)
            # Only for the reason's wording: a "bad week" is clearly below noise, not just low.
            bad = baseline - cfg.min_drop - cfg.current_margin + _EPS
            dips = (vt & (mt <= bad[:, None])).sum(1)

        lowest = np.argmin(np.where(vt, mt, np.inf), axis=1)
        last = vt.shape[1] - 1 - np.argmax(vt[:, ::-1], axis=1)
        if cfg.trend_test == "vs_baseline":
            times = np.concatenate([np.zeros(b), np.arange(1.0, cfg.trend_windows + 1)])
            s, var_s, tau = kendall_batch(np.nan_to_num(means), valid, times)
        else:
            times = np.arange(1.0, cfg.trend_windows + 1)
            s, var_s, tau = kendall_batch(np.nan_to_num(mt), vt, times)
        sd = np.sqrt(np.maximum(var_s, 0.0))
        z = np.zeros_like(sd)
        ok = (sd > 0) & (s != 0)
        z[ok] = (s[ok] - np.sign(s[ok])) / sd[ok]
        return _Stats(
            n_trend=vt.sum(1),
            n_base=vb.sum(1),
            ratings=grid.counts[:, b:].sum(1).astype(np.int64),
            baseline=baseline,
            current=current,
            each_below=np.asarray(each_below, dtype=np.bool_),
            dips=dips,
            tau=tau,
            p_decrease=np.array([norm_cdf(v) for v in z.tolist()]),
            p_increase=np.array([norm_cdf(-v) for v in z.tolist()]),
            slope=theil_sen_batch(np.nan_to_num(mt), vt),
            lowest=lowest,
            lowest_is_latest=lowest == last,
            latest=last,
            means=mt,
        )


def _f(v: float) -> float | None:
    return None if math.isnan(v) else v


class _Row(NamedTuple):
    """One agent's statistics as plain Python values."""

    n_trend: int
    n_base: int
    ratings: int
    baseline: float
    current: float
    each_below: bool
    dips: int
    tau: float
    p_decrease: float
    p_increase: float
    slope: float
    lowest: int
    lowest_is_latest: bool
    lowest_mean: float
    latest_mean: float


def _rows(st: _Stats) -> list[_Row]:
    n = len(st.lowest)
    lowest_mean = st.means[np.arange(n), st.lowest]
    latest_mean = st.means[np.arange(n), st.latest]
    columns = (
        st.n_trend,
        st.n_base,
        st.ratings,
        st.baseline,
        st.current,
        st.each_below,
        st.dips,
        st.tau,
        st.p_decrease,
        st.p_increase,
        st.slope,
        st.lowest,
        st.lowest_is_latest,
        lowest_mean,
        latest_mean,
    )
    return [_Row._make(values) for values in zip(*(c.tolist() for c in columns), strict=True)]


def _assessment(
    row: _Row,
    history: Sequence[WindowStat],
    grid: _Grid,
    cfg: TrendConfig,
    flagged_baseline: float | None,
) -> Assessment:
    span_windows = tuple(w for w in history if grid.span_start <= w.start <= grid.as_of)
    if any(a.start > b.start for a, b in itertools.pairwise(span_windows)):
        span_windows = tuple(sorted(span_windows, key=_start))
    baseline, current = _f(row.baseline), _f(row.current)
    verdict, reason = _decide(cfg, row, baseline, current, grid.span_start, flagged_baseline)
    insufficient = verdict == "insufficient"
    return Assessment(
        falling=verdict == "falling",
        recovered=verdict == "recovered",
        insufficient=insufficient,
        verdict=verdict,
        reason=reason,
        baseline=baseline,
        current=current,
        drop=None if baseline is None or current is None else baseline - current,
        slope=None if insufficient else _f(row.slope),
        tau=None if insufficient else _f(row.tau),
        p_value=None if insufficient else row.p_decrease,
        ratings=row.ratings,
        windows_used=row.n_trend,
        span_start=grid.span_start,
        span_end=grid.span_end,
        windows=span_windows,
    )


def _decide(
    cfg: TrendConfig,
    row: _Row,
    baseline: float | None,
    current: float | None,
    span_start: date,
    flagged_baseline: float | None,
) -> tuple[Verdict, str]:
    """The verdict and its reason in plain words."""
    n_trend, n_base, tau, p_dec = row.n_trend, row.n_base, row.tau, row.p_decrease
    unit = _unit(cfg.window_days)
    if n_trend < cfg.min_trend_windows:
        return "insufficient", (
            f"too few ratings to tell (only {n_trend} of the last {cfg.trend_windows} "
            f"{unit}s had {cfg.min_ratings}+ ratings; {cfg.min_trend_windows} needed)"
        )
    if n_base < cfg.min_baseline_windows or baseline is None or current is None:
        return "insufficient", (
            f"too little history to tell (only {n_base} of the {cfg.baseline_windows} "
            f"{unit}s before had {cfg.min_ratings}+ ratings; {cfg.min_baseline_windows} needed)"
        )
    big_drop = baseline - current >= cfg.min_drop - _EPS and row.each_below
    significant = p_dec < cfg.alpha
    change = f"CSAT {baseline:.1f} → {current:.1f}"
    stats = f"τ {_signed(tau)}, p {_p(p_dec)}"
    if significant and big_drop:
        return "falling", f"falling: {change} over {cfg.trend_windows} {unit}s ({stats})"
    if flagged_baseline is not None:
        need = flagged_baseline - cfg.recovery_margin
        if current >= need - _EPS:
            return "recovered", (
                f"recovered: CSAT back to {current:.1f} ({flagged_baseline:.1f} when flagged)"
            )
        return "not_recovered", (
            f"not back yet: CSAT {current:.1f}, needs {need:.1f} to clear "
            f"({flagged_baseline:.1f} when flagged)"
        )
    if row.p_increase < cfg.alpha and row.slope > 0:
        return "improving", f"improving: {change} over {cfg.trend_windows} {unit}s"
    if row.dips > 0 and not row.each_below:
        start = span_start + timedelta(days=cfg.window_days * row.lowest)
        low = f"{row.lowest_mean:.1f} in the {unit} of {start.day} {start:%b}"
        if row.lowest_is_latest:
            return "dip", f"one bad {unit} just now ({low}); usual {baseline:.1f}, no trend yet"
        what = f"one-{unit} dip" if row.dips == 1 else f"{row.dips} bad {unit}s"
        return "dip", f"{what} ({low}), back to {row.latest_mean:.1f}; usual {baseline:.1f}"
    if big_drop:
        return "recent_drop", f"lower lately, not a sustained fall yet: {change} ({stats})"
    if significant:
        return "slight_decline", (
            f"slipping slightly: {change}, less than the {cfg.min_drop:.1f} drop that counts"
        )
    return "steady", f"steady: CSAT {current:.1f} lately, usual {baseline:.1f}"


def _start(w: WindowStat) -> date:
    return w.start


def _unit(days: int) -> str:
    return {7: "week", 1: "day"}.get(days, f"{days}-day window")


def _signed(v: float) -> str:
    return f"−{abs(v):.2f}" if v < 0 else f"{v:.2f}"


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.2g}"
