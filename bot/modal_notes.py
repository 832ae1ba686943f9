"""Notes written, changed and archived from the Coach modal, each returning the record to show.

A follow-up date picked in Slack is a day in the author's own zone (Slack's `users.info`, cached
on their member row), so the caller passes how to look a zone up; it is only asked when a date
was picked and the cached zone is missing or old.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.coaching import CoachRecord, load_coach_record
from bot.followups import author_zone, day_not_before, follow_up_instant
from bot.notes import archive_note, create_note, edit_note
from bot.scope import Viewer, viewer_for
from models.base import utcnow

ZoneLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class NoteInput:
    """What a lead typed into the composer or the edit form."""

    body: str
    follow_up: date | None
    shared: bool
    sample_id: int | None


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
) -> CoachRecord:
    """Save a new note from the composer; the record after it, on its first page."""
    viewer = viewer_for(session=session, slack_user_id=slack_user_id)
    timing = _timing(session, viewer, note, zone_lookup, now or utcnow())
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
) -> CoachRecord:
    """Save the edit form over a live note; the record after it, on the page it was open at."""
    viewer = viewer_for(session=session, slack_user_id=slack_user_id)
    timing = _timing(session, viewer, note, zone_lookup, now or utcnow())
    edit_note(
        session=session,
        actor=viewer,
        note_id=note_id,
        body=note.body,
        follow_up_at=timing.follow_up_at,
        follow_up_not_before=timing.not_before,
        shared_with_agent=note.shared,
        sample_id=note.sample_id,
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
