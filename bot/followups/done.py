"""Done and Snooze on a follow-up reminder: the note's follow-up is kept, or moved."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.coaching.notes import audit_note, note_snapshot
from bot.core.errors import InvalidInput, NotFound
from bot.core.scope import Viewer, require_write
from bot.followups.reminders import reschedule
from models import Note, Reminder
from models.base import utcnow

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
        audit_note(session, actor, note, "note.follow_up_done", before)
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
    audit_note(session, actor, note, "note.snooze", before)
    return note
