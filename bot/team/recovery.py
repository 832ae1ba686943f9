"""CSAT recovery: for each coached agent, CSAT in the weeks after their first coaching note
against the weeks before, with the count of ratings behind each figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from models import Agent, Conversation, Note

RECOVERY_WEEKS = 4


@dataclass(frozen=True)
class Recovery:
    """One coached agent's CSAT before and after coaching began."""

    agent_id: int
    agent: str
    first_note_at: datetime
    before: float | None
    after: float | None
    before_count: int
    after_count: int

    @property
    def change(self) -> float | None:
        """after - before, when both are known."""
        return None if self.before is None or self.after is None else self.after - self.before


def _days_between(session: Session, later: Any, earlier: Any) -> Any:
    """`later - earlier` in days, in SQL (SQLite has no interval type)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def csat_recovery(
    *, session: Session, now: datetime, weeks: int = RECOVERY_WEEKS, since: datetime | None = None
) -> list[Recovery]:
    """Every agent with a coaching note (first one since `since`, if given), by name."""
    first_notes = select(Note.agent_id, func.min(Note.created_at).label("first")).group_by(
        Note.agent_id
    )
    if since is not None:
        first_notes = first_notes.having(func.min(Note.created_at) >= since)
    first = first_notes.subquery()
    span = float(weeks * 7)
    offset = _days_between(session, Conversation.closed_at, first.c.first)
    in_before = and_(offset < 0, offset >= -span)
    in_after = and_(offset >= 0, offset < span, Conversation.closed_at <= now)
    rows = session.execute(
        select(
            Agent.id,
            Agent.name,
            first.c.first,
            func.avg(case((in_before, Conversation.csat))),
            func.sum(case((in_before, 1), else_=0)),
            func.avg(case((in_after, Conversation.csat))),
            func.sum(case((in_after, 1), else_=0)),
        )
        .join(first, first.c.agent_id == Agent.id)
        .outerjoin(Conversation, Conversation.agent_id == Agent.id)
        .group_by(Agent.id, Agent.name, first.c.first)
        .order_by(Agent.name, Agent.id)
    ).all()
    return [
        Recovery(
            agent_id=agent_id,
            agent=name,
            first_note_at=first_at,
            before=None if before is None else round(float(before), 3),
            after=None if after is None else round(float(after), 3),
            before_count=int(before_n or 0),
            after_count=int(after_n or 0),
        )
        for agent_id, name, first_at, before, before_n, after, after_n in rows
    ]
