"""The coaching record of one agent as a viewer may see it, loaded in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine, bindparam, nulls_last, select
from sqlalchemy.orm import Session

from bot.coaching.record_sql import PICK, named_record_statement, record_statement
from bot.core.db import dialect_of, fetch_row, orm_session
from bot.core.errors import NotAMember, NotFound
from bot.core.scope import Viewer, require_read, require_write, viewer_for
from bot.people.agents import (
    AgentChoice,
    agents_in_scope,
    like_escaped,
    mentioned_user,
    normalized_name,
    resolve_agent,
    typed_name,
)
from models import Note, Role, Sample

MAX_SAMPLES = 20


@dataclass(frozen=True)
class AgentView:
    """The agent a record is about."""

    id: int
    name: str
    email: str | None
    slack_user_id: str | None
    lead_slack_user_id: str | None
    active: bool


@dataclass(frozen=True)
class SampleView:
    """A summarized conversation shown as evidence."""

    id: int
    helpdesk: str
    external_id: str
    url: str | None
    csat: float | None
    closed_at: datetime | None
    summary: str
    source: str


@dataclass(frozen=True)
class ReplyView:
    """The agent's answer to a shared note."""

    id: int
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class NoteView:
    """A live note as shown in the history."""

    id: int
    author: str
    body: str
    created_at: datetime
    updated_at: datetime
    follow_up_at: datetime | None
    follow_up_done_at: datetime | None
    shared_with_agent: bool
    sample_id: int | None
    sample_label: str | None
    seen_at: datetime | None = None  # first shown to the agent it is shared with
    acknowledged_at: datetime | None = None
    replies: tuple[ReplyView, ...] = ()


@dataclass(frozen=True)
class CoachRecord:
    """Everything the Coach modal shows, and what the viewer may do with it."""

    agent: AgentView
    samples: list[SampleView]
    notes: list[NoteView]
    notes_total: int
    page: int
    page_size: int
    can_write: bool

    @property
    def has_older(self) -> bool:
        """Whether older notes exist beyond this page."""
        return (self.page + 1) * self.page_size < self.notes_total


def sample_label(helpdesk: str, external_id: str) -> str:
    """How a sample is named in a note: `zendesk #4512`."""
    return f"{helpdesk} #{external_id}"


_SAMPLE_COLUMNS = (
    Sample.id,
    Sample.helpdesk,
    Sample.external_id,
    Sample.url,
    Sample.csat,
    Sample.closed_at,
    Sample.summary,
    Sample.source,
)
_WORST_SAMPLES = (
    select(*_SAMPLE_COLUMNS)
    .where(Sample.agent_id == bindparam("agent_id"))
    .order_by(nulls_last(Sample.csat.asc()), Sample.closed_at.desc(), Sample.id.desc())
    .limit(MAX_SAMPLES)
)


def sample_view(row: Any) -> SampleView:
    """A SampleView from a Sample or a row carrying the same column names."""
    return SampleView(
        id=row.id,
        helpdesk=row.helpdesk,
        external_id=row.external_id,
        url=row.url,
        csat=row.csat,
        closed_at=row.closed_at,
        summary=row.summary,
        source=row.source.value,
    )


def worst_samples(*, session: Session, agent_id: int) -> list[SampleView]:
    """Up to 20 of the agent's samples, worst CSAT first, then most recent."""
    return [
        sample_view(row)
        for row in session.connection().execute(_WORST_SAMPLES, {"agent_id": agent_id})
    ]


def _note_view(note: Any, helpdesk: str | None, external_id: str | None) -> NoteView:
    """A NoteView from a Note or a row carrying the same column names."""
    return NoteView(
        id=note.id,
        author=note.author,
        body=note.body,
        created_at=note.created_at,
        updated_at=note.updated_at,
        follow_up_at=note.follow_up_at,
        follow_up_done_at=note.follow_up_done_at,
        shared_with_agent=note.shared_with_agent,
        sample_id=note.sample_id,
        sample_label=(
            None if helpdesk is None or external_id is None else sample_label(helpdesk, external_id)
        ),
        seen_at=note.seen_at,
        acknowledged_at=note.acknowledged_at,
    )


def load_note_for_edit(
    *, session: Session, viewer: Viewer, note_id: int
) -> tuple[NoteView, list[SampleView]]:
    """A live note a lead may edit, with its agent's samples for the form."""
    require_write(viewer)
    row = session.execute(
        select(Note, Sample.helpdesk, Sample.external_id)
        .outerjoin(Sample, Note.sample_id == Sample.id)
        .where(Note.id == note_id, Note.archived_at.is_(None))
    ).first()
    if row is None:
        raise NotFound("That note was archived or no longer exists.")
    note, helpdesk, external_id = row
    return _note_view(note, helpdesk, external_id), worst_samples(
        session=session, agent_id=note.agent_id
    )


def _when(value: str | None) -> datetime | None:
    """A timestamp from the record's JSON (SQLite's are naive and in UTC)."""
    if value is None:
        return None
    when = datetime.fromisoformat(value)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _json(value: Any) -> Any:
    """A JSON column: parsed by psycopg on PostgreSQL, text on SQLite."""
    return orjson.loads(value) if isinstance(value, str) else value


def _sample_from_item(item: list[Any]) -> SampleView:
    # record_sql.SAMPLE_FIELDS, then rn
    id_, helpdesk, external_id, url, csat, closed_at, summary, source, _rn = item
    return SampleView(
        id=id_,
        helpdesk=helpdesk,
        external_id=external_id,
        url=url,
        csat=None if csat is None else float(csat),
        closed_at=_when(closed_at),
        summary=summary,
        source=source,
    )


def _note_from_item(item: list[Any]) -> NoteView:
    # record_sql.NOTE_FIELDS, then rn
    (id_, author, body, created_at, updated_at, follow_up_at, follow_up_done_at, shared,
     sample_id, seen_at, acknowledged_at, replies, helpdesk, external_id, _total, _rn) = item  # fmt: skip
    created = _when(created_at) or datetime.min.replace(tzinfo=UTC)
    return NoteView(
        id=id_,
        author=author,
        body=body,
        created_at=created,
        updated_at=_when(updated_at) or created,
        follow_up_at=_when(follow_up_at),
        follow_up_done_at=_when(follow_up_done_at),
        shared_with_agent=bool(shared),
        sample_id=sample_id,
        sample_label=(
            None if helpdesk is None or external_id is None else sample_label(helpdesk, external_id)
        ),
        seen_at=_when(seen_at),
        acknowledged_at=_when(acknowledged_at),
        replies=_replies(replies),
    )


def _replies(items: Any) -> tuple[ReplyView, ...]:
    """A note's replies from the record's JSON, oldest first."""
    rows = [
        (_when(at) or datetime.min.replace(tzinfo=UTC), id_, a, b) for a, b, at, id_ in items or []
    ]
    return tuple(ReplyView(id=i, author=a, body=b, created_at=at) for at, i, a, b in sorted(rows))


@dataclass(frozen=True)
class _Found:
    """One row of a record statement: its JSON parsed, samples and notes in order."""

    viewer: dict[str, Any] | None
    agent: dict[str, Any] | None
    samples: list[list[Any]]
    notes: list[list[Any]]
    picked: int | None

    @property
    def total(self) -> int:
        """Live notes the viewer may see (every note of the page carries the count; 0 when
        the page is empty)."""
        return int(self.notes[0][-2]) if self.notes else 0


def _in_order(items: Any) -> list[list[Any]]:
    return sorted(_json(items) or [], key=lambda item: item[-1])


def _record_from(
    found: _Found, slack_user_id: str, agent_id: int, page: int, page_size: int
) -> CoachRecord:
    """The CoachRecord in a row of the record statement, once the viewer may read it."""
    if found.viewer is None:
        raise NotAMember(slack_user_id)
    viewer = Viewer(
        slack_user_id=slack_user_id,
        role=Role(found.viewer["role"]),
        agent_id=found.viewer["agent_id"],
    )
    require_read(viewer, agent_id)
    agent = found.agent
    if agent is None:
        raise NotFound("no such agent")
    return CoachRecord(
        agent=AgentView(
            id=agent["id"],
            name=agent["name"],
            email=agent["email"],
            slack_user_id=agent["slack_user_id"],
            lead_slack_user_id=agent["lead"],
            active=bool(agent["active"]),
        ),
        samples=[_sample_from_item(item) for item in found.samples],
        notes=[_note_from_item(item) for item in found.notes],
        notes_total=found.total,
        page=page,
        page_size=page_size,
        can_write=viewer.is_lead,
    )


def _run(db: Session | Engine, statement: Any, params: dict[str, Any]) -> _Found:
    row = fetch_row(db=db, statement=statement, params={"samples": MAX_SAMPLES, **params})
    assert row is not None  # the statement selects one row of subqueries
    return _Found(
        viewer=_json(row["viewer"]),
        agent=_json(row["agent"]),
        samples=_in_order(row["samples"]),
        notes=_in_order(row["notes"]),
        picked=row.get("picked"),
    )


def open_coach_record(
    *, db: Session | Engine, slack_user_id: str, agent_id: int, page: int = 0, page_size: int = 10
) -> CoachRecord:
    """The record of one agent as this Slack user may see it, with who they are looked up in
    the same single statement (NotAMember, OutOfScope and NotFound as for load_coach_record).
    `db` is a session, or the read engine when the request reads nothing else."""
    statement = record_statement(dialect_of(db))
    page = max(0, page)
    params = {"user": slack_user_id, "agent_id": agent_id, "limit": page_size}
    while True:
        row = _run(db, statement, {**params, "offset": page * page_size})
        if page == 0 or row.total > page * page_size:
            break
        page = 0  # the page ran past the end (notes were archived meanwhile): show the newest
    return _record_from(row, slack_user_id, agent_id, page, page_size)


def open_named_record(
    *, db: Session | Engine, slack_user_id: str, query: str, page_size: int = 10
) -> CoachRecord:
    """The record `/coach QUERY` opens for this Slack user: one statement on PostgreSQL (two on
    SQLite) when the name decides one agent (SPEC §5 tiers matched in SQL); otherwise
    resolve_agent answers (unknown, ambiguous, out of scope, a mention) as it would."""
    q = normalized_name(typed_name(query))
    if q and mentioned_user(query) is None:
        names = {
            "q": q,
            "prefix": like_escaped(q) + "%",
            "first": None if " " in q else like_escaped(q) + " %",
        }
        statement = named_record_statement(dialect_of(db))
        if statement is None:
            found = fetch_row(db=db, statement=PICK, params=names)
            if found is not None and found["id"] is not None:
                return open_coach_record(
                    db=db, slack_user_id=slack_user_id, agent_id=found["id"], page_size=page_size
                )
        else:
            params = {"user": slack_user_id, "limit": page_size, "offset": 0, **names}
            row = _run(db, statement, params)
            if row.picked is not None:
                return _record_from(row, slack_user_id, row.picked, 0, page_size)
    with orm_session(db) as session:
        viewer = viewer_for(session=session, slack_user_id=slack_user_id)
        choice = resolve_agent(session=session, viewer=viewer, query=query)
        return open_coach_record(
            db=session, slack_user_id=slack_user_id, agent_id=choice.id, page_size=page_size
        )


def open_for_command(
    *, db: Session | Engine, slack_user_id: str, text: str, page_size: int = 10
) -> CoachRecord | list[AgentChoice]:
    """What `/coach TEXT` opens: the named agent's record; with no text, the agents in scope to
    pick from, except that a member linked to one agent gets their own record straight away."""
    if text := text.strip():
        return open_named_record(
            db=db, slack_user_id=slack_user_id, query=text, page_size=page_size
        )
    with orm_session(db) as session:
        viewer = viewer_for(session=session, slack_user_id=slack_user_id)
        choices = agents_in_scope(session=session, viewer=viewer)
        if viewer.is_lead or len(choices) != 1:
            return choices
        return load_coach_record(
            session=session, viewer=viewer, agent_id=choices[0].id, page_size=page_size
        )


def load_coach_record(
    *, session: Session, viewer: Viewer, agent_id: int, page: int = 0, page_size: int = 10
) -> CoachRecord:
    """The record of one agent for this viewer: up to 20 worst-CSAT samples and a page of notes.

    Members see only notes shared with them and get no composer. One statement, however many
    notes and samples there are (one more for a page past the end).
    """
    require_read(viewer, agent_id)
    return open_coach_record(
        db=session,
        slack_user_id=viewer.slack_user_id,
        agent_id=agent_id,
        page=page,
        page_size=page_size,
    )
