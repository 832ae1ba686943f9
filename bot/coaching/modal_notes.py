"""Notes written, changed and archived from the Coach modal, each returning the record to show.

A follow-up date picked in Slack is a day in the author's own zone (Slack's `users.info`, cached
on their member row), so the caller passes how to look a zone up; it is only asked when a date
was picked and the cached zone is missing or old.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.coaching.notes import CleanNote, archive_note, clean_note, create_note, edit_note
from bot.coaching.record import (
    CoachRecord,
    NoteView,
    SampleView,
    load_coach_record,
    load_note_for_edit,
)
from bot.coaching.transcripts import CustomerLookup
from bot.core.errors import DebriefError
from bot.core.scope import Viewer, require_write, viewer_for
from bot.followups.dates import author_zone, day_not_before, follow_up_instant
from models.base import utcnow

ZoneLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class NoteInput:
    """What a lead typed into the composer or the edit form."""

    body: str
    follow_up: date | None
    shared: bool
    sample_id: int | None


class ReviewRedaction(DebriefError):
    """The note held what a note mustn't keep: it is shown back redacted (`draft`), for the lead
    to check and save again; nothing was saved. `labels` say what was taken out. The record
    (a new note) or the note and its samples (an edit) are what the form is drawn from."""

    def __init__(
        self,
        *,
        draft: NoteInput,
        labels: tuple[str, ...],
        record: CoachRecord | None = None,
        note: NoteView | None = None,
        samples: tuple[SampleView, ...] = (),
    ) -> None:
        kinds = ", ".join(dict.fromkeys(labels))
        super().__init__(
            f"Debrief took {len(labels)} private detail{'s' * (len(labels) != 1)} out of the "
            f"note ({kinds}). This is what it will keep: check it and save again."
        )
        self.draft, self.labels = draft, labels
        self.record, self.note, self.samples = record, note, samples


def _redacted_draft(
    session: Session, agent_id: int, note: NoteInput, ask: CustomerLookup | None
) -> tuple[NoteInput, CleanNote]:
    clean = clean_note(
        session=session, agent_id=agent_id, body=note.body, sample_id=note.sample_id, ask=ask
    )
    return replace(note, body=clean.text), clean


@dataclass(frozen=True)
class _Timing:
    follow_up_at: datetime | None
    not_before: datetime


def _timing(
    session: Session, viewer: Viewer, note: NoteInput, zone_lookup: ZoneLookup, now: datetime
) -> _Timing:
    zone = None
    if note.follow_up is not None:
        zone = author_zone(
            session=session, slack_user_id=viewer.slack_user_id, lookup=zone_lookup, now=now
        )
    return _Timing(
        follow_up_at=None if note.follow_up is None else follow_up_instant(note.follow_up, zone),
        not_before=day_not_before(now, zone),
    )


def write_note(
    *,
    session: Session,
    slack_user_id: str,
    agent_id: int,
    note: NoteInput,
    zone_lookup: ZoneLookup,
    idempotency_key: str,
    page_size: int,
    now: datetime | None = None,
    ask: CustomerLookup | None = None,
) -> CoachRecord:
    """Save a new note from the composer; the record after it, on its first page. A note that
    would lose private details is not saved: ReviewRedaction shows it back redacted first."""
    viewer = viewer_for(session=session, slack_user_id=slack_user_id)
    require_write(viewer)
    timing = _timing(session, viewer, note, zone_lookup, now or utcnow())
    draft, clean = _redacted_draft(session, agent_id, note, ask)
    if clean.redacted:
        record = load_coach_record(
            session=session, viewer=viewer, agent_id=agent_id, page_size=page_size
        )
        raise ReviewRedaction(draft=draft, labels=clean.labels, record=record)
    create_note(
        session=session,
        actor=viewer,
        agent_id=agent_id,
        body=note.body,
        follow_up_at=timing.follow_up_at,
        follow_up_not_before=timing.not_before,
        shared_with_agent=note.shared,
        sample_id=note.sample_id,
        idempotency_key=idempotency_key,
        ask=ask,
    )
    return load_coach_record(session=session, viewer=viewer, agent_id=agent_id, page_size=page_size)


def rewrite_note(
    *,
    session: Session,
    slack_user_id: str,
    note_id: int,
    agent_id: int,
    note: NoteInput,
    zone_lookup: ZoneLookup,
    page: int,
    page_size: int,
    now: datetime | None = None,
    ask: CustomerLookup | None = None,
) -> CoachRecord:
    """Save the edit form over a live note; the record after it, on the page it was open at.
    A change that would lose private details is shown back redacted first (ReviewRedaction)."""
    viewer = viewer_for(session=session, slack_user_id=slack_user_id)
    require_write(viewer)
    timing = _timing(session, viewer, note, zone_lookup, now or utcnow())
    draft, clean = _redacted_draft(session, agent_id, note, ask)
    if clean.redacted:
        shown, samples = load_note_for_edit(session=session, viewer=viewer, note_id=note_id)
        raise ReviewRedaction(draft=draft, labels=clean.labels, note=shown, samples=tuple(samples))
    edit_note(
        session=session,
        actor=viewer,
        note_id=note_id,
        body=note.body,
        follow_up_at=timing.follow_up_at,
        follow_up_not_before=timing.not_before,
        shared_with_agent=note.shared,
        sample_id=note.sample_id,
        ask=ask,
    )
    return load_coach_record(
        session=session, viewer=viewer, agent_id=agent_id, page=page, page_size=page_size
    )


def archive_in_modal(
    *,
    session: Session,
    slack_user_id: str,
    note_id: int,
    agent_id: int,
    page: int,
    page_size: int,
) -> CoachRecord:
    """Archive a note (kept, no longer listed); the record after it, on the page it was open at."""
    viewer = viewer_for(session=session, slack_user_id=slack_user_id)
    archive_note(session=session, actor=viewer, note_id=note_id)
    return load_coach_record(
        session=session, viewer=viewer, agent_id=agent_id, page=page, page_size=page_size
    )
