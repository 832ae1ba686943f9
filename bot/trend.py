"""Is an agent's CSAT falling? The pure statistics of detection: no database, no I/O.

Input is one agent's per-window aggregates (`WindowStat`: window start, mean CSAT, number of
ratings), as a `GROUP BY agent, window` produces them. Windows with no ratings are simply absent
and count as gaps, never as zeros.

Windows are placed on a grid that ends at `as_of` (the start of the latest window to judge; by
default the latest window seen). The last `trend_windows` grid windows form the *trend span*; the
`baseline_windows` before them form the agent's own *baseline*. Windows that start after `as_of`
(an unfinished week, say) are ignored. Starts are expected on the grid.

A window *qualifies* when it has at least `min_ratings` ratings; the others are treated as gaps.
How counts are used:

* the trend test (Mann-Kendall) and the slope (Theil-Sen) use the qualifying windows' means, one
  point per window, unweighted, at their real positions on the grid (so gaps stretch time rather
  than being skipped over);
* the baseline and the current level are count-weighted means (total CSAT / total ratings) of
  qualifying windows, so a busy week counts for what it is.

An agent is *falling* when all of these hold:

1. enough data: at least `min_trend_windows` qualifying windows in the trend span and
   `min_baseline_windows` in the baseline span;
2. the trend span's means decrease (one-sided Mann-Kendall p < `alpha`, Theil-Sen slope < 0);
3. the *current level* (count-weighted mean of the last `current_windows` qualifying windows) is
   at least `min_drop` below the baseline;
4. each of those last windows is itself at least `current_margin` below the baseline, so a single
   bad week can't carry the current level (and a dip that has already recovered doesn't count).

A flag clears (hysteresis) when the current level is back within `recovery_margin` of the baseline
recorded when the flag was raised, and the agent is not falling.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt

K = TypeVar("K", bound=Hashable)
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

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
    """Qualifying windows needed in the baseline span."""
    alpha: float = 0.10
    """One-sided significance level of the Mann-Kendall test for a decrease."""
    min_drop: float = 0.4
    """How far (CSAT points) the current level must be below the baseline."""
    current_windows: int = 2
    """Last qualifying windows whose count-weighted mean is the current level."""
    current_margin: float = 0.2
    """How far (CSAT points) each of those windows must be below the baseline."""
    recovery_margin: float = 0.2
    """A flag clears when the current level is back within this of the flag-time baseline."""

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError("window_days must be at least 1")
        if self.min_ratings < 1:
            raise ValueError("min_ratings must be at least 1")
        if not 1 <= self.current_windows <= self.min_trend_windows <= self.trend_windows:
            raise ValueError("need 1 <= current_windows <= min_trend_windows <= trend_windows")
        if self.min_trend_windows < 2:
            raise ValueError("min_trend_windows must be at least 2 for a trend test")
        if not 1 <= self.min_baseline_windows <= self.baseline_windows:
            raise ValueError("need 1 <= min_baseline_windows <= baseline_windows")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError("alpha must be between 0 and 1")
        if self.min_drop <= 0 or self.current_margin < 0 or self.recovery_margin < 0:
            raise ValueError("min_drop must be positive and the margins not negative")


DEFAULT_CONFIG = TrendConfig()


@dataclass(frozen=True, slots=True)
class MannKendall:
    """Mann-Kendall trend test of a series in time order (normal approximation)."""

    n: int
    s: int
    var_s: float
    """Variance of S under no trend, with the correction for tied values."""
    z: float
    """Normal score of S, with a continuity correction of 1."""
    p_decrease: float
    """One-sided p-value for a decreasing trend."""
    p_increase: float
    """One-sided p-value for an increasing trend."""
    tau: float
    """Kendall's tau-a, S / (n(n-1)/2), as pymannkendall reports it."""
    tau_b: float
    """Kendall's tau-b between time and value (equals tau when there are no ties)."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """What detection concluded about one agent, with the figures behind it."""

    falling: bool
    """A sustained fall now: raise (or keep) a flag."""
    recovered: bool
    """Only with `flagged_baseline`: the trajectory is back, clear the flag."""
    insufficient: bool
    """Too few ratings to tell either way."""
    verdict: Verdict
    reason: str
    """Plain words for a lead."""
    baseline: float | None
    """Count-weighted mean CSAT over the baseline span."""
    current: float | None
    """Count-weighted mean CSAT of the last qualifying windows."""
    drop: float | None
    """baseline - current (positive when CSAT is lower now)."""
    slope: float | None
    """Theil-Sen slope over the trend span, CSAT points per window."""
    tau: float | None
    """Kendall's tau (tau-a) of the trend span's window means against time."""
    p_value: float | None
    """One-sided Mann-Kendall p-value for a decrease over the trend span."""
    ratings: int
    """Ratings in the trend span, including those in windows too thin to qualify."""
    windows_used: int
    """Qualifying windows in the trend span."""
    span_start: date
    """First day of the trend span."""
    span_end: date
    """Last day of the trend span (inclusive)."""
    windows: tuple[WindowStat, ...]
    """The input windows that fall in the trend span, oldest first."""


def _norm_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _norm_cdf_array(z: FloatArray) -> FloatArray:
    return np.array([_norm_cdf(v) for v in z.tolist()], dtype=np.float64)


def mann_kendall(values: Sequence[float]) -> MannKendall:
    """Mann-Kendall test of `values` (in time order), with tie correction."""
    x = np.asarray(values, dtype=np.float64)
    n = int(x.size)
    i, j = np.triu_indices(n, 1)
    s = int(np.sign(x[j] - x[i]).sum())
    _, ties = np.unique(x, return_counts=True)
    var_s = float(n * (n - 1) * (2 * n + 5) - np.sum(ties * (ties - 1) * (2 * ties + 5))) / 18.0
    z = 0.0 if var_s <= 0 or s == 0 else (s - math.copysign(1.0, s)) / math.sqrt(var_s)
    pairs = n * (n - 1) / 2
    tied_pairs = float(np.sum(ties * (ties - 1)) / 2)
    tau = s / pairs if pairs else 0.0
    denom = math.sqrt(pairs * (pairs - tied_pairs))
    tau_b = s / denom if denom else 0.0
    return MannKendall(n, s, var_s, z, _norm_cdf(z), _norm_cdf(-z), tau, tau_b)


def theil_sen(values: Sequence[float], times: Sequence[float] | None = None) -> float:
    """Theil-Sen slope: the median of the pairwise slopes (per unit of `times`, default index)."""
    y = np.asarray(values, dtype=np.float64)
    t = np.arange(y.size, dtype=np.float64) if times is None else np.asarray(times, np.float64)
    i, j = np.triu_indices(y.size, 1)
    dt = t[j] - t[i]
    keep = dt != 0
    if not keep.any():
        return math.nan
    return float(np.median((y[j] - y[i])[keep] / dt[keep]))


def assess(
    windows: Sequence[WindowStat],
    config: TrendConfig = DEFAULT_CONFIG,
    *,
    flagged_baseline: float | None = None,
    as_of: date | None = None,
) -> Assessment:
    """Assess one agent's windows; pass `flagged_baseline` when the agent is already flagged."""
    flagged = {} if flagged_baseline is None else {0: flagged_baseline}
    return assess_many({0: windows}, config, flagged, as_of=as_of)[0]


def assess_many(
    histories: Mapping[K, Sequence[WindowStat]],
    config: TrendConfig = DEFAULT_CONFIG,
    flagged_baselines: Mapping[K, float] | None = None,
    *,
    as_of: date | None = None,
) -> dict[K, Assessment]:
    """Assess many agents at once (vectorised); `as_of` defaults to the latest window of any."""
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
    stats = _Stats.compute(grid, config)
    return {
        key: _assessment(a, histories[key], grid, stats, config, flagged_baselines.get(key))
        for a, key in enumerate(keys)
    }


@dataclass(frozen=True, slots=True)
class _Grid:
    """Agents x grid windows, oldest first: baseline columns, then trend columns."""

    sums: FloatArray
    counts: FloatArray
    as_of: date
    span_start: date
    span_end: date

    @staticmethod
    def build(
        keys: list[K], histories: Mapping[K, Sequence[WindowStat]], cfg: TrendConfig, as_of: date
    ) -> _Grid:
        n_cols = cfg.baseline_windows + cfg.trend_windows
        rows: list[int] = []
        ords: list[int] = []
        means: list[float] = []
        counts: list[int] = []
        for a, key in enumerate(keys):
            history = histories[key]
            rows.extend([a] * len(history))
            for w in history:
                ords.append(w.start.toordinal())
                means.append(w.mean)
                counts.append(w.count)
        age = (as_of.toordinal() - np.asarray(ords, dtype=np.int64)) // cfg.window_days
        c = np.asarray(counts, dtype=np.float64)
        keep = (age >= 0) & (age < n_cols) & (c > 0)
        # Several inputs landing in one grid window (off-grid starts) are pooled by count.
        flat = np.asarray(rows, dtype=np.int64)[keep] * n_cols + (n_cols - 1 - age[keep])
        size = len(keys) * n_cols
        weighted = np.asarray(means, dtype=np.float64)[keep] * c[keep]
        sums = np.bincount(flat, weighted, size).astype(np.float64).reshape(len(keys), n_cols)
        cnts = np.bincount(flat, c[keep], size).astype(np.float64).reshape(len(keys), n_cols)
        span_start = as_of - timedelta(days=cfg.window_days * (cfg.trend_windows - 1))
        span_end = as_of + timedelta(days=cfg.window_days - 1)
        return _Grid(sums, cnts, as_of, span_start, span_end)


@dataclass(frozen=True, slots=True)
class _Stats:
    """Per-agent statistics as arrays (NaN where not computable)."""

    n_trend: npt.NDArray[np.int64]
    n_base: npt.NDArray[np.int64]
    ratings: npt.NDArray[np.int64]
    baseline: FloatArray
    current: FloatArray
    each_below: BoolArray
    dips: npt.NDArray[np.int64]
    s: npt.NDArray[np.int64]
    tau: FloatArray
    p_decrease: FloatArray
    p_increase: FloatArray
    slope: FloatArray
    means: FloatArray
    """Trend span means, NaN for windows that do not qualify."""

    @staticmethod
    def compute(grid: _Grid, cfg: TrendConfig) -> _Stats:
        b = cfg.baseline_windows
        valid = grid.counts >= cfg.min_ratings
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(valid, grid.sums / grid.counts, np.nan)
            vb = valid[:, :b]
            baseline = (grid.sums[:, :b] * vb).sum(1) / (grid.counts[:, :b] * vb).sum(1)

            vt = valid[:, b:]
            mt = means[:, b:]
            # The last `current_windows` qualifying windows: count qualifying ones from the right.
            from_right = np.cumsum(vt[:, ::-1], axis=1)[:, ::-1]
            cur = vt & (from_right <= cfg.current_windows)
            current = (grid.sums[:, b:] * cur).sum(1) / (grid.counts[:, b:] * cur).sum(1)
            below = mt <= (baseline - cfg.current_margin + _EPS)[:, None]
            each_below = np.asarray(np.where(cur, below, True).all(1) & cur.any(1), dtype=np.bool_)
            dips = (vt & (mt <= (baseline - cfg.min_drop + _EPS)[:, None])).sum(1)

        s, var_s, slope = _mk_and_slope(mt, vt)
        n = vt.sum(1)
        sd = np.sqrt(np.maximum(var_s, 0.0))
        z = np.zeros_like(sd)
        ok = (sd > 0) & (s != 0)
        z[ok] = (s[ok] - np.sign(s[ok])) / sd[ok]
        p_decrease = _norm_cdf_array(z)
        p_increase = _norm_cdf_array(-z)
        pairs = n * (n - 1) / 2
        with np.errstate(invalid="ignore", divide="ignore"):
            tau = np.where(pairs > 0, s / pairs, np.nan)
        return _Stats(
            n_trend=n,
            n_base=vb.sum(1),
            ratings=grid.counts[:, b:].sum(1).astype(np.int64),
            baseline=baseline,
            current=current,
            each_below=each_below,
            dips=dips,
            s=s,
            tau=tau,
            p_decrease=p_decrease,
            p_increase=p_increase,
            slope=slope,
            means=mt,
        )


def _mk_and_slope(
    x: FloatArray, valid: BoolArray
) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    """Mann-Kendall S and var(S) (tie-corrected) and Theil-Sen slope, per row, over valid cells."""
    n_cols = x.shape[1]
    i, j = np.triu_indices(n_cols, 1)
    pair_ok = valid[:, i] & valid[:, j]
    diff = np.where(pair_ok, x[:, j] - x[:, i], 0.0)
    s = np.sign(diff).sum(1).astype(np.int64)

    # Tie correction: a group of t equal values adds t(t-1)(2t+5); summing (t-1)(2t+5) over each
    # of its t members gives the same total without finding the groups.
    same = (x[:, :, None] == x[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    t = same.sum(2)
    ties = np.where(valid, (t - 1) * (2 * t + 5), 0).sum(1)
    n = valid.sum(1)
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18.0

    # Pairwise slopes use grid positions, so a gap between two windows counts as elapsed time.
    slopes = np.where(pair_ok, diff / (j - i), np.nan)
    slopes.sort(axis=1)  # NaNs sort last
    m = pair_ok.sum(1)
    lo = np.take_along_axis(slopes, np.maximum((m - 1) // 2, 0)[:, None], 1)[:, 0]
    hi = np.take_along_axis(slopes, (m // 2)[:, None], 1)[:, 0] if slopes.shape[1] else lo
    slope = np.where(m > 0, (lo + hi) / 2, np.nan)
    return s, var_s.astype(np.float64), slope


def _f(v: float) -> float | None:
    return None if math.isnan(v) else v


def _assessment(
    a: int,
    history: Sequence[WindowStat],
    grid: _Grid,
    st: _Stats,
    cfg: TrendConfig,
    flagged_baseline: float | None,
) -> Assessment:
    span_windows = tuple(
        sorted((w for w in history if grid.span_start <= w.start <= grid.as_of), key=_start)
    )
    unit = _unit(cfg.window_days)
    n_trend, n_base = int(st.n_trend[a]), int(st.n_base[a])
    baseline, current = _f(float(st.baseline[a])), _f(float(st.current[a]))
    slope, tau, p_dec = float(st.slope[a]), float(st.tau[a]), float(st.p_decrease[a])
    verdict, reason, falling, recovered = _decide(
        cfg,
        unit,
        n_trend,
        n_base,
        baseline,
        current,
        slope,
        tau,
        p_dec,
        float(st.p_increase[a]),
        bool(st.each_below[a]),
        int(st.dips[a]),
        lambda: _low_window(st.means[a], grid.span_start, cfg.window_days),
        flagged_baseline,
    )
    insufficient = verdict == "insufficient"
    return Assessment(
        falling=falling,
        recovered=recovered,
        insufficient=insufficient,
        verdict=verdict,
        reason=reason,
        baseline=baseline,
        current=current,
        drop=None if baseline is None or current is None else baseline - current,
        slope=None if insufficient else _f(slope),
        tau=None if insufficient else _f(tau),
        p_value=None if insufficient else p_dec,
        ratings=int(st.ratings[a]),
        windows_used=n_trend,
        span_start=grid.span_start,
        span_end=grid.span_end,
        windows=span_windows,
    )


def _decide(
    cfg: TrendConfig,
    unit: str,
    n_trend: int,
    n_base: int,
    baseline: float | None,
    current: float | None,
    slope: float,
    tau: float,
    p_dec: float,
    p_inc: float,
    each_below: bool,
    dips: int,
    lowest: Callable[[], tuple[str, bool]],
    flagged_baseline: float | None,
) -> tuple[Verdict, str, bool, bool]:
    """The verdict, its plain-words reason, and the falling and recovered flags."""
    if n_trend < cfg.min_trend_windows:
        return (
            "insufficient",
            f"too few ratings to tell (only {n_trend} of the last {cfg.trend_windows} "
            f"{unit}s had {cfg.min_ratings}+ ratings; {cfg.min_trend_windows} needed)",
            False,
            False,
        )
    if n_base < cfg.min_baseline_windows or baseline is None or current is None:
        return (
            "insufficient",
            f"too little history to tell (only {n_base} of the {cfg.baseline_windows} "
            f"{unit}s before had {cfg.min_ratings}+ ratings; {cfg.min_baseline_windows} needed)",
            False,
            False,
        )
    drop = baseline - current
    big_drop = drop >= cfg.min_drop - _EPS and each_below
    significant = p_dec < cfg.alpha and slope < 0
    stats = f"τ {_signed(tau)}, p {_p(p_dec)}"
    span = f"{cfg.trend_windows} {unit}s"
    if significant and big_drop:
        return (
            "falling",
            f"falling: CSAT {baseline:.1f} → {current:.1f} over {span} ({stats})",
            True,
            False,
        )
    if flagged_baseline is not None:
        need = flagged_baseline - cfg.recovery_margin
        if current >= need - _EPS:
            return (
                "recovered",
                f"recovered: CSAT back to {current:.1f} ({flagged_baseline:.1f} when flagged)",
                False,
                True,
            )
        return (
            "not_recovered",
            f"not back yet: CSAT {current:.1f}, needs {need:.1f} to clear "
            f"({flagged_baseline:.1f} when flagged)",
            False,
            False,
        )
    if p_inc < cfg.alpha and slope > 0:
        return (
            "improving",
            f"improving: CSAT {baseline:.1f} → {current:.1f} over {span}",
            False,
            False,
        )
    if dips > 0 and not each_below:
        low, latest = lowest()
        if latest:
            text = f"one bad {unit} just now ({low}); usual {baseline:.1f}, not a trend yet"
        elif dips == 1:
            text = f"one-{unit} dip ({low}), back to {current:.1f}; usual {baseline:.1f}"
        else:
            text = f"{dips} bad {unit}s (lowest {low}), back to {current:.1f}; usual {baseline:.1f}"
        return "dip", text, False, False
    if big_drop:
        return (
            "recent_drop",
            f"lower lately but not a sustained fall: CSAT {baseline:.1f} → {current:.1f} ({stats})",
            False,
            False,
        )
    if significant:
        return (
            "slight_decline",
            f"slipping slightly: CSAT {baseline:.1f} → {current:.1f}, "
            f"less than the {cfg.min_drop:.1f} drop that counts",
            False,
            False,
        )
    return "steady", f"steady: CSAT {current:.1f} lately, usual {baseline:.1f}", False, False


def _start(w: WindowStat) -> date:
    return w.start


def _unit(days: int) -> str:
    return {7: "week", 1: "day"}.get(days, f"{days}-day window")


def _signed(v: float) -> str:
    return f"−{abs(v):.2f}" if v < 0 else f"{v:.2f}"


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.2g}"


def _low_window(means: FloatArray, span_start: date, window_days: int) -> tuple[str, bool]:
    """The lowest qualifying window in words, and whether it is the latest qualifying one."""
    k = int(np.nanargmin(means))
    latest = k == int(np.flatnonzero(~np.isnan(means))[-1])
    start = span_start + timedelta(days=window_days * k)
    return f"{means[k]:.1f} in the {_unit(window_days)} of {start.day} {start:%b}", latest
