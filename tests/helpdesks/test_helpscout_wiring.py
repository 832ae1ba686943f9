"""Help Scout in Debrief: its settings, the registry and the scheduler, deep links, and a sync
from a fake Help Scout then a scan, end to end (the connector itself: test_helpscout.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

import bot.ingest.sync
from bot.app.services import Services
from bot.core.db import session_scope
from bot.core.settings import Settings, SettingsError
from bot.ingest.deeplinks import deep_link
from bot.ingest.helpdesks.helpscout import HelpScoutHelpdesk
from bot.ingest.helpdesks.registry import (
    check_helpdesk_settings,
    configured_helpdesks,
    helpdesk_for,
    helpscout_configured,
)
from bot.ingest.sync import sync_helpdesks
from models import Conversation
from tests.helpdesks.fake_helpscout import (
    APP_ID,
    APP_SECRET,
    FakeHelpScout,
    customer,
    user,
)

pytestmark = pytest.mark.usefixtures("no_cached_tokens")


# settings, registry, deep links

HS = {"DEBRIEF_HELPSCOUT_APP_ID": APP_ID, "DEBRIEF_HELPSCOUT_APP_SECRET": APP_SECRET}


def hs_settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_the_deep_link_is_help_scouts_conversation_url_unless_overridden():
    plain = hs_settings(**HS)
    assert deep_link(plain, "helpscout", "432207336") == (
        "https://secure.helpscout.net/conversation/432207336"
    )
    custom = hs_settings(DEBRIEF_DEEPLINK_HELPSCOUT="https://hs.example/c/{external_id}")
    assert deep_link(custom, "helpscout", "12") == "https://hs.example/c/12"


def test_settings_build_the_connector_and_half_settings_name_the_missing_one():
    assert not helpscout_configured(hs_settings())
    built = configured_helpdesks(hs_settings(**HS))
    assert [h.name for h in built] == ["helpscout"]
    assert isinstance(built[0], HelpScoutHelpdesk)
    assert built[0]._http.base_url == "https://api.helpscout.net"
    built[0].close()
    moved = helpdesk_for(
        hs_settings(**HS, DEBRIEF_HELPSCOUT_BASE_URL="http://127.0.0.1:9/"), "HelpScout"
    )
    assert isinstance(moved, HelpScoutHelpdesk) and moved._http.base_url == "http://127.0.0.1:9"
    moved.close()
    assert helpdesk_for(hs_settings(), "helpscout") is None
    for present, missing in [
        ("DEBRIEF_HELPSCOUT_APP_ID", "DEBRIEF_HELPSCOUT_APP_SECRET"),
        ("DEBRIEF_HELPSCOUT_APP_SECRET", "DEBRIEF_HELPSCOUT_APP_ID"),
    ]:
        with pytest.raises(SettingsError) as caught:
            check_helpdesk_settings(hs_settings(**{present: "x"}))
        assert str(caught.value).startswith(missing)
    check_helpdesk_settings(hs_settings(**HS))
    with pytest.raises(SettingsError, match="DEBRIEF_HELPSCOUT_APP_SECRET"):
        HelpScoutHelpdesk.from_settings(hs_settings(DEBRIEF_HELPSCOUT_APP_ID="x"))


def test_the_scheduler_syncs_when_help_scout_is_configured():
    from slack_sdk import WebClient

    from bot.app.scheduler import build_scheduler

    scheduler = build_scheduler(Services(hs_settings(**HS), slack=WebClient(token="xoxb-test")))
    assert "sync" in [job.id for job in scheduler.get_jobs()]


# end to end: sync from the fake, scan, capture redacted samples from its threads

SLIDE = [4.3] * 8 + [4.4, 4.1, 3.9, 3.6, 3.4, 3.1]
STEADY = [4.2] * 14
JANE = customer("Jane", "Roe", "jane.roe@example.com", customer_id=8080)
PHONE = "+1 415 555 0134"
CARD = "4111 1111 1111 1111"


def week_scores(mean: float, per_week: int = 12) -> list[str]:
    """Ratings whose 5/3/1 scores average nearest `mean` (a sum of 12 + an even number)."""
    half = round((mean * per_week - per_week) / 2)  # = 2 x greats + okays
    if half >= per_week:
        greats, okays = half - per_week, 2 * per_week - half
    else:
        greats, okays = 0, half
    bad = per_week - greats - okays
    return ["great"] * greats + ["okay"] * okays + ["not good"] * bad


def plant_conversation(fake: FakeHelpScout, conversation: int, agent: dict[str, Any], when):
    steps = [
        (
            JANE,
            f"<p>Hi, this is Jane Roe. My card {CARD} was charged twice for the March plan "
            "and I need the duplicate refunded today.</p>",
        ),
        (agent, "<p>Sorry about that! I will refund it for you.</p>"),
        (JANE, f"<p>Can you confirm by email to jane.roe@example.com or call me on {PHONE}?</p>"),
        (agent, "<p>Internal: check the ledger first.</p>"),
        (agent, "<p>Sure, it's done. Anything else?</p>"),
        (JANE, "<p>No. Nothing arrived the last time either.</p>"),
    ]
    for n, (by, body) in enumerate(steps):
        kind = "customer" if by is JANE else ("note" if n == 3 else "message")
        fake.add_thread(
            conversation, kind, body, by=by, customer=JANE, at=when - timedelta(hours=6 - n)
        )


@pytest.fixture()
def hs_world(settings: Settings, session, tmp_path, fake_slack, httpserver):
    from tests import factories as f

    f.member(session, "ULEAD", "owner")
    f.member(session, "UADMIN", "admin")
    session.commit()
    for member in ("ULEAD", "UADMIN"):
        fake_slack.add_user(member)
    fake = FakeHelpScout(httpserver)
    fake.mailboxes = {7: "Billing"}
    fake.install()
    becky = user("Becky", "Ortiz", "becky@example.com", user_id=31)
    dan = user("Dan", "Lee", "dan@example.com", user_id=32)
    fake.add_user(31, "Becky", "Ortiz", "becky@example.com")
    fake.add_user(32, "Dan", "Lee", "dan@example.com")
    now = datetime.now(UTC)  # one instant for the data, the sync and the scan (see the test)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    last_week = today - timedelta(days=today.weekday() + 7)  # the last complete week
    n = 0
    for agent, means in [(becky, SLIDE), (dan, STEADY)]:
        for i, mean in enumerate(means):
            week = last_week - timedelta(weeks=len(means) - 1 - i)
            for k, rating in enumerate(week_scores(mean)):
                n += 1
                conversation = 900_000 + n
                when = week + timedelta(hours=7 + 9 * k, minutes=13)
                fake.add_rating(
                    conversation,
                    rating,
                    user_id=agent["id"],
                    at=when,
                    customer="Jane Roe",
                    mailbox=7,
                )
                if i == len(means) - 1:
                    plant_conversation(fake, conversation, agent, when)
    return (
        settings.model_copy(
            update={
                "chart_dir": str(tmp_path / "charts"),
                "helpscout_app_id": APP_ID,
                "helpscout_app_secret": APP_SECRET,
                "helpscout_base_url": fake.base_url,
            }
        ),
        fake,
        last_week,
        now,
    )


def test_end_to_end_sync_scan_flags_the_slide_and_keeps_no_customer_data(
    hs_world, fake_slack, monkeypatch
):
    from bot.ai.offline import OfflineSummarizer
    from bot.app.slack import slack_client
    from bot.flags.scan import run_scan
    from bot.people.agents import upsert_agent
    from handlers.notifier import SlackFlagNotifier
    from models import Agent, Flag, Sample
    from tests.privacy import leaks, stored_texts

    settings, fake, last_week, now = hs_world
    factory = partial(session_scope, settings.database_url)
    sleeps: list[float] = []
    # the sync, the connector's windows and the scan all read the fixture's instant, so a run
    # that crosses midnight on a Monday can't shift "the last complete week" under the data
    monkeypatch.setattr(bot.ingest.sync, "utcnow", lambda: now)

    def connector() -> HelpScoutHelpdesk:
        return HelpScoutHelpdesk(
            app_id=APP_ID,
            app_secret=APP_SECRET,
            base_url=fake.base_url,
            sleep=sleeps.append,
            clock=now.timestamp,
        )

    report = sync_helpdesks(
        session_factory=factory,
        settings=settings,
        helpdesks=[connector()],
    )

    assert report.pulled == {"helpscout": 2 * 14 * 12} and report.failed == {}
    with session_scope(settings.database_url) as s:
        agents = {a.name: a.email for a in s.scalars(select(Agent))}
        upsert_agent(session=s, actor="test", name="Becky Ortiz", lead="ULEAD")
    assert agents == {"Becky Ortiz": "becky@example.com", "Dan Lee": "dan@example.com"}

    notifier = SlackFlagNotifier(slack_client(settings, fake_slack.token))
    scan = run_scan(
        session_factory=Services(settings).sessions,
        settings=settings,
        summarizer=OfflineSummarizer(),
        notifier=notifier,
        now=now,
    )

    assert len(scan.outcome.raised) == 1
    with session_scope(settings.database_url) as s:
        [flag] = s.scalars(select(Flag)).all()
        flagged = s.get(Agent, flag.agent_id)
        samples = s.scalars(select(Sample)).all()
        assert flagged is not None and flagged.name == "Becky Ortiz"
        assert samples and scan.captured[flag.id] == len(samples)
        for sample in samples:
            assert sample.helpdesk == "helpscout" and sample.agent_id == flag.agent_id
            assert sample.closed_at is not None and sample.closed_at >= last_week
            assert sample.url == f"https://secure.helpscout.net/conversation/{sample.external_id}"
            assert sample.summary.startswith("Offline summary") and "5 turns" in sample.summary
            assert "2 from the agent" in sample.summary  # the note was left out
            assert "no transcript" not in sample.summary
    threads = [r.path for r, _ in fake.server.log if r.path.endswith("/threads")]
    assert len(threads) == len(samples)
    secrets = ("Jane Roe", "Jane", "Roe", "jane.roe@example.com", PHONE, "555 0134", "415 555")
    assert leaks(stored_texts(settings.database_url), secrets, CARD) == []

    again = sync_helpdesks(
        session_factory=factory,
        settings=settings,
        helpdesks=[connector()],
    )
    assert again.failed == {}
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 2 * 14 * 12
        assert s.scalar(select(func.count()).select_from(Agent)) == 2
    assert sleeps == []
