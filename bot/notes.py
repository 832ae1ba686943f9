"""Coaching notes: create, edit, archive, each kept in the audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit import record
from bot.errors import InvalidInput, NotFound
from bot.reminders import reschedule
from bot.scope import Viewer, require_read, require_write
from bot.text import checked_text
from models import Agent, Note, Reminder, Sample
from models.base import utcnow

MAX_BODY = 3000


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def note_snapshot(note: Note) -> dict[str, object]:
    """The note's fields as kept in the audit trail (its earlier versions live here)."""
    return {
        "body": note.body,
        "sample_id": note.sample_id,
        "follow_up_at": _ms(note.follow_up_at),
        "follow_up_done_at": _ms(note.follow_up_done_at),
        "shared_with_agent": note.shared_with_agent,
        "archived_at": _ms(note.archived_at),
    }


def _audit(
    session: Session, actor: Viewer, note: Note, action: str, before: dict[str, object] | None
) -> None:
    """Keep a change of a note in the audit trail, with its state before and after."""
    record(
        session=session,
        actor=actor.slack_user_id,
        action=action,
        entity="note",
        entity_id=note.id,
        before=before,
        after=note_snapshot(note),
    )


def clean_body(body: str) -> str:
    """The body as kept (ends trimmed), or InvalidInput when it is empty, invisible, too long,
    or holds what no column can (a control character, a broken character)."""
    return checked_text(
        body,
        field="body",
        what="A note",
        max_length=MAX_BODY,
        multiline=True,
        empty="Write something before saving the note.",
    )


def check_follow_up(follow_up_at: datetime | None, not_before: datetime) -> None:
    """Refuse a follow-up earlier than `not_before` (today in Slack, now over the API)."""
    if follow_up_at is not None and follow_up_at < not_before:
        raise InvalidInput("follow_up", "The follow-up date can't be in the past.")


def _check_sample(session: Session, sample_id: int | None, agent_id: int) -> None:
    if sample_id is None:
        return
    owner = session.scalar(select(Sample.agent_id).where(Sample.id == sample_id))
    if owner is None or owner != agent_id:
        raise InvalidInput("sample", "That sample isn't one of this agent's conversations.")


def create_note(
    *,
    session: Session,
    actor: Viewer,
    agent_id: int,
    body: str,
    follow_up_at: datetime | None = None,
    follow_up_not_before: datetime | None = None,
    shared_with_agent: bool = False,
    sample_id: int | None = None,
    idempotency_key: str | None = None,
) -> Note:
    """Write a note on an agent's record; a repeated idempotency key returns the first note."""
    require_write(actor)
    if idempotency_key is not None:
        existing = session.scalar(select(Note).where(Note.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    if session.get(Agent, agent_id) is None:
        raise NotFound("no such agent")
    text = clean_body(body)
    check_follow_up(follow_up_at, follow_up_not_before or utcnow())
    _check_sample(session, sample_id, agent_id)
    now = utcnow()
    note = Note(
        agent_id=agent_id,
        author=actor.slack_user_id,
        body=text,
        sample_id=sample_id,
        follow_up_at=follow_up_at,
        shared_with_agent=shared_with_agent,
        created_at=now,
        updated_at=now,
        idempotency_key=idempotency_key,
    )
    session.add(note)
    session.flush()
    reschedule(session=session, note=note)
    _audit(session, actor, note, "note.create", None)
    return note


def get_live_note(*, session: Session, viewer: Viewer, note_id: int) -> Note:
    """A live (not archived) note the viewer may read, or NotFound."""
    note = session.get(Note, note_id)
    if note is None or note.archived_at is not None:
        raise NotFound("no such note")
    require_read(viewer, note.agent_id)
    if not viewer.is_lead and not note.shared_with_agent:
        raise NotFound("no such note")
    return note


def edit_note(
    *,
    session: Session,
    actor: Viewer,
    note_id: int,
    body: str | _Unset = UNSET,
    follow_up_at: datetime | _Unset | None = UNSET,
    follow_up_not_before: datetime | None = None,
    shared_with_agent: bool | _Unset = UNSET,
    sample_id: int | _Unset | None = UNSET,
) -> Note:
    """Change a live note; the earlier version stays in the audit trail."""
    require_write(actor)
    note = get_live_note(session=session, viewer=actor, note_id=note_id)
    before = note_snapshot(note)
    if not isinstance(body, _Unset):
        note.body = clean_body(body)
    if not isinstance(follow_up_at, _Unset):
        if follow_up_at != note.follow_up_at:
            check_follow_up(follow_up_at, follow_up_not_before or utcnow())
            note.follow_up_done_at = None
        note.follow_up_at = follow_up_at
    if not isinstance(shared_with_agent, _Unset):
        note.shared_with_agent = shared_with_agent
    if not isinstance(sample_id, _Unset):
        _check_sample(session, sample_id, note.agent_id)
        note.sample_id = sample_id
    after = note_snapshot(note)
    if after == before:
        return note
    note.updated_at = utcnow()
    reschedule(session=session, note=note)
    changed = {key for key in after if after[key] != before[key]}
    _audit(
        session,
        actor,
        note,
        "note.share" if changed == {"shared_with_agent"} else "note.edit",
        before,
    )
    return note


def archive_note(*, session: Session, actor: Viewer, note_id: int) -> Note:
    """Soft-delete a note: it stays in the database with its archive time."""
    require_write(actor)
    note = get_live_note(session=session, viewer=actor, note_id=note_id)
    before = note_snapshot(note)
    note.archived_at = utcnow()
    reschedule(session=session, note=note)
    _audit(session, actor, note, "note.archive", before)
    return note


SNOOZES = {"1d": timedelta(days=1), "1w": timedelta(weeks=1)}


def _reminder_note(session: Session, actor: Viewer, reminder_id: int) -> Note:
    require_write(actor)
    reminder = session.get(Reminder, reminder_id)
    note = session.get(Note, reminder.note_id) if reminder is not None else None
    if reminder is None or note is None or note.archived_at is not None:
        raise NotFound("That follow-up no longer exists.")
    return note


def mark_done(*, session: Session, actor: Viewer, reminder_id: int) -> Note:
    """The author followed up: keep when, and cancel anything still pending."""
    note = _reminder_note(session, actor, reminder_id)
    if note.follow_up_done_at is None:
        before = note_snapshot(note)
        note.follow_up_done_at = utcnow()
        reschedule(session=session, note=note)
        _audit(session, actor, note, "note.follow_up_done", before)
    return note


def snooze(*, session: Session, actor: Viewer, reminder_id: int, span: str) -> Note:
    """Remind again in a day or a week: the note's follow-up moves with it."""
    if span not in SNOOZES:
        raise InvalidInput("span", "Snooze for a day (1d) or a week (1w).")
    note = _reminder_note(session, actor, reminder_id)
    before = note_snapshot(note)
    note.follow_up_at = utcnow() + SNOOZES[span]
    note.follow_up_done_at = None
    note.updated_at = utcnow()
    reschedule(session=session, note=note)
    _audit(session, actor, note, "note.snooze", before)
    return note
