"""Notes keep no customer data: redacted on save in Slack and over REST, shown back to the lead
first in Slack, with the sample's own customer found in its import; old notes by a command."""

from __future__ import annotations

import json
from functools import partial

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from blocks.ids import BlockId
from bot.app.services import Services
from bot.app.web import create_web_app
from bot.cli import main
from bot.coaching.notes import create_note, edit_note, redact_stored_notes
from bot.core.db import session_scope
from bot.ingest.importer import import_file
from bot.people.tokens import create_token
from models import AuditEntry, Conversation, Note, Sample
from tests import factories as f
from tests.test_import import row, write_csv

TYPED = (
    "Jane wrote from jane.roe@example.com about card 4111 1111 1111 1111 and asked for a call "
    "on +1 415 555 0134; refund to GB82 WEST 1234 5698 7654 32. Sarah handled it well."
)
KEPT = (
    "Jane wrote from [EMAIL] about card [CARD] and asked for a call on [PHONE]; refund to "
    "[IBAN]. Sarah handled it well."
)


@pytest.fixture()
def team(session):
    f.member(session, "ULEAD", "owner")
    sarah = f.agent(session, "Sarah Connor", lead="ULEAD")
    session.commit()
    return {"lead": f.viewer(session, "ULEAD"), "sarah": sarah.id}


def test_a_note_is_redacted_on_save_but_keeps_the_agents_and_other_names(session, team):
    note = create_note(session=session, actor=team["lead"], agent_id=team["sarah"], body=TYPED)
    assert note.body == KEPT  # "Jane" is no known customer here: person names stay in notes
    edited = edit_note(session=session, actor=team["lead"], note_id=note.id,
                       body="Also SSN 123-45-6789 came up.")  # fmt: skip
    assert edited.body == "Also SSN [ID] came up."
    session.flush()
    bodies = [json.dumps([e.before, e.after]) for e in session.scalars(select(AuditEntry))]
    assert not any("jane.roe" in b or "4111" in b or "123-45" in b for b in bodies)


@pytest.fixture()
def sampled(db, session, team, tmp_path):
    """A conversation imported with its customer (Jane Roe), kept as one of Sarah's samples."""
    path = write_csv(tmp_path / "a.csv", [row("77", agent="Sarah Connor", customer_name="Jane Roe",
                                                 customer_email="jane.roe@example.com")])  # fmt: skip
    import_file(session_factory=partial(session_scope, db), path=path)
    sample = f.sample(session, team["sarah"], helpdesk="zendesk")
    sample.external_id = "77"
    session.commit()
    return sample.id


def test_the_customer_of_the_sample_is_redacted_by_name(session, team, sampled):
    body = "Jane Roe (jroe@other.example) was upset; Roe said Sarah was curt. Ask Jane Smith."
    note = create_note(session=session, actor=team["lead"], agent_id=team["sarah"], body=body,
                       sample_id=sampled)  # fmt: skip
    assert note.body == "[NAME] ([EMAIL]) was upset; [NAME] said Sarah was curt. Ask [NAME] Smith."
    assert session.scalar(select(Conversation.external_id)) == "77"


def test_a_customer_name_part_that_is_the_agents_stays(db, session, team, tmp_path):
    path = write_csv(
        tmp_path / "b.csv", [row("78", agent="Sarah Connor", customer_name="Sarah Lee")]
    )
    import_file(session_factory=partial(session_scope, db), path=path)
    sample = f.sample(session, team["sarah"])
    sample.external_id = "78"
    session.flush()
    note = create_note(session=session, actor=team["lead"], agent_id=team["sarah"],
                       body="Sarah apologised to Sarah Lee; Lee calmed down.", sample_id=sample.id)  # fmt: skip
    assert note.body == "Sarah apologised to [NAME]; [NAME] calmed down."


def test_rest_returns_the_redacted_body_and_how_many_went(settings, session, team):
    token = create_token(session=session, actor="t", slack_user_id="ULEAD").secret
    session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_web_app(Services(settings), None)) as http:
        made = http.post("/coaching/notes", headers=auth,
                         json={"agent": "Sarah Connor", "body": TYPED})  # fmt: skip
        assert made.status_code == 201
        assert made.json()["body"] == KEPT and made.json()["redacted"] == 4
        changed = http.patch(f"/coaching/notes/{made.json()['id']}", headers=auth,
                             json={"body": "Call [PHONE] or 020 7946 0958."})  # fmt: skip
        assert (
            changed.json()["body"] == "Call [PHONE] or [PHONE]." and changed.json()["redacted"] == 1
        )
        shared = http.patch(f"/coaching/notes/{made.json()['id']}", headers=auth,
                            json={"sharedWithAgent": True})  # fmt: skip
        assert shared.json()["redacted"] == 0
        read = http.get("/coaching", params={"agent": "Sarah"}, headers=auth).json()
    assert [n["body"] for n in read["notes"]] == ["Call [PHONE] or [PHONE]."]
    assert "redacted" not in read["notes"][0]


def test_slack_shows_the_redacted_note_back_before_keeping_it(slack, fake_slack, session, team):
    fake_slack.add_user("ULEAD")
    slack.command("ULEAD", "Sarah Connor")
    view = fake_slack.views[fake_slack.calls_to("views.open")[0].response["view"]["id"]]
    first = slack.submit("ULEAD", view, body=TYPED, share=True)
    assert first.json()["response_action"] == "update"
    session.expire_all()
    assert session.scalars(select(Note)).all() == []  # nothing kept yet
    shown = fake_slack.views[view["id"]]
    text = json.dumps(shown["blocks"])
    assert "took 4 private details out of the note ([EMAIL], [CARD], [PHONE], [IBAN])" in text
    [body] = [b for b in shown["blocks"] if b.get("block_id", "").startswith(f"{BlockId.BODY}.")]
    assert body["element"]["initial_value"] == KEPT
    share = next(
        b for b in shown["blocks"] if b.get("block_id", "").startswith(f"{BlockId.SHARE}.")
    )
    assert share["element"]["initial_options"]  # what was picked stays picked
    second = slack.submit("ULEAD", shown, body=KEPT, share=True)  # saved as shown
    assert second.json()["response_action"] == "update"
    session.expire_all()
    [note] = session.scalars(select(Note)).all()
    assert note.body == KEPT and note.shared_with_agent


def test_slack_shows_an_edit_back_before_keeping_it(slack, fake_slack, session, team):
    fake_slack.add_user("ULEAD")
    note = f.note(session, team["lead"], team["sarah"], body="Fine so far.")
    session.commit()
    slack.command("ULEAD", "Sarah Connor")
    root = fake_slack.views[fake_slack.calls_to("views.open")[0].response["view"]["id"]]
    slack.click("ULEAD", "note_edit", str(note.id), view=root)
    form = fake_slack.views[fake_slack.calls_to("views.push")[0].response["view"]["id"]]
    answer = slack.submit("ULEAD", form, body="Mail jane@example.com today.")
    assert answer.json()["response_action"] == "update"
    shown = fake_slack.views[form["id"]]
    [body] = [b for b in shown["blocks"] if b.get("block_id", "") == f"{BlockId.BODY}.1"]
    assert body["element"]["initial_value"] == "Mail [EMAIL] today."
    session.expire_all()
    assert session.get(Note, note.id).body == "Fine so far."
    slack.submit("ULEAD", shown, body="Mail [EMAIL] today.")
    session.expire_all()
    assert session.get(Note, note.id).body == "Mail [EMAIL] today."


def test_notes_kept_before_are_redacted_by_a_command_with_an_audit_entry(db, session, team,
                                                                          monkeypatch, tmp_path):  # fmt: skip
    old = Note(agent_id=team["sarah"], author="ULEAD", body=TYPED)
    session.add(old)
    session.flush()
    session.add(AuditEntry(actor="ULEAD", action="note.create", entity="note", entity_id=old.id,
                           after={"body": TYPED, "sample_id": None}))  # fmt: skip
    session.add(Note(agent_id=team["sarah"], author="ULEAD", body="Nothing private."))
    session.commit()
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["notes", "redact"])
    assert result.exit_code == 0, result.output
    assert (
        "took 4 private details out of 1 notes (and 1 audit entries); 1 notes had none"
        in result.output
    )
    session.expire_all()
    assert session.get(Note, old.id).body == KEPT
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "note").order_by(AuditEntry.id)
    ).all()
    assert entries[0].after == {"body": KEPT, "sample_id": None}
    assert entries[-1].action == "note.redact"
    assert entries[-1].after == {
        "redacted": 4,
        "labels": ["[CARD]", "[EMAIL]", "[IBAN]", "[PHONE]"],
    }
    again = redact_stored_notes(session=session, actor="test")
    assert (again.notes, again.audit_entries, again.labels) == (0, 0, 0)
    assert session.scalar(select(Sample.id)) is None


def zendesk(httpserver, *, down: bool = False) -> None:
    """A Zendesk that knows ticket 4512's customer (Ana Silva), or answers 500."""
    if down:
        httpserver.expect_request("/api/v2/tickets/4512.json").respond_with_data("", status=500)
        return
    ana = {"id": 1, "name": "Ana Silva", "email": "ana@example.com", "role": "end-user"}
    httpserver.expect_request("/api/v2/tickets/4512.json").respond_with_json(
        {"ticket": {"id": 4512, "requester_id": 1, "subject": "Refund"}}
    )
    httpserver.expect_request("/api/v2/users/show_many.json").respond_with_json({"users": [ana]})
    httpserver.expect_request("/api/v2/users/1.json").respond_with_json({"user": ana})
    httpserver.expect_request("/api/v2/tickets/4512/comments.json").respond_with_json(
        {"comments": [{"author_id": 1, "public": True, "plain_body": "Ana here, no refund yet."}],
         "next_page": None}
    )  # fmt: skip


@pytest.fixture()
def synced(settings, session, team, httpserver):
    """Settings with Zendesk set up, and a sample of a ticket synced from it (no import)."""
    sample = f.sample(session, team["sarah"], helpdesk="zendesk")
    sample.external_id = "4512"
    session.add(Conversation(helpdesk="zendesk", external_id="4512", agent_id=team["sarah"],
                             closed_at=sample.closed_at, csat=1.0))  # fmt: skip
    session.commit()
    connected = settings.model_copy(update={"zendesk_base_url": httpserver.url_for("").rstrip("/"),
                                            "zendesk_email": "a@b.c", "zendesk_token": "t"})  # fmt: skip
    return connected, sample.id


def test_the_customer_of_a_synced_sample_is_asked_of_its_helpdesk(session, team, synced,
                                                                   httpserver):  # fmt: skip
    connected, sample_id = synced
    zendesk(httpserver)
    token = create_token(session=session, actor="t", slack_user_id="ULEAD").secret
    session.commit()
    with TestClient(create_web_app(Services(connected), None)) as http:
        made = http.post("/coaching/notes", headers={"Authorization": f"Bearer {token}"},
                         json={"agent": "Sarah Connor", "sampleId": sample_id,
                               "body": "Ana Silva (ana@example.com) waited; Silva was calm."})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["body"] == "[NAME] ([EMAIL]) waited; [NAME] was calm."


def test_a_helpdesk_that_cant_say_who_the_customer_is_keeps_the_note_out(session, team, synced,
                                                                         httpserver):  # fmt: skip
    connected, sample_id = synced
    zendesk(httpserver, down=True)
    token = create_token(session=session, actor="t", slack_user_id="ULEAD").secret
    session.commit()
    with TestClient(create_web_app(Services(connected), None)) as http:
        made = http.post("/coaching/notes", headers={"Authorization": f"Bearer {token}"},
                         json={"agent": "Sarah Connor", "sampleId": sample_id, "body": "Ana waited."})  # fmt: skip
    assert made.status_code == 422
    assert "couldn't ask zendesk who the customer of that conversation is" in made.json()["error"]
    session.expire_all()
    assert session.scalars(select(Note)).all() == []
