"""The coaching REST API (SPEC §5): answers, validation and audit (pinning, one record with
Slack and limits: test_rest_service.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app.services import Services
from bot.app.web import create_web_app
from bot.core.db import session_scope
from bot.core.settings import Settings
from models import AuditEntry, Note
from tests import factories as f
from tests.rest_support import DAY_MS, Api, Team, make_team, note_body, now_ms


@pytest.fixture()
def team(session) -> Team:
    return make_team(session)


@pytest.fixture()
def api(settings: Settings, team: Team) -> Iterator[Api]:
    with TestClient(create_web_app(Services(settings), None)) as http:
        yield Api(http, team.tokens)


def audit(db: str, entity_id: int, entity: str = "note") -> list[AuditEntry]:
    with session_scope(db) as s:
        return list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
                .order_by(AuditEntry.id)
            )
        )


# --- reading -------------------------------------------------------------------------------


def test_get_coaching_returns_the_record_worst_samples_first_newest_notes_first(api, team):
    answer = api("GET", "/coaching", params={"agent": "sarah connor"})
    assert answer.status_code == 200
    record = answer.json()
    assert record["agent"] == {
        "id": team.agents["sarah"],
        "name": "Sarah Connor",
        "email": None,
        "slackUserId": "USARAHAGENT",
        "lead": "UOWNER",
        "active": True,
    }
    assert [s["csat"] for s in record["samples"]] == [1.0, 2.0, 3.0]
    sample = record["samples"][0]
    assert set(sample) == {
        "id", "agent", "helpdesk", "externalId", "url", "csat", "closedAt", "summary", "source"
    }  # fmt: skip
    assert sample["agent"] == "Sarah Connor" and sample["source"] == "auto"
    assert isinstance(sample["closedAt"], int) and 0 < now_ms() - sample["closedAt"] < 365 * DAY_MS
    api("POST", "/coaching/notes", json={"agent": "Sarah Connor", "body": "Newest."})
    notes = api("GET", "/coaching", params={"agent": "Sarah Connor"}).json()["notes"]
    assert [n["body"] for n in notes] == ["Newest.", "Sarah: slow down on refunds."]
    assert set(notes[0]) == {
        "id", "agent", "author", "body", "sampleId", "sharedWithAgent", "followUpAt",
        "followUpDoneAt", "createdAt", "updatedAt", "seenAt", "acknowledgedAt", "replies",
    }  # fmt: skip


def test_get_coaching_lists_every_live_note_and_at_most_twenty_samples(api, team, session):
    owner = f.viewer(session, "UOWNER")
    for i in range(25):
        f.sample(session, team.agents["lee"], csat=5.0 - i * 0.1)
        f.note(session, owner, team.agents["lee"], body=f"note {i}")
    session.commit()
    record = api("GET", "/coaching", params={"agent": "Sarah Lee"}).json()
    assert len(record["samples"]) == 20 and len(record["notes"]) == 25


def test_agent_by_mention_first_name_and_prefix(api, team):
    assert api("GET", "/coaching", params={"agent": "<@USARAHAGENT>"}).status_code == 200
    assert api("GET", "/coaching", params={"agent": "becky"}).json()["agent"]["name"] == (
        "Becky Jones"
    )
    assert api("GET", "/coaching", params={"agent": "Bec"}).status_code == 200


def test_member_reads_only_shared_notes_of_their_own_record(api, team):
    record = api("GET", "/coaching", "member", params={"agent": "Becky Jones"}).json()
    assert [n["body"] for n in record["notes"]] == ["Great save on the refund call!"]


def test_ambiguous_name_is_409_listing_the_candidates(api, team):
    answer = api("GET", "/coaching", params={"agent": "sarah"})
    assert answer.status_code == 409
    assert sorted(answer.json()["candidates"]) == ["Sarah Connor", "Sarah Lee"]
    assert "matches 2 agents" in answer.json()["error"]
    posted = api("POST", "/coaching/notes", json={"agent": "sarah", "body": "x"})
    assert posted.status_code == 409 and "candidates" in posted.json()


def test_unknown_agent_and_note_are_404(api, team):
    assert api("GET", "/coaching", params={"agent": "Nobody"}).status_code == 404
    assert api("POST", "/coaching/notes", json={"agent": "Nobody", "body": "x"}).status_code == 404
    assert api("PATCH", "/coaching/notes/99999", json={"body": "x"}).status_code == 404
    assert api("DELETE", "/coaching/notes/99999").status_code == 404
    assert "error" in api("DELETE", "/coaching/notes/99999").json()


# --- writing -------------------------------------------------------------------------------


def test_create_note_defaults_and_epoch_millisecond_times(api, team):
    follow = now_ms() + 3 * DAY_MS
    answer = api(
        "POST",
        "/coaching/notes",
        json={
            "agent": "Sarah Connor",
            "body": "  Role-play the refund call.  ",
            "sampleId": team.samples["sarah1"],
            "followUpAt": follow,
        },
    )
    assert answer.status_code == 201
    note = answer.json()
    assert note["agent"] == "Sarah Connor" and note["author"] == "UOWNER"
    assert note["body"] == "Role-play the refund call."
    assert note["sharedWithAgent"] is False and note["followUpDoneAt"] is None
    assert note["followUpAt"] == follow and note["sampleId"] == team.samples["sarah1"]
    assert abs(note["createdAt"] - now_ms()) < 60_000 and note["updatedAt"] == note["createdAt"]


def test_patch_changes_clears_follow_up_and_shares(api, team, db):
    note_id = team.notes["sarah"]
    with session_scope(db) as s:  # written a day ago, so an edit visibly moves updatedAt
        written = s.get(Note, note_id)
        assert written is not None
        written.created_at = written.updated_at = datetime.now(UTC) - timedelta(days=1)
    follow = now_ms() + DAY_MS
    changed = api("PATCH", f"/coaching/notes/{note_id}", json={"followUpAt": follow})
    assert changed.status_code == 200 and changed.json()["followUpAt"] == follow
    cleared = api("PATCH", f"/coaching/notes/{note_id}", json={"followUpAt": None}).json()
    assert cleared["followUpAt"] is None and cleared["body"] == "Sarah: slow down on refunds."
    shared = api("PATCH", f"/coaching/notes/{note_id}", json={"sharedWithAgent": True}).json()
    assert shared["sharedWithAgent"] is True
    edited = api("PATCH", f"/coaching/notes/{note_id}", json={"body": "Better."}).json()
    assert edited["body"] == "Better." and edited["updatedAt"] > edited["createdAt"] + DAY_MS // 2
    assert abs(edited["updatedAt"] - now_ms()) < 60_000


def test_delete_archives_the_note_which_is_then_404(api, team, db):
    note_id = team.notes["sarah"]
    answer = api("DELETE", f"/coaching/notes/{note_id}")
    assert answer.status_code == 204 and answer.content == b""
    assert api("PATCH", f"/coaching/notes/{note_id}", json={"body": "x"}).status_code == 404
    assert api("DELETE", f"/coaching/notes/{note_id}").status_code == 404
    notes = api("GET", "/coaching", params={"agent": "Sarah Connor"}).json()["notes"]
    assert note_id not in [n["id"] for n in notes]
    with session_scope(db) as s:
        kept = s.get(Note, note_id)
        assert kept is not None and kept.archived_at is not None


def test_every_rest_write_lands_in_the_audit_trail(api, team, db):
    note = api("POST", "/coaching/notes", json={"agent": "Becky", "body": "First."}).json()
    api("PATCH", f"/coaching/notes/{note['id']}", "admin", json={"body": "Second."})
    api("PATCH", f"/coaching/notes/{note['id']}", json={"sharedWithAgent": True})
    api("DELETE", f"/coaching/notes/{note['id']}", "admin")
    entries = audit(db, note["id"])
    assert [(e.action, e.actor) for e in entries] == [
        ("note.create", "UOWNER"),
        ("note.edit", "UADMIN"),
        ("note.share", "UOWNER"),
        ("note.archive", "UADMIN"),
    ]
    create, edit, share, archive = entries
    assert create.before is None and create.after is not None and create.after["body"] == "First."
    assert edit.before is not None and edit.before["body"] == "First."
    assert edit.after is not None and edit.after["body"] == "Second."
    assert share.after is not None and share.after["shared_with_agent"] is True
    assert archive.after is not None and archive.after["archived_at"] is not None
    assert all(e.at is not None for e in entries)


def test_a_no_change_patch_writes_no_audit_entry(api, team, db):
    note_id = team.notes["sarah"]
    before = len(audit(db, note_id))
    body = api("GET", "/coaching", params={"agent": "Sarah Connor"}).json()["notes"][0]["body"]
    assert api("PATCH", f"/coaching/notes/{note_id}", json={"body": body}).status_code == 200
    assert len(audit(db, note_id)) == before


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (note_body(body="   "), "body"),
        (note_body(body="x" * 3001), "3000"),
        (note_body(followUpAt="2030-01-01"), "followUpAt"),
        (note_body(followUpAt=1.5), "followUpAt"),
        (note_body(followUpAt="1893456000000"), "followUpAt"),
        (note_body(followUpAt=True), "followUpAt"),
        (note_body(followUpAt=1_000), "past"),
        (note_body(followUpAt=-5), "followUpAt"),
        (note_body(followUpAt=10**20), "followUpAt"),
        (note_body(colour="red"), "colour"),
        (note_body(sharedWithAgent="yes"), "sharedWithAgent"),
        (note_body(sharedWithAgent=None), "sharedWithAgent"),
        (note_body(sampleId="1"), "sampleId"),
        (note_body(sampleId=2**40), "sampleId"),
        (note_body(body="nul \x00 byte"), "body"),
        (note_body(body="lone \ud800 surrogate"), "body"),
        (note_body(agent=""), "agent"),
        ({"body": "no agent"}, "agent"),
        ([1, 2], "JSON object"),
        ("just a string", "JSON object"),
    ],
)
def test_bad_note_bodies_are_422_with_an_error(api, team, body, words):
    answer = api(
        "POST",
        "/coaching/notes",
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert set(answer.json()) == {"error"} and words in answer.json()["error"]


def test_a_sample_of_another_agent_is_422(api, team):
    answer = api("POST", "/coaching/notes", json=note_body(sampleId=team.samples["becky"]))
    assert answer.status_code == 422 and "sampleId" in answer.json()["error"]


def test_no_body_and_bad_json_are_422(api, team):
    headers = {"Content-Type": "application/json"}
    assert api("POST", "/coaching/notes").status_code == 422
    broken = api("POST", "/coaching/notes", content=b"{not json", headers=headers)
    assert broken.status_code == 422 and broken.json() == {"error": "The body is not valid JSON."}


HOSTILE_BODIES = {
    "deeply nested JSON": (b"[" * 100_000 + b"]" * 100_000, 422),
    "nested objects": (b'{"agent":' * 5_000 + b"1" + b"}" * 5_000, 422),
    "invalid UTF-8": (b'{"agent": "Sarah\xff\xfe", "body": "x"}', 422),
    "a JSON array": (b'[{"agent": "Sarah Connor", "body": "x"}]', 422),
    "a NUL in the body": (b'{"agent": "Sarah Connor", "body": "a\\u0000b"}', 422),
    "a lone surrogate": (b'{"agent": "Sarah Connor", "body": "a\\ud800b"}', 422),
    "zero-width only": (b'{"agent": "Sarah Connor", "body": "\\u200b\\ufeff"}', 422),
    "over a megabyte": (b'{"agent": "Sarah Connor", "body": "' + b"x" * 1_000_001 + b'"}', 413),
}


@pytest.mark.parametrize("kind", list(HOSTILE_BODIES))
@pytest.mark.parametrize(("method", "path"), [("POST", "/coaching/notes"),
                                              ("PATCH", "/coaching/notes/1"),
                                              ("POST", "/coaching/samples")])  # fmt: skip
def test_hostile_bodies_are_refused_never_a_500(api, team, kind, method, path):
    body, status = HOSTILE_BODIES[kind]
    answer = api(method, path, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    assert set(answer.json()) == {"error"} and answer.json()["error"]


def test_a_streamed_body_over_a_megabyte_is_a_413(api, team):
    def chunks():
        for _ in range(20):
            yield b"x" * 65_536

    answer = api(
        "POST", "/coaching/notes", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413 and "larger than 1000000 bytes" in answer.json()["error"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({}, "at least one"),
        ({"body": None}, "body"),
        ({"sharedWithAgent": None}, "sharedWithAgent"),
        ({"body": ""}, "body"),
        ({"followUpAt": 1}, "past"),
        ({"sampleId": 1}, "sampleId"),
        ({"agent": "Becky"}, "agent"),
    ],
)
def test_bad_patches_are_422(api, team, db, change, words):
    note_id = team.notes["sarah"]
    before = len(audit(db, note_id))
    answer = api("PATCH", f"/coaching/notes/{note_id}", json=change)
    assert answer.status_code == 422 and words in answer.json()["error"]
    assert len(audit(db, note_id)) == before


def test_bad_paths_and_queries_are_422(api, team):
    assert api("PATCH", "/coaching/notes/abc", json={"body": "x"}).status_code == 422
    assert api("DELETE", "/coaching/notes/0").status_code == 422
    assert api("DELETE", f"/coaching/notes/{2**63}").status_code == 422
    assert api("GET", "/coaching").json() == {"error": "agent: Field required"}
    assert api("GET", "/coaching", params={"agent": "a\x00b"}).status_code == 422
    assert api("GET", "/coaching", params={"agent": "x" * 201}).status_code == 422


def test_an_unchanged_past_follow_up_can_stay_while_the_body_changes(api, team, session, db):
    with session_scope(db) as s:
        note = s.get(Note, team.notes["sarah"])
        assert note is not None
        note.follow_up_at = datetime.now(UTC) - timedelta(days=3)
    answer = api("PATCH", f"/coaching/notes/{team.notes['sarah']}", json={"body": "Still due."})
    assert answer.status_code == 200 and answer.json()["followUpAt"] < now_ms()
