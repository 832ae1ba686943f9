"""Sustained-falling detection against the database: one flag per episode, recovery, dismissal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.errors import InvalidInput, OutOfScope
from bot.flags.records import dismiss_flag, evaluate_agents
from bot.flags.trend import TrendConfig
from bot.flags.windows import last_complete_window, window_histories
from models import Flag
from tests import factories as f

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday
LAST_WEEK = datetime(2026, 11, 9, tzinfo=UTC)  # the Monday of the last complete week
CONFIG = TrendConfig()
STEADY = [4.3] * 8
SLIDE = [4.4, 4.1, 3.9, 3.6, 3.4, 3.1]


@pytest.fixture()
def lead(session):
    f.member(session, "ULEAD", "owner")
    f.member(session, "UBECKY", "member")
    return f.viewer(session, "ULEAD")


def flags(session):
    return list(session.scalars(select(Flag).order_by(Flag.id)))


def test_windows_are_aggregated_by_the_database(session):
    sarah = f.agent(session, "Sarah")
    f.weekly_ratings(session, sarah.id, [4.0, 3.5], last_week=LAST_WEEK, per_week=10)
    assert last_complete_window(NOW, 7) == LAST_WEEK.date()
    histories = window_histories(
        session=session,
        first=LAST_WEEK.date() - timedelta(weeks=1),
        last=LAST_WEEK.date(),
        window_days=7,
    )
    [first, second] = histories[sarah.id]
    assert (first.start, first.mean, first.count) == (
        (LAST_WEEK - timedelta(weeks=1)).date(),
        4.0,
        10,
    )
    assert (second.start, second.mean, second.count) == (LAST_WEEK.date(), 3.5, 10)


def test_a_slide_is_flagged_once_and_steady_agents_are_not(session, lead):
    sliding, steady, low = (
        f.agent(session, "Slider"),
        f.agent(session, "Steady"),
        f.agent(session, "Low"),
    )
    f.weekly_ratings(session, sliding.id, STEADY + SLIDE, last_week=LAST_WEEK)
    f.weekly_ratings(session, steady.id, STEADY + [4.3] * 6, last_week=LAST_WEEK)
    f.weekly_ratings(session, low.id, [2.6] * 14, last_week=LAST_WEEK)
    outcome = evaluate_agents(session=session, config=CONFIG, now=NOW)
    [flag] = flags(session)
    assert outcome.raised == [flag.id] and flag.agent_id == sliding.id
    assert flag.baseline == pytest.approx(4.33, abs=0.05) and flag.current < 3.4
    assert flag.windows[-1]["start"] == LAST_WEEK.date().isoformat()
    again = evaluate_agents(session=session, config=CONFIG, now=NOW + timedelta(days=1))
    assert again.raised == [] and len(flags(session)) == 1


def test_a_one_week_dip_that_recovered_and_a_sparse_agent_are_not_flagged(session, lead):
    dip, sparse = f.agent(session, "Dip"), f.agent(session, "Sparse")
    f.weekly_ratings(session, dip.id, STEADY + [4.3, 4.3, 4.3, 3.0, 4.3, 4.3], last_week=LAST_WEEK)
    f.weekly_ratings(session, sparse.id, STEADY + SLIDE, last_week=LAST_WEEK, per_week=2)
    assert evaluate_agents(session=session, config=CONFIG, now=NOW).raised == []


def test_recovery_clears_the_flag_and_a_later_fall_is_a_new_episode(session, lead):
    sarah = f.agent(session, "Sarah")
    f.weekly_ratings(session, sarah.id, STEADY + SLIDE, last_week=LAST_WEEK)
    evaluate_agents(session=session, config=CONFIG, now=NOW)
    f.weekly_ratings(session, sarah.id, [4.3, 4.4, 4.4], last_week=LAST_WEEK + timedelta(weeks=3))
    later = NOW + timedelta(weeks=3)
    outcome = evaluate_agents(session=session, config=CONFIG, now=later)
    [flag] = flags(session)
    assert outcome.cleared == [flag.id] and flag.cleared_at == later
    f.weekly_ratings(
        session, sarah.id, [4.4] * 5 + SLIDE, last_week=LAST_WEEK + timedelta(weeks=14)
    )
    again = evaluate_agents(session=session, config=CONFIG, now=NOW + timedelta(weeks=14))
    assert len(again.raised) == 1 and len(flags(session)) == 2


def test_a_dismissed_flag_is_kept_and_not_raised_again_while_it_persists(session, lead):
    sarah = f.agent(session, "Sarah")
    f.weekly_ratings(session, sarah.id, STEADY + SLIDE, last_week=LAST_WEEK)
    [flag_id] = evaluate_agents(session=session, config=CONFIG, now=NOW).raised
    with pytest.raises(InvalidInput):
        dismiss_flag(session=session, actor=lead, flag_id=flag_id, reason="other")
    with pytest.raises(OutOfScope):
        dismiss_flag(
            session=session, actor=f.viewer(session, "UBECKY"), flag_id=flag_id, reason="leave"
        )
    dismiss_flag(session=session, actor=lead, flag_id=flag_id, reason="leave")
    assert evaluate_agents(session=session, config=CONFIG, now=NOW + timedelta(days=1)).raised == []
    [flag] = flags(session)
    assert flag.dismiss_reason == "On leave" and flag.dismissed_by == "ULEAD"


def test_the_longest_dismissal_note_is_kept_whole_on_every_database(session, lead):
    flag = f.flag(session, f.agent(session, "Sarah").id)
    longest = ("王小明 <&> " * 100)[:450]
    with pytest.raises(InvalidInput, match="450 characters"):
        dismiss_flag(
            session=session, actor=lead, flag_id=flag.id, reason="other", note=longest + "x"
        )
    dismiss_flag(session=session, actor=lead, flag_id=flag.id, reason="outage", note=longest)
    session.flush()  # PostgreSQL refused "label: note" past 500 characters before
    session.expire_all()
    [kept] = flags(session)
    assert kept.dismiss_reason == f"Known outage or incident: {longest.strip()}"
