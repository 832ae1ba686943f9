"""Review windows: fixed-length periods starting on Mondays, and per-window CSAT in SQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Float, Integer, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.flags.trend import WindowStat
from models import Agent, Conversation

ANCHOR = date(1970, 1, 5)  # a Monday: windows of any length start on a Monday grid
_ANCHOR_EPOCH = 4 * 86400


def window_start(day: date, window_days: int) -> date:
    """The first day of the window that contains `day`."""
    return day - timedelta(days=(day - ANCHOR).days % window_days)


def last_complete_window(now: datetime, window_days: int) -> date:
    """The start of the latest window that has ended by `now`."""
    return window_start(now.astimezone(UTC).date(), window_days) - timedelta(days=window_days)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def _bucket(session: Session, window_days: int) -> ColumnElement[int]:
    """The window index of a conversation, computed by the database (in float8 on PostgreSQL:
    `extract` returns numeric there, which is markedly slower to divide)."""
    seconds = float(window_days * 86400)
    if session.get_bind().dialect.name == "postgresql":
        pg_epoch = func.date_part("epoch", Conversation.closed_at, type_=Float)
        return cast(func.floor((pg_epoch - float(_ANCHOR_EPOCH)) / seconds), Integer)
    sqlite_epoch = cast(func.strftime("%s", Conversation.closed_at), Integer)
    return cast((sqlite_epoch - _ANCHOR_EPOCH) / int(seconds), Integer)


def window_histories(
    *, session: Session, first: date, last: date, window_days: int
) -> dict[int, list[WindowStat]]:
    """Per active agent, the mean CSAT and count of each window from `first` to `last`."""
    bucket = _bucket(session, window_days).label("bucket")
    rows = session.execute(
        select(
            Conversation.agent_id,
            bucket,
            func.sum(Conversation.csat),
            func.count(),
        )
        .join(Agent, Agent.id == Conversation.agent_id)
        .where(
            Agent.active.is_(True),
            Conversation.closed_at >= day_start(first),
            Conversation.closed_at < day_start(last + timedelta(days=window_days)),
        )
        .group_by(Conversation.agent_id, bucket)
    )
    histories: dict[int, list[WindowStat]] = defaultdict(list)
    for agent_id, index, total, count in rows:
        start = ANCHOR + timedelta(days=int(index) * window_days)
        histories[agent_id].append(WindowStat(start=start, mean=float(total) / count, count=count))
    for windows in histories.values():
        windows.sort(key=lambda w: w.start)
    return dict(histories)
