"""The coaching record of one agent as a viewer may see it, loaded in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, nulls_last, select, text
from sqlalchemy.orm import Session, aliased

from bot.errors import NotFound
from bot.scope import Viewer, require_read, require_write
from models import Agent, Member, Note, Sample

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
_LEAD = aliased(Member)
_AGENT = (
    select(
        Agent.id,
        Agent.name,
        Agent.email,
        Agent.slack_user_id,
        Agent.active,
        _LEAD.slack_user_id.label("lead"),
    )
    .outerjoin(_LEAD, Agent.lead_member_id == _LEAD.id)
    .where(Agent.id == bindparam("agent_id"))
)
_NOTE_COLUMNS = (
    Note.id,
    Note.author,
    Note.body,
    Note.created_at,
    Note.updated_at,
    Note.follow_up_at,
    Note.follow_up_done_at,
    Note.shared_with_agent,
    Note.sample_id,
    Sample.helpdesk,
    Sample.external_id,
    func.count().over().label("total"),
)


def _notes_query(*, shared_only: bool) -> Any:
    query = (
        select(*_NOTE_COLUMNS)
        .outerjoin(Sample, Note.sample_id == Sample.id)
        .where(Note.agent_id == bindparam("agent_id"), Note.archived_at.is_(None))
    )
    if shared_only:
        query = query.where(Note.shared_with_agent.is_(True))
    return (
        query.order_by(Note.created_at.desc(), Note.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


_NOTES = {False: _notes_query(shared_only=False), True: _notes_query(shared_only=True)}


def worst_samples(*, session: Session, agent_id: int) -> list[SampleView]:
    """Up to 20 of the agent's samples, worst CSAT first, then most recent."""
    return [
        SampleView(
            id=row.id,
            helpdesk=row.helpdesk,
            external_id=row.external_id,
            url=row.url,
            csat=row.csat,
            closed_at=row.closed_at,
            summary=row.summary,
            source=row.source.value,
        )
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


_RECORD_PG = text(
    """
    SELECT
      (SELECT json_build_object('id', a.id, 'name', a.name, 'email', a.email,
                                'slack_user_id', a.slack_user_id, 'active', a.active,
                                'lead', m.slack_user_id)
         FROM agents a LEFT JOIN members m ON m.id = a.lead_member_id
        WHERE a.id = :agent_id) AS agent,
      (SELECT coalesce(json_agg(s ORDER BY s.csat ASC NULLS LAST, s.closed_at DESC, s.id DESC),
                       '[]'::json)
         FROM (SELECT id, helpdesk, external_id, url, csat, closed_at, summary, source
                 FROM samples WHERE agent_id = :agent_id
                ORDER BY csat ASC NULLS LAST, closed_at DESC, id DESC
                LIMIT :samples) s) AS samples,
      (SELECT coalesce(json_agg(n ORDER BY n.created_at DESC, n.id DESC), '[]'::json)
         FROM (SELECT n.id, n.author, n.body, n.created_at, n.updated_at, n.follow_up_at,
                      n.follow_up_done_at, n.shared_with_agent, n.sample_id,
                      s.helpdesk, s.external_id, count(*) OVER () AS total
                 FROM notes n LEFT JOIN samples s ON s.id = n.sample_id
                WHERE n.agent_id = :agent_id AND n.archived_at IS NULL
                  AND (:all_notes OR n.shared_with_agent)
                ORDER BY n.created_at DESC, n.id DESC
                LIMIT :limit OFFSET :offset) n) AS notes
    """
)


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _record_pg(
    connection: Any, agent_id: int, all_notes: bool, limit: int, offset: int
) -> tuple[Any, list[SampleView], list[dict[str, Any]]]:
    """Agent, samples and a page of notes in one PostgreSQL round trip (as JSON)."""
    row = connection.execute(
        _RECORD_PG,
        {
            "agent_id": agent_id,
            "all_notes": all_notes,
            "limit": limit,
            "offset": offset,
            "samples": MAX_SAMPLES,
        },
    ).one()
    samples = [
        SampleView(
            id=s["id"],
            helpdesk=s["helpdesk"],
            external_id=s["external_id"],
            url=s["url"],
            csat=s["csat"],
            closed_at=_when(s["closed_at"]),
            summary=s["summary"],
            source=s["source"],
        )
        for s in row.samples
    ]
    return row.agent, samples, row.notes


def _note_from_json(n: dict[str, Any]) -> NoteView:
    return NoteView(
        id=n["id"],
        author=n["author"],
        body=n["body"],
        created_at=_when(n["created_at"]) or datetime.min.replace(tzinfo=UTC),
        updated_at=_when(n["updated_at"]) or datetime.min.replace(tzinfo=UTC),
        follow_up_at=_when(n["follow_up_at"]),
        follow_up_done_at=_when(n["follow_up_done_at"]),
        shared_with_agent=n["shared_with_agent"],
        sample_id=n["sample_id"],
        sample_label=(
            None
            if n["helpdesk"] is None or n["external_id"] is None
            else sample_label(n["helpdesk"], n["external_id"])
        ),
    )


def _load_pg(
    session: Session, viewer: Viewer, agent_id: int, page: int, page_size: int
) -> CoachRecord:
    connection = session.connection()
    agent, samples, notes = _record_pg(
        connection, agent_id, viewer.is_lead, page_size, page * page_size
    )
    if agent is None:
        raise NotFound("no such agent")
    if not notes and page > 0:
        page = 0
        agent, samples, notes = _record_pg(connection, agent_id, viewer.is_lead, page_size, 0)
    return CoachRecord(
        agent=AgentView(
            id=agent["id"],
            name=agent["name"],
            email=agent["email"],
            slack_user_id=agent["slack_user_id"],
            lead_slack_user_id=agent["lead"],
            active=agent["active"],
        ),
        samples=samples,
        notes=[_note_from_json(n) for n in notes],
        notes_total=notes[0]["total"] if notes else 0,
        page=page,
        page_size=page_size,
        can_write=viewer.is_lead,
    )


def load_coach_record(
    *, session: Session, viewer: Viewer, agent_id: int, page: int = 0, page_size: int = 10
) -> CoachRecord:
    """The record of one agent for this viewer: up to 20 worst-CSAT samples and a page of notes.

    Members see only notes shared with them and get no composer. Three statements on SQLite,
    one on PostgreSQL, however many notes and samples there are (one more for a page past the
    end).
    """
    require_read(viewer, agent_id)
    session.flush()  # Core statements below don't autoflush a write made earlier in this session
    page = max(0, page)
    if session.get_bind().dialect.name == "postgresql":
        return _load_pg(session, viewer, agent_id, page, page_size)
    connection = session.connection()  # Core rows: no ORM identity map on this hot path
    agent = connection.execute(_AGENT, {"agent_id": agent_id}).first()
    if agent is None:
        raise NotFound("no such agent")
    samples = worst_samples(session=session, agent_id=agent_id)
    notes_query = _NOTES[not viewer.is_lead]
    rows = connection.execute(
        notes_query, {"agent_id": agent_id, "limit": page_size, "offset": page * page_size}
    ).all()
    if not rows and page > 0:
        page = 0
        rows = connection.execute(
            notes_query, {"agent_id": agent_id, "limit": page_size, "offset": 0}
        ).all()
    total = rows[0].total if rows else 0
    return CoachRecord(
        agent=AgentView(
            id=agent.id,
            name=agent.name,
            email=agent.email,
            slack_user_id=agent.slack_user_id,
            lead_slack_user_id=agent.lead,
            active=agent.active,
        ),
        samples=samples,
        notes=[_note_view(row, row.helpdesk, row.external_id) for row in rows],
        notes_total=total,
        page=page,
        page_size=page_size,
        can_write=viewer.is_lead,
    )
