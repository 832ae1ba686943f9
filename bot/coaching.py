"""The coaching record of one agent as a viewer may see it, loaded in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, nulls_last, select
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


def worst_samples(*, session: Session, agent_id: int) -> list[SampleView]:
    """Up to 20 of the agent's samples, worst CSAT first, then most recent."""
    return [
        SampleView(
            id=s.id,
            helpdesk=s.helpdesk,
            external_id=s.external_id,
            url=s.url,
            csat=s.csat,
            closed_at=s.closed_at,
            summary=s.summary,
            source=s.source.value,
        )
        for s in session.scalars(
            select(Sample)
            .where(Sample.agent_id == agent_id)
            .order_by(nulls_last(Sample.csat.asc()), Sample.closed_at.desc(), Sample.id.desc())
            .limit(MAX_SAMPLES)
        )
    ]


def _note_view(note: Note, helpdesk: str | None, external_id: str | None) -> NoteView:
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


def load_coach_record(
    *, session: Session, viewer: Viewer, agent_id: int, page: int = 0, page_size: int = 10
) -> CoachRecord:
    """The record of one agent for this viewer: up to 20 worst-CSAT samples and a page of notes.

    Members see only notes shared with them and get no composer.
    """
    require_read(viewer, agent_id)
    lead = aliased(Member)
    row = session.execute(
        select(Agent, lead.slack_user_id)
        .outerjoin(lead, Agent.lead_member_id == lead.id)
        .where(Agent.id == agent_id)
    ).first()
    if row is None:
        raise NotFound("no such agent")
    agent, lead_user = row
    samples = worst_samples(session=session, agent_id=agent_id)
    visible = [Note.agent_id == agent_id, Note.archived_at.is_(None)]
    if not viewer.is_lead:
        visible.append(Note.shared_with_agent.is_(True))
    total = session.scalar(select(func.count()).select_from(Note).where(*visible)) or 0
    page = max(0, min(page, max(0, (total - 1) // page_size)))
    notes = [
        _note_view(n, helpdesk, external_id)
        for n, helpdesk, external_id in session.execute(
            select(Note, Sample.helpdesk, Sample.external_id)
            .outerjoin(Sample, Note.sample_id == Sample.id)
            .where(*visible)
            .order_by(Note.created_at.desc(), Note.id.desc())
            .limit(page_size)
            .offset(page * page_size)
        )
    ]
    return CoachRecord(
        agent=AgentView(
            id=agent.id,
            name=agent.name,
            email=agent.email,
            slack_user_id=agent.slack_user_id,
            lead_slack_user_id=lead_user,
            active=agent.active,
        ),
        samples=samples,
        notes=notes,
        notes_total=total,
        page=page,
        page_size=page_size,
        can_write=viewer.is_lead,
    )
