"""Syncs through the Gorgias connector: resuming after a failure, the requests a sync of ten
thousand ratings takes, and a sync and scan end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import func, select

import bot.ingest.sync
from bot.ai.offline import OfflineSummarizer
from bot.app.services import Services
from bot.app.slack import slack_client
from bot.core.db import session_scope
from bot.flags.scan import run_scan
from bot.ingest.helpdesks.base import RatingRecord
from bot.ingest.sync import OVERLAP, sync_helpdesks
from handlers.notifier import SlackFlagNotifier
from models import Agent, Conversation, Sample, SyncRun
from tests import factories as f
from tests.helpdesks import fake_gorgias
from tests.helpdesks.fake_gorgias import FakeGorgias
from tests.helpdesks.gorgias_support import SINCE, H, connector
from tests.privacy import leaks, stored_texts

# ---- syncing: resume, request count ------------------------------------------------------------


def _ratings(fake: FakeGorgias, count: int, *, start: datetime, agents: int = 3) -> None:
    for n in range(agents):
        fake.add_user(100 + n, f"Agent Number{n}", f"agent{n}@acme.test")
    for n in range(count):
        fake.add_rating(5000 + n, 1 + n % 5, agent_id=100 + n % agents, scored=start + n * H)


def test_a_sync_failing_on_a_ticket_batch_resumes_from_the_last_rating_it_kept(
    gg_fake, settings, sleeps, monkeypatch
):
    monkeypatch.setattr(bot.ingest.sync, "BATCH", 100)
    gg_fake.page_size = 100
    start = datetime(2026, 9, 1, tzinfo=UTC)
    _ratings(gg_fake, 450, start=start)
    gg_fake.fail("/api/tickets", after=2)  # the third batch of a hundred keeps failing (503)
    factory = partial(session_scope, settings.database_url)

    report = sync_helpdesks(
        session_factory=factory,
        settings=settings,
        since=start,
        helpdesks=[connector(gg_fake, sleeps)],
    )

    assert "Gorgias is unavailable: HTTP 503" in report.failed["gorgias"]
    assert len(sleeps) == 4  # the retries before giving up
    with session_scope(settings.database_url) as s:
        kept = s.scalar(select(func.count()).select_from(Conversation))
        reached = s.scalar(select(SyncRun.reached))
    assert kept == 200 and reached == start + 199 * H  # two batches, oldest first

    gg_fake.fail("/api/tickets", after=10**6)  # back up
    resumed = connector(gg_fake, sleeps)
    asked: list[datetime] = []
    real = resumed.ratings_since

    def recorded(since: datetime) -> Iterator[RatingRecord]:
        asked.append(since)
        return real(since)

    monkeypatch.setattr(resumed, "ratings_since", recorded)
    report = sync_helpdesks(session_factory=factory, settings=settings, helpdesks=[resumed])

    assert asked == [start + 199 * H - OVERLAP]  # where the failed run stopped, less the overlap
    assert report.pulled["gorgias"] == 450 - 199 + 24  # from there on, the overlap included
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 450


def test_a_sync_failing_on_the_third_page_of_surveys_keeps_nothing_and_the_next_completes(
    gg_fake, settings, sleeps
):
    gg_fake.page_size = 100
    start = datetime(2026, 9, 1, tzinfo=UTC)
    _ratings(gg_fake, 450, start=start)
    gg_fake.fail("/api/satisfaction-surveys", after=2)
    factory = partial(session_scope, settings.database_url)

    report = sync_helpdesks(
        session_factory=factory,
        settings=settings,
        since=start,
        helpdesks=[connector(gg_fake, sleeps)],
    )

    assert "HTTP 503" in report.failed["gorgias"]
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 0
        assert s.scalar(select(SyncRun.reached)) is None  # nothing kept: nothing to resume from
    gg_fake.fail("/api/satisfaction-surveys", after=10**6)
    report = sync_helpdesks(
        session_factory=factory,
        settings=settings,
        since=start,
        helpdesks=[connector(gg_fake, sleeps)],
    )
    assert report.pulled == {"gorgias": 450}


def test_requests_for_a_sync_of_ten_thousand_ratings(gg_fake, sleeps, capsys):
    """The request count of a 10,000-rating sync (200 agents) at Gorgias's largest page."""
    gg_fake.page_size = fake_gorgias.MAX_LIMIT
    for n in range(200):
        gg_fake.add_user(10_000 + n, f"Agent {n:03d}", f"agent{n}@acme.test")
    for n in range(10_000):
        gg_fake.add_rating(
            100_000 + n,
            1 + n % 5,
            agent_id=10_000 + n % 200,
            scored=SINCE + n * timedelta(minutes=10),
        )
    helpdesk = connector(gg_fake, sleeps)

    records = sum(1 for _ in helpdesk.ratings_since(SINCE))
    helpdesk.close()

    by_path: dict[str, int] = {}
    for request, _ in gg_fake.server.log:
        by_path[request.path] = by_path.get(request.path, 0) + 1
    assert records == 10_000
    assert by_path == {"/api/satisfaction-surveys": 100, "/api/tickets": 100, "/api/users": 2}
    with capsys.disabled():
        print(f"\nGorgias sync of 10,000 ratings, 200 agents: {sum(by_path.values())} requests "
              f"{json.dumps(by_path)}")  # fmt: skip


# ---- end to end: sync, scan, capture --------------------------------------------------------

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
LAST_WEEK = datetime(2026, 11, 9, tzinfo=UTC)
SLIDE = [4.3] * 8 + [4.4, 4.1, 3.9, 3.6, 3.4, 3.1]
STEADY = [4.2] * 14
CUSTOMER = "Jane Roe"
EMAIL = "jane.roe@example.com"
PHONE = "+1 415 555 0134"
CARD = "4111 1111 1111 1111"


def _history(fake: FakeGorgias) -> None:
    """Fourteen weeks of twelve rated tickets a week for a sliding and a steady agent; the
    last week's tickets hold a conversation naming the customer."""
    fake.add_user(21, "Becky Ortiz", "becky@example.com")
    fake.add_user(22, "Dan Lee", "dan@example.com")
    n = 0
    for agent_id, means in [(21, SLIDE), (22, STEADY)]:
        for i, mean in enumerate(means):
            week = LAST_WEEK - timedelta(weeks=len(means) - 1 - i)
            low, per_week = int(mean), 12
            highs = round((mean - low) * per_week)
            for k in range(per_week):
                n += 1
                ticket_id = 70_000 + n
                closed = week + timedelta(hours=3 + 9 * k)
                fake.add_rating(
                    ticket_id,
                    min(5, low + 1) if k < highs else low,
                    agent_id=agent_id,
                    scored=closed + timedelta(hours=6),
                    closed=closed,
                    team=(3, "Billing"),
                    tags=("billing",),
                    customer=(500 + n, CUSTOMER, EMAIL),
                )
                if i == len(means) - 1:
                    _conversation(fake, ticket_id, agent_id)


def _conversation(fake: FakeGorgias, ticket_id: int, agent_id: int) -> None:
    customer = (600, CUSTOMER, EMAIL)
    agent = (agent_id, "Becky Ortiz", "becky@example.com")
    fake.add_message(
        ticket_id,
        from_agent=False,
        sender=customer,
        html=f"<p>Hi, this is {CUSTOMER}. My card {CARD} was charged twice for the March plan "
        "and I need the duplicate refunded today.</p>",
    )
    fake.add_message(
        ticket_id, from_agent=True, sender=agent, html="<p>Sorry about that! I will refund it.</p>"
    )
    fake.add_message(
        ticket_id, from_agent=True, sender=agent, note=True, html=f"<p>Call {PHONE} back</p>"
    )
    fake.add_message(
        ticket_id,
        from_agent=False,
        sender=customer,
        html=f"<p>Can you confirm by email to {EMAIL} or call me on {PHONE}?</p>",
    )
    fake.add_message(
        ticket_id, from_agent=True, sender=agent, html="<p>Sure, it's done. Anything else?</p>"
    )


def test_sync_then_scan_flags_the_sliding_agent_with_redacted_samples_from_gorgias(
    gg_fake, settings, session, fake_slack, tmp_path, sleeps
):
    f.member(session, "ULEAD", "owner")
    f.member(session, "UADMIN", "admin")
    session.commit()
    for user in ("ULEAD", "UADMIN"):
        fake_slack.add_user(user)
    _history(gg_fake)
    world = settings.model_copy(
        update={
            "chart_dir": str(tmp_path / "charts"),
            "gorgias_domain": "acme",
            "gorgias_base_url": gg_fake.base_url,
            "gorgias_email": fake_gorgias.EMAIL,
            "gorgias_api_key": fake_gorgias.API_KEY,
        }
    )
    factory = partial(session_scope, world.database_url)
    since = NOW - timedelta(weeks=16)

    first = sync_helpdesks(session_factory=factory, settings=world, since=since)

    assert first.pulled == {"gorgias": 2 * 14 * 12} and first.failed == {}
    with session_scope(world.database_url) as s:
        from bot.people.agents import upsert_agent

        upsert_agent(session=s, actor="test", name="Becky Ortiz", lead="ULEAD")
        agents = {a.name: a.email for a in s.scalars(select(Agent))}
    assert agents == {"Becky Ortiz": "becky@example.com", "Dan Lee": "dan@example.com"}

    report = run_scan(
        session_factory=Services(world).sessions,
        settings=world,
        summarizer=OfflineSummarizer(),
        notifier=SlackFlagNotifier(slack_client(world, fake_slack.token)),
        now=NOW,
    )

    [flag_id] = report.outcome.raised
    assert report.dms_sent == 1 and report.captured[flag_id] == 12
    with session_scope(world.database_url) as s:
        flagged = s.scalar(select(Agent.name).join(Sample, Sample.agent_id == Agent.id).limit(1))
        samples = s.scalars(select(Sample)).all()
    assert flagged == "Becky Ortiz"
    for sample in samples:
        assert sample.url == f"https://acme.gorgias.com/app/ticket/{sample.external_id}"
        assert sample.summary.startswith("Offline summary")
        assert "charged twice for the March plan" in sample.summary  # read from the fake
        assert "4 turns, 2 from the agent" in sample.summary  # the internal note left out
    assert len(gg_fake.calls("/api/messages")) >= 12
    texts = stored_texts(world.database_url)
    words = (CUSTOMER, "Jane", "Roe", EMAIL, PHONE, "555 0134", "415 555")
    assert leaks(texts, words, CARD) == []

    with session_scope(world.database_url) as s:
        before = (
            s.scalar(select(func.count()).select_from(Conversation)),
            s.scalar(select(func.count()).select_from(Agent)),
        )
    again = sync_helpdesks(session_factory=factory, settings=world, since=since)
    later = sync_helpdesks(session_factory=factory, settings=world)  # from the last good sync
    with session_scope(world.database_url) as s:
        after = (
            s.scalar(select(func.count()).select_from(Conversation)),
            s.scalar(select(func.count()).select_from(Agent)),
        )
    assert again.pulled == {"gorgias": 336} and later.pulled == {"gorgias": 0}
    assert after == before == (336, 2)
