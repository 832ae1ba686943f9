"""The agent's side of a shared note: seen, acknowledged, answered (issue 17).

Only the agent a note is about may act on it, as a member linked to that agent, and only on a
live note shared with them: anyone else gets OutOfScope (a lead) or NotFound (nothing to see).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.coaching.notes import audit_note, note_snapshot, redact_text
from bot.coaching.record import CoachRecord
from bot.coaching.transcripts import CustomerLookup
from bot.core.audit import record
from bot.core.errors import InvalidInput, NotFound, OutOfScope
from bot.core.scope import Viewer, require_read, viewer_for
from bot.core.text import checked_text
from models import Member, Note, NoteReply, Role
from models.base import utcnow

MAX_REPLY = 1000
GONE = "That note was archived or is no longer shared with you."


def _own_shared_note(session: Session, actor: Viewer, note_id: int) -> Note:
    """The live shared note about the actor's own agent, or why not (as get_live_note says it:
    another agent's note is out of scope, a note not shared with them doesn't exist)."""
    if actor.is_lead:
        raise OutOfScope("Only the agent a note is shared with can acknowledge or answer it.")
    note = session.get(Note, note_id)
    if note is None or note.archived_at is not None:
        raise NotFound(GONE)
    require_read(actor, note.agent_id)
    if not note.shared_with_agent:
        raise NotFound(GONE)
    return note


def acknowledge_note(*, session: Session, actor: Viewer, note_id: int) -> Note:
    """The agent marks a note shared with them as read and taken in; a second time changes
    nothing (the first time stays)."""
    note = _own_shared_note(session, actor, note_id)
    if note.acknowledged_at is not None:
        return note
    before = note_snapshot(note)
    now = utcnow()
    # only while still unacknowledged: of two clicks at once, the first one's time stays
    taken = session.execute(
        update(Note)
        .where(Note.id == note.id, Note.acknowledged_at.is_(None))
        .values(acknowledged_at=now, seen_at=func.coalesce(Note.seen_at, now))
        .execution_options(synchronize_session=False)
    )
    session.refresh(note)
    if getattr(taken, "rowcount", 0):
        audit_note(session, actor, note, "note.acknowledge", before)
        session.flush()
    return note


def clean_reply(body: str) -> str:
    """A reply as it may be kept before redaction, or InvalidInput saying what is wrong."""
    return checked_text(
        body,
        field="body",
        what="A reply",
        max_length=MAX_REPLY,
        multiline=True,
        empty="Write something before sending the reply.",
    )


def reply_to_note(
    *,
    session: Session,
    actor: Viewer,
    note_id: int,
    body: str,
    idempotency_key: str | None = None,
    ask: CustomerLookup | None = None,
) -> NoteReply:
    """The agent answers a note shared with them; the text is redacted as a note's is and the
    reply is audited. A repeated idempotency key returns the first reply."""
    note = _own_shared_note(session, actor, note_id)
    if idempotency_key is not None:
        existing = session.scalar(
            select(NoteReply).where(NoteReply.idempotency_key == idempotency_key)
        )
        if existing is not None:
            if existing.note_id != note.id:  # the same form can't answer two notes
                raise InvalidInput("body", "That reply was already sent to another note.")
            return existing
    text = redact_text(
        session=session,
        agent_id=note.agent_id,
        text=clean_reply(body),
        sample_id=note.sample_id,
        ask=ask,
    ).text
    now = utcnow()
    reply = NoteReply(
        note_id=note.id,
        author=actor.slack_user_id,
        body=text,
        created_at=now,
        idempotency_key=idempotency_key,
    )
    session.add(reply)
    note.seen_at = note.seen_at or now
    session.flush()
    record(
        session=session,
        actor=actor.slack_user_id,
        action="note.reply",
        entity="note",
        entity_id=note.id,
        after={"reply_id": reply.id, "body": reply.body, "sample_id": note.sample_id},
    )
    return reply


def mark_seen(
    *, session: Session, viewer: Viewer, note_ids: Sequence[int], now: datetime | None = None
) -> int:
    """Note the first time the agent was shown these notes shared with them (their App Home,
    their record); a lead's views and notes not theirs change nothing. How many were new."""
    if viewer.is_lead or viewer.agent_id is None or not note_ids:
        return 0
    result = session.execute(
        update(Note)
        .where(
            Note.id.in_(list(note_ids)),
            Note.agent_id == viewer.agent_id,
            Note.shared_with_agent.is_(True),
            Note.archived_at.is_(None),
            Note.seen_at.is_(None),
        )
        .values(seen_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def mark_record_seen(*, session: Session, slack_user_id: str, record: CoachRecord) -> int:
    """Mark seen the shared notes of a record its agent was just shown (a lead's view, or a
    record with nothing unseen, changes nothing and reads nothing)."""
    unseen = [n.id for n in record.notes if n.seen_at is None]
    if record.can_write or not unseen:
        return 0
    viewer = viewer_for(session=session, slack_user_id=slack_user_id)
    return mark_seen(session=session, viewer=viewer, note_ids=unseen)


def agent_recipients(session: Session, agent_id: int) -> list[str]:
    """Who a note shared with an agent goes to: the members linked to that agent."""
    return list(
        session.scalars(
            select(Member.slack_user_id)
            .where(Member.agent_id == agent_id, Member.role == Role.MEMBER)
            .order_by(Member.slack_user_id)
        )
    )


def replies_of(session: Session, note_ids: Sequence[int]) -> dict[int, list[NoteReply]]:
    """The replies of these notes, oldest first, by note id."""
    found: dict[int, list[NoteReply]] = {}
    if not note_ids:
        return found
    rows = session.scalars(
        select(NoteReply)
        .where(NoteReply.note_id.in_(list(note_ids)))
        .order_by(NoteReply.created_at, NoteReply.id)
    )
    for reply in rows:
        found.setdefault(reply.note_id, []).append(reply)
    return found
