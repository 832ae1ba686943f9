"""End to end: 14 weeks of HubSpot CSAT synced from the fake, a scan flags the sliding agent and
captures redacted summaries of the fake's conversations, and a second sync adds nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial

from pytest_httpserver import HTTPServer
from sqlalchemy import func, select

from bot.ai.offline import OfflineSummarizer
from bot.app.services import Services
from bot.app.slack import slack_client
from bot.core.db import session_scope
from bot.core.settings import Settings
from bot.flags.scan import run_scan
from bot.ingest.helpdesks.hubspot import HubSpotHelpdesk
from bot.ingest.sync import FIRST_SYNC, sync_helpdesks
from bot.people.agents import upsert_agent
from handlers.notifier import SlackFlagNotifier
from models import Agent, Conversation, Flag, Sample
from tests import factories as f
from tests.helpdesks.fake_hubspot import PORTAL_ID, TOKEN, FakeHubSpot, comment, message
from tests.privacy import leaks, stored_texts

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
LAST_WEEK = datetime(2026, 11, 9, tzinfo=UTC)
SLIDE = [4.3] * 8 + [4.4, 4.1, 3.9, 3.6, 3.4, 3.1]
STEADY = [4.2] * 14
PER_WEEK = 12
CUSTOMER, EMAIL, PHONE = "Jane Roe", "jane.roe@example.com", "+1 415 555 0134"
CARD = "4111 1111 1111 1111"
AGENTS = [("201", "Becky", "Ortiz", "becky@example.com", SLIDE),
          ("202", "Dan", "Lee", "dan@example.com", STEADY)]  # fmt: skip


def week_of_answers(mean: float) -> list[str]:
    """Twelve HubSpot CSAT answers (0, 1, 2 are 1, 3, 5) whose mean on 1-5 is nearest `mean`:
    the sum on 1-5 is 12 + 4 x twos + 2 x ones."""
    extra = round((mean * PER_WEEK - PER_WEEK) / 2) * 2
    twos, ones = divmod(extra, 4)
    ones //= 2
    return ["2"] * twos + ["1"] * ones + ["0"] * (PER_WEEK - twos - ones)


def conversation(n: int) -> list[dict[str, object]]:
    return [
        message(
            "INCOMING",
            f"Hi, this is {CUSTOMER}. My card {CARD} was charged twice for the March plan and "
            f"the Xero export failed on invoice {n}.",
            sender=CUSTOMER,
            email=EMAIL,
        ),
        message(
            "OUTGOING",
            "Sorry about that! I will refund it for you.",
            sender="Becky Ortiz",
            email="becky@example.com",
        ),
        comment(f"Internal: {CUSTOMER} is a VIP, call {PHONE}"),
        message(
            "INCOMING",
            f"Please confirm to {EMAIL} or call me on {PHONE}.",
            sender=CUSTOMER,
            email=EMAIL,
        ),
        message(
            "OUTGOING",
            "<b>Done</b>, anything else?",
            sender="Becky Ortiz",
            email="becky@example.com",
        ),
    ]


def load(fake: FakeHubSpot) -> int:
    """Both agents' 14 weeks, every ticket from a conversation; returns how many ratings."""
    n = 0
    for owner_id, first, last, email, means in AGENTS:
        fake.add_owner(owner_id, first, last, email, teams=(("31", "Billing", True),))
        for i, mean in enumerate(means):
            week = LAST_WEEK - timedelta(weeks=len(means) - 1 - i)
            for k, answer in enumerate(week_of_answers(mean)):
                n += 1
                closed = (week + timedelta(hours=3 + 9 * k)).timestamp()
                ticket, thread = str(700_000 + n), str(900_000 + n)
                fake.add_ticket(ticket, owner_id=owner_id, closed=closed, thread_id=thread,
                                categories=("BILLING_ISSUE",))  # fmt: skip
                fake.add_thread(thread, conversation(n), contact_id=str(5_000 + n))
                fake.add_submission(str(800_000 + n), created=closed + 1800, value=answer,
                                    ticket_id=ticket)  # fmt: skip
    return n


def test_hubspot_sync_then_scan_flags_the_sliding_agent_with_redacted_summaries(
    settings: Settings, session, fake_slack, httpserver: HTTPServer, tmp_path
):
    fake = FakeHubSpot(httpserver).install()
    total = load(fake)
    f.member(session, "ULEAD", "owner")
    session.commit()
    fake_slack.add_user("ULEAD")
    world = settings.model_copy(
        update={
            "hubspot_token": TOKEN,
            "hubspot_base_url": fake.base_url,
            "hubspot_portal_id": PORTAL_ID,
            "chart_dir": str(tmp_path / "charts"),
        }
    )
    factory = partial(session_scope, world.database_url)

    def sync() -> dict[str, int]:
        helpdesk = HubSpotHelpdesk(token=TOKEN, base_url=fake.base_url, sleep=lambda _s: None)
        report = sync_helpdesks(
            session_factory=factory, settings=world, since=NOW - FIRST_SYNC, helpdesks=[helpdesk]
        )
        assert report.failed == {}
        return report.pulled

    assert sync() == {"hubspot": total}
    with session_scope(world.database_url) as s:
        upsert_agent(session=s, actor="test", name="Becky Ortiz", lead="ULEAD")
    notifier = SlackFlagNotifier(slack_client(world, fake_slack.token))

    report = run_scan(
        session_factory=Services(world).sessions,
        settings=world,
        summarizer=OfflineSummarizer(),
        notifier=notifier,
        now=NOW,
    )

    assert len(report.outcome.raised) == 1 and report.dms_sent == 1
    with session_scope(world.database_url) as s:
        flagged = s.scalars(select(Agent.name).join(Flag, Flag.agent_id == Agent.id)).all()
        samples = s.scalars(select(Sample)).all()
        stored = s.scalar(select(func.count()).select_from(Conversation))
    assert flagged == ["Becky Ortiz"] and stored == total
    assert samples and report.captured[report.outcome.raised[0]] == len(samples)
    for sample in samples:
        assert sample.url == (
            f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-5/{sample.external_id}"
        )
        assert sample.engine == "offline" and sample.closed_at is not None
        assert sample.closed_at.replace(tzinfo=UTC) >= LAST_WEEK
        # the fake's conversation, read at capture: four turns (the internal comment left out)
        assert "Xero export failed" in sample.summary, sample.summary
        assert "4 turns, 2 from the agent" in sample.summary, sample.summary
    asked = [r.path for r, _ in httpserver.log if r.path.endswith("/messages")]
    assert len(asked) == len(samples)  # transcripts are read only at capture time
    words = (CUSTOMER, "Jane", "Roe", EMAIL, PHONE, "555 0134", "415 555")
    assert leaks(stored_texts(world.database_url), words, CARD) == []
    assert "VIP" not in json.dumps([s.summary for s in samples])

    assert sync() == {"hubspot": total}  # read again (the same window), and nothing added
    with session_scope(world.database_url) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == total
        assert s.scalar(select(func.count()).select_from(Agent)) == 2
