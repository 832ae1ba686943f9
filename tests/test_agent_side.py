"""The agent's side of a shared note (issue 17): seen, acknowledged and answered, over REST and
in the domain; what a lead reads of it; export, erase and redaction of replies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlalchemy import func, select

from bot.app.services import Services
from bot.app.web import create_web_app
from bot.coaching.agent_side import (
    acknowledge_note,
    agent_recipients,
    mark_seen,
    reply_to_note,
)
from bot.coaching.notes import archive_note, redact_stored_notes
from bot.coaching.record import load_coach_record
from bot.core.db import session_scope
from bot.core.errors import InvalidInput, NotFound, OutOfScope
from bot.core.settings import Settings
from bot.privacy.export import erase_agent, export_agent
from models import AuditEntry, Delivery, DeliveryKind, Note, NoteReply
from tests import factories as f
from tests.rest_support import Api, Team, make_team

T0 = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


@pytest.fixture()
def team(session) -> Team:
    return make_team(session)


@pytest.fixture()
def api(settings: Settings, team: Team) -> Iterator[Api]:
    with TestClient(create_web_app(Services(settings), None)) as http:
        yield Api(http, team.tokens)


def replies(db: str) -> list[tuple[int, str, str]]:
    with session_scope(db) as s:
        return [
            (r.note_id, r.author, r.body)
            for r in s.scalars(select(NoteReply).order_by(NoteReply.id))
        ]


def actions(db: str, note_id: int) -> list[str]:
    with session_scope(db) as s:
        return list(
            s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity == "note", AuditEntry.entity_id == note_id)
                .order_by(AuditEntry.id)
            )
        )


# --- over REST --------------------------------------------------------------------------------


def test_the_agent_acknowledges_once_and_the_lead_reads_it(api, team, db):
    note = team.notes["becky_shared"]
    first = api("POST", f"/coaching/notes/{note}/acknowledge", "member")
    again = api("POST", f"/coaching/notes/{note}/acknowledge", "member")
    assert first.status_code == again.status_code == 200
    assert first.json()["acknowledgedAt"] == again.json()["acknowledgedAt"] is not None
    assert first.json()["seenAt"] == first.json()["acknowledgedAt"]
    assert actions(db, note) == ["note.create", "note.acknowledge"]  # the second changed nothing
    lead_view = api("GET", "/coaching", "admin", params={"agent": "Becky"}).json()["notes"]
    shared = next(n for n in lead_view if n["id"] == note)
    assert shared["acknowledgedAt"] == first.json()["acknowledgedAt"]


def test_a_reply_is_redacted_kept_audited_and_shown_to_the_lead(api, team, db):
    note = team.notes["becky_shared"]
    answer = api(
        "POST",
        f"/coaching/notes/{note}/replies",
        "member",
        json={"body": "  Thanks! The customer was ann@example.com, I'll follow up.  "},
    )
    assert answer.status_code == 201, answer.text
    kept = "Thanks! The customer was [EMAIL], I'll follow up."
    assert answer.json()["body"] == kept and answer.json()["redacted"] == 1
    assert answer.json()["noteId"] == note and answer.json()["author"] == "UBECKY"
    assert replies(db) == [(note, "UBECKY", kept)]
    assert actions(db, note) == ["note.create", "note.reply"]
    api("POST", f"/coaching/notes/{note}/replies", "member", json={"body": "Second thought."})
    record = api("GET", "/coaching", "owner", params={"agent": "Becky"}).json()
    shown = next(n for n in record["notes"] if n["id"] == note)
    assert [r["body"] for r in shown["replies"]] == [kept, "Second thought."]
    assert shown["seenAt"] is not None  # answering it means the agent saw it


@pytest.mark.parametrize(
    "body, says",
    [
        ("", "Write something"),
        ("   \u200b\u200b  ", "Write something"),
        ("x" * 1001, "1000"),
        ("bad \x00 byte", "body"),
        (42, "body"),
        (None, "body"),
    ],
)
def test_a_bad_reply_is_refused_and_nothing_is_kept(api, team, db, body, says):
    answer = api(
        "POST",
        f"/coaching/notes/{team.notes['becky_shared']}/replies",
        "member",
        json={"body": body},
    )
    assert answer.status_code == 422 and says in answer.json()["error"], answer.text
    assert replies(db) == []


def test_the_agent_cannot_act_on_notes_not_shared_archived_or_not_theirs(api, team, session, db):
    private = team.notes["becky_private"]
    for path in (f"/coaching/notes/{private}/acknowledge", f"/coaching/notes/{private}/replies"):
        answer = api("POST", path, "member", json={"body": "Hi"})
        assert answer.status_code == 404 and "Private" not in answer.text
    other = team.notes["sarah"]
    answer = api("POST", f"/coaching/notes/{other}/replies", "member", json={"body": "Hi"})
    assert answer.status_code == 403 and "Sarah" not in answer.text
    archive_note(
        session=session, actor=f.viewer(session, "UOWNER"), note_id=team.notes["becky_shared"]
    )
    session.commit()
    answer = api("POST", f"/coaching/notes/{team.notes['becky_shared']}/acknowledge", "member")
    assert answer.status_code == 404
    assert replies(db) == []
    with session_scope(db) as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Note).where(Note.acknowledged_at.is_not(None))
            )
            == 0
        )


def test_reading_their_record_marks_the_shared_notes_seen_but_a_lead_reading_does_not(
    api, team, db
):
    note = team.notes["becky_shared"]
    api("GET", "/coaching", "owner", params={"agent": "Becky"})
    with session_scope(db) as s:
        assert s.scalar(select(Note.seen_at).where(Note.id == note)) is None
    first = api("GET", "/coaching", "member", params={"agent": "Becky"}).json()["notes"]
    assert first[0]["seenAt"] is None  # the answer is what was there before this read
    again = api("GET", "/coaching", "member", params={"agent": "Becky"}).json()["notes"]
    assert again[0]["seenAt"] is not None
    with session_scope(db) as s:
        assert s.scalar(select(Note.seen_at).where(Note.id == team.notes["becky_private"])) is None


# --- the domain -------------------------------------------------------------------------------


def test_times_are_the_first_and_a_lead_or_another_member_gets_nothing(session, team):
    becky = f.viewer(session, "UBECKY")
    note = team.notes["becky_shared"]
    with freeze_time(T0):
        assert mark_seen(session=session, viewer=becky, note_ids=[note]) == 1
    with freeze_time(T0.replace(hour=10)):
        assert mark_seen(session=session, viewer=becky, note_ids=[note]) == 0
        acknowledged = acknowledge_note(session=session, actor=becky, note_id=note)
    session.refresh(acknowledged)
    assert acknowledged.seen_at == T0
    assert acknowledged.acknowledged_at == T0.replace(hour=10)
    owner = f.viewer(session, "UOWNER")
    assert mark_seen(session=session, viewer=owner, note_ids=[note]) == 0
    with pytest.raises(OutOfScope):
        acknowledge_note(session=session, actor=owner, note_id=note)
    with pytest.raises(OutOfScope):
        reply_to_note(session=session, actor=owner, note_id=note, body="As the agent")
    with pytest.raises(NotFound):
        reply_to_note(session=session, actor=becky, note_id=10**9, body="Hi")
    with pytest.raises(InvalidInput):
        reply_to_note(session=session, actor=becky, note_id=note, body="\u202e")


def test_a_repeated_idempotency_key_keeps_one_reply(session, team):
    becky = f.viewer(session, "UBECKY")
    note = team.notes["becky_shared"]
    one = reply_to_note(
        session=session, actor=becky, note_id=note, body="On it.", idempotency_key="k1"
    )
    two = reply_to_note(
        session=session, actor=becky, note_id=note, body="On it.", idempotency_key="k1"
    )
    assert one.id == two.id
    assert session.scalar(select(func.count()).select_from(NoteReply)) == 1


def test_the_shared_note_goes_to_the_members_linked_to_the_agent(session, team):
    assert agent_recipients(session, team.agents["becky"]) == ["UBECKY"]
    assert agent_recipients(session, team.agents["sarah"]) == []  # Sarah has no member


def test_the_coach_record_carries_seen_acknowledged_and_replies_in_order(session, team):
    becky = f.viewer(session, "UBECKY")
    note = team.notes["becky_shared"]
    with freeze_time(T0):
        reply_to_note(session=session, actor=becky, note_id=note, body="First.")
    with freeze_time(T0.replace(hour=11)):
        reply_to_note(session=session, actor=becky, note_id=note, body="Second.")
        acknowledge_note(session=session, actor=becky, note_id=note)
    session.commit()
    record = load_coach_record(
        session=session, viewer=f.viewer(session, "UOWNER"), agent_id=team.agents["becky"]
    )
    shown = next(n for n in record.notes if n.id == note)
    assert [(r.author, r.body, r.created_at) for r in shown.replies] == [
        ("UBECKY", "First.", T0),
        ("UBECKY", "Second.", T0.replace(hour=11)),
    ]
    assert (shown.seen_at, shown.acknowledged_at) == (T0, T0.replace(hour=11))
    private = next(n for n in record.notes if n.id == team.notes["becky_private"])
    assert (private.seen_at, private.acknowledged_at, private.replies) == (None, None, ())


def test_export_holds_the_replies_and_erase_removes_them_with_their_dms(session, team):
    becky = f.viewer(session, "UBECKY")
    note = team.notes["becky_shared"]
    reply = reply_to_note(session=session, actor=becky, note_id=note, body="Will do.")
    for kind, subject, to in (
        (DeliveryKind.SHARED_NOTE, str(note), "UBECKY"),
        (DeliveryKind.NOTE_REPLY, str(reply.id), "UOWNER"),
    ):
        session.add(Delivery(kind=kind.value, subject=subject, recipient=to))
    session.commit()
    exported = export_agent(session=session, name="Becky Jones")
    shared = next(n for n in exported["notes"] if n["id"] == note)
    assert [r["body"] for r in shared["replies"]] == ["Will do."]
    erase_agent(session=session, name="Becky Jones", by="UOWNER")
    session.commit()
    assert session.scalar(select(func.count()).select_from(NoteReply)) == 0
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_stored_replies_are_redacted_with_the_notes(session, team):
    note = session.get(Note, team.notes["becky_shared"])
    session.add(NoteReply(note_id=note.id, author="UBECKY", body="Call me on +44 20 7946 0958"))
    session.commit()
    report = redact_stored_notes(session=session, actor="test")
    session.commit()
    assert report.replies == 1
    assert session.scalar(select(NoteReply.body)) == "Call me on [PHONE]"


def test_the_agent_opening_their_record_with_coach_has_seen_its_notes(slack, team, db):
    note = team.notes["becky_shared"]
    slack.command("UOWNER", "becky")  # a lead looking changes nothing
    with session_scope(db) as s:
        assert s.scalar(select(Note.seen_at).where(Note.id == note)) is None
    assert slack.command("UBECKY", "becky").status_code == 200
    with session_scope(db) as s:
        assert s.scalar(select(Note.seen_at).where(Note.id == note)) is not None
        assert s.scalar(select(Note.seen_at).where(Note.id == team.notes["becky_private"])) is None


def test_of_two_acknowledgements_at_once_the_first_time_stays_and_is_audited_once(team, db):
    note = team.notes["becky_shared"]
    with session_scope(db) as late:
        becky = f.viewer(late, "UBECKY")
        stale = late.get(Note, note)  # read before the other click lands
        assert stale is not None and stale.acknowledged_at is None
        with freeze_time(T0), session_scope(db) as first:
            acknowledge_note(session=first, actor=becky, note_id=note)
        with freeze_time(T0.replace(hour=11)):
            kept = acknowledge_note(session=late, actor=becky, note_id=note)
        assert kept.acknowledged_at == T0
    assert actions(db, note) == ["note.create", "note.acknowledge"]


def test_a_rest_reply_retried_with_its_idempotency_key_is_kept_and_dmed_once(api, team, db):
    path = f"/coaching/notes/{team.notes['becky_shared']}/replies"
    sent = {"json": {"body": "On it."}, "headers": {"Idempotency-Key": "retry-1"}}
    first, again = api("POST", path, "member", **sent), api("POST", path, "member", **sent)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert replies(db) == [(team.notes["becky_shared"], "UBECKY", "On it.")]
    assert actions(db, team.notes["becky_shared"]).count("note.reply") == 1
    other = api("POST", path, "member", json={"body": "On it."}, headers={"Idempotency-Key": "2"})
    assert other.json()["id"] != first.json()["id"]  # another key is another reply


@pytest.mark.parametrize("key", ["", "has space", "x" * 151, "é".encode(), "a\tb"])
def test_a_bad_idempotency_key_is_422_and_nothing_is_kept(api, team, db, key):
    path = f"/coaching/notes/{team.notes['becky_shared']}/replies"
    answer = api("POST", path, "member", json={"body": "Hi"}, headers={"Idempotency-Key": key})
    assert answer.status_code == 422, answer.text
    assert replies(db) == []
