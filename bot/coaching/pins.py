"""Manual pins: a lead picks a conversation by helpdesk and id; it is captured like an auto sample."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ai.summaries import Summarizer
from bot.coaching.capture import captured, store_samples, summarize_all
from bot.coaching.record import CoachRecord, SampleView, open_coach_record, sample_view
from bot.coaching.transcripts import SourceText, fetch_transcript, transcript_for
from bot.core.errors import InvalidInput, NotFound
from bot.core.scope import Viewer, require_write, viewer_for
from bot.core.settings import Settings
from bot.core.text import checked_text
from bot.ingest.deeplinks import HELPDESKS, deep_link
from bot.ingest.helpdesks import HelpdeskNotFound
from bot.people.agents import agent_name
from models import Agent, Conversation, Sample
from models.sample import EXTERNAL_ID_MAX, SampleSource


@dataclass(frozen=True)
class PinResult:
    """The pinned sample and whether this call created it."""

    sample: SampleView
    created: bool

    @property
    def sample_id(self) -> int:
        """The pinned sample's id."""
        return self.sample.id


def check_pin(helpdesk: str, external_id: str, csat: float | None) -> tuple[str, str]:
    """Normalised (helpdesk, external_id), or InvalidInput on what's wrong."""
    desk = helpdesk.strip().lower()
    if desk not in HELPDESKS:
        raise InvalidInput("helpdesk", f"helpdesk must be one of {', '.join(HELPDESKS)}")
    ext = checked_text(
        external_id.strip().lstrip("#"),
        field="external_id",
        what="A conversation id",
        max_length=EXTERNAL_ID_MAX,
        empty="Give the conversation's id in the helpdesk.",
    )
    if csat is not None and not 1 <= csat <= 5:
        raise InvalidInput("csat", "CSAT is a number from 1 to 5.")
    return desk, ext


def _fetch(settings: Settings, helpdesk: str, external_id: str) -> SourceText:
    try:
        found = fetch_transcript(settings, helpdesk, external_id)
    except HelpdeskNotFound:
        raise NotFound(f"{helpdesk} has no conversation {external_id}") from None
    if found is None:
        raise InvalidInput(
            "helpdesk",
            f"Debrief can't read {helpdesk} #{external_id}: it wasn't imported and no {helpdesk} "
            "connector is configured.",
        )
    return found


def _pinned(session: Session, desk: str, ext: str, agent_id: int) -> Sample | None:
    """The conversation's sample, if it has one; InvalidInput when it is another agent's."""
    sample = session.scalar(
        select(Sample).where(Sample.helpdesk == desk, Sample.external_id == ext)
    )
    if sample is not None and sample.agent_id != agent_id:
        raise InvalidInput(
            "external_id", "That conversation is already a sample on another agent's record."
        )
    return sample


def pin_sample(
    *,
    session_factory: Callable[[], Any],
    settings: Settings,
    actor: Viewer,
    agent_id: int,
    helpdesk: str,
    external_id: str,
    summarizer: Summarizer,
    csat: float | None = None,
    closed_at: datetime | None = None,
) -> PinResult:
    """Pin one conversation to an agent's record; pinning it again returns the same sample."""
    require_write(actor)
    desk, ext = check_pin(helpdesk, external_id, csat)
    with session_factory() as session:
        if session.get(Agent, agent_id) is None:
            raise NotFound("no such agent")
        existing = _pinned(session, desk, ext, agent_id)
        if existing is not None:
            return PinResult(sample_view(existing), False)
        conversation = session.scalar(
            select(Conversation).where(
                Conversation.helpdesk == desk, Conversation.external_id == ext
            )
        )
        if conversation is not None:
            source = transcript_for(session=session, settings=settings, conversation=conversation)
            csat = csat if csat is not None else conversation.csat
            closed_at = closed_at or conversation.closed_at
            url = conversation.url
            queue, tags = conversation.queue, conversation.tags
        else:
            source = _fetch(settings, desk, ext)
            url, queue, tags = None, None, None
    item = captured(
        source=source,
        agent_id=agent_id,
        helpdesk=desk,
        external_id=ext,
        csat=csat,
        closed_at=closed_at,
        url=url or deep_link(settings, desk, ext),
        queue=queue,
        tags=tags,
    )
    written = summarize_all([item], summarizer, 1)
    with session_factory() as session:
        inserted = store_samples(
            session,
            written,
            source=SampleSource.MANUAL,
            engine=summarizer.name,
            actor=actor.slack_user_id,
            action="sample.pin",
        )
        stored = _pinned(session, desk, ext, agent_id)  # a racing pin may have won, maybe
        assert stored is not None  # for another agent, which is refused as it would be first
        return PinResult(sample_view(stored), bool(inserted))


def pin_form_agent(*, session: Session, slack_user_id: str, agent_id: int) -> str:
    """The name of the agent whose record a lead is about to pin to (OutOfScope for members)."""
    require_write(viewer_for(session=session, slack_user_id=slack_user_id))
    return agent_name(session=session, agent_id=agent_id)


def pin_in_modal(
    *,
    session_factory: Callable[[], Any],
    settings: Settings,
    slack_user_id: str,
    agent_id: int,
    helpdesk: str,
    external_id: str,
    csat: float | None,
    summarizer: Summarizer,
    page: int,
    page_size: int,
) -> CoachRecord:
    """Pin from the Coach modal's form; the record to show after it, on the page it was open at."""
    with session_factory() as session:
        viewer = viewer_for(session=session, slack_user_id=slack_user_id)
    pin_sample(
        session_factory=session_factory,
        settings=settings,
        actor=viewer,
        agent_id=agent_id,
        helpdesk=helpdesk,
        external_id=external_id,
        csat=csat,
        summarizer=summarizer,
    )
    with session_factory() as session:
        return open_coach_record(
            db=session, slack_user_id=slack_user_id, agent_id=agent_id, page=page,
            page_size=page_size,
        )  # fmt: skip
