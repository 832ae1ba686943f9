"""The weekly digest: once per lead per ISO week, Monday 09:00 in the lead's zone, known figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import select, update

from blocks.digest import DIGEST_EVENT, digest_message
from bot.app.slack import slack_client
from bot.cli import main
from bot.core.db import session_scope
from bot.team.digest import (
    EVENT,
    DigestView,
    digest_chart_png,
    digest_view,
    due_leads,
    is_due,
    iso_week,
    send_digests,
)
from handlers.notifier import SlackDigestNotifier
from models import Conversation, DraftStatus, Flag, MeasurementEvent, Note, QaDraft, Rubric
from tests import factories as f

MONDAY_LONDON_9 = datetime(2026, 11, 23, 9, 10, tzinfo=UTC)  # 09:10 in London (UTC+0 in Nov)


def note(session, agent_id, created, follow_up=None, done=None):
    session.add(
        Note(
            agent_id=agent_id,
            author="ULONDON",
            body="1:1 on refunds",
            created_at=created,
            updated_at=created,
            follow_up_at=follow_up,
            follow_up_done_at=done,
        )
    )


@pytest.fixture()
def team(session, fake_slack):
    fake_slack.add_user("ULONDON", tz="Europe/London")
    fake_slack.add_user("UTOKYO", tz="Asia/Tokyo")
    fake_slack.add_user("USARAH", tz="Europe/London")
    f.member(session, "ULONDON", "owner")
    f.member(session, "UTOKYO", "admin")
    sarah, omar = f.agent(session, "Sarah"), f.agent(session, "Omar")
    f.member(session, "USARAH", "member", agent="Sarah")
    now = MONDAY_LONDON_9
    f.flag(session, omar.id, raised_at=now - timedelta(days=3))  # raised this week, still open
    f.flag(
        session, sarah.id, raised_at=now - timedelta(days=50), cleared_at=now - timedelta(days=5)
    )  # cleared
    f.flag(  # old news
        session, sarah.id, raised_at=now - timedelta(days=40), cleared_at=now - timedelta(days=30)
    )
    first = now - timedelta(days=20)
    note(session, sarah.id, first, follow_up=now - timedelta(days=10))  # overdue
    note(
        session,
        sarah.id,
        now - timedelta(days=2),
        now - timedelta(days=1),
        now - timedelta(hours=20),
    )
    note(session, omar.id, now - timedelta(days=1), follow_up=now - timedelta(hours=2))  # overdue
    rubric = Rubric(version=1, name="r", criteria=[], source_sha256="0" * 64, approved_by="x")
    session.add(rubric)
    session.flush()
    for i, status in enumerate([DraftStatus.PENDING, DraftStatus.PENDING, DraftStatus.APPROVED]):
        session.add(
            QaDraft(
                helpdesk="zendesk",
                external_id=str(i),
                agent_id=omar.id,
                rubric_id=rubric.id,
                engine="t",
                summary="s",
                scores=[],
                points=[],
                customer_risk=[],
                confidence=0.9,
                route="ready",
                status=status,
            )
        )
    for day, score in [(-10, 2), (-5, 1), (3, 4), (8, 5)]:  # Sarah around her first note
        session.add(
            Conversation(
                helpdesk="zendesk",
                external_id=f"s{day}",
                agent_id=sarah.id,
                closed_at=first + timedelta(days=day),
                csat=float(score),
            )
        )
    for week, rating in [(3, 4.0), (2, 3.0), (1, 2.0)]:  # Omar's slide, a rating a week
        session.add(
            Conversation(
                helpdesk="zendesk",
                external_id=f"o{week}",
                agent_id=omar.id,
                closed_at=now - timedelta(weeks=week, hours=-1),
                csat=rating,
            )
        )
    session.commit()
    return session


def run(settings, fake_slack, now):
    notifier = SlackDigestNotifier(slack_client(settings, fake_slack.token))
    return send_digests(
        session_factory=partial(session_scope, settings.database_url),
        notifier=notifier,
        zone_of=notifier.zone_of,
        now=now,
    )


def digests(fake_slack, user):
    channel = fake_slack._dm_for(user)
    return [
        m
        for m in fake_slack.messages.get(channel, [])
        if (m.get("metadata") or {}).get("event_type") == DIGEST_EVENT
    ]


def test_due_on_monday_from_nine_local_for_a_few_hours():
    assert is_due(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert is_due(datetime(2026, 11, 23, 11, 59, tzinfo=UTC))
    assert not is_due(datetime(2026, 11, 23, 8, 59, tzinfo=UTC))
    assert not is_due(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    assert not is_due(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert iso_week(datetime(2026, 11, 23, 9, tzinfo=UTC)) == ("2026-W48", 202648)


def test_each_lead_gets_one_digest_a_week_at_nine_in_their_zone(team, settings, fake_slack):
    sent_at: dict[str, datetime] = {}
    tick = datetime(2026, 11, 22, 20, 5, tzinfo=UTC)  # Sunday evening UTC
    while tick < datetime(2026, 11, 23, 16, tzinfo=UTC):
        for _ in range(2):  # the job repeats (two processes, a retry): still once
            report = run(settings, fake_slack, tick)
            for lead in report.leads:
                sent_at[lead] = tick
        tick += timedelta(hours=1)
    # Tokyo's Monday 09:05 is Monday 00:05 UTC; London's is 09:05 UTC; a member gets nothing
    assert sent_at == {
        "UTOKYO": datetime(2026, 11, 23, 0, 5, tzinfo=UTC),
        "ULONDON": datetime(2026, 11, 23, 9, 5, tzinfo=UTC),
    }
    assert len(digests(fake_slack, "UTOKYO")) == 1 and len(digests(fake_slack, "ULONDON")) == 1
    assert len(fake_slack.calls_to("users.info")) == 2  # each zone looked up once, then cached
    with session_scope(settings.database_url) as session:
        rows = session.scalars(select(MeasurementEvent).where(MeasurementEvent.kind == EVENT))
        payloads = sorted(
            (r.payload["lead"], r.payload["week"], bool(r.payload["sentAt"])) for r in rows
        )
    assert payloads == [("ULONDON", "2026-W48", True), ("UTOKYO", "2026-W48", True)]
    # next Monday is a new week
    assert run(settings, fake_slack, datetime(2026, 11, 30, 9, 5, tzinfo=UTC)).leads == ["ULONDON"]


def test_archived_notes_count_for_nothing_and_with_nobody_flagged_the_chart_is_the_teams(team):
    now = MONDAY_LONDON_9
    omar = team.scalar(select(Flag.agent_id).where(Flag.cleared_at.is_(None)))
    archived = Note(
        agent_id=omar, author="ULONDON", body="Archived.", created_at=now - timedelta(days=1),
        updated_at=now - timedelta(days=1), follow_up_at=now - timedelta(hours=3),
        archived_at=now - timedelta(hours=1),
    )  # fmt: skip
    team.add(archived)
    team.execute(
        update(Flag).where(Flag.cleared_at.is_(None)).values(cleared_at=now - timedelta(hours=1))
    )
    team.commit()
    view = digest_view(session=team, lead="ULONDON", week="2026-W48", week_key=202648, now=now)
    assert view.notes_written == 2 and view.follow_ups_overdue == 2  # as without the archived
    assert list(view.chart_series) == ["team"] and view.chart_title == "Weekly CSAT of the team"


def test_the_digest_figures_and_chart(team, settings, fake_slack):
    view = digest_view(
        session=team, lead="ULONDON", week="2026-W48", week_key=202648, now=MONDAY_LONDON_9
    )
    assert view.flags_raised == ["Omar"] and view.flags_cleared == ["Sarah"]
    assert view.notes_written == 2  # the first note is 20 days old
    assert (view.follow_ups_done, view.follow_ups_overdue) == (1, 2)
    assert view.queue == 2
    assert [(r.agent, r.before, r.before_count, r.after, r.after_count) for r in view.recovery] == [
        ("Sarah", 1.5, 2, 4.5, 2)
    ]
    assert list(view.chart_series) == ["Omar"]  # the agent flagged now, three weekly points
    assert [p[1:] for p in view.chart_series["Omar"]] == [(4.0, 1), (3.0, 1), (2.0, 1)]
    png = digest_chart_png(view)
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n"
    message = digest_message(view, chart_file_id="F1")
    body = "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
    assert "*Flags raised:* 1: Omar" in body and "*Flags cleared:* 1: Sarah" in body
    assert "*Notes written:* 2" in body and "*Overdue now:* 2" in body
    assert "*QA drafts waiting for review:* 2" in body
    assert "*Sarah*: 1.50 (2 ratings) → 4.50 (2 ratings) (+3.00)" in body
    assert message["blocks"][-1]["slack_file"] == {"id": "F1"}
    assert len(message["blocks"]) <= 50

    report = run(settings, fake_slack, MONDAY_LONDON_9)
    assert report.leads == ["ULONDON"]
    [sent] = digests(fake_slack, "ULONDON")
    assert any(b["type"] == "image" for b in sent["blocks"])  # uploaded like the flag chart
    assert fake_slack.calls_to("files.completeUploadExternal")


def test_no_chart_without_two_weeks_of_ratings():
    view = DigestView(
        lead="U",
        week="2026-W48",
        week_key=202648,
        start=MONDAY_LONDON_9 - timedelta(7),
        end=MONDAY_LONDON_9,
        flags_raised=[],
        flags_cleared=[],
        notes_written=0,
        follow_ups_done=0,
        follow_ups_overdue=0,
        queue=0,
        recovery=[],
    )
    assert digest_chart_png(view) is None
    assert all(b["type"] != "image" for b in digest_message(view)["blocks"])


class FlakyNotifier(SlackDigestNotifier):
    fail = True

    def post_digest(self, channel, view, chart_png):
        ts = super().post_digest(channel, view, None)
        if self.fail:
            raise ConnectionError("lost the answer")  # posted, but the sender never knew
        return ts


def test_a_lost_answer_is_found_in_history_after_the_lease(team, settings, fake_slack):
    notifier = FlakyNotifier(slack_client(settings, fake_slack.token))
    go = partial(
        send_digests,
        session_factory=partial(session_scope, settings.database_url),
        notifier=notifier,
        zone_of=notifier.zone_of,
    )
    assert go(now=MONDAY_LONDON_9).failed == 1
    assert go(now=MONDAY_LONDON_9 + timedelta(minutes=5)).leads == []  # claim held: no resend
    notifier.fail = False
    later = go(now=MONDAY_LONDON_9 + timedelta(minutes=50))  # the lease ran out: history first
    assert (later.sent, later.found_sent, later.leads) == (0, 1, ["ULONDON"])
    assert len(digests(fake_slack, "ULONDON")) == 1
    assert go(now=MONDAY_LONDON_9 + timedelta(minutes=55)).leads == []


def test_which_leads_are_due_is_one_query_however_many_leads(session, count_queries):
    def counted_for(leads: int) -> int:
        for i in range(leads):
            f.member(session, f"ULEAD{leads}X{i}", "admin")
        session.commit()
        with count_queries as counted:
            due = due_leads(session=session, now=MONDAY_LONDON_9, zone_of=lambda _: "Europe/London")
        assert len(due) >= leads
        session.rollback()  # drop the zones the lookup set, so both rounds ask Slack alike
        return counted.count

    assert counted_for(2) == counted_for(8) == 1


@pytest.fixture()
def cli(settings, monkeypatch, tmp_path):
    """`debrief …` against the test database and the fake Slack."""
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DATABASE_URL": settings.database_url,
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_SIGNING_SECRET": "unused",
        "SLACK_API_URL": settings.slack_api_url,
        "DEBRIEF_SLACK_MAX_RETRIES": "0",
    }.items():
        monkeypatch.setenv(name, str(value))
    return partial(CliRunner().invoke, main, catch_exceptions=False)


WEDNESDAY = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # far from every zone's week boundary


@freeze_time(WEDNESDAY)
def test_digest_send_now_sends_every_lead_once_a_week(team, cli, fake_slack):
    first = cli(["digest", "send", "--now"])
    assert first.exit_code == 0, first.output
    assert "2 leads, 2 sent now" in first.output
    assert len(digests(fake_slack, "ULONDON")) == 1 and len(digests(fake_slack, "UTOKYO")) == 1
    again = cli(["digest", "send", "--now"])
    assert again.exit_code == 0
    assert "ULONDON already has this week's digest" in again.output
    assert len(digests(fake_slack, "ULONDON")) == 1  # once per lead and week


@freeze_time(WEDNESDAY)
def test_digest_send_that_fails_says_so_in_one_line_and_can_be_resent(
    team, cli, fake_slack, settings
):
    fake_slack.fail_next("chat.postMessage", error="not_in_channel")
    failed = cli(["digest", "send", "--now"])
    assert failed.exit_code == 1
    [line] = failed.stderr.strip().splitlines()
    assert "could not send the digest to" in line and "(not_in_channel)" in line
    assert "run this again in 10 minutes" in line
    busy = cli(["digest", "send", "--now"])  # within the failed try's lease: not sent twice
    assert busy.exit_code == 0 and "1 being sent by another run" in busy.output
    later = WEDNESDAY + timedelta(minutes=11)
    report = send_digests(
        session_factory=partial(session_scope, settings.database_url),
        notifier=SlackDigestNotifier(slack_client(settings, fake_slack.token)),
        zone_of=lambda _: "UTC",
        now=later,
        every=True,
    )  # after the lease, the resend goes out (the DM's history is checked first)
    assert report.sent == 1
    assert len(digests(fake_slack, "ULONDON")) == 1 and len(digests(fake_slack, "UTOKYO")) == 1


@freeze_time("2026-12-08 10:00:00")  # a Tuesday everywhere
def test_digest_send_without_now_sends_only_to_leads_whose_monday_has_come(team, cli, fake_slack):
    answer = cli(["digest", "send"])
    assert answer.exit_code == 0 and "no lead is due" in answer.output
    assert fake_slack.calls_to("chat.postMessage") == []


def test_digest_send_needs_slack_credentials(team, cli, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    answer = cli(["digest", "send", "--now"])
    assert answer.exit_code != 0 and "SLACK_BOT_TOKEN" in answer.stderr
