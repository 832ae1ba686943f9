"""A DM is never sent twice: when Slack stored it but the answer was lost (a 500, a dropped
connection), the next try finds it in the DM's history instead of posting it again."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import update

from bot.app.slack import slack_client
from bot.coaching.notes import create_note
from bot.core.db import session_scope
from bot.flags.dms import LEASE as FLAG_LEASE
from bot.flags.dms import deliver_flag
from bot.followups.reminders import send_due
from bot.qa.dms import LEASE as DRAFT_LEASE
from bot.qa.dms import deliver_drafts
from bot.team.digest import LEASE as DIGEST_LEASE
from bot.team.digest import send_digests
from handlers.notifier import (
    SlackDigestNotifier,
    SlackDraftNotifier,
    SlackFlagNotifier,
    SlackReminderNotifier,
    slack_refused,
)
from models import Reminder, ReminderStatus, Rubric
from models.base import utcnow
from tests import factories as f
from tests.fake_slack import DROP
from tests.test_qa_review import make_draft

FAULTS = {"a 500 after posting": 500, "a dropped connection after posting": DROP}


def posts(fake_slack) -> list:
    return [m for ms in fake_slack.messages.values() for m in ms]


@pytest.fixture()
def lead(session, fake_slack):
    f.member(session, "ULEAD", "owner")
    fake_slack.add_user("ULEAD", tz="UTC")
    agent = f.agent(session, "Sarah Connor", lead="ULEAD")
    session.commit()
    return agent.id


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_reminder_whose_answer_was_lost_is_found_not_sent_again(settings, fake_slack, session,
                                                                  lead, fault):  # fmt: skip
    note = create_note(session=session, actor=f.viewer(session, "ULEAD"), agent_id=lead,
                       body="Check the refund call.", follow_up_at=utcnow() + timedelta(hours=1))  # fmt: skip
    session.execute(update(Reminder).where(Reminder.note_id == note.id).values(due_at=utcnow()))
    session.commit()
    fake_slack.fail_after("chat.postMessage", FAULTS[fault])
    run = partial(send_due, session_factory=partial(session_scope, settings.database_url),
                  notifier=SlackReminderNotifier(slack_client(settings, fake_slack.token)),
                  per_channel_interval=0, is_definite_failure=slack_refused)  # fmt: skip
    first = run()
    assert first.failed == 1 and len(posts(fake_slack)) == 1  # Slack has it; Debrief can't know
    later = run(now=lambda: utcnow() + timedelta(hours=1))  # after the back-off
    assert (later.sent, later.found_sent) == (0, 1)
    assert len(posts(fake_slack)) == 1 and len(fake_slack.calls_to("chat.postMessage")) == 1
    session.expire_all()
    [reminder] = session.query(Reminder).all()
    assert reminder.status == ReminderStatus.SENT and reminder.ts == posts(fake_slack)[0]["ts"]


def test_a_refusal_that_proves_nothing_was_posted_is_retried_without_a_history_look(
    settings, fake_slack, session, lead
):
    note = create_note(session=session, actor=f.viewer(session, "ULEAD"), agent_id=lead,
                       body="Check the refund call.", follow_up_at=utcnow() + timedelta(hours=1))  # fmt: skip
    session.execute(update(Reminder).where(Reminder.note_id == note.id).values(due_at=utcnow()))
    session.commit()
    fake_slack.fail_next("chat.postMessage", error="not_in_channel")
    run = partial(send_due, session_factory=partial(session_scope, settings.database_url),
                  notifier=SlackReminderNotifier(slack_client(settings, fake_slack.token)),
                  per_channel_interval=0, is_definite_failure=slack_refused)  # fmt: skip
    assert run().failed == 1
    assert run(now=lambda: utcnow() + timedelta(hours=1)).sent == 1
    assert fake_slack.calls_to("conversations.history") == [] and len(posts(fake_slack)) == 1


@pytest.mark.parametrize(
    ("error", "proves_nothing_posted"),
    [("not_in_channel", True), ("invalid_blocks", True), ("internal_error", False),
     ("fatal_error", False), ("service_unavailable", False)],
)  # fmt: skip
def test_which_slack_errors_prove_nothing_was_posted(settings, fake_slack, error,
                                                     proves_nothing_posted):  # fmt: skip
    from slack_sdk.errors import SlackApiError

    fake_slack.add_user("ULEAD")
    fake_slack.fail_next("chat.postMessage", error=error)
    client = slack_client(settings, fake_slack.token)
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="ULEAD", text="hi")
    assert slack_refused(refused.value) is proves_nothing_posted
    fake_slack.fail_next("chat.postMessage", status=503)
    with pytest.raises(SlackApiError) as unavailable:
        client.chat_postMessage(channel="ULEAD", text="hi")
    assert slack_refused(unavailable.value) is False


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_flag_dm_whose_answer_was_lost_is_found_after_the_lease(settings, fake_slack, session,
                                                                  lead, fault):  # fmt: skip
    flag = f.flag(session, lead)
    session.commit()
    fake_slack.fail_after("chat.postMessage", FAULTS[fault])
    deliver = partial(deliver_flag, session_factory=partial(session_scope, settings.database_url),
                      notifier=SlackFlagNotifier(slack_client(settings, fake_slack.token)),
                      flag_id=flag.id, window_days=7)  # fmt: skip
    assert deliver() == 0 and len(posts(fake_slack)) == 1
    assert deliver() == 0  # within the lease: nobody tries again
    assert deliver(now=utcnow() + FLAG_LEASE + timedelta(seconds=1)) == 0  # found, not re-sent
    assert len(posts(fake_slack)) == 1 and len(fake_slack.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_qa_draft_dm_whose_answer_was_lost_is_found_after_the_lease(settings, fake_slack,
                                                                      session, lead, fault):  # fmt: skip
    rubric = Rubric(version=1, name="Basics", criteria=[{"name": "Empathy"}],
                    source_sha256="0" * 64, approved_by="ULEAD")  # fmt: skip
    session.add(rubric)
    session.flush()
    make_draft(session, lead, rubric.id)
    session.commit()
    fake_slack.fail_after("chat.postMessage", FAULTS[fault])
    deliver = partial(deliver_drafts, session_factory=partial(session_scope, settings.database_url),
                      notifier=SlackDraftNotifier(slack_client(settings, fake_slack.token)),
                      settings=settings)  # fmt: skip
    first = deliver(now=utcnow())
    assert first.sent == 0 and first.failed == 1 and len(posts(fake_slack)) == 1
    later = deliver(now=utcnow() + DRAFT_LEASE + timedelta(seconds=1))
    assert (later.sent, later.found_sent) == (0, 1)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_digest_whose_answer_was_lost_is_found_after_the_lease(settings, fake_slack, session,
                                                                 lead, fault):  # fmt: skip
    fake_slack.fail_after("chat.postMessage", FAULTS[fault])
    notifier = SlackDigestNotifier(slack_client(settings, fake_slack.token))
    send = partial(send_digests, session_factory=partial(session_scope, settings.database_url),
                   notifier=notifier, zone_of=notifier.zone_of, every=True)  # fmt: skip
    now = utcnow()
    first = send(now=now)
    assert first.failed == 1 and len(posts(fake_slack)) == 1
    later = send(now=now + DIGEST_LEASE + timedelta(seconds=1))
    assert (later.sent, later.found_sent) == (0, 1)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
