"""Rated conversations: matching their agents and upserting them in bulk."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from operator import itemgetter
from typing import Any, NamedTuple, cast

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import Table, and_, func, insert, literal_column, not_, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot.core.errors import InvalidInput
from bot.core.text import unstorable
from bot.people.agents import checked_email, checked_name
from models import Agent, AuditEntry, Conversation
from models.agent import fold_name
from models.base import utcnow


class ConversationRow(NamedTuple):
    """A rated conversation as it arrives from a file or a helpdesk (no transcript); a named
    tuple, since an import makes a million of them."""

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
        known = list(map(self._found.get, people))  # the common case: all seen before
        if None not in known:
            return cast(list[int | InvalidInput], known)
        found: list[int | _New | InvalidInput] = []
        new: dict[str, _New] = {}  # name key -> an agent this batch creates
        new_by_email: dict[str, _New] = {}
        for (raw_name, raw_email), seen in zip(people, known, strict=True):
            if seen is not None:  # the same person as written before: matched the same way
                found.append(seen)
                continue
            try:
                name = checked_name(raw_name)
                email = checked_email(raw_email) if raw_email else None
            except InvalidInput as exc:
                found.append(exc)
                continue
            by_email = (self.by_email.get(email) or new_by_email.get(email)) if email else None
            if isinstance(by_email, int):
                self._found[(raw_name, raw_email)] = by_email
            if by_email is not None:
                found.append(by_email)
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
        """The batch's new agents and their audit entries, in bulk (the ORM's unit of work
        costs a millisecond an agent)."""
        now = utcnow()
        agents = [(p.name, fold_name(p.name), p.email, True, now) for p in pending]
        for wanted, agent_id in zip(pending, _insert_agents(session, agents), strict=True):
            wanted.id = agent_id
            self.by_name[fold_name(wanted.name)] = [agent_id]
            if wanted.email:
                self.by_email[wanted.email] = agent_id
        _insert_audit(session, [
            (now, self.actor, "agent.create", "agent", p.id, None,
             {"name": p.name, "email": p.email, "slack_user_id": None, "lead_member_id": None,
              "active": True})
            for p in pending
        ])  # fmt: skip


_ROW = itemgetter(0)
_KEY = itemgetter(0, 1)  # (helpdesk, external_id) of a ConversationRow
_AGENT_COLUMNS = ("name", "name_key", "email", "active", "created_at")
_AUDIT_COLUMNS = ("at", "actor", "action", "entity", "entity_id", "before", "after")


def _insert_agents(session: Session, agents: list[tuple[Any, ...]]) -> list[int]:
    """Insert agents (`_AGENT_COLUMNS`) and return their ids in order: on PostgreSQL ids
    drawn from the sequence and the rows COPYed, elsewhere one INSERT … RETURNING."""
    if session.get_bind().dialect.name != "postgresql":
        return list(session.scalars(
            insert(Agent).returning(Agent.id, sort_by_parameter_order=True),
            [dict(zip(_AGENT_COLUMNS, a, strict=True)) for a in agents],
        ))  # fmt: skip
    ids = list(session.scalars(
        text("SELECT nextval(pg_get_serial_sequence('agents', 'id')) FROM generate_series(1, :n)"),
        {"n": len(agents)},
    ))  # fmt: skip
    with (
        _raw_cursor(session) as cursor,
        cursor.copy(f"COPY agents (id, {', '.join(_AGENT_COLUMNS)}) FROM STDIN") as copy,
    ):
        for agent_id, agent in zip(ids, agents, strict=True):
            copy.write_row((agent_id, *agent))
    return ids


def _insert_audit(session: Session, entries: list[tuple[Any, ...]]) -> None:
    """Audit entries (`_AUDIT_COLUMNS`) in bulk: COPY on PostgreSQL, executemany elsewhere."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(
            insert(AuditEntry), [dict(zip(_AUDIT_COLUMNS, e, strict=True)) for e in entries]
        )
        return
    with (
        _raw_cursor(session) as cursor,
        cursor.copy(f"COPY audit_entries ({', '.join(_AUDIT_COLUMNS)}) FROM STDIN") as copy,
    ):
        for *head, before, after in entries:
            copy.write_row((*head, json.dumps(before), json.dumps(after)))


def _raw_cursor(session: Session) -> psycopg.Cursor[Any]:
    """A psycopg cursor on the session's connection (inside its transaction)."""
    dbapi = session.connection().connection.dbapi_connection
    assert isinstance(dbapi, psycopg.Connection)
    return dbapi.cursor()


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
    *,
    session: Session,
    rows: Sequence[tuple[ConversationRow, int]],
    import_id: int | None,
    direct: bool = False,
    same_file: Sequence[int] = (),
) -> bool:
    """Insert or update (helpdesk, external_id) rows in one statement per batch (on PostgreSQL
    through COPY: `direct`, straight into the table when none of them is there yet, else into
    a staging table and one INSERT … SELECT … ON CONFLICT). `same_file`: earlier imports of
    the very same file, whose rows are left as they are when nothing in them changed (their
    pointer into the file is as good). Whether every row was new, a hint that the next batch
    may go `direct`."""
    if not rows:
        return True
    now = utcnow()
    keep_source = import_id is None
    latest = _last_per_key(rows)
    if session.get_bind().dialect.name == "postgresql":
        try:
            return _copy_upsert(session, latest, import_id, now, keep_source, direct, same_file)
        except psycopg.Error as exc:  # raised by the raw cursor: told as SQLAlchemy tells it
            raise DBAPIError.instance("COPY conversations", None, exc, psycopg.Error) from exc
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
        where=_changed_sqlite(table, excluded, same_file) if same_file else None,
    )
    session.execute(statement, values)
    return False


def _changed_sqlite(table: Any, excluded: Any, same_file: Sequence[int]) -> Any:
    """`_UNCHANGED`'s condition, negated, for SQLite's upsert."""
    same = [table[c].is_not_distinct_from(excluded[c]) for c in _COMPARED]
    same.append(table.url.is_not_distinct_from(func.coalesce(excluded.url, table.url)))
    ids: list[Any] = [
        literal_column(str(int(i))) for i in same_file
    ]  # executemany: no IN expanding
    return not_(and_(table.import_id.in_(ids), *same))


_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS conversations_stage
  (LIKE conversations INCLUDING DEFAULTS EXCLUDING CONSTRAINTS) ON COMMIT DELETE ROWS
"""
# binary COPY: a third of the text format's cost to encode (dates above all)
_TYPES = ("varchar", "varchar", "int4", "timestamptz", "float8", "varchar", "varchar", "varchar",
          "int4", "int8", "int4", "bool", "timestamptz")  # fmt: skip


_COMPARED = ("agent_id", "closed_at", "csat", "queue", "tags", "source_offset", "source_line",
             "has_transcript")  # fmt: skip
# a re-import of the same file leaves a row alone when nothing it would write differs
_UNCHANGED = (
    " WHERE NOT (conversations.import_id = ANY(%(same)s) AND (conversations.agent_id, "
    "conversations.closed_at, conversations.csat, conversations.queue, conversations.tags, "
    "conversations.source_offset, conversations.source_line, conversations.has_transcript, "
    "conversations.url) IS NOT DISTINCT FROM (excluded.agent_id, excluded.closed_at, "
    "excluded.csat, excluded.queue, excluded.tags, excluded.source_offset, excluded.source_line, "
    "excluded.has_transcript, coalesce(excluded.url, conversations.url)))"
)


def _merge(keep_source: bool, same_file: bool) -> str:
    updated = ["agent_id", "closed_at", "csat", "queue", "tags", "updated_at"]
    if not keep_source:
        updated += _SOURCE
    sets = [f"{c} = excluded.{c}" for c in updated]
    sets.append("url = coalesce(excluded.url, conversations.url)")
    columns = ", ".join(_COLUMNS_KEPT)
    return (
        f"WITH merged AS (INSERT INTO conversations ({columns}) "
        f"SELECT {columns} FROM conversations_stage "
        f"ON CONFLICT (helpdesk, external_id) DO UPDATE SET {', '.join(sets)}"
        f"{_UNCHANGED if same_file else ''} RETURNING xmax = 0 AS inserted) SELECT count(*) FILTER (WHERE inserted) FROM merged"
    )


def _copy_upsert(
    session: Session,
    rows: list[tuple[ConversationRow, int]],
    import_id: int | None,
    now: datetime,
    keep_source: bool,
    direct: bool,
    same_file: Sequence[int],
) -> bool:
    """COPY the batch straight into conversations when `direct` and none is there yet (a
    savepoint catches the first that is), else into a per-connection staging table (emptied at
    commit) merged in one statement. Whether every row was new."""
    with _raw_cursor(session) as cursor:
        # an import's batches need not wait for the disk one by one: its last commit,
        # synchronous, makes them all durable, and a crash before it loses only batches that
        # importing the file again puts back
        prologue = ["SET LOCAL synchronous_commit = off"] if import_id is not None else []
        if direct:  # one round trip for both
            cursor.execute("; ".join([*prologue, "SAVEPOINT debrief_direct_copy"]))
            try:
                _copy(cursor, "conversations", rows, import_id, now)
                return True  # the savepoint ends with the transaction
            except pg_errors.UniqueViolation:  # some are there: merge them instead
                cursor.execute("ROLLBACK TO SAVEPOINT debrief_direct_copy")
        elif prologue:
            cursor.execute(prologue[0])
        cursor.execute(_STAGE)
        _copy(cursor, "conversations_stage", rows, import_id, now)
        merged = cursor.execute(
            _merge(keep_source, bool(same_file)), {"same": list(same_file)} if same_file else None
        ).fetchone()
    return merged is not None and merged[0] == len(rows)


def _copy(
    cursor: psycopg.Cursor[Any],
    table: str,
    rows: list[tuple[ConversationRow, int]],
    import_id: int | None,
    now: datetime,
) -> None:
    """The rows in binary COPY into `table`, in _COLUMNS_KEPT's order."""
    conversations, agent_ids = zip(*rows, strict=True)
    (helpdesk, external_id, _names, _emails, closed_at, csat, queue, tags, url, has_transcript,
     offset, line) = zip(*conversations, strict=True)  # fmt: skip
    with cursor.copy(
        f"COPY {table} ({', '.join(_COLUMNS_KEPT)}) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(list(_TYPES))
        write = copy.write_row
        for values in zip(helpdesk, external_id, agent_ids, closed_at, csat, queue, tags, url,
                          repeat(import_id), offset, line, has_transcript, repeat(now)):  # fmt: skip
            write(values)


def _last_per_key(
    rows: Sequence[tuple[ConversationRow, int]],
) -> list[tuple[ConversationRow, int]]:
    """One row per conversation (the last wins), since one statement can't touch a row twice."""
    keys = list(map(_KEY, map(_ROW, rows)))
    if len(set(keys)) == len(keys):  # the common case, found at C speed
        return list(rows)
    latest: dict[tuple[str, str], tuple[ConversationRow, int]] = {}
    for key, item in zip(keys, rows, strict=True):
        latest[key] = item
    return list(latest.values())
