"""Rated conversations: matching their agents and upserting them in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import psycopg
from sqlalchemy import Table, func, select
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
        self._found: dict[tuple[str, str | None], int] = {}  # (name, email) as written -> id
        for agent_id, name, email in session.execute(select(Agent.id, Agent.name, Agent.email)):
            if email:
                self.by_email[email.lower()] = agent_id
            self.by_name.setdefault(fold_name(name), []).append(agent_id)

    def agent_id(self, name: str, email: str | None, *, session: Session) -> int:
        """The matching agent's id, creating the agent in `session` (the batch being written,
        which may not be the session the directory was loaded in) when the name is new;
        InvalidInput when the name or email can't be an agent's."""
        [found] = self.agent_ids([(name, email)], session=session)
        if isinstance(found, InvalidInput):
            raise found
        return found

    def agent_ids(
        self, people: Sequence[tuple[str, str | None]], *, session: Session
    ) -> list[int | InvalidInput]:
        """`agent_id` for each (name, email) of a batch, in order, as if one after the other;
        the batch's new agents are created together (one flush), not one by one. A person who
        can't be matched or created gets the InvalidInput saying why."""
        found: list[int | _New | InvalidInput] = []
        new: dict[str, _New] = {}  # name key -> an agent this batch creates
        new_by_email: dict[str, _New] = {}
        for raw_name, raw_email in people:
            seen = self._found.get((raw_name, raw_email))
            if seen is not None:  # the same person as written before: matched the same way
                found.append(seen)
                continue
            try:
                name = checked_name(raw_name)
                email = checked_email(raw_email) if raw_email else None
            except InvalidInput as exc:
                found.append(exc)
                continue
            known = (self.by_email.get(email) or new_by_email.get(email)) if email else None
            if isinstance(known, int):
                self._found[(raw_name, raw_email)] = known
            if known is not None:
                found.append(known)
                continue
            key = fold_name(name)
            ids = self.by_name.get(key, [])
            if len(ids) > 1:
                found.append(InvalidInput(
                    "agent", f"agent {name!r} matches {len(ids)} agents; give agent_email"
                ))  # fmt: skip
            elif ids:
                self._found[(raw_name, raw_email)] = ids[0]
                found.append(ids[0])
            else:
                pending = new.get(key)
                if pending is None:
                    pending = new[key] = _New(name, email)
                    if email:
                        new_by_email[email] = pending
                found.append(pending)
        if new:
            self._create(session, list(new.values()))
        return [item.id if isinstance(item, _New) else item for item in found]

    def _create(self, session: Session, pending: list[_New]) -> None:
        agents = [Agent(name=p.name, email=p.email) for p in pending]
        session.add_all(agents)
        session.flush()  # one multi-row INSERT … RETURNING for the batch's new agents
        for wanted, agent in zip(pending, agents, strict=True):
            wanted.id = agent.id
            self.by_name[fold_name(agent.name)] = [agent.id]
            if agent.email:
                self.by_email[agent.email] = agent.id
            record(
                session=session,
                actor=self.actor,
                action="agent.create",
                entity="agent",
                entity_id=agent.id,
                after=agent_snapshot(agent),
            )


@dataclass
class _New:
    """An agent a batch creates: known by name (and email) before it has an id."""

    name: str
    email: str | None
    id: int = 0


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


_COLUMNS_KEPT = ("helpdesk", "external_id", "agent_id", "closed_at", "csat", "queue", "tags",
                 "url", "import_id", "source_offset", "source_line", "has_transcript",
                 "updated_at")  # fmt: skip
# where an import's transcript is: a helpdesk sync (import_id None) must not forget it
_SOURCE = ("import_id", "source_offset", "source_line", "has_transcript")


def upsert_conversations(
    *, session: Session, rows: Sequence[tuple[ConversationRow, int]], import_id: int | None
) -> None:
    """Insert or update (helpdesk, external_id) rows in one statement per batch (on PostgreSQL
    through COPY into a staging table, then one INSERT … SELECT … ON CONFLICT)."""
    if not rows:
        return
    now = utcnow()
    keep_source = import_id is None
    latest = _last_per_key(rows)
    if session.get_bind().dialect.name == "postgresql":
        _copy_upsert(session, latest, import_id, now, keep_source)
        return
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
        for row, agent_id in latest
    ]
    statement = sqlite_insert(cast(Table, Conversation.__table__))  # one multi-row statement
    excluded = statement.excluded
    table = Conversation.__table__.c
    statement = statement.on_conflict_do_update(
        index_elements=["helpdesk", "external_id"],
        set_={
            "agent_id": excluded.agent_id,
            "closed_at": excluded.closed_at,
            "csat": excluded.csat,
            "queue": excluded.queue,
            "tags": excluded.tags,
            "url": func.coalesce(excluded.url, table.url),
            **{c: table[c] if keep_source else excluded[c] for c in _SOURCE},
            "updated_at": excluded.updated_at,
        },
    )
    session.execute(statement, values)


_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS conversations_stage
  (LIKE conversations INCLUDING DEFAULTS EXCLUDING CONSTRAINTS) ON COMMIT DELETE ROWS
"""
_COPY = f"COPY conversations_stage ({', '.join(_COLUMNS_KEPT)}) FROM STDIN"


def _merge(keep_source: bool) -> str:
    updated = ["agent_id", "closed_at", "csat", "queue", "tags", "updated_at"]
    if not keep_source:
        updated += _SOURCE
    sets = [f"{c} = excluded.{c}" for c in updated]
    sets.append("url = coalesce(excluded.url, conversations.url)")
    columns = ", ".join(_COLUMNS_KEPT)
    return (
        f"INSERT INTO conversations ({columns}) SELECT {columns} FROM conversations_stage "
        f"ON CONFLICT (helpdesk, external_id) DO UPDATE SET {', '.join(sets)}"
    )


def _copy_upsert(
    session: Session,
    rows: list[tuple[ConversationRow, int]],
    import_id: int | None,
    now: datetime,
    keep_source: bool,
) -> None:
    """The batch COPYed into a per-connection staging table (emptied at commit) and merged in
    one statement: COPY moves rows at a fraction of the cost of an INSERT's parameters."""
    dbapi = session.connection().connection.dbapi_connection
    assert isinstance(dbapi, psycopg.Connection)
    with dbapi.cursor() as cursor:
        cursor.execute(_STAGE)
        with cursor.copy(_COPY) as copy:
            for r, agent_id in rows:  # in _COLUMNS_KEPT's order
                copy.write_row((r.helpdesk, r.external_id, agent_id, r.closed_at, r.csat, r.queue,
                                r.tags, r.url, import_id, r.source_offset, r.source_line,
                                r.has_transcript, now))  # fmt: skip
        cursor.execute(_merge(keep_source))
        cursor.execute("TRUNCATE conversations_stage")


def _last_per_key(
    rows: Sequence[tuple[ConversationRow, int]],
) -> list[tuple[ConversationRow, int]]:
    """One row per conversation (the last wins), since one statement can't touch a row twice."""
    latest: dict[tuple[str, str], tuple[ConversationRow, int]] = {}
    for item in rows:
        latest[(item[0].helpdesk, item[0].external_id)] = item
    return list(latest.values())
