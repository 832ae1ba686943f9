"""Syncs from a fake Zendesk: a sync that fails part way resumes where it stopped, `debrief sync`
on the command line, a sync and a scan end to end, and the requests a big sync takes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.ai.offline import OfflineSummarizer
from bot.app.services import Services
from bot.app.slack import slack_client
from bot.core.db import session_scope
from bot.flags.scan import run_scan
from bot.ingest.helpdesks.zendesk import ANSWER_WINDOW, ZendeskHelpdesk
from bot.ingest.sync import FIRST_SYNC, OVERLAP, sync_helpdesks
from handlers.notifier import SlackFlagNotifier
from models import Agent, Conversation, Flag, Sample, SyncRun
from models.base import utcnow
from tests import factories as f
from tests.helpdesks import fake_zendesk
from tests.helpdesks.fake_zendesk import RATINGS, RESPONSES, FakeZendesk
from tests.helpdesks.zendesk_support import MS, add_agents
from tests.privacy import leaks, stored_texts


def _connector(fake: FakeZendesk, sleeps: list[float], token: str = fake_zendesk.TOKEN):
    return ZendeskHelpdesk(
        base_url=fake.base_url, email=fake_zendesk.EMAIL, token=token, sleep=sleeps.append
    )


def _conversations(url: str) -> int:
    with session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(Conversation)) or 0


def test_a_sync_that_fails_part_way_resumes_where_it_stopped(
    settings, zd_fake, sleeps, monkeypatch
):
    import bot.ingest.sync

    monkeypatch.setattr(bot.ingest.sync, "BATCH", 4)
    add_agents(zd_fake)
    now = int(utcnow().timestamp())
    for n in range(40):  # one every 42 hours over the last 10 weeks, in shuffled order
        created = now - 70 * 86400 + 5 * 3600 + (n * 7 % 40) * 42 * 3600
        zd_fake.add_response(2000 + n, 1 + n % 5, assignee_id=11 + n % 3, created=created)
    factory = partial(session_scope, settings.database_url)
    list(_connector(zd_fake, sleeps).ratings_since(utcnow() - FIRST_SYNC))  # a dry run
    full = len(zd_fake.calls(RESPONSES))
    zd_fake.server.clear_log()
    zd_fake.served.clear()
    zd_fake.fail_after[RESPONSES] = full - 6  # 503s (on every retry) six pages from the end

    report = sync_helpdesks(
        session_factory=factory, settings=settings, helpdesks=[_connector(zd_fake, sleeps)]
    )

    assert "Zendesk is unavailable" in report.failed["zendesk"] and sleeps == [1.0, 2.0, 4.0, 8.0]
    kept = _conversations(settings.database_url)
    with session_scope(settings.database_url) as s:
        reached = s.scalar(select(SyncRun.reached))
    assert 10 < kept < 40 and reached is not None
    del zd_fake.fail_after[RESPONSES]
    zd_fake.server.clear_log()

    again = sync_helpdesks(
        session_factory=factory, settings=settings, helpdesks=[_connector(zd_fake, sleeps)]
    )

    assert again.pulled["zendesk"] < 30 and not again.failed
    probe = zd_fake.calls(RESPONSES)[0].args["filter[created_at_start]"]
    assert int(probe) == int((reached - OVERLAP - ANSWER_WINDOW).timestamp()) * MS  # resumed
    assert _conversations(settings.database_url) == 40


@pytest.fixture()
def cli(settings, zd_fake, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DEBRIEF_ZENDESK_BASE_URL", zd_fake.base_url)
    monkeypatch.setenv("DEBRIEF_ZENDESK_EMAIL", fake_zendesk.EMAIL)
    monkeypatch.setenv("DEBRIEF_ZENDESK_TOKEN", fake_zendesk.TOKEN)
    monkeypatch.delenv("DEBRIEF_INTERCOM_TOKEN", raising=False)
    from bot.cli import main

    return lambda *args: CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_debrief_sync_says_which_csat_it_read(cli, zd_fake):
    add_agents(zd_fake)
    now = int(utcnow().timestamp())
    for n in range(3):
        zd_fake.add_response(3000 + n, 5, assignee_id=11, created=now - 86400 * (n + 1))

    result = cli("sync")

    assert result.exit_code == 0, result.output
    assert result.stdout == "zendesk: 3 ratings (new CSAT survey responses)\n"
    zd_fake.add_rating(3100, "bad", assignee_id=12, created=now - 3600)
    assert cli("sync").stdout == (
        "zendesk: 4 ratings (3 new CSAT survey responses, 1 legacy satisfaction ratings)\n"
    )


def test_debrief_sync_with_a_wrong_token_is_one_line_and_changes_nothing(
    cli, zd_fake, settings, monkeypatch
):
    add_agents(zd_fake)
    zd_fake.add_response(3200, 5, assignee_id=11, created=int(utcnow().timestamp()) - 86400)
    monkeypatch.setenv("DEBRIEF_ZENDESK_TOKEN", "wrong")

    result = cli("sync")

    assert result.exit_code != 0
    [line] = result.stderr.strip().splitlines()
    assert "DEBRIEF_ZENDESK_EMAIL and DEBRIEF_ZENDESK_TOKEN" in line
    assert _conversations(settings.database_url) == 0


# a sliding agent and a steady one, as in tests/test_scan.py, but read from the fake Zendesk
SLIDE = [4.3] * 8 + [4.4, 4.1, 3.9, 3.6, 3.4, 3.1]
STEADY = [4.2] * 14
CUSTOMER, EMAIL, PHONE = "Jane Roe", "jane.roe@example.com", "+1 415 555 0134"
CARD = "4111 1111 1111 1111"


def _history(fake: FakeZendesk, last_week: datetime) -> dict[str, list[int]]:
    """14 weeks of rated tickets, 12 a week, for two agents; every ticket has a thread in which
    the customer gives their name, card, email and phone, and an internal note."""
    fake.page_size = 100
    fake.add_user(21, "Becky Ortiz", "becky@example.com")
    fake.add_user(22, "Dan Lee", "dan@example.com")
    fake.add_user(9000, CUSTOMER, EMAIL, role="end-user")
    fake.groups = {501: "Billing"}
    tickets: dict[str, list[int]] = {"Becky Ortiz": [], "Dan Lee": []}
    ticket = 5000
    for agent_id, name, means in [(21, "Becky Ortiz", SLIDE), (22, "Dan Lee", STEADY)]:
        for i, mean in enumerate(means):
            week = last_week - timedelta(weeks=len(means) - 1 - i)
            low, per_week = int(mean), 12
            highs = round((mean - low) * per_week)
            for k in range(per_week):
                ticket += 1
                solved = int((week + timedelta(hours=3 + 9 * k)).timestamp())
                fake.add_response(
                    ticket,
                    min(5, low + 1) if k < highs else low,
                    assignee_id=agent_id,
                    group_id=501,
                    created=solved + 86400,  # the survey goes out a day after solving
                    answered=solved + 86400 + 7200,
                    solved=solved,
                    requester_id=9000,
                )
                fake.add_comment(
                    ticket,
                    9000,
                    f"<p>Hi, this is {CUSTOMER}. My card {CARD} was charged twice for the March "
                    "plan and I need the duplicate refunded today.</p>",
                )
                fake.add_comment(ticket, agent_id, "<p>Sorry about that! I will refund it.</p>")
                fake.add_comment(
                    ticket, agent_id, f"<p>Internal: {CUSTOMER} again</p>", public=False
                )
                fake.add_comment(
                    ticket, 9000, f"<p>Confirm by email to {EMAIL} or call me on {PHONE}?</p>"
                )
                if i == len(means) - 1:
                    tickets[name].append(ticket)
    return tickets


def test_sync_then_scan_flags_the_sliding_agent_with_redacted_samples(
    settings, session, zd_fake, fake_slack, sleeps, tmp_path
):
    now = utcnow()
    this_monday = datetime.combine(
        now.date() - timedelta(days=now.weekday()), datetime.min.time(), UTC
    )
    last_week = this_monday - timedelta(weeks=1)
    tickets = _history(zd_fake, last_week)
    f.member(session, "ULEAD", "owner")
    session.commit()
    fake_slack.add_user("ULEAD")
    configured = settings.model_copy(
        update={
            "chart_dir": str(tmp_path / "charts"),
            "zendesk_subdomain": "acme",
            "zendesk_base_url": zd_fake.base_url,
            "zendesk_email": fake_zendesk.EMAIL,
            "zendesk_token": fake_zendesk.TOKEN,
        }
    )
    factory = partial(session_scope, configured.database_url)

    report = sync_helpdesks(
        session_factory=factory, settings=configured, helpdesks=[_connector(zd_fake, sleeps)]
    )

    assert report.pulled == {"zendesk": 336} and not report.failed
    assert report.read == {"zendesk": "new CSAT survey responses"}
    with session_scope(configured.database_url) as s:
        from bot.people.agents import upsert_agent

        upsert_agent(session=s, actor="test", name="Becky Ortiz", lead="ULEAD")
    notifier = SlackFlagNotifier(slack_client(configured, fake_slack.token))
    scan = run_scan(
        session_factory=Services(configured).sessions,
        settings=configured,
        summarizer=OfflineSummarizer(),
        notifier=notifier,
        now=now,
    )

    assert len(scan.outcome.raised) == 1 and scan.dms_sent == 1
    with session_scope(configured.database_url) as s:
        [flag] = s.scalars(select(Flag)).all()
        flagged = s.get(Agent, flag.agent_id)
        assert flagged is not None and flagged.name == "Becky Ortiz"
        samples = s.scalars(select(Sample)).all()
        assert samples and {int(x.external_id) for x in samples} <= set(tickets["Becky Ortiz"])
        for sample in samples:
            assert sample.url == f"https://acme.zendesk.com/agent/tickets/{sample.external_id}"
            assert sample.summary.startswith("Offline summary")
            assert "refund" in sample.summary.lower() and "Internal" not in sample.summary
    transcript_reads = [r for r, _ in zd_fake.server.log if r.path.endswith("/comments.json")]
    assert len(transcript_reads) >= len(samples)  # the summaries come from the fake's threads
    words = (CUSTOMER, "Jane", "Roe", EMAIL, PHONE, "555 0134")
    assert leaks(stored_texts(configured.database_url), words, CARD) == []

    before = _conversations(configured.database_url)
    second = sync_helpdesks(
        session_factory=factory, settings=configured, helpdesks=[_connector(zd_fake, sleeps)]
    )
    assert not second.failed and _conversations(configured.database_url) == before == 336


@pytest.mark.parametrize("source", ["survey", "legacy"])
def test_a_sync_of_ten_thousand_ratings_takes_a_few_hundred_requests(zd_fake, sleeps, source):
    """10,000 ratings over 16 weeks for 200 agents, pages of 100 (the most Zendesk gives): how
    many requests a first sync makes, and a sync half an hour later (the scheduler's)."""
    zd_fake.page_size = 100
    now = fake_zendesk.NOW
    start = now - timedelta(weeks=16)
    span = int((now - start).total_seconds()) - 3600
    for agent in range(200):
        zd_fake.add_user(100 + agent, f"Agent {agent}", f"agent{agent}@acme.test")
    zd_fake.groups = {501: "Billing"}
    first = int(start.timestamp())
    for n in range(10_000):
        created = first + n * span // 10_000
        if source == "survey":
            zd_fake.add_response(
                10_000 + n, 1 + n % 5, assignee_id=100 + n % 200, group_id=501, created=created
            )
        else:
            zd_fake.add_rating(
                10_000 + n,
                ("good", "bad")[n % 2],
                assignee_id=100 + n % 200,
                group_id=501,
                created=created,
            )

    def sync(since: datetime) -> tuple[int, int, dict[str, int]]:
        zd_fake.server.clear_log()
        connector = ZendeskHelpdesk(
            base_url=zd_fake.base_url,
            email=fake_zendesk.EMAIL,
            token=fake_zendesk.TOKEN,
            sleep=sleeps.append,
            clock=lambda: now,
        )
        count = sum(1 for _ in connector.ratings_since(since))
        connector.close()
        paths = (RESPONSES, RATINGS, "/api/v2/tickets/show_many.json",
                 "/api/v2/users/show_many.json", "/api/v2/groups.json")  # fmt: skip
        return (
            count,
            zd_fake.requests,
            {p.removeprefix("/api/v2/"): len(zd_fake.calls(p)) for p in paths},
        )

    records, requests, by_path = sync(start)
    print(f"\n{source}: 10,000 ratings, first sync: {requests} requests {by_path}")
    assert records == 10_000 and requests <= 260
    records, requests, by_path = sync(now - timedelta(minutes=30) - OVERLAP)
    print(f"{source}: {records} ratings re-read half an hour later: {requests} requests {by_path}")
    assert requests <= 80
