"""The statistics of detection: cross-checks against pymannkendall and scipy, and behaviour."""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pytest

from bot.flags.rank_stats import kendall_trend, mann_kendall, theil_sen
from bot.flags.trend import Assessment, TrendConfig, WindowStat, assess, assess_many

MONDAY = date(2025, 1, 6)
BASELINE = [4.5, 4.3, 4.4, 4.45, 4.35, 4.4, 4.5, 4.3]  # mean 4.4, a little wobble


def weeks(means: Sequence[float | None], count: int | Sequence[int] = 12) -> list[WindowStat]:
    """Consecutive weekly windows from MONDAY; None is a week with no ratings (absent)."""
    counts = [count] * len(means) if isinstance(count, int) else list(count)
    return [
        WindowStat(MONDAY + timedelta(weeks=k), m, c)
        for k, (m, c) in enumerate(zip(means, counts, strict=True))
        if m is not None
    ]


def series(rng: random.Random, n: int, ties: bool) -> list[float]:
    if ties:
        return [float(rng.randint(1, 5)) for _ in range(n)]
    return [rng.gauss(4.0, 0.5) for _ in range(n)]


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


# --- cross-checks ---------------------------------------------------------------------------


@pytest.mark.parametrize("ties", [False, True])
def test_mann_kendall_matches_pymannkendall(ties: bool) -> None:
    pmk = pytest.importorskip("pymannkendall")
    rng = random.Random(1 if ties else 2)
    for _ in range(200):
        x = series(rng, rng.randint(4, 20), ties)
        ours = mann_kendall(x)
        ref = pmk.original_test(x)
        assert ours.s == ref.s
        assert ours.var_s == pytest.approx(ref.var_s)
        assert ours.z == pytest.approx(ref.z)
        assert ours.tau == pytest.approx(ref.Tau)
        assert 2 * min(ours.p_decrease, ours.p_increase) == pytest.approx(ref.p)
        assert ours.p_decrease == pytest.approx(_phi(ref.z))


@pytest.mark.parametrize("ties", [False, True])
def test_mann_kendall_matches_scipy_kendalltau(ties: bool) -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = random.Random(3 if ties else 4)
    for _ in range(200):
        x = series(rng, rng.randint(4, 20), ties)
        ours = mann_kendall(x)
        ref = stats.kendalltau(range(len(x)), x, method="asymptotic")
        assert ours.tau_b == pytest.approx(ref.statistic, nan_ok=True)
        if not ties:
            assert ours.tau_b == pytest.approx(ours.tau)
        # scipy has no continuity correction; compare on the same variance.
        if ours.var_s > 0:
            assert 2 * _phi(-abs(ours.s) / math.sqrt(ours.var_s)) == pytest.approx(ref.pvalue)


@pytest.mark.parametrize("ties", [False, True])
def test_kendall_trend_with_a_tied_baseline_period_matches_scipy(ties: bool) -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = random.Random(5 if ties else 6)
    for _ in range(200):
        base, span = rng.randint(1, 8), rng.randint(3, 6)
        x = series(rng, base + span, ties)
        times = [0.0] * base + [float(k) for k in range(1, span + 1)]
        ours = kendall_trend(x, times)
        ref = stats.kendalltau(times, x, method="asymptotic")
        assert ours.tau_b == pytest.approx(ref.statistic, nan_ok=True)
        if ours.var_s > 0:
            assert 2 * _phi(-abs(ours.s) / math.sqrt(ours.var_s)) == pytest.approx(ref.pvalue)


def test_theil_sen_matches_scipy_with_and_without_gaps() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(3, 14)
        y = series(rng, n, ties=rng.random() < 0.5)
        assert theil_sen(y) == pytest.approx(stats.theilslopes(y).slope)
        x = sorted(rng.sample(range(20), n))
        assert theil_sen(y, x) == pytest.approx(stats.theilslopes(y, x).slope)


def random_history(rng: random.Random, n_weeks: int = 14) -> list[WindowStat]:
    out = []
    for k in range(n_weeks):
        if rng.random() < 0.15:
            continue  # a week with no ratings
        count = rng.choice([2, 4, 6, 9, 12, 15])
        mean = float(rng.randint(1, 5)) if rng.random() < 0.2 else round(rng.gauss(4, 0.4), 2)
        out.append(WindowStat(MONDAY + timedelta(weeks=k), mean, count))
    return out


@pytest.mark.parametrize("test", ["vs_baseline", "mann_kendall"])
def test_assess_statistics_equal_the_scalar_functions_on_the_qualifying_windows(test: str) -> None:
    cfg = dataclasses.replace(TrendConfig(), trend_test=test)  # type: ignore[arg-type]
    as_of = MONDAY + timedelta(weeks=13)
    rng = random.Random(8)
    histories = {a: random_history(rng) for a in range(300)}
    results = assess_many(histories, cfg, as_of=as_of)
    checked = 0
    for a, history in histories.items():
        r = results[a]
        assert r == assess(history, cfg, as_of=as_of)
        if r.insufficient:
            assert r.p_value is None and r.tau is None and r.slope is None
            continue
        q = [w for w in history if w.count >= cfg.min_ratings]
        pos = {w.start: (w.start - MONDAY).days // 7 for w in q}  # grid index 0..13
        base = [w for w in q if pos[w.start] < 8]
        span = [w for w in q if pos[w.start] >= 8]
        if test == "vs_baseline":
            ref = kendall_trend(
                [w.mean for w in base + span], [0.0] * len(base) + [pos[w.start] for w in span]
            )
        else:
            ref = mann_kendall([w.mean for w in span])
        assert r.p_value == pytest.approx(ref.p_decrease)
        assert r.tau == pytest.approx(ref.tau_b) if not math.isnan(ref.tau_b) else r.tau is None
        assert r.slope == pytest.approx(
            theil_sen([w.mean for w in span], [pos[w.start] for w in span])
        )
        weights = sum(w.count for w in base)
        assert r.baseline == pytest.approx(sum(w.mean * w.count for w in base) / weights)
        last2 = span[-2:]
        current = sum(w.mean * w.count for w in last2) / sum(w.count for w in last2)
        assert r.current == pytest.approx(current)
        assert r.windows_used == len(span)
        assert r.ratings == sum(w.count for w in history if (w.start - MONDAY).days >= 56)
        checked += 1
    assert checked > 100


# --- behaviour ------------------------------------------------------------------------------


def check(
    means: Sequence[float | None], count: int | Sequence[int] = 12, **kw: object
) -> Assessment:
    return assess(weeks(means, count), **kw)  # type: ignore[arg-type]


def test_a_steady_slide_is_flagged() -> None:
    r = check([*BASELINE, 4.3, 4.15, 4.0, 3.85, 3.7, 3.55])
    assert r.falling and not r.insufficient and r.verdict == "falling"
    assert r.baseline == pytest.approx(4.4)
    assert r.current == pytest.approx(3.625)
    assert r.drop == pytest.approx(0.775)
    assert r.slope == pytest.approx(-0.15)
    assert r.tau is not None and r.tau < -0.5
    assert r.p_value is not None and r.p_value < 0.05
    assert r.reason.startswith("falling: CSAT 4.4 → 3.6 over 6 weeks (τ −0.")
    assert (r.span_start, r.span_end) == (MONDAY + timedelta(weeks=8), MONDAY + timedelta(days=97))
    assert r.ratings == 72 and r.windows_used == 6
    assert [w.mean for w in r.windows] == [4.3, 4.15, 4.0, 3.85, 3.7, 3.55]


def test_a_sudden_drop_that_keeps_sliding_is_flagged() -> None:
    r = check([*BASELINE, 4.4, 4.35, 3.7, 3.6, 3.5, 3.4])
    assert r.falling, r.reason


def test_the_classic_mann_kendall_test_flags_a_steady_slide_too() -> None:
    cfg = TrendConfig(trend_test="mann_kendall")
    r = check([*BASELINE, 4.3, 4.15, 4.0, 3.85, 3.7, 3.55], config=cfg)
    assert r.falling and r.tau == pytest.approx(-1.0)
    assert r.p_value == pytest.approx(mann_kendall([4.3, 4.15, 4.0, 3.85, 3.7, 3.55]).p_decrease)


@pytest.mark.parametrize(
    "span",
    [
        [4.4, 4.35, 3.2, 4.4, 4.45, 4.35],  # mid-span
        [4.4, 4.35, 4.45, 4.4, 3.1, 4.4],  # second-to-last
    ],
)
def test_a_one_week_dip_that_recovered_is_not_flagged(span: list[float]) -> None:
    r = check([*BASELINE, *span])
    assert not r.falling and r.verdict == "dip"
    assert r.reason.startswith("one-week dip (3.")
    assert "back to 4." in r.reason


def test_a_bad_latest_week_alone_is_not_a_fall() -> None:
    r = check([*BASELINE, 4.4, 4.35, 4.45, 4.4, 4.35, 3.2])
    assert not r.falling and r.verdict == "dip" and "just now" in r.reason


def test_too_few_ratings_to_tell() -> None:
    r = check([*BASELINE, 4.0, 3.0, 3.5, 2.0, 3.0, 2.5], [12] * 8 + [12, 3, 12, 4, 2, 12])
    assert r.insufficient and not r.falling and r.verdict == "insufficient"
    assert (
        r.reason == "too few ratings to tell (only 3 of the last 6 weeks had 5+ ratings; 4 needed)"
    )
    assert r.p_value is None and r.windows_used == 3 and r.ratings == 45


def test_too_little_history_to_tell() -> None:
    r = check([None] * 6 + [4.5, 4.4, 4.3, 4.15, 4.0, 3.85, 3.7, 3.55])
    assert r.insufficient and not r.falling
    assert r.reason.startswith("too little history to tell (only 2 of the 8 weeks before")


def test_sparse_agent_sliding_hard_is_not_flagged() -> None:
    r = check([*BASELINE, 4.0, 3.5, 3.0, 2.5, 2.0, 1.5], 2)
    assert r.insufficient and not r.falling


def test_low_but_steady_is_not_flagged() -> None:
    low = [2.8, 2.9, 2.7, 2.85, 2.75, 2.8, 2.9, 2.7]
    r = check([*low, 2.8, 2.75, 2.85, 2.7, 2.8, 2.75])
    assert not r.falling and r.verdict == "steady"
    assert r.reason == "steady: CSAT 2.8 lately, usual 2.8"


def test_improving_is_not_flagged() -> None:
    r = check([3.2, 3.1, 3.3, 3.2, 3.15, 3.25, 3.2, 3.3, 3.4, 3.55, 3.7, 3.85, 4.0, 4.15])
    assert not r.falling and r.verdict == "improving"
    assert r.reason == "improving: CSAT 3.2 → 4.1 over 6 weeks"


def test_a_small_decline_is_not_flagged() -> None:
    r = check([*BASELINE, 4.35, 4.3, 4.25, 4.2, 4.15, 4.1])
    assert not r.falling and r.verdict == "slight_decline"


def test_a_drop_whose_last_week_is_back_near_usual_is_not_flagged() -> None:
    # The current level is 0.45 down, but the latest week is only 0.1 below the baseline.
    r = check([*BASELINE, 4.3, 4.2, 4.1, 4.0, 3.6, 4.3])
    assert not r.falling


def test_missing_weeks_are_gaps_not_zeros() -> None:
    slide = check([*BASELINE[:6], None, None, 4.3, None, 4.0, 3.85, 3.7, 3.55])
    assert slide.falling and slide.windows_used == 5
    assert slide.slope == pytest.approx(-0.15)  # elapsed weeks, not window order
    flat = check([*BASELINE[:5], None, 4.4, None, 4.4, None, 4.35, None, 4.45, 4.4])
    assert not flat.falling and not flat.insufficient and flat.verdict == "steady"


def test_windows_with_too_few_ratings_do_not_count() -> None:
    counts = [12] * 13 + [3]
    r = check([*BASELINE, 4.4, 4.35, 4.45, 4.4, 4.35, 1.0], counts)
    assert not r.falling and r.verdict == "steady" and r.windows_used == 5
    assert r.current == pytest.approx(4.375)


def test_windows_after_as_of_are_ignored() -> None:
    history = weeks([*BASELINE, 4.3, 4.15, 4.0, 3.85, 3.7, 3.55, 1.0])
    r = assess(history, as_of=MONDAY + timedelta(weeks=13))
    assert r.falling and r.current == pytest.approx(3.625)
    assert assess(history).span_end == MONDAY + timedelta(weeks=15, days=-1)


def test_off_grid_windows_in_the_same_grid_window_are_pooled_by_count() -> None:
    history = weeks([*BASELINE, 4.3, 4.15, 4.0, 3.85, 3.7, 3.55])
    extra = WindowStat(history[-1].start - timedelta(days=3), 3.55 + 0.3, 12)  # same grid week
    r = assess([*history, extra], as_of=history[-1].start)
    assert r.windows_used == 6
    assert r.current == pytest.approx((3.7 * 12 + 3.55 * 12 + 3.85 * 12) / 36)


def test_recovery_needs_the_current_level_back_within_the_margin_hysteresis() -> None:
    still_low = check([*BASELINE, 3.9, 3.9, 4.0, 4.0, 4.0, 4.05], flagged_baseline=4.4)
    assert not still_low.falling and not still_low.recovered
    assert still_low.verdict == "not_recovered"
    assert still_low.reason == "not back yet: CSAT 4.0, needs 4.2 to clear (4.4 when flagged)"
    back = check([*BASELINE, 3.9, 3.9, 4.0, 4.1, 4.2, 4.25], flagged_baseline=4.4)
    assert back.recovered and not back.falling and back.verdict == "recovered"
    assert back.reason == "recovered: CSAT back to 4.2 (4.4 when flagged)"


def test_the_flag_time_baseline_decides_recovery_not_the_drifting_one() -> None:
    # Low for so long that the rolling baseline is low too: not falling, but not recovered.
    r = check([3.6] * 8 + [3.65, 3.6, 3.55, 3.6, 3.65, 3.6], flagged_baseline=4.4)
    assert not r.falling and not r.recovered and r.verdict == "not_recovered"
    r = check([3.6] * 8 + [3.65, 3.6, 3.55, 3.6, 3.65, 3.6])
    assert r.verdict == "steady"


def test_still_falling_while_flagged_is_not_recovered() -> None:
    r = check([*BASELINE, 4.3, 4.15, 4.0, 3.85, 3.7, 3.55], flagged_baseline=4.4)
    assert r.falling and not r.recovered


def test_recovery_is_not_claimed_without_enough_ratings() -> None:
    r = check([*BASELINE, 4.4, 4.4, 4.4, 4.4, 4.4, 4.4], [12] * 8 + [2] * 6, flagged_baseline=4.4)
    assert r.insufficient and not r.recovered


def test_assess_many_matches_assess_per_agent_with_flag_baselines() -> None:
    histories = {
        "slide": weeks([*BASELINE, 4.3, 4.15, 4.0, 3.85, 3.7, 3.55]),
        "back": weeks([*BASELINE, 3.9, 3.9, 4.0, 4.1, 4.2, 4.25]),
        "empty": [],
    }
    flagged = {"back": 4.4}
    many = assess_many(histories, TrendConfig(), flagged)
    assert many["slide"].falling and many["back"].recovered
    assert many["empty"].insufficient
    as_of = MONDAY + timedelta(weeks=13)
    for key, history in histories.items():
        expected = assess(history, flagged_baseline=flagged.get(key), as_of=as_of)
        assert many[key] == expected


def test_no_windows_needs_as_of() -> None:
    with pytest.raises(ValueError, match="as_of"):
        assess([])
    assert assess([], as_of=MONDAY).insufficient
    assert assess_many({}) == {}


@pytest.mark.parametrize(
    "bad",
    [
        {"current_windows": 5, "min_trend_windows": 4},
        {"min_trend_windows": 7},
        {"min_baseline_windows": 9},
        {"alpha": 0.0},
        {"min_drop": 0.0},
        {"window_days": 0},
        {"trend_test": "t-test"},
    ],
)
def test_config_is_validated(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        TrendConfig(**bad)  # type: ignore[arg-type]


def test_other_window_lengths_read_in_their_own_unit() -> None:
    cfg = TrendConfig(window_days=14)
    history = [
        WindowStat(MONDAY + timedelta(days=14 * k), m, 20)
        for k, m in enumerate([*BASELINE, 4.3, 4.15, 4.0, 3.85, 3.7, 3.55])
    ]
    r = assess(history, cfg)
    assert r.falling and "over 6 14-day windows" in r.reason


def test_batch_statistics_handle_all_tied_and_tiny_series() -> None:
    r = check([4.0] * 14)
    assert r.verdict == "steady" and r.tau is None and r.p_value == 0.5
    mk = mann_kendall([4.0, 4.0, 4.0])
    assert (mk.s, mk.var_s, mk.z, mk.p_decrease) == (0, 0.0, 0.0, 0.5)
    assert math.isnan(theil_sen([1.0], [0.0]))
    assert np.isfinite(mann_kendall([1.0, 2.0]).z)
