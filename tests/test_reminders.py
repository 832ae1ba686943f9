"""Follow-up reminders: due times across zones, rescheduling, exactly-once DMs, Done and Snooze."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import partial
from urllib.parse import parse_qs, urlsplit

import pytest
from freezegun import freeze_time
from sqlalchemy import select, update

from blocks.ids import ActionId, BlockId
from bot.app.slack import slack_client
from bot.coaching.notes import archive_note, create_note, edit_note
from bot.core.db import session_scope
from bot.core.text import clip
from bot.followups.dates import day_not_before, follow_up_instant
from bot.followups.reminders import (
    LEASE,
    SendReport,
    calendar_url,
    claim_due,
    send_all_due,
    send_due,
)
from handlers.notifier import SlackReminderNotifier, slack_refused
from models import Member, Note, Reminder, ReminderStatus
from models.base import utcnow
from tests import factories as f


@pytest.mark.parametrize(
    ("day", "zone", "expected"),
    [
        (date(2026, 3, 7), "America/New_York", datetime(2026, 3, 7, 14, tzinfo=UTC)),  # EST
        (
            date(2026, 3, 8),
            "America/New_York",
            datetime(2026, 3, 8, 13, tzinfo=UTC),
        ),  # EDT from today
        (
            date(2026, 3, 29),
            "Europe/London",
            datetime(2026, 3, 29, 8, tzinfo=UTC),
        ),  # BST from today
        (date(2026, 10, 25), "Europe/London", datetime(2026, 10, 25, 9, tzinfo=UTC)),  # back to GMT
        (date(2026, 11, 20), "Asia/Kolkata", datetime(2026, 11, 20, 3, 30, tzinfo=UTC)),
        (date(2026, 11, 20), "Pacific/Auckland", datetime(2026, 11, 19, 20, tzinfo=UTC)),
        (date(2026, 11, 20), None, datetime(2026, 11, 20, 9, tzinfo=UTC)),
    ],
)
def test_a_picked_date_is_nine_in_the_morning_where_the_author_is(day, zone, expected):
    assert follow_up_instant(day, zone) == expected


def test_today_is_the_authors_today():
    with freeze_time("2026-11-21 05:00:00"):  # Friday evening in Los Angeles, Saturday in Auckland
        now = utcnow()
        la = day_not_before(now, "America/Los_Angeles")
        assert la == follow_up_instant(date(2026, 11, 20), "America/Los_Angeles")
        assert day_not_before(now, "Pacific/Auckland") == follow_up_instant(
            date(2026, 11, 21), "Pacific/Auckland"
        )
        assert day_not_before(now) == follow_up_instant(date(2026, 11, 20))  # unknown zone: UTC-12


@pytest.fixture()
def team(session):
    f.member(session, "ULEAD", "owner")
    sarah = f.agent(session, "Sarah Connor", lead="ULEAD")
    session.commit()
    return {"lead": f.viewer(session, "ULEAD"), "sarah": sarah.id}


def reminders(db):
    with session_scope(db) as s:
        return list(s.scalars(select(Reminder).order_by(Reminder.id)))


def test_editing_reschedules_and_removing_or_archiving_cancels(db, team):
    soon = utcnow() + timedelta(days=2)
    with session_scope(db) as s:
        note = create_note(
            session=s, actor=team["lead"], agent_id=team["sarah"], body="x", follow_up_at=soon
        )
    with session_scope(db) as s:
        edit_note(
            session=s, actor=team["lead"], note_id=note.id, follow_up_at=soon + timedelta(days=1)
        )
    assert [(r.status, r.due_at) for r in reminders(db)] == [
        (ReminderStatus.CANCELLED, soon),
        (ReminderStatus.PENDING, soon + timedelta(days=1)),
    ]
    with session_scope(db) as s:
        edit_note(session=s, actor=team["lead"], note_id=note.id, follow_up_at=None)
    assert [r.status for r in reminders(db)] == [ReminderStatus.CANCELLED] * 2
    with session_scope(db) as s:
        other = create_note(
            session=s, actor=team["lead"], agent_id=team["sarah"], body="y", follow_up_at=soon
        )
    with session_scope(db) as s:
        archive_note(session=s, actor=team["lead"], note_id=other.id)
    assert all(r.status == ReminderStatus.CANCELLED for r in reminders(db))


def make_due(
    db, team, *, hours_ago: float = 0, body: str = "Check the refund call with jane@example.com."
) -> int:
    with session_scope(db) as s:
        note = create_note(
            session=s,
            actor=team["lead"],
            agent_id=team["sarah"],
            body=body,
            follow_up_at=utcnow() + timedelta(hours=1),
        )
        s.execute(
            update(Reminder)
            .where(Reminder.note_id == note.id)
            .values(due_at=utcnow() - timedelta(hours=hours_ago))
        )
        return note.id


def run(settings, fake_slack, **kw):
    notifier = SlackReminderNotifier(slack_client(settings, fake_slack.token))
    return send_due(
        session_factory=partial(session_scope, settings.database_url),
        notifier=notifier,
        per_channel_interval=0,
        is_definite_failure=slack_refused,
        **kw,
    )


def posted(fake_slack):
    return [c for c in fake_slack.calls_to("chat.postMessage") if c.response.get("ok")]


def test_a_due_reminder_is_sent_once_with_what_the_lead_needs(settings, fake_slack, team):
    fake_slack.add_user("ULEAD")
    make_due(settings.database_url, team)
    assert run(settings, fake_slack).sent == 1
    assert run(settings, fake_slack).claimed == 0
    [dm] = posted(fake_slack)
    text = json.dumps(dm.args["blocks"])
    assert "Sarah Connor" in text and "[EMAIL]" in text and "jane@example.com" not in text
    assert (
        dm.args["metadata"]["event_payload"]["reminder_id"]
        == reminders(settings.database_url)[0].id
    )
    buttons = next(b for b in dm.args["blocks"] if b.get("block_id") == BlockId.REMINDER_ACTIONS)[
        "elements"
    ]
    labels = [b.get("text", b.get("placeholder", {}))["text"] for b in buttons]
    assert labels == ["Open coaching", "Done", "Snooze…", "Add to Google Calendar"]
    assert [o["text"]["text"] for o in buttons[2]["options"]] == ["1 day", "1 week"]
    calendar = parse_qs(urlsplit(buttons[-1]["url"]).query)
    assert calendar["text"] == ["Coaching follow-up: Sarah Connor"] and "refund" not in json.dumps(
        calendar
    )
    assert "https://fake-team.slack.com/" in calendar["details"][0]
    [r] = reminders(settings.database_url)
    assert r.status == ReminderStatus.SENT and r.ts == dm.response["ts"]


def test_reminders_missed_while_down_say_how_late(settings, fake_slack, team):
    fake_slack.add_user("ULEAD")
    make_due(settings.database_url, team, hours_ago=3)
    run(settings, fake_slack)
    assert "3 hours late" in json.dumps(posted(fake_slack)[0].args["blocks"])


def test_a_send_that_died_before_confirming_is_found_not_repeated(settings, fake_slack, team):
    fake_slack.add_user("ULEAD")
    make_due(settings.database_url, team)
    notifier = SlackReminderNotifier(slack_client(settings, fake_slack.token))
    with session_scope(settings.database_url) as s:  # a process claims and posts, then dies
        token, [rid] = claim_due(session=s, now=utcnow())
    from bot.followups.reminders import load_claimed

    with session_scope(settings.database_url) as s:
        [view] = load_claimed(s, [rid], token, utcnow())
    notifier.post_reminder(notifier.open_dm("ULEAD"), view)
    later = utcnow() + LEASE + timedelta(seconds=1)
    report = run(settings, fake_slack, now=lambda: later)
    assert report.found_sent == 1 and report.sent == 0 and len(posted(fake_slack)) == 1
    assert reminders(settings.database_url)[0].status == ReminderStatus.SENT


def test_a_refused_send_is_retried_later_and_a_rate_limit_is_waited_out(settings, fake_slack, team):
    fake_slack.add_user("ULEAD")
    make_due(settings.database_url, team)
    fake_slack.fail_next("chat.postMessage", error="not_in_channel")  # refused: nothing posted
    assert run(settings, fake_slack).failed == 1
    [r] = reminders(settings.database_url)
    assert r.status == ReminderStatus.PENDING and r.attempts == 1 and not r.maybe_sent
    assert r.next_attempt_at is not None and r.next_attempt_at > utcnow()
    assert run(settings, fake_slack).claimed == 0  # not before its backoff
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    later = (r.next_attempt_at or utcnow()) + timedelta(seconds=1)
    assert run(settings, fake_slack, now=lambda: later).sent == 1
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")][-2:] == [429, 200]


def test_a_burst_goes_to_every_author_once(settings, fake_slack, session, team):
    for user in ("UADMIN1", "UADMIN2"):
        f.member(session, user, "admin")
        fake_slack.add_user(user)
    fake_slack.add_user("ULEAD")
    session.commit()
    for user in ("ULEAD", "UADMIN1", "UADMIN2"):
        viewer = f.viewer(session, user)
        for _ in range(5):
            note = create_note(
                session=session,
                actor=viewer,
                agent_id=team["sarah"],
                body="b",
                follow_up_at=utcnow() + timedelta(hours=1),
            )
            session.flush()
            session.execute(
                update(Reminder).where(Reminder.note_id == note.id).values(due_at=utcnow())
            )
    session.commit()
    report = run(settings, fake_slack, limit=7)
    report2 = run(settings, fake_slack)
    assert report.sent + report2.sent == 15 and len(posted(fake_slack)) == 15
    per_channel: dict[str, int] = {}
    for call in posted(fake_slack):
        per_channel[call.args["channel"]] = per_channel.get(call.args["channel"], 0) + 1
    assert sorted(per_channel.values()) == [5, 5, 5]


def test_done_and_snooze_from_the_dm(settings, fake_slack, team, slack):
    fake_slack.add_user("ULEAD")
    note_id = make_due(settings.database_url, team)
    run(settings, fake_slack)
    [dm] = posted(fake_slack)
    rid = reminders(settings.database_url)[0].id

    def click(action_id: str, value: str):
        return slack.payload({
            "type": "block_actions", "user": {"id": "ULEAD"}, "team": {"id": "T1"}, "api_app_id": "A1",
            "trigger_id": fake_slack.issue_trigger(), "response_url": fake_slack.response_url(),
            "container": {"type": "message", "channel_id": dm.response["channel"], "message_ts": dm.response["ts"]},
            "channel": {"id": dm.response["channel"]}, "message": {"text": dm.args["text"], "blocks": dm.args["blocks"]},
            "actions": [{"action_id": action_id, "value": value, "type": "button", "block_id": "b"}],
        })  # fmt: skip

    before = utcnow()
    click(ActionId.REMINDER_SNOOZE, f"{rid}:1d")
    after = utcnow()
    with session_scope(settings.database_url) as s:
        note = s.get(Note, note_id)
        assert note is not None and note.follow_up_at is not None
        assert before + timedelta(days=1) <= note.follow_up_at <= after + timedelta(days=1)
    assert [r.status for r in reminders(settings.database_url)] == [
        ReminderStatus.SENT,
        ReminderStatus.PENDING,
    ]
    snoozed = fake_slack.calls_to("response_url")[-1].args
    assert snoozed["replace_original"] in (True, "true") and "Snoozed" in json.dumps(
        snoozed["blocks"]
    )
    click(ActionId.REMINDER_DONE, str(rid))
    with session_scope(settings.database_url) as s:
        note = s.get(Note, note_id)
        assert note is not None and note.follow_up_done_at is not None
    assert [r.status for r in reminders(settings.database_url)] == [
        ReminderStatus.SENT,
        ReminderStatus.CANCELLED,
    ]
    assert "marked done" in json.dumps(fake_slack.calls_to("response_url")[-1].args["blocks"])


def test_a_date_picked_in_slack_uses_the_authors_zone_cached(settings, fake_slack, team, slack):
    fake_slack.add_user("ULEAD", tz="America/Los_Angeles")
    slack.command("ULEAD", "Sarah Connor")
    view = fake_slack.views[fake_slack.calls_to("views.open")[0].response["view"]["id"]]
    day = (utcnow() + timedelta(days=3)).date()
    answer = slack.submit(
        "ULEAD", view, body="Follow up on the refund calls.", follow_up=day.isoformat()
    )
    assert answer.json()["response_action"] == "update"
    view = fake_slack.views[view["id"]]
    slack.submit("ULEAD", view, body="Second note.", follow_up=day.isoformat())
    assert len(fake_slack.calls_to("users.info")) == 1
    with session_scope(settings.database_url) as s:
        due = s.scalars(select(Note.follow_up_at).order_by(Note.id)).all()
        zone = s.scalar(select(Member.tz).where(Member.slack_user_id == "ULEAD"))
    assert zone == "America/Los_Angeles"
    assert due == [follow_up_instant(day, "America/Los_Angeles")] * 2
    assert "add to Google Calendar" in json.dumps(fake_slack.views[view["id"]]["blocks"])


def test_a_claim_taken_over_after_its_lease_is_not_sent_by_the_first_process(settings, team):
    from bot.followups.reminders import _still_ours, load_claimed

    make_due(settings.database_url, team)
    start = utcnow()  # one instant for every step: a slow machine can't move the lease's end
    with session_scope(settings.database_url) as s:
        first_token, [rid] = claim_due(session=s, now=start)
    with session_scope(settings.database_url) as s:
        [view] = load_claimed(s, [rid], first_token, start)
    with session_scope(settings.database_url) as s:  # within the lease nobody else may take it
        assert claim_due(session=s, now=start + LEASE - timedelta(seconds=5))[1] == []
    later = start + LEASE + timedelta(seconds=1)
    with session_scope(settings.database_url) as s:
        second_token, taken = claim_due(session=s, now=later)
    assert taken == [rid] and second_token != first_token
    factory = partial(session_scope, settings.database_url)
    assert not _still_ours(factory, view, first_token, later)
    with session_scope(settings.database_url) as s:
        [mine] = load_claimed(s, [rid], second_token, later)
    assert _still_ours(factory, mine, second_token, later)


def test_editing_a_note_while_its_reminder_is_being_sent_makes_no_second_reminder(settings, team):
    make_due(settings.database_url, team)
    with session_scope(settings.database_url) as s:
        claim_due(session=s, now=utcnow())
        reminder = s.scalars(select(Reminder)).one()
        s.execute(
            update(Note).where(Note.id == reminder.note_id).values(follow_up_at=reminder.due_at)
        )
        note_id = reminder.note_id
    with session_scope(settings.database_url) as s:
        edit_note(session=s, actor=team["lead"], note_id=note_id, body="a changed body")
    assert [r.status for r in reminders(settings.database_url)] == [ReminderStatus.PENDING]


def test_passes_run_until_nothing_is_due_or_only_failures_are_left():
    passes = iter(
        [
            SendReport(claimed=3, sent=2, found_sent=1, lateness=[1.0]),
            SendReport(claimed=2, sent=1, failed=1, lateness=[2.0]),
            SendReport(claimed=2, failed=2),  # only retries left: they wait for the lease
            SendReport(claimed=9, sent=9),  # never reached
        ]
    )
    total = send_all_due(lambda: next(passes))
    assert (total.claimed, total.sent, total.found_sent, total.failed) == (7, 3, 1, 3)
    assert total.lateness == [1.0, 2.0]
    assert send_all_due(lambda: SendReport()).claimed == 0


LONG_NAME = ("王小明" * 60 + " 🧑‍💼✨" * 5)[:200]  # 200 characters, 9 URL characters each


def test_a_calendar_url_fits_slack_by_cutting_the_name_never_the_link():
    link = "https://slack.com/app_redirect?app=A00APP001&team=T00FAKE01"
    due = datetime(2026, 12, 14, 9, tzinfo=UTC)
    url = calendar_url(agent_name=LONG_NAME, due_at=due, link=link)
    query = parse_qs(urlsplit(url).query)
    assert len(url) <= 3000
    assert query["details"][0].endswith(f"coaching record in Slack: {link}")  # the link, whole
    shown = query["text"][0].removeprefix("Coaching follow-up: ")
    assert shown.endswith("…") and LONG_NAME.startswith(shown[:-1])
    # the longest cut that fits: one more character would not
    longer = clip(LONG_NAME, len(shown) + 1)
    assert len(calendar_url(agent_name=longer, due_at=due, link=link, limit=10_000)) > 3000
    short = calendar_url(agent_name="Sarah Connor", due_at=due, link=link)
    assert parse_qs(urlsplit(short).query)["text"] == ["Coaching follow-up: Sarah Connor"]
    without = calendar_url(agent_name="Sam", due_at=due, link="https://x.example/" + "y" * 3000)
    assert "details" not in parse_qs(urlsplit(without).query)  # a link that can't fit is left out


def test_a_reminder_for_an_agent_with_a_long_non_latin_name_is_accepted(
    settings, fake_slack, session
):
    f.member(session, "ULEAD", "owner")
    agent = f.agent(session, LONG_NAME, lead="ULEAD")
    session.commit()
    fake_slack.add_user("ULEAD")
    make_due(settings.database_url, {"lead": f.viewer(session, "ULEAD"), "sarah": agent.id})
    assert run(settings, fake_slack).sent == 1  # before: refused for good, every retry
    [dm] = posted(fake_slack)
    buttons = next(b for b in dm.args["blocks"] if b.get("block_id") == BlockId.REMINDER_ACTIONS)
    assert len(buttons["elements"][-1]["url"]) <= 3000
