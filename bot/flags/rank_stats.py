"""Rank statistics of a trend: the Mann-Kendall test (Kendall's tau) and the Theil-Sen slope.

Each comes twice: for one series (`kendall_trend`, `mann_kendall`, `theil_sen`, cross-checked
against pymannkendall and scipy by the tests) and vectorised over the rows of an agents x windows
grid where a False cell is a gap (`kendall_batch`, `theil_sen_batch`, used by `bot.flags.trend`).
Pure numpy: no database, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class MannKendall:
    """A Mann-Kendall (Kendall tau) trend test, normal approximation."""

    n: int
    s: int
    """Concordant minus discordant pairs of (time, value)."""
    var_s: float
    """Variance of S under no trend, corrected for ties in time and in value."""
    z: float
    """S / sqrt(var_s) after a continuity correction of 1 towards zero."""
    p_decrease: float
    """One-sided p-value for a decreasing trend."""
    p_increase: float
    """One-sided p-value for an increasing trend."""
    tau: float
    """Kendall's tau-a, S / (n(n-1)/2), as pymannkendall reports it."""
    tau_b: float
    """Kendall's tau-b of time against value (equals tau-a when nothing is tied; NaN if all tied)."""


def kendall_trend(values: Sequence[float], times: Sequence[float]) -> MannKendall:
    """Mann-Kendall test of `values` against `times`; equal times form one tied period."""
    x = np.asarray(values, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    if x.shape != t.shape or x.ndim != 1:
        raise ValueError("values and times must be 1-D and the same length")
    n = int(x.size)
    i, j = np.triu_indices(n, 1)
    s = int((np.sign(x[j] - x[i]) * np.sign(t[j] - t[i])).sum())
    _, tx = np.unique(x, return_counts=True)
    _, tt = np.unique(t, return_counts=True)
    var_s = _var_s(n, _tie_sums(tt), _tie_sums(tx))
    z = 0.0 if var_s <= 0 or s == 0 else (s - math.copysign(1.0, s)) / math.sqrt(var_s)
    pairs = n * (n - 1) / 2
    denom = math.sqrt((pairs - _tie_sums(tt)[2] / 2) * (pairs - _tie_sums(tx)[2] / 2))
    return MannKendall(
        n=n,
        s=s,
        var_s=var_s,
        z=z,
        p_decrease=norm_cdf(z),
        p_increase=norm_cdf(-z),
        tau=s / pairs if pairs else 0.0,
        tau_b=s / denom if denom else math.nan,
    )


def mann_kendall(values: Sequence[float]) -> MannKendall:
    """Classic Mann-Kendall test of `values` in time order, with tie correction."""
    return kendall_trend(values, range(len(values)))


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


def kendall_batch(
    x: FloatArray, valid: BoolArray, times: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per row: Kendall S of `times` against `x` over valid cells, var(S) and tau-b."""
    i, j = np.triu_indices(x.shape[1], 1)
    ok = valid[:, i] & valid[:, j]
    s = (np.sign(x[:, j] - x[:, i]) * np.sign(times[j] - times[i]) * ok).sum(1)

    n = valid.sum(1).astype(np.float64)
    # Each member of a tie group of size t sees t equal cells, so summing f(t)/t over members
    # sums f(t) over groups without finding the groups.
    both = valid[:, :, None] & valid[:, None, :]
    tx = ((x[:, :, None] == x[:, None, :]) & both).sum(2).astype(np.float64)
    tt = ((times[:, None] == times[None, :])[None] & both).sum(2).astype(np.float64)

    def sums(t: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        keep = valid & (t > 0)
        return (
            np.where(keep, (t - 1) * (2 * t + 5), 0.0).sum(1),
            np.where(keep, (t - 1) * (t - 2), 0.0).sum(1),
            np.where(keep, t - 1, 0.0).sum(1),
        )

    (x0, x1, x2), (t0, t1, t2) = sums(tx), sums(tt)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (n * (n - 1) * (2 * n + 5) - t0 - x0) / 18.0
        var += np.where(n > 1, t2 * x2 / (2 * n * (n - 1)), 0.0)
        var += np.where(n > 2, t1 * x1 / (9 * n * (n - 1) * (n - 2)), 0.0)
        pairs = n * (n - 1) / 2
        tau_b = s / np.sqrt((pairs - t2 / 2) * (pairs - x2 / 2))
    return s.astype(np.float64), var, np.where(np.isfinite(tau_b), tau_b, np.nan)


def theil_sen_batch(x: FloatArray, valid: BoolArray) -> FloatArray:
    """Per row: median of pairwise slopes over valid cells, per grid window (gaps count)."""
    i, j = np.triu_indices(x.shape[1], 1)
    ok = valid[:, i] & valid[:, j]
    slopes = np.where(ok, (x[:, j] - x[:, i]) / (j - i), np.nan)
    slopes.sort(axis=1)  # NaNs sort last
    m = ok.sum(1)
    lo = np.take_along_axis(slopes, np.maximum((m - 1) // 2, 0)[:, None], 1)[:, 0]
    hi = np.take_along_axis(slopes, np.minimum(m // 2, max(len(i) - 1, 0))[:, None], 1)[:, 0]
    return np.where(m > 0, (lo + hi) / 2, np.nan)


def norm_cdf(z: float) -> float:
    """The standard normal CDF."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


# --- internals ------------------------------------------------------------------------------


def _tie_sums(sizes: npt.ArrayLike) -> tuple[float, float, float]:
    """Over tie groups of size t: sums of t(t-1)(2t+5), t(t-1)(t-2) and t(t-1)."""
    t = np.asarray(sizes, dtype=np.float64)
    return (
        float(np.sum(t * (t - 1) * (2 * t + 5))),
        float(np.sum(t * (t - 1) * (t - 2))),
        float(np.sum(t * (t - 1))),
    )


def _var_s(n: int, time_ties: tuple[float, float, float], value_ties: tuple[float, ...]) -> float:
    """Kendall's variance of S with ties in both time and value (as scipy's kendalltau)."""
    if n < 2:
        return 0.0
    var = (n * (n - 1) * (2 * n + 5) - time_ties[0] - value_ties[0]) / 18.0
    var += time_ties[2] * value_ties[2] / (2.0 * n * (n - 1))
    if n > 2:
        var += time_ties[1] * value_ties[1] / (9.0 * n * (n - 1) * (n - 2))
    return var
