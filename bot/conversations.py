"""Rated conversations: matching their agents and upserting them in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.agents import agent_snapshot, checked_email, checked_name
from bot.audit import record
from bot.errors import InvalidInput
from bot.text import unstorable
from models import Agent, Conversation
from models.agent import fold_name
from models.base import utcnow


@dataclass(frozen=True)
class ConversationRow:
    """A rated conversation as it arrives from a file or a helpdesk (no transcript)."""

    helpdesk: str
    external_id: str
    agent_name: str
    agent_email: str | None
    closed_at: datetime
    csat: float
    queue: str | None = None
    tags: str | None = None
    url: str | None = None
    has_transcript: bool = False
    source_offset: int | None = None
    source_line: int | None = None


class AgentDirectory:
    """Finds a row's agent by email, then by exact name (case-insensitive); creates new ones."""

    def __init__(self, *, session: Session, actor: str) -> None:
        self.actor = actor
        self.by_email: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        for agent_id, name, email in session.execute(select(Agent.id, Agent.name, Agent.email)):
            if email:
                self.by_email[email.lower()] = agent_id
            self.by_name.setdefault(fold_name(name), []).append(agent_id)

    def agent_id(self, name: str, email: str | None, *, session: Session) -> int:
        """The matching agent's id, creating the agent in `session` (the batch being written,
        which may not be the session the directory was loaded in) when the name is new;
        InvalidInput when the name or email can't be an agent's."""
        name = checked_name(name)
        email = checked_email(email) if email else None
        if email:
            found = self.by_email.get(email.lower())
            if found is not None:
                return found
        key = fold_name(name)
        ids = self.by_name.get(key, [])
        if len(ids) > 1:
            raise InvalidInput(
                "agent", f"agent {name!r} matches {len(ids)} agents; give agent_email"
            )
        if ids:
            return ids[0]
        agent = Agent(name=name, email=email)
        session.add(agent)
        session.flush()
        record(
            session=session,
            actor=self.actor,
            action="agent.create",
            entity="agent",
            entity_id=agent.id,
            after=agent_snapshot(agent),
        )
        self.by_name[key] = [agent.id]
        if email:
            self.by_email[email.lower()] = agent.id
        return agent.id


_COLUMNS = (("helpdesk", 32), ("external_id", 200), ("queue", 200), ("tags", 2000), ("url", 2000))


def check_row(row: ConversationRow) -> None:
    """InvalidInput when a row holds what its columns can't keep (a control or broken character,
    or too much): sync rows come straight from a helpdesk, import rows were parsed already."""
    for name, limit in _COLUMNS:
        value = getattr(row, name)
        if value is None:
            continue
        if why := unstorable(value):
            raise InvalidInput(name, f"{name} {why}")
        if len(value) > limit:
            raise InvalidInput(name, f"{name} is longer than {limit} characters ({len(value)})")


def upsert_conversations(
    *, session: Session, rows: Sequence[tuple[ConversationRow, int]], import_id: int | None
) -> None:
    """Insert or update (helpdesk, external_id) rows in one statement per batch."""
    if not rows:
        return
    now = utcnow()
    values: list[dict[str, Any]] = [
        {
            "helpdesk": row.helpdesk,
            "external_id": row.external_id,
            "agent_id": agent_id,
            "closed_at": row.closed_at,
            "csat": row.csat,
            "queue": row.queue,
            "tags": row.tags,
            "url": row.url,
            "import_id": import_id,
            "source_offset": row.source_offset,
            "source_line": row.source_line,
            "has_transcript": row.has_transcript,
            "updated_at": now,
        }
        for row, agent_id in _last_per_key(rows)
    ]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(cast(Table, Conversation.__table__))  # Core: one multi-row statement
    excluded = statement.excluded
    table = Conversation.__table__.c
    keep_source = (
        import_id is None
    )  # a helpdesk sync must not forget where an import's transcript is
    statement = statement.on_conflict_do_update(
        index_elements=["helpdesk", "external_id"],
        set_={
            "agent_id": excluded.agent_id,
            "closed_at": excluded.closed_at,
            "csat": excluded.csat,
            "queue": excluded.queue,
            "tags": excluded.tags,
            "url": func.coalesce(excluded.url, table.url),
            "import_id": table.import_id if keep_source else excluded.import_id,
            "source_offset": table.source_offset if keep_source else excluded.source_offset,
            "source_line": table.source_line if keep_source else excluded.source_line,
            "has_transcript": table.has_transcript if keep_source else excluded.has_transcript,
            "updated_at": excluded.updated_at,
        },
    )
    session.execute(statement, values)


def _last_per_key(
    rows: Sequence[tuple[ConversationRow, int]],
) -> list[tuple[ConversationRow, int]]:
    """One row per conversation (the last wins), since one statement can't touch a row twice."""
    latest: dict[tuple[str, str], tuple[ConversationRow, int]] = {}
    for item in rows:
        latest[(item[0].helpdesk, item[0].external_id)] = item
    return list(latest.values())
