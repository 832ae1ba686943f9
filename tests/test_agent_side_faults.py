"""The agent's side of a shared note under forged requests and faults (issue 17 review): the DMs
refreshed after an action are the ones Debrief sent, never a channel named in the request; two
members of one agent both see it acknowledged; a Slack failure after the save loses nothing and
raises nothing; exactly once survives a refused look in the history; the reply DM goes only to
an author who is still a lead."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select, update

from blocks.ids import ActionId, BlockId
from bot.coaching.agent_side import GONE
from bot.coaching.notes import archive_note, edit_note
from bot.coaching.shared_dms import LEASE, claim_shared_notes, send_agent_side, shared_note_dm
from bot.core.db import session_scope
from handlers.notifier import slack_refused
from models import Agent, Member, NoteReply, Role
from models.base import utcnow
from tests import factories as f
from tests.test_agent_side_slack import (
    click_in_dm,
    deliver,
    dms,
    note_row,
    open_home,
    published,
    replies,
    submit_reply,
)
from tests.test_shared_note_dms import notifier, share


@pytest.fixture()
def team(session, fake_slack):
    f.member(session, "ULEAD", "owner")
    sarah = f.agent(session, "Sarah Connor", lead="ULEAD", slack_user="UAGENT")
    f.member(session, "UAGENT", "member", agent="Sarah Connor")
    f.member(session, "UAGENT2", "member", agent="Sarah Connor")  # her second Slack account
    kyle = f.agent(session, "Kyle Reese", lead="ULEAD", slack_user="UKYLE")
    f.member(session, "UKYLE", "member", agent="Kyle Reese")
    session.commit()
    for user in ("ULEAD", "UAGENT", "UAGENT2", "UKYLE"):
        fake_slack.add_user(user)
    return {"lead": f.viewer(session, "ULEAD"), "sarah": sarah.id, "kyle": kyle.id}


@pytest.fixture()
def no_traceback(caplog) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.WARNING)
    yield caplog
    assert all(r.exc_info is None for r in caplog.records), "a traceback reached the log"
    assert all(r.levelno < logging.ERROR for r in caplog.records)


def reply_form(slack, fake_slack, user, note_id):
    home = open_home(slack, fake_slack, user)
    slack.click(user, ActionId.NOTE_REPLY, str(note_id), view=home)
    return fake_slack.views[fake_slack.calls_to("views.open")[-1].response["view"]["id"]]


def updated(fake_slack, channel):
    return [c for c in fake_slack.calls_to("chat.update") if c.args["channel"] == channel]


def test_acknowledging_updates_the_dm_of_every_member_linked_to_the_agent(
    settings, fake_slack, team, slack
):
    note_id = share(settings.database_url, team)
    deliver(settings, fake_slack)
    [first], [second] = dms(fake_slack, "DAGENT"), dms(fake_slack, "DAGENT2")
    click_in_dm(slack, fake_slack, "UAGENT", ActionId.NOTE_ACK, note_id, first)
    for dm, channel in ((first, "DAGENT"), (second, "DAGENT2")):
        [change] = updated(fake_slack, channel)
        assert change.args["ts"] == dm.response["ts"]
        assert "Acknowledged" in json.dumps(change.args["blocks"])


def test_a_reply_from_the_home_refreshes_the_dms_reply_count(settings, fake_slack, team, slack):
    note_id = share(settings.database_url, team)
    deliver(settings, fake_slack)
    form = reply_form(slack, fake_slack, "UAGENT", note_id)
    submit_reply(slack, fake_slack, "UAGENT", form, "Booked it")
    for channel in ("DAGENT", "DAGENT2"):
        [change] = updated(fake_slack, channel)
        assert "You replied (1)" in json.dumps(change.args["blocks"])
    assert "Booked it" in json.dumps(published(fake_slack)["blocks"])


def test_a_forged_dm_in_the_click_or_the_reply_form_touches_no_other_message(
    settings, fake_slack, team, slack
):
    db = settings.database_url
    kyles = share(db, team, body="Practice the escalation script.", agent_id=team["kyle"])
    sarahs = share(db, team, body="Role-play the refund call.")
    deliver(settings, fake_slack)
    [kyle_dm] = dms(fake_slack, "DKYLE")
    # Sarah acknowledges her note with a container naming Kyle's DM
    click_in_dm(slack, fake_slack, "UAGENT", ActionId.NOTE_ACK, sarahs, kyle_dm)
    # and replies through a form whose private_metadata names Kyle's DM
    form = reply_form(slack, fake_slack, "UAGENT", sarahs)
    forged = json.dumps({"note_id": sarahs, "channel": "DKYLE", "ts": kyle_dm.response["ts"]})
    submit_reply(slack, fake_slack, "UAGENT", {**form, "private_metadata": forged}, "Hi")
    assert updated(fake_slack, "DKYLE") == []
    [kyle_message] = fake_slack.messages["DKYLE"]
    shown = json.dumps(kyle_message)
    assert "refund" not in shown and "escalation script" in shown
    assert note_row(db, sarahs).acknowledged_at is not None and len(replies(db)) == 1
    assert note_row(db, kyles).acknowledged_at is None


@pytest.mark.parametrize("how", ["refused", "dropped", "server error"])
def test_a_failing_dm_update_after_acknowledge_or_reply_keeps_both_and_raises_nothing(
    settings, fake_slack, team, slack, how, no_traceback
):
    db = settings.database_url
    note_id = share(db, team)
    dm = deliver(settings, fake_slack)
    form = reply_form(slack, fake_slack, "UAGENT", note_id)

    def break_updates() -> None:
        if how == "refused":
            fake_slack.fail_next("chat.update", error="message_not_found", times=2)
        else:
            fake_slack.fail_after("chat.update", **({"status": 500} if how != "dropped" else {}))
            fake_slack.fail_after("chat.update", **({"status": 500} if how != "dropped" else {}))

    break_updates()
    click_in_dm(slack, fake_slack, "UAGENT", ActionId.NOTE_ACK, note_id, dm)
    assert note_row(db, note_id).acknowledged_at is not None
    assert fake_slack.calls_to("response_url") == []  # no "try again" for what was saved
    break_updates()
    answer = submit_reply(slack, fake_slack, "UAGENT", form, "Booked it")
    assert answer.status_code == 200 and not answer.content
    assert len(replies(db)) == 1 and len(dms(fake_slack, "DLEAD")) == 1


@pytest.mark.parametrize("value", ["99999999999999999999999", "-3", "1e3", "", " "])
def test_an_out_of_range_or_malformed_note_id_is_explained(
    settings, fake_slack, team, slack, value, no_traceback
):
    share(settings.database_url, team)
    dm = deliver(settings, fake_slack)
    for action in (ActionId.NOTE_ACK, ActionId.NOTE_REPLY):
        click_in_dm(slack, fake_slack, "UAGENT", action, value, dm)
    told = fake_slack.calls_to("response_url")
    assert len(told) == 2 and all(c.args["response_type"] == "ephemeral" for c in told)
    assert fake_slack.calls_to("views.open") == [] and fake_slack.calls_to("chat.update") == []


def test_a_form_cant_answer_a_second_note_with_its_first_key(settings, fake_slack, team, slack):
    db = settings.database_url
    first, second = share(db, team, body="First."), share(db, team, body="Second.")
    form = reply_form(slack, fake_slack, "UAGENT", first)
    submit_reply(slack, fake_slack, "UAGENT", form, "Answer to the first")
    again = {**form, "private_metadata": json.dumps({"note_id": second})}
    answer = submit_reply(slack, fake_slack, "UAGENT", again, "Same form, other note")
    assert answer.json()["response_action"] == "errors"
    assert [r.note_id for r in replies(db)] == [first]


def test_a_refused_look_in_the_history_does_not_post_the_dm_a_dead_sender_posted(
    settings, fake_slack, team
):
    note_id = share(settings.database_url, team)
    start = utcnow()
    with session_scope(settings.database_url) as s:  # a sender claims, posts, then dies
        claims = claim_shared_notes(s, now=start)
        view = shared_note_dm(s, note_id)
    assert len(claims) == 2 and view is not None
    dead = notifier(settings, fake_slack)
    for claim in claims:
        dead.post_shared_note(dead.open_dm(claim.recipient), view)

    def run(at):
        return send_agent_side(
            session_factory=partial(session_scope, settings.database_url),
            notifier=notifier(settings, fake_slack),
            is_definite_failure=slack_refused,
            now=lambda: at,
        )

    fake_slack.fail_next("conversations.history", times=6)  # 429s, past the client's retries
    after_lease = start + LEASE + timedelta(seconds=1)
    assert run(after_lease).failed == 2
    report = run(after_lease + timedelta(hours=2))  # past the backoff
    assert report.found_sent == 2 and report.notes_sent == 0
    assert len(dms(fake_slack, "DAGENT")) == 1 and len(dms(fake_slack, "DAGENT2")) == 1


@pytest.mark.parametrize("change", ["removed", "made a member"])
def test_a_reply_is_not_dmed_to_an_author_who_is_no_longer_a_lead(
    settings, fake_slack, team, change
):
    db = settings.database_url
    note_id = share(db, team)
    with session_scope(db) as s:
        s.add(NoteReply(note_id=note_id, author="UAGENT", body="Thanks!"))
        lead = s.scalars(select(Member).where(Member.slack_user_id == "ULEAD")).one()
        if change == "removed":
            s.execute(
                update(Agent).where(Agent.lead_member_id == lead.id).values(lead_member_id=None)
            )
            s.delete(lead)
        else:  # now an agent's member: may not read Sarah's record
            lead.role, lead.agent_id = Role.MEMBER, team["kyle"]
    report = send_agent_side(
        session_factory=partial(session_scope, db), notifier=notifier(settings, fake_slack)
    )
    assert report.replies_sent == 0 and dms(fake_slack, "DLEAD") == []
    assert len(replies(db)) == 1  # kept, and shown in the record to whoever leads her now


@pytest.mark.parametrize("change", ["archived", "unshared"])
def test_a_reply_form_sent_after_the_note_was_archived_or_unshared_says_so(
    settings, fake_slack, team, slack, change, no_traceback
):
    db = settings.database_url
    note_id = share(db, team)
    form = reply_form(slack, fake_slack, "UAGENT", note_id)
    with session_scope(db) as s:
        if change == "archived":
            archive_note(session=s, actor=team["lead"], note_id=note_id)
        else:
            edit_note(session=s, actor=team["lead"], note_id=note_id, shared_with_agent=False)
    answer = submit_reply(slack, fake_slack, "UAGENT", form, "Booked it")
    assert answer.json()["errors"] == {BlockId.REPLY_BODY: GONE}
    assert "archived" in GONE and replies(db) == [] and dms(fake_slack, "DLEAD") == []
