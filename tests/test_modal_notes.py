"""Writing, changing and archiving notes from the Coach modal, each answering with the record."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.coaching.modal_notes import NoteInput, archive_in_modal, rewrite_note, write_note
from bot.core.errors import InvalidInput, OutOfScope
from models import Note
from tests import factories as f

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday afternoon


@pytest.fixture()
def world(session):
    f.member(session, "ULEAD", "owner")
    sarah = f.agent(session, "Sarah", lead="ULEAD")
    f.member(session, "USARAH", "member", agent="Sarah")
    session.commit()
    return {"sarah": sarah.id, "lead": f.viewer(session, "ULEAD")}


class Lookups:
    """A stand-in for Slack's users.info that counts what it was asked."""

    def __init__(self, zone: str | None) -> None:
        self.zone = zone
        self.asked: list[str] = []

    def __call__(self, user: str) -> str | None:
        self.asked.append(user)
        return self.zone


def typed(body: str, follow_up: date | None = None, shared: bool = False) -> NoteInput:
    return NoteInput(body=body, follow_up=follow_up, shared=shared, sample_id=None)


def test_a_new_note_shows_first_and_its_follow_up_is_9am_in_the_authors_zone(session, world):
    lookup = Lookups("Europe/Berlin")
    record = write_note(
        session=session,
        slack_user_id="ULEAD",
        agent_id=world["sarah"],
        note=typed("Role-play the refund call.", follow_up=date(2026, 11, 24), shared=True),
        zone_lookup=lookup,
        idempotency_key="slack:V1:h1",
        page_size=10,
        now=NOW,
    )
    first = record.notes[0]
    assert first.body == "Role-play the refund call." and first.shared_with_agent
    assert first.follow_up_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    assert lookup.asked == ["ULEAD"] and record.can_write
    again = Lookups("Europe/Berlin")
    write_note(
        session=session,
        slack_user_id="ULEAD",
        agent_id=world["sarah"],
        note=typed("Second, same zone.", follow_up=date(2026, 11, 25)),
        zone_lookup=again,
        idempotency_key="slack:V1:h2",
        page_size=10,
        now=NOW,
    )
    assert again.asked == []  # the zone is cached on the member row


def test_without_a_date_slack_is_not_asked_and_a_repeat_submission_saves_once(session, world):
    lookup = Lookups("Europe/Berlin")
    for _ in range(2):  # Slack retried the same submission
        record = write_note(
            session=session,
            slack_user_id="ULEAD",
            agent_id=world["sarah"],
            note=typed("Nice save on the refund."),
            zone_lookup=lookup,
            idempotency_key="slack:V1:h1",
            page_size=10,
            now=NOW,
        )
    assert [n.body for n in record.notes] == ["Nice save on the refund."]
    assert lookup.asked == []


def test_a_date_before_the_authors_today_is_refused(session, world):
    with pytest.raises(InvalidInput) as refused:
        write_note(
            session=session,
            slack_user_id="ULEAD",
            agent_id=world["sarah"],
            note=typed("Too late.", follow_up=date(2026, 11, 19)),
            zone_lookup=Lookups("America/New_York"),
            idempotency_key="slack:V1:h1",
            page_size=10,
            now=NOW,
        )
    assert refused.value.field == "follow_up"


def test_the_authors_today_is_accepted_and_their_yesterday_refused(session, world):
    def save(follow_up: date, now: datetime, key: str) -> None:
        write_note(
            session=session,
            slack_user_id="ULEAD",
            agent_id=world["sarah"],
            note=typed("Check in.", follow_up=follow_up),
            zone_lookup=Lookups("America/New_York"),
            idempotency_key=key,
            page_size=10,
            now=now,
        )

    save(date(2026, 11, 20), NOW, "k1")  # today in New York, past 09:00 there: still accepted
    note = session.scalars(select(Note).where(Note.idempotency_key == "k1")).one()
    assert note.follow_up_at == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # 09:00 EST
    early = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)  # 00:00 in New York, today at UTC-12
    with pytest.raises(InvalidInput):
        save(date(2026, 11, 19), early, "k2")  # yesterday for this author


def test_an_edit_answers_with_the_page_it_was_made_on(session, world):
    notes = [f.note(session, world["lead"], world["sarah"], body=f"note {i}") for i in range(12)]
    session.commit()
    record = rewrite_note(
        session=session,
        slack_user_id="ULEAD",
        note_id=notes[0].id,
        agent_id=world["sarah"],
        note=typed("note 0, rewritten"),
        zone_lookup=Lookups(None),
        page=1,
        page_size=10,
        now=NOW,
    )
    assert record.page == 1 and [n.body for n in record.notes] == ["note 1", "note 0, rewritten"]


def test_archiving_leaves_the_note_out_of_the_record_it_answers_with(session, world):
    kept = f.note(session, world["lead"], world["sarah"], body="kept")
    gone = f.note(session, world["lead"], world["sarah"], body="archived")
    session.commit()
    record = archive_in_modal(
        session=session,
        slack_user_id="ULEAD",
        note_id=gone.id,
        agent_id=world["sarah"],
        page=0,
        page_size=10,
    )
    assert [n.id for n in record.notes] == [kept.id] and record.notes_total == 1


def test_a_member_cannot_write_on_their_own_record(session, world):
    with pytest.raises(OutOfScope):
        write_note(
            session=session,
            slack_user_id="USARAH",
            agent_id=world["sarah"],
            note=typed("Self-praise."),
            zone_lookup=Lookups(None),
            idempotency_key="slack:V1:h1",
            page_size=10,
            now=NOW,
        )
