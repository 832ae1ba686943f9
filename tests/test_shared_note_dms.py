"""The agent's side of a shared note, sent on its own: the note DMed to the agent and the
agent's reply DMed to the note's author, each exactly once (issue 17)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select, update

from blocks.ids import NOTE_REPLY_EVENT, SHARED_NOTE_EVENT, ActionId, BlockId
from blocks.shared_note_dm import reply_message, shared_note_message
from bot.app.slack import slack_client
from bot.coaching.notes import archive_note, create_note, edit_note
from bot.coaching.shared_dms import (
    LEASE,
    RECENT,
    claim_shared_notes,
    reply_dm,
    send_agent_side,
    shared_note_dm,
)
from bot.core.db import session_scope
from handlers.notifier import SlackAgentSideNotifier, slack_refused
from models import Delivery, DeliveryKind, Member, Note, NoteReply
from models.base import utcnow
from tests import factories as f
from tests.slack_conformance import message_problems


@pytest.fixture()
def team(session, fake_slack):
    f.member(session, "ULEAD", "owner")
    sarah = f.agent(session, "Sarah Connor", lead="ULEAD", slack_user="UAGENT")
    f.member(session, "UAGENT", "member", agent="Sarah Connor")
    other = f.agent(session, "Kyle Reese", slack_user="UKYLE")
    f.member(session, "UKYLE", "member", agent="Kyle Reese")
    sample = f.sample(session, sarah.id)
    session.commit()
    for user in ("ULEAD", "UAGENT", "UKYLE"):
        fake_slack.add_user(user)
    return {
        "lead": f.viewer(session, "ULEAD"),
        "sarah": sarah.id,
        "kyle": other.id,
        "sample": sample.id,
        "sample_url": sample.url,
    }


def share(db, team, body="Let's role-play the refund call with jane@example.com.", **kw):
    with session_scope(db) as s:
        note = create_note(
            session=s,
            actor=team["lead"],
            agent_id=kw.pop("agent_id", team["sarah"]),
            body=body,
            shared_with_agent=kw.pop("shared", True),
            **kw,
        )
        return note.id


def add_reply(db, note_id, body="Thanks, booked it for Thursday.", author="UAGENT"):
    with session_scope(db) as s:
        reply = NoteReply(note_id=note_id, author=author, body=body)
        s.add(reply)
        s.flush()
        return reply.id


def notifier(settings, fake_slack):
    return SlackAgentSideNotifier(slack_client(settings, fake_slack.token))


def run(settings, fake_slack, **kw):
    return send_agent_side(
        session_factory=partial(session_scope, settings.database_url),
        notifier=kw.pop("notifier", None) or notifier(settings, fake_slack),
        is_definite_failure=slack_refused,
        **kw,
    )


def posted(fake_slack, channel=None):
    return [
        c
        for c in fake_slack.calls_to("chat.postMessage")
        if c.response.get("ok") and (channel is None or c.response["channel"] == channel)
    ]


def test_a_shared_note_is_dmed_to_its_agent_once_with_its_sample_and_buttons(
    settings, fake_slack, team
):
    day = utcnow() + timedelta(days=3)
    note_id = share(settings.database_url, team, sample_id=team["sample"], follow_up_at=day)
    private = share(settings.database_url, team, body="Private thoughts.", shared=False)
    report = run(settings, fake_slack)
    assert report.notes_sent == 1 and run(settings, fake_slack).outcomes == []
    [dm] = posted(fake_slack)
    assert dm.response["channel"] == "DAGENT"
    text = json.dumps(dm.args["blocks"])
    assert "<@ULEAD>" in text and "role-play the refund call" in text and "[EMAIL]" in text
    assert "jane@example.com" not in text and "Private thoughts" not in text
    assert "follow-up <!date^" in text and "zendesk #" in text
    assert dm.args["metadata"] == {
        "event_type": SHARED_NOTE_EVENT,
        "event_payload": {"note_id": note_id},
    }
    [buttons] = [b for b in dm.args["blocks"] if b.get("block_id") == BlockId.SHARED_NOTE_ACTIONS]
    assert [(b["text"]["text"], b["action_id"]) for b in buttons["elements"]] == [
        ("Acknowledge", ActionId.NOTE_ACK),
        ("Reply", ActionId.NOTE_REPLY),
        ("Open the conversation", ActionId.SAMPLE_LINK),
    ]
    assert buttons["elements"][-1]["url"] == team["sample_url"]
    with session_scope(settings.database_url) as s:
        [row] = s.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.SHARED_NOTE))
        assert (row.subject, row.recipient, row.ts) == (str(note_id), "UAGENT", dm.response["ts"])
        assert s.get(Note, private) is not None


def test_two_passes_at_once_send_one_dm(settings, fake_slack, team):
    share(settings.database_url, team)
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda _: run(settings, fake_slack), range(2)))
    assert sum(r.notes_sent for r in reports) == 1 and len(posted(fake_slack)) == 1


def test_a_send_that_died_after_posting_is_found_in_the_history_not_repeated(
    settings, fake_slack, team
):
    note_id = share(settings.database_url, team)
    start = utcnow()
    with session_scope(settings.database_url) as s:  # a process claims and posts, then dies
        [claim] = claim_shared_notes(s, now=start)
        view = shared_note_dm(s, note_id)
    assert claim.subject == str(note_id) and view is not None
    dead = notifier(settings, fake_slack)
    dead.post_shared_note(dead.open_dm("UAGENT"), view)
    assert run(settings, fake_slack, now=lambda: start + LEASE / 2).outcomes == []  # still held
    report = run(settings, fake_slack, now=lambda: start + LEASE + timedelta(seconds=1))
    assert report.found_sent == 1 and report.notes_sent == 0 and len(posted(fake_slack)) == 1


def test_with_the_setting_off_no_shared_note_is_dmed_but_replies_still_are(
    settings, fake_slack, team
):
    note_id = share(settings.database_url, team)
    add_reply(settings.database_url, note_id)
    report = run(settings, fake_slack, shared_note_dms=False)
    assert report.notes_sent == 0 and report.replies_sent == 1
    [dm] = posted(fake_slack)
    assert dm.response["channel"] == "DLEAD"
    with session_scope(settings.database_url) as s:
        kinds = s.scalars(select(Delivery.kind)).all()
    assert kinds == [DeliveryKind.NOTE_REPLY.value]  # nothing left waiting to be sent later


def test_unshared_archived_old_or_unlinked_notes_are_not_dmed(settings, fake_slack, team, session):
    db = settings.database_url
    unshared, archived = share(db, team), share(db, team)
    with session_scope(db) as s:
        edit_note(session=s, actor=team["lead"], note_id=unshared, shared_with_agent=False)
        archive_note(session=s, actor=team["lead"], note_id=archived)
    old = share(db, team)
    with session_scope(db) as s:  # shared before this feature: the backlog isn't DMed
        then = utcnow() - RECENT - timedelta(minutes=1)
        s.execute(update(Note).where(Note.id == old).values(created_at=then, updated_at=then))
    f.agent(session, "Nobody Linked")
    session.commit()
    share(db, team, agent_id=f.agent(session, "Nobody Linked").id)
    with session_scope(db) as s:  # Kyle's member is unlinked before his note goes out
        s.execute(update(Member).where(Member.slack_user_id == "UKYLE").values(agent_id=None))
    share(db, team, agent_id=team["kyle"])
    assert run(settings, fake_slack).outcomes == [] and posted(fake_slack) == []


def test_a_note_unshared_while_its_dm_is_being_sent_is_not_posted(settings, fake_slack, team):
    note_id = share(settings.database_url, team)
    real = notifier(settings, fake_slack)

    class UnsharedMeanwhile(SlackAgentSideNotifier):
        def open_dm(self, user_id: str) -> str:
            with session_scope(settings.database_url) as s:
                edit_note(session=s, actor=team["lead"], note_id=note_id, shared_with_agent=False)
            return real.open_dm(user_id)

    report = run(settings, fake_slack, notifier=UnsharedMeanwhile(real.client))
    assert report.skipped == 1 and posted(fake_slack) == []
    with session_scope(settings.database_url) as s:  # shared again: sent then, once
        edit_note(session=s, actor=team["lead"], note_id=note_id, shared_with_agent=True)
    later = utcnow() + LEASE + timedelta(seconds=1)
    assert run(settings, fake_slack, now=lambda: later).notes_sent == 1
    assert len(posted(fake_slack)) == 1


def test_a_refused_dm_is_retried_after_its_backoff(settings, fake_slack, team):
    share(settings.database_url, team)
    fake_slack.fail_next("chat.postMessage", error="not_in_channel")
    assert run(settings, fake_slack).failed == 1
    assert run(settings, fake_slack).outcomes == []  # not before its backoff
    later = utcnow() + timedelta(minutes=2)
    assert run(settings, fake_slack, now=lambda: later).notes_sent == 1


def test_a_reply_is_dmed_to_the_notes_author_once_with_a_coach_button(settings, fake_slack, team):
    note_id = share(settings.database_url, team)
    reply_id = add_reply(settings.database_url, note_id, body="Booked it & ready <3")
    report = run(settings, fake_slack)
    assert (report.notes_sent, report.replies_sent) == (1, 1)
    assert run(settings, fake_slack).outcomes == []
    [dm] = posted(fake_slack, "DLEAD")
    text = json.dumps(dm.args["blocks"])
    assert "*Sarah Connor* (<@UAGENT>) replied to your note" in text
    assert "Booked it &amp; ready &lt;3" in text and "role-play the refund call" in text
    assert dm.args["metadata"]["event_type"] == NOTE_REPLY_EVENT
    assert dm.args["metadata"]["event_payload"] == {"reply_id": reply_id}
    [coach] = [e for b in dm.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert (coach["action_id"], coach["value"]) == (ActionId.COACH_OPEN, str(team["sarah"]))


def test_a_reply_dm_that_died_after_posting_is_found_not_repeated(settings, fake_slack, team):
    note_id = share(settings.database_url, team)
    reply_id = add_reply(settings.database_url, note_id)
    run(settings, fake_slack, shared_note_dms=False, now=lambda: utcnow())
    with session_scope(settings.database_url) as s:  # as if the confirmation never happened
        s.execute(
            update(Delivery)
            .where(Delivery.kind == DeliveryKind.NOTE_REPLY)
            .values(sent_at=None, claimed_at=utcnow() - LEASE * 2, maybe_sent=True)
        )
    report = run(settings, fake_slack, shared_note_dms=False)
    assert report.found_sent == 1 and len(posted(fake_slack)) == 1
    with session_scope(settings.database_url) as s:
        assert reply_dm(s, reply_id) is not None


def test_the_dms_stay_within_slacks_limits_with_extreme_text(settings, fake_slack, team, session):
    long_name = "株式会社🦄" * 30
    agent = f.agent(session, long_name)
    f.member(session, "ULONG", "member", agent=long_name)
    session.commit()
    fake_slack.add_user("ULONG")
    body = "&<>" * 1000
    note_id = share(settings.database_url, team, body=body, agent_id=agent.id)
    add_reply(settings.database_url, note_id, body="&" * 1000, author="ULONG")
    report = run(settings, fake_slack)
    assert (report.notes_sent, report.replies_sent) == (1, 1)
    with session_scope(settings.database_url) as s:
        note_view, reply_view = shared_note_dm(s, note_id), reply_dm(s, 1)
    assert note_view is not None and reply_view is not None
    for built in (shared_note_message(note_view), reply_message(reply_view)):
        assert message_problems(built) == []
