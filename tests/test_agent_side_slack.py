"""The agent's side of a shared note in Slack (issue 17): Acknowledge and Reply from the DM and
the App Home, the Reply form's checks, the reply DMed to the author, what the lead sees in the
Coach modal, and every new action refused to anyone but the note's agent, nothing written."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select, update

from blocks.coach_modal import coach_modal
from blocks.ids import ActionId, BlockId, CallbackId
from bot.app.slack import slack_client
from bot.coaching.notes import archive_note, create_note
from bot.coaching.record import NoteView, ReplyView, open_coach_record
from bot.coaching.shared_dms import send_agent_side
from bot.core.db import session_scope
from handlers.notifier import SlackAgentSideNotifier
from models import AuditEntry, Note, NoteReply
from models.base import utcnow
from tests import factories as f
from tests.slack_conformance import view_problems

FORGED = "v0=" + "0" * 64


@pytest.fixture()
def team(session, fake_slack):
    f.member(session, "ULEAD", "owner")
    sarah = f.agent(session, "Sarah Connor", lead="ULEAD", slack_user="UAGENT")
    f.member(session, "UAGENT", "member", agent="Sarah Connor")
    f.agent(session, "Kyle Reese", slack_user="UKYLE")
    f.member(session, "UKYLE", "member", agent="Kyle Reese")
    sample = f.sample(session, sarah.id)
    session.commit()
    for user in ("ULEAD", "UAGENT", "UKYLE", "USTRANGER"):
        fake_slack.add_user(user)
    return {"lead": f.viewer(session, "ULEAD"), "sarah": sarah.id, "sample": sample.id}


def share(db, team, body="Let's role-play the refund call in our 1:1.", **kw) -> int:
    with session_scope(db) as s:
        note = create_note(
            session=s,
            actor=team["lead"],
            agent_id=team["sarah"],
            body=body,
            shared_with_agent=True,
            **kw,
        )
        return note.id


def deliver(settings, fake_slack) -> Any:
    """Send the DMs due; the last DM to the agent."""
    send_agent_side(
        session_factory=partial(session_scope, settings.database_url),
        notifier=SlackAgentSideNotifier(slack_client(settings, fake_slack.token)),
    )
    return dms(fake_slack, "DAGENT")[-1]


def dms(fake_slack, channel):
    return [
        c
        for c in fake_slack.calls_to("chat.postMessage")
        if c.response.get("ok") and c.response["channel"] == channel
    ]


def click_in_dm(slack, fake_slack, user, action_id, note_id, dm, **kw):
    return slack.payload({
        "type": "block_actions", "user": {"id": user, "team_id": "T1"}, "team": {"id": "T1"},
        "api_app_id": "A1", "trigger_id": fake_slack.issue_trigger(),
        "response_url": fake_slack.response_url(),
        "container": {"type": "message", "channel_id": dm.response["channel"],
                      "message_ts": dm.response["ts"]},
        "channel": {"id": dm.response["channel"]},
        "message": {"text": dm.args["text"], "blocks": dm.args["blocks"], "ts": dm.response["ts"]},
        "actions": [{"action_id": action_id, "value": str(note_id), "type": "button",
                     "block_id": BlockId.SHARED_NOTE_ACTIONS, "action_ts": str(time.time())}],
    }, **kw)  # fmt: skip


def submit_reply(slack, fake_slack, user, view, text, **kw):
    values = {
        BlockId.REPLY_BODY: {ActionId.REPLY_BODY: {"type": "plain_text_input", "value": text}}
    }
    answer = slack.payload({
        "type": "view_submission", "user": {"id": user, "team_id": "T1"}, "team": {"id": "T1"},
        "api_app_id": "A1", "trigger_id": fake_slack.issue_trigger(view["id"]),
        "view": {**view, "state": {"values": values}},
    }, **kw)  # fmt: skip
    if answer.status_code == 200:
        fake_slack.apply_submission_answer(view["id"], answer.json() if answer.content else {})
    return answer


def open_home(slack, fake_slack, user) -> dict[str, Any]:
    event = {
        "type": "event_callback", "team_id": "T1", "api_app_id": "A1",
        "event_id": f"Ev{time.time_ns()}", "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"},
    }  # fmt: skip
    slack.post(json.dumps(event), content_type="application/json")
    return published(fake_slack)


def published(fake_slack) -> dict[str, Any]:
    call = fake_slack.calls_to("views.publish")[-1]
    return fake_slack.views[call.response["view"]["id"]]


def note_row(db, note_id) -> Note:
    with session_scope(db) as s:
        note = s.get(Note, note_id)
        assert note is not None
        s.expunge(note)
        return note


def replies(db) -> list[NoteReply]:
    with session_scope(db) as s:
        found = list(s.scalars(select(NoteReply).order_by(NoteReply.id)))
        for reply in found:
            s.expunge(reply)
        return found


def audit_count(db) -> int:
    with session_scope(db) as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def ack_buttons(blocks) -> list[str]:
    return [
        e["action_id"]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] in (ActionId.NOTE_ACK, ActionId.NOTE_REPLY)
    ]


def test_acknowledge_from_the_dm_marks_it_and_updates_the_dm_once(
    settings, fake_slack, team, slack
):
    db = settings.database_url
    note_id = share(db, team)
    dm = deliver(settings, fake_slack)
    click_in_dm(slack, fake_slack, "UAGENT", ActionId.NOTE_ACK, note_id, dm)
    first = note_row(db, note_id)
    assert first.acknowledged_at is not None and first.seen_at is not None
    [update] = fake_slack.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"]) == ("DAGENT", dm.response["ts"])
    assert "Acknowledged" in json.dumps(update.args["blocks"])
    assert ack_buttons(update.args["blocks"]) == [ActionId.NOTE_REPLY]
    assert update.args["metadata"] == dm.args["metadata"]  # still found in the DM's history
    click_in_dm(slack, fake_slack, "UAGENT", ActionId.NOTE_ACK, note_id, dm)  # a double click
    assert note_row(db, note_id).acknowledged_at == first.acknowledged_at


def test_the_home_shows_shared_notes_with_their_buttons_marks_them_seen_and_acknowledges(
    settings, fake_slack, team, slack
):
    db = settings.database_url
    note_id = share(db, team, sample_id=team["sample"])
    private = create_private(db, team)
    home = open_home(slack, fake_slack, "UAGENT")
    text = json.dumps(home["blocks"])
    assert "role-play the refund call" in text and "Private" not in text
    actions = [b for b in home["blocks"] if b.get("block_id") == f"shared_note_actions.{note_id}"]
    assert ack_buttons(actions) == [ActionId.NOTE_ACK, ActionId.NOTE_REPLY]
    assert note_row(db, note_id).seen_at is not None and note_row(db, private).seen_at is None
    slack.click("UAGENT", ActionId.NOTE_ACK, str(note_id), view=home)
    assert note_row(db, note_id).acknowledged_at is not None
    again = published(fake_slack)
    assert "Acknowledged" in json.dumps(again["blocks"])
    assert ack_buttons(again["blocks"]) == [ActionId.NOTE_REPLY]
    assert view_problems(fake_slack.calls_to("views.publish")[-1].args["view"]) == []


def create_private(db, team) -> int:
    with session_scope(db) as s:
        return create_note(
            session=s, actor=team["lead"], agent_id=team["sarah"], body="Private worry."
        ).id


def test_reply_from_the_dm_is_kept_redacted_and_dmed_to_the_author_once(
    settings, fake_slack, team, slack
):
    db = settings.database_url
    note_id = share(db, team)
    dm = deliver(settings, fake_slack)
    click_in_dm(slack, fake_slack, "UAGENT", ActionId.NOTE_REPLY, note_id, dm)
    [opened] = fake_slack.calls_to("views.open")
    form = fake_slack.views[opened.response["view"]["id"]]
    assert form["callback_id"] == CallbackId.NOTE_REPLY and view_problems(opened.args["view"]) == []
    answer = submit_reply(
        slack, fake_slack, "UAGENT", form, "Booked it, I'll mail jane@example.com"
    )
    assert answer.status_code == 200 and not answer.content
    [reply] = replies(db)
    assert reply.note_id == note_id and reply.author == "UAGENT"
    assert "jane@example.com" not in reply.body and "[EMAIL]" in reply.body
    [to_lead] = dms(fake_slack, "DLEAD")
    text = json.dumps(to_lead.args["blocks"])
    assert "Sarah Connor" in text and "[EMAIL]" in text and "jane@example.com" not in text
    coach = [e for b in to_lead.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["value"]) for e in coach] == [
        (ActionId.COACH_OPEN, str(team["sarah"]))
    ]
    assert "You replied (1)" in json.dumps(fake_slack.calls_to("chat.update")[-1].args["blocks"])
    submit_reply(slack, fake_slack, "UAGENT", form, "Booked it")  # Slack retried the submission
    deliver(settings, fake_slack)
    assert len(replies(db)) == 1 and len(dms(fake_slack, "DLEAD")) == 1
    slack.click("ULEAD", ActionId.COACH_OPEN, str(team["sarah"]))  # the DM's Coach button
    assert "Booked it" in json.dumps(fake_slack.calls_to("views.open")[-1].args["view"])


@pytest.mark.parametrize(
    "text",
    ["", "   \n  ", "\u200b\u200b\u2060", "x" * 1001, "bell \x07 here"],
    ids=["empty", "blank", "invisible", "over-long", "control"],
)
def test_a_bad_reply_is_an_error_on_the_field_and_nothing_is_kept(
    settings, fake_slack, team, slack, text
):
    db = settings.database_url
    note_id = share(db, team)
    home = open_home(slack, fake_slack, "UAGENT")
    slack.click("UAGENT", ActionId.NOTE_REPLY, str(note_id), view=home)
    form = fake_slack.views[fake_slack.calls_to("views.open")[-1].response["view"]["id"]]
    answer = submit_reply(slack, fake_slack, "UAGENT", form, text)
    assert answer.json()["response_action"] == "errors"
    assert list(answer.json()["errors"]) == [BlockId.REPLY_BODY]
    assert replies(db) == [] and dms(fake_slack, "DLEAD") == []


def test_a_reply_from_the_home_republishes_it_with_the_reply(settings, fake_slack, team, slack):
    db = settings.database_url
    note_id = share(db, team)
    home = open_home(slack, fake_slack, "UAGENT")
    slack.click("UAGENT", ActionId.NOTE_REPLY, str(note_id), view=home)
    form = fake_slack.views[fake_slack.calls_to("views.open")[-1].response["view"]["id"]]
    submit_reply(slack, fake_slack, "UAGENT", form, "Thanks <3 & see you Thursday")
    again = published(fake_slack)
    assert "Thanks &lt;3 &amp; see you Thursday" in json.dumps(again["blocks"])
    assert (
        view_problems(fake_slack.calls_to("views.publish")[-1].args["view"]) == []
        and len(dms(fake_slack, "DLEAD")) == 1
    )


WHO = ["ULEAD", "UKYLE", "USTRANGER"]


def _nothing_written(db, note_id, audits) -> None:
    note = note_row(db, note_id)
    assert note.acknowledged_at is None and replies(db) == [] and audit_count(db) == audits


@pytest.mark.parametrize("user", WHO, ids=["lead", "another member", "non-member"])
def test_acknowledge_on_someone_elses_note_is_refused(settings, fake_slack, team, slack, user):
    db = settings.database_url
    note_id = share(db, team)
    dm = deliver(settings, fake_slack)
    audits = audit_count(db)
    click_in_dm(slack, fake_slack, user, ActionId.NOTE_ACK, note_id, dm)
    [told] = fake_slack.calls_to("response_url")
    assert told.args["response_type"] == "ephemeral" and told.args["text"]
    assert fake_slack.calls_to("chat.update") == []
    _nothing_written(db, note_id, audits)


@pytest.mark.parametrize("user", WHO, ids=["lead", "another member", "non-member"])
def test_reply_on_someone_elses_note_opens_nothing(settings, fake_slack, team, slack, user):
    db = settings.database_url
    note_id = share(db, team)
    dm = deliver(settings, fake_slack)
    click_in_dm(slack, fake_slack, user, ActionId.NOTE_REPLY, note_id, dm)
    assert fake_slack.calls_to("views.open") == []
    assert fake_slack.calls_to("response_url")[0].args["response_type"] == "ephemeral"


@pytest.mark.parametrize("user", WHO, ids=["lead", "another member", "non-member"])
def test_a_reply_form_submitted_by_someone_else_is_refused(settings, fake_slack, team, slack, user):
    db = settings.database_url
    note_id = share(db, team)
    home = open_home(slack, fake_slack, "UAGENT")
    slack.click("UAGENT", ActionId.NOTE_REPLY, str(note_id), view=home)
    form = fake_slack.views[fake_slack.calls_to("views.open")[-1].response["view"]["id"]]
    audits = audit_count(db)
    answer = submit_reply(slack, fake_slack, user, form, "Not mine to answer")
    assert list(answer.json()["errors"]) == [BlockId.REPLY_BODY]
    _nothing_written(db, note_id, audits)
    assert dms(fake_slack, "DLEAD") == []


def test_acting_on_an_archived_note_from_the_home_is_explained(settings, fake_slack, team, slack):
    db = settings.database_url
    note_id = share(db, team)
    home = open_home(slack, fake_slack, "UAGENT")
    with session_scope(db) as s:
        archive_note(session=s, actor=team["lead"], note_id=note_id)
    audits = audit_count(db)
    for action in (ActionId.NOTE_ACK, ActionId.NOTE_REPLY):
        slack.click("UAGENT", action, str(note_id), view=home)
    notices = [c.args["view"] for c in fake_slack.calls_to("views.open")]
    assert [v["callback_id"] for v in notices] == ["notice_modal", "notice_modal"]
    _nothing_written(db, note_id, audits)


def test_unsigned_clicks_and_submissions_reach_nothing(settings, fake_slack, team, slack):
    db = settings.database_url
    note_id = share(db, team)
    dm = deliver(settings, fake_slack)
    home = open_home(slack, fake_slack, "UAGENT")
    slack.click("UAGENT", ActionId.NOTE_REPLY, str(note_id), view=home)
    form = fake_slack.views[fake_slack.calls_to("views.open")[-1].response["view"]["id"]]
    audits, opened = audit_count(db), len(fake_slack.calls_to("views.open"))
    for action in (ActionId.NOTE_ACK, ActionId.NOTE_REPLY):
        forged = click_in_dm(slack, fake_slack, "UAGENT", action, note_id, dm, signature=FORGED)
        assert forged.status_code == 401
    assert (
        submit_reply(slack, fake_slack, "UAGENT", form, "hi", signature=FORGED).status_code == 401
    )
    assert len(fake_slack.calls_to("views.open")) == opened
    assert fake_slack.calls_to("chat.update") == []
    _nothing_written(db, note_id, audits)


def test_saving_a_shared_note_in_the_coach_modal_dms_the_agent_at_once(
    settings, fake_slack, team, slack
):
    slack.command("ULEAD", "Sarah Connor")
    view = fake_slack.views[fake_slack.calls_to("views.open")[0].response["view"]["id"]]
    slack.submit("ULEAD", view, body="Private, not sent.")
    view = fake_slack.views[view["id"]]
    slack.submit("ULEAD", view, body="Great save on the refund call!", share=True)
    [dm] = dms(fake_slack, "DAGENT")
    assert "Great save" in json.dumps(dm.args["blocks"])
    settings.shared_note_dms = False
    view = fake_slack.views[view["id"]]
    slack.submit("ULEAD", view, body="Another shared one.", share=True)
    assert len(dms(fake_slack, "DAGENT")) == 1


def test_the_lead_sees_seen_acknowledged_and_replies_in_the_coach_modal(
    settings, fake_slack, team, slack
):
    db = settings.database_url
    seen_only, acknowledged = share(db, team, body="First."), share(db, team, body="Second.")
    unseen = share(db, team, body="Third.")
    home = open_home(slack, fake_slack, "UAGENT")  # all shown: seen
    slack.click("UAGENT", ActionId.NOTE_ACK, str(acknowledged), view=home)
    slack.click("UAGENT", ActionId.NOTE_REPLY, str(acknowledged), view=published(fake_slack))
    form = fake_slack.views[fake_slack.calls_to("views.open")[-1].response["view"]["id"]]
    submit_reply(slack, fake_slack, "UAGENT", form, "On it & booked")
    with session_scope(db) as s:  # as if the home had shown only the first two
        s.execute(update(Note).where(Note.id == unseen).values(seen_at=None))
    slack.command("ULEAD", "Sarah Connor")
    modal = fake_slack.calls_to("views.open")[-1].args["view"]
    text = json.dumps(modal["blocks"])
    assert "acknowledged <!date^" in text and "seen <!date^" in text and "not seen yet" in text
    assert "<@UAGENT>" in text and "On it &amp; booked" in text and "1 reply" in text
    assert view_problems(modal) == []
    del seen_only
    slack.click("UAGENT", ActionId.COACH_OPEN, str(team["sarah"]))  # the agent's own record
    own = json.dumps(fake_slack.calls_to("views.open")[-1].args["view"]["blocks"])
    assert "On it &amp; booked" in own and "seen" not in own and "acknowledged" not in own


def test_the_coach_modal_keeps_within_slack_limits_with_many_long_replies(settings, team):
    with session_scope(settings.database_url) as s:
        record = open_coach_record(
            db=s, slack_user_id="ULEAD", agent_id=team["sarah"], page_size=10
        )
    now = utcnow()
    many = tuple(
        ReplyView(id=i, author="UAGENT", body="&<>" * 333, created_at=now - timedelta(minutes=i))
        for i in range(7)
    )
    notes = [
        NoteView(
            id=i, author="ULEAD", body="<&>" * 1000, created_at=now, updated_at=now,
            follow_up_at=None, follow_up_done_at=None, shared_with_agent=True, sample_id=None,
            sample_label=None, seen_at=now, acknowledged_at=now, replies=many,
        )
        for i in range(25)
    ]  # fmt: skip
    for page in (notes[:10], notes):
        record = replace(record, notes=page, notes_total=300, page_size=len(page))
        view = coach_modal(record)
        assert view_problems(view) == [] and len(view["blocks"]) <= 100
        text = json.dumps(view["blocks"])
        assert "7 replies" in text
        # ten notes keep their replies; twenty-five would pass 100 blocks with them
        assert ("4 earlier replies not shown" in text) == (len(page) == 10)
