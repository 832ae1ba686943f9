"""The Freshdesk connector against a fake Freshdesk API, and a sync and scan through it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select

from bot.ai.offline import OfflineSummarizer
from bot.app.services import Services
from bot.app.slack import slack_client
from bot.cli import main
from bot.core.db import session_scope
from bot.core.settings import Settings, SettingsError
from bot.flags.scan import run_scan
from bot.flags.windows import day_start, last_complete_window
from bot.ingest.deeplinks import deep_link
from bot.ingest.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
    RatingRecord,
    Transcript,
)
from bot.ingest.helpdesks.freshdesk import FreshdeskHelpdesk, csat_from
from bot.ingest.helpdesks.registry import (
    check_helpdesk_settings,
    configured_helpdesks,
    helpdesk_for,
)
from bot.ingest.sync import OVERLAP, sync_helpdesks
from handlers.notifier import SlackFlagNotifier
from models import Agent, Conversation, Flag, Sample, SyncRun
from models.base import utcnow
from tests import factories as f
from tests.helpdesks import fake_freshdesk
from tests.helpdesks.fake_freshdesk import FakeFreshdesk
from tests.privacy import leaks, stored_texts

SINCE = datetime(2024, 5, 1, tzinfo=UTC)
T0 = int(SINCE.timestamp())
RATINGS = "/api/v2/surveys/satisfaction_ratings"


@pytest.fixture()
def fd_fake(httpserver: HTTPServer) -> FakeFreshdesk:
    """A fake Freshdesk with one 5-point survey and no ratings yet."""
    fake = FakeFreshdesk(httpserver).install()
    fake.add_survey(1, 5)
    return fake


@pytest.fixture()
def freshdesk(fd_fake: FakeFreshdesk, sleeps: list[float]) -> Iterator[FreshdeskHelpdesk]:
    """A Freshdesk connector with the fake's API key."""
    connector = FreshdeskHelpdesk(
        base_url=fd_fake.base_url, api_key=fake_freshdesk.API_KEY, sleep=sleeps.append
    )
    yield connector
    connector.close()


def _agents(fake: FakeFreshdesk) -> None:
    fake.add_agent(11, "Ana Lima", "ana@acme.test")
    fake.add_agent(12, "Ben Okafor", "ben@acme.test")
    fake.add_agent(13, "Caro Diaz", "caro@acme.test")
    fake.groups = {501: "Billing", 502: "Tier 2"}


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, tz=UTC)


def test_ratings_follow_link_pages_come_oldest_first_and_map_fields(fd_fake, freshdesk):
    _agents(fd_fake)
    fd_fake.page_cap = 2
    fd_fake.add_rating(104, -103, agent_id=11, group_id=501, created=T0 + 40)
    fd_fake.add_rating(101, 103, agent_id=11, group_id=501, created=T0 + 10)
    fd_fake.add_rating(105, 100, agent_id=12, created=T0 + 50)
    fd_fake.add_rating(102, -102, agent_id=12, group_id=502, created=T0 + 20)
    fd_fake.add_rating(103, 102, agent_id=13, created=T0 + 30)
    fd_fake.add_rating(90, -103, agent_id=11, created=T0 - 100)  # before `since`

    records = list(freshdesk.ratings_since(SINCE))

    assert [r.external_id for r in records] == ["101", "102", "103", "104", "105"]
    assert records[0] == RatingRecord(
        helpdesk="freshdesk",
        external_id="101",
        agent_name="Ana Lima",
        agent_email="ana@acme.test",
        closed_at=_at(10),
        csat=5.0,
        queue="Billing",
        tags=(),
        url=None,
        rated_at=_at(10),
    )
    assert [r.csat for r in records] == [5.0, 2.0, 4.0, 1.0, 3.0]
    assert [r.queue for r in records] == ["Billing", "Tier 2", None, "Billing", None]
    pages = fd_fake.calls(RATINGS)
    assert len(pages) == 3
    assert pages[0].args.to_dict() == {"created_since": "2024-05-01T00:00:00Z", "per_page": "100"}
    assert pages[1].args["page"] == "2" and pages[2].args["page"] == "3"
    assert pages[1].args["created_since"] == "2024-05-01T00:00:00Z"


@pytest.mark.parametrize("order", ["id", "newest", "shuffled"])
def test_the_window_is_sorted_whatever_order_freshdesk_pages_in(fd_fake, freshdesk, order):
    _agents(fd_fake)
    fd_fake.order, fd_fake.page_cap = order, 3
    for n in range(10):  # ids run against time: the newest rating has the lowest id
        fd_fake.add_rating(200 + n, 103, agent_id=11, created=T0 + 1000 - n, rating_id=900 - n)

    times = [r.rated_at for r in freshdesk.ratings_since(SINCE)]

    assert times == sorted(times) and len(times) == 10
    assert freshdesk.ordered is True


@pytest.mark.parametrize(
    ("points", "values", "expected"),
    [
        (3, [103, 100, -103], [5.0, 3.0, 1.0]),
        (5, [103, 102, 100, -102, -103], [5.0, 4.0, 3.0, 2.0, 1.0]),
        (7, [103, 102, 101, 100, -101, -102, -103], [5.0, 4.33, 3.67, 3.0, 2.33, 1.67, 1.0]),
    ],
)
def test_each_survey_scale_maps_onto_one_to_five(fd_fake, freshdesk, points, values, expected):
    _agents(fd_fake)
    fd_fake.add_survey(points + 10, points)
    for n, value in enumerate(values):
        fd_fake.add_rating(300 + n, value, agent_id=11, created=T0 + n, survey_id=points + 10)

    assert [r.csat for r in freshdesk.ratings_since(SINCE)] == expected
    assert len(fd_fake.calls("/api/v2/surveys")) == 1


def test_scale_mapping_without_a_readable_survey_reads_the_seven_point_scale():
    assert csat_from(103, None) == 5.0 and csat_from(-103, None) == 1.0
    assert csat_from(100, None) == 3.0 and csat_from(102, None) == 4.33
    assert csat_from(102, (103, 102, 100, -102, -103)) == 4.0
    assert csat_from(101, (103, 100, -103)) == 3.67  # not on its survey's scale: the 7-point one
    for not_a_rating in (5, 0, None, "103", True, 104):
        assert csat_from(not_a_rating, None) is None


def test_responses_without_a_csat_answer_are_skipped_with_a_log_line(fd_fake, freshdesk, caplog):
    _agents(fd_fake)
    fd_fake.add_rating(401, None, agent_id=11, created=T0 + 1, rating_id=7001)  # comment only
    fd_fake.add_rating(402, 7, agent_id=11, created=T0 + 2, rating_id=7002)  # not a rating value
    fd_fake.add_rating(403, 102, agent_id=11, created=T0 + 3)

    with caplog.at_level(logging.INFO, logger="bot.helpdesks.freshdesk"):
        records = list(freshdesk.ratings_since(SINCE))

    assert [r.external_id for r in records] == ["403"]
    assert "rating 7001 has no CSAT answer" in caplog.text
    assert "rating 7002 has an unknown value 7" in caplog.text


def test_agents_and_groups_are_listed_once_and_an_unlisted_agent_is_looked_up(fd_fake, freshdesk):
    _agents(fd_fake)
    fd_fake.add_agent(14, "Dee Former", "dee@acme.test", listed=False)
    for n in range(30):
        fd_fake.add_rating(1000 + n, 103, agent_id=11 + n % 4, group_id=501, created=T0 + n)
    fd_fake.add_rating(2000, 103, agent_id=99, created=T0 + 99)  # no such agent
    fd_fake.add_rating(2001, 103, agent_id=None, created=T0 + 100)  # unassigned

    records = list(freshdesk.ratings_since(SINCE))
    again = list(freshdesk.ratings_since(SINCE))

    assert len(records) == len(again) == 30
    assert {r.agent_name for r in records} == {"Ana Lima", "Ben Okafor", "Caro Diaz", "Dee Former"}
    listed = fd_fake.calls("/api/v2/agents")
    assert len(listed) == 1 and listed[0].args["per_page"] == "100"
    assert len(fd_fake.calls("/api/v2/agents/14")) == 1  # then cached
    assert len(fd_fake.calls("/api/v2/agents/99")) == 1
    assert len(fd_fake.calls("/api/v2/groups")) == 1


def test_wrong_credentials_name_the_setting(fd_fake):
    connector = FreshdeskHelpdesk(base_url=fd_fake.base_url, api_key="nope")
    with pytest.raises(HelpdeskAuthError) as caught:
        list(connector.ratings_since(SINCE))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Freshdesk refused the credentials: check DEBRIEF_FRESHDESK_API_KEY")
    auth = fd_fake.calls(RATINGS)[0].authorization
    assert auth is not None and (auth.username, auth.password) == ("nope", "X")
    connector.close()


def test_rate_limit_honours_retry_after(fd_fake, freshdesk, sleeps):
    _agents(fd_fake)
    fd_fake.add_rating(601, 103, agent_id=11, created=T0 + 1)
    fd_fake.throttle = [42, 7]

    assert [r.external_id for r in freshdesk.ratings_since(SINCE)] == ["601"]
    assert sleeps == [42.0, 7.0]
    throttled = [resp for _req, resp in fd_fake.server.log if resp.status_code == 429]
    assert [r.headers["Retry-After"] for r in throttled] == ["42", "7"]
    assert all(r.headers["X-RateLimit-Total"] == "700" for r in throttled)


def test_persistent_5xx_is_unavailable(fd_fake, freshdesk, sleeps):
    fd_fake.failures[(RATINGS, 1)] = 100
    with pytest.raises(HelpdeskUnavailable, match="Freshdesk is unavailable: HTTP 503"):
        list(freshdesk.ratings_since(SINCE))
    assert len(sleeps) == 4


def test_the_fake_refuses_what_freshdesk_refuses(fd_fake, freshdesk):
    import httpx

    auth = (fake_freshdesk.API_KEY, "X")
    url = fd_fake.base_url + RATINGS
    too_many = httpx.get(url, params={"per_page": 101}, auth=auth)
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["field"] == "per_page"
    unknown = httpx.get(url, params={"start_time": 1}, auth=auth)
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["code"] == "invalid_field"
    assert httpx.get(url, auth=("x", "y")).json()["code"] == "invalid_credentials"


def _thread(fake: FakeFreshdesk) -> None:
    _agents(fake)
    fake.add_contact(9000, "Dana Whitfield", "dana@example.com")
    fake.add_rating(700, -103, agent_id=11, created=T0 + 1, requester_id=9000)
    fake.tickets[700]["description"] = "<div>My card was charged <b>twice</b>.</div>"
    fake.tickets[700]["description_text"] = "My card was charged twice."
    fake.add_message(700, "<p>Sorry &amp; thanks!</p>", user_id=11, incoming=False)
    fake.add_message(700, "<p>Internal: refund?</p>", user_id=11, incoming=False, private=True)
    fake.add_message(700, "<div>It happened again</div>", user_id=9000, incoming=True)
    fake.add_message(700, "<p>Refunded.<br>Anything else?</p>", user_id=12, incoming=False)


def test_transcript_labels_turns_strips_html_leaves_notes_out_and_finds_the_requester(
    fd_fake, freshdesk
):
    _thread(fd_fake)
    fd_fake.page_cap = 2

    transcript = freshdesk.transcript("700")

    assert transcript == Transcript(
        text=(
            "Customer: My card was charged twice.\n"
            "Agent: Sorry & thanks!\n"
            "Customer: It happened again\n"
            "Agent: Refunded. Anything else?\n"
        ),
        customer_name="Dana Whitfield",
        customer_email="dana@example.com",
    )
    assert fd_fake.calls("/api/v2/tickets/700")[0].args["include"] == "requester"
    assert len(fd_fake.calls("/api/v2/tickets/700/conversations")) == 2  # two pages


def test_transcript_of_unknown_ticket_is_not_found(fd_fake, freshdesk):
    with pytest.raises(HelpdeskNotFound, match="Freshdesk has no ticket 404"):
        freshdesk.transcript("404")
    with pytest.raises(HelpdeskNotFound):
        freshdesk.transcript("not-a-ticket")


def _settings(**values: Any) -> Settings:
    blank = {
        "DEBRIEF_FRESHDESK_DOMAIN": None,
        "DEBRIEF_FRESHDESK_API_KEY": None,
        "DEBRIEF_FRESHDESK_BASE_URL": None,
        "DEBRIEF_DEEPLINK_FRESHDESK": None,
        "DEBRIEF_ZENDESK_SUBDOMAIN": None,
        "DEBRIEF_ZENDESK_EMAIL": None,
        "DEBRIEF_ZENDESK_TOKEN": None,
        "DEBRIEF_INTERCOM_TOKEN": None,
    }
    return Settings(_env_file=None, **{**blank, **values})


def test_deep_link_is_built_from_the_domain_unless_overridden():
    settings = _settings(DEBRIEF_FRESHDESK_DOMAIN="acme")
    assert deep_link(settings, "freshdesk", "4512") == "https://acme.freshdesk.com/a/tickets/4512"
    custom = _settings(
        DEBRIEF_FRESHDESK_DOMAIN="acme",
        DEBRIEF_DEEPLINK_FRESHDESK="https://support.acme.test/a/tickets/{external_id}",
    )
    assert deep_link(custom, "freshdesk", "4512") == "https://support.acme.test/a/tickets/4512"
    assert deep_link(_settings(), "freshdesk", "4512") is None


def test_settings_build_the_connector_or_name_what_is_missing():
    full = _settings(DEBRIEF_FRESHDESK_DOMAIN="acme", DEBRIEF_FRESHDESK_API_KEY="k")
    [connector] = configured_helpdesks(full)
    assert isinstance(connector, FreshdeskHelpdesk)
    assert connector._http.base_url == "https://acme.freshdesk.com"
    connector.close()
    based = full.model_copy(update={"freshdesk_base_url": "http://127.0.0.1:9/"})
    found = helpdesk_for(based, "Freshdesk")
    assert isinstance(found, FreshdeskHelpdesk) and found._http.base_url == "http://127.0.0.1:9"
    found.close()
    assert configured_helpdesks(_settings(DEBRIEF_FRESHDESK_DOMAIN="acme")) == []  # links only
    check_helpdesk_settings(full)
    with pytest.raises(SettingsError) as caught:
        check_helpdesk_settings(_settings(DEBRIEF_FRESHDESK_API_KEY="k"))
    assert str(caught.value).startswith("DEBRIEF_FRESHDESK_DOMAIN is not set")
    with pytest.raises(SettingsError) as caught:
        check_helpdesk_settings(_settings(DEBRIEF_FRESHDESK_BASE_URL="http://127.0.0.1:9"))
    assert str(caught.value).startswith("DEBRIEF_FRESHDESK_API_KEY is not set")
    with pytest.raises(SettingsError, match="DEBRIEF_FRESHDESK_API_KEY"):
        FreshdeskHelpdesk.from_settings(_settings(DEBRIEF_FRESHDESK_DOMAIN="acme"))


def test_serve_schedules_the_sync_when_only_freshdesk_is_configured(settings):
    from slack_sdk import WebClient

    from bot.app.scheduler import build_scheduler

    client = WebClient(token="xoxb-test", base_url=settings.slack_api_url)
    blank = {"zendesk_subdomain": None, "zendesk_email": None, "zendesk_token": None}
    plain = settings.model_copy(update={**blank, "intercom_token": None})
    assert "sync" not in [
        job.id for job in build_scheduler(Services(plain, slack=client)).get_jobs()
    ]
    freshdesk = plain.model_copy(update={"freshdesk_domain": "acme", "freshdesk_api_key": "k"})
    assert "sync" in [
        job.id for job in build_scheduler(Services(freshdesk, slack=client)).get_jobs()
    ]


def test_a_malformed_base_url_is_one_line_naming_the_variable(monkeypatch):
    from bot.core.settings import load_settings

    monkeypatch.setenv("DEBRIEF_FRESHDESK_BASE_URL", "acme.freshdesk.com")
    with pytest.raises(SettingsError, match=r"^DEBRIEF_FRESHDESK_BASE_URL"):
        load_settings()


# -- through the sync ------------------------------------------------------------------------


def _synced(settings: Settings, fake: FakeFreshdesk, sleeps: list[float]) -> Any:
    connector = FreshdeskHelpdesk(
        base_url=fake.base_url, api_key=fake_freshdesk.API_KEY, sleep=sleeps.append
    )
    factory = partial(session_scope, settings.database_url)
    return sync_helpdesks(session_factory=factory, settings=settings, helpdesks=[connector])


def _kept(settings: Settings) -> list[str]:
    with session_scope(settings.database_url) as s:
        return sorted(s.scalars(select(Conversation.external_id)))


def test_wrong_credentials_fail_debrief_sync_with_one_line_and_change_nothing(
    db, fd_fake, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DATABASE_URL": db,
        "DEBRIEF_FRESHDESK_BASE_URL": fd_fake.base_url,
        "DEBRIEF_FRESHDESK_API_KEY": "wrong-key",
    }.items():
        monkeypatch.setenv(name, value)
    _agents(fd_fake)
    fd_fake.add_rating(801, 103, agent_id=11, created=int(utcnow().timestamp()) - 3600)

    result = CliRunner().invoke(main, ["sync"], catch_exceptions=False)

    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("freshdesk: failed: Freshdesk refused the credentials")
    assert "DEBRIEF_FRESHDESK_API_KEY" in lines[0]
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 0
        assert s.scalar(select(func.count()).select_from(Agent)) == 0
    monkeypatch.setenv("DEBRIEF_FRESHDESK_API_KEY", fake_freshdesk.API_KEY)
    good = CliRunner().invoke(main, ["sync"], catch_exceptions=False)
    assert good.exit_code == 0 and good.stdout == "freshdesk: 1 ratings\n"


def test_a_sync_that_fails_on_a_page_keeps_nothing_and_the_next_one_reads_it_all_again(
    settings, fd_fake, sleeps, monkeypatch
):
    import bot.ingest.sync

    now = utcnow()  # both syncs start at the same instant: their reach can't differ by a tick
    monkeypatch.setattr(bot.ingest.sync, "utcnow", lambda: now)
    _agents(fd_fake)
    fd_fake.page_cap = 2
    start = int(utcnow().timestamp()) - 86400 * 7
    for n in range(7):
        fd_fake.add_rating(900 + n, 103, agent_id=11, created=start + 3600 * n)
    fd_fake.failures[(RATINGS, 3)] = 5  # page 3 answers 503 through every retry

    report = _synced(settings, fd_fake, sleeps)

    assert "Freshdesk is unavailable: HTTP 503" in report.failed["freshdesk"]
    assert _kept(settings) == []  # nothing is yielded before the whole window is read
    with session_scope(settings.database_url) as s:
        run = s.scalars(select(SyncRun)).one()
        assert run.reached is None and run.error is not None
    retry = _synced(settings, fd_fake, sleeps)
    assert retry.pulled == {"freshdesk": 7} and _kept(settings) == [str(900 + n) for n in range(7)]
    asked = [r.args["created_since"] for r in fd_fake.calls(RATINGS) if "page" not in r.args]
    assert asked[0] == asked[1]  # the retry starts where the failed run did, a first sync's reach


def test_a_sync_that_fails_part_way_resumes_after_the_last_rating_it_kept(
    settings, fd_fake, sleeps, monkeypatch
):
    import bot.ingest.sync

    monkeypatch.setattr(bot.ingest.sync, "BATCH", 2)
    _agents(fd_fake)
    fd_fake.add_agent(14, "Dee Former", "dee@acme.test", listed=False)
    start = int(utcnow().timestamp()) - 86400 * 7
    for n in range(7):  # the sixth rating's agent is unlisted: looked up after two batches are kept
        fd_fake.add_rating(900 + n, 103, agent_id=14 if n == 5 else 11, created=start + 3600 * n)
    fd_fake.failures[("/api/v2/agents/14", 1)] = 5

    report = _synced(settings, fd_fake, sleeps)

    assert "Freshdesk is unavailable: HTTP 503" in report.failed["freshdesk"]
    assert _kept(settings) == ["900", "901", "902", "903"]  # two batches; the fifth was in flight
    with session_scope(settings.database_url) as s:
        reached = s.scalar(select(SyncRun.reached))
    assert reached == datetime.fromtimestamp(start + 3600 * 3, tz=UTC)
    again = _synced(settings, fd_fake, sleeps)
    assert again.pulled == {"freshdesk": 7}  # the overlap (a day) re-reads the kept ones too
    first_pages = [r for r in fd_fake.calls(RATINGS) if "page" not in r.args]
    expected = (reached - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first_pages[-1].args["created_since"] == expected
    assert _kept(settings) == [str(900 + n) for n in range(7)]


# -- end to end: 14 weeks in the fake, a sync, a scan --------------------------------------

SLIDE = [4.3] * 8 + [4.4, 4.1, 3.9, 3.6, 3.4, 3.1]
STEADY = [4.2] * 14
FIVE_POINT = {5: 103, 4: 102, 3: 100, 2: -102, 1: -103}
CUSTOMER, EMAIL, PHONE = "Jane Roe", "jane.roe@example.com", "+1 415 555 0134"
CARD = "4111 1111 1111 1111"


def _history(fake: FakeFreshdesk, last_week: datetime) -> None:
    fake.add_agent(21, "Becky Ortiz", "becky@example.com")
    fake.add_agent(22, "Dan Lee", "dan@example.com")
    fake.groups = {601: "Billing"}
    fake.add_contact(9100, CUSTOMER, EMAIL, PHONE)
    n = 0
    for agent_id, means in ((21, SLIDE), (22, STEADY)):
        for i, mean in enumerate(means):
            week = last_week - timedelta(weeks=len(means) - 1 - i)
            low, per_week = int(mean), 12
            highs = round((mean - low) * per_week)
            for k in range(per_week):
                n += 1
                score = min(5, low + 1) if k < highs else low
                created = week + timedelta(hours=3 + 9 * k)
                ticket = 5000 + n
                fake.add_rating(
                    ticket,
                    FIVE_POINT[score],
                    agent_id=agent_id,
                    group_id=601,
                    created=int(created.timestamp()),
                    requester_id=9100,
                )
                fake.tickets[ticket]["description_text"] = (
                    f"Hi, this is {CUSTOMER}. My card {CARD} was charged twice for the March "
                    "plan and I need the duplicate refunded today."
                )
                fake.add_message(
                    ticket, "<p>Sorry about that! I will refund it.</p>", user_id=agent_id,
                    incoming=False,
                )  # fmt: skip
                fake.add_message(
                    ticket,
                    f"<div>Confirm by email to {EMAIL} or call me on {PHONE}?</div>",
                    user_id=9100,
                    incoming=True,
                )
                fake.add_message(
                    ticket, f"<p>Note: {CUSTOMER} is upset</p>", user_id=agent_id, incoming=False,
                    private=True,
                )  # fmt: skip


def test_a_sync_from_freshdesk_then_a_scan_flags_the_sliding_agent_with_redacted_samples(
    settings, session, fd_fake, fake_slack, sleeps, tmp_path
):
    now = utcnow().replace(microsecond=0)
    last_week = day_start(last_complete_window(now, settings.window_days))
    _history(fd_fake, last_week)
    world = settings.model_copy(
        update={
            "chart_dir": str(tmp_path / "charts"),
            "freshdesk_domain": "acme",
            "freshdesk_api_key": fake_freshdesk.API_KEY,
            "freshdesk_base_url": fd_fake.base_url,
        }
    )
    f.member(session, "ULEAD", "owner")
    session.commit()
    fake_slack.add_user("ULEAD")

    [connector] = configured_helpdesks(world, sleep=sleeps.append)
    factory = partial(session_scope, world.database_url)
    report = sync_helpdesks(session_factory=factory, settings=world, helpdesks=[connector])
    assert report.pulled == {"freshdesk": 336} and not report.failed

    from bot.people.agents import upsert_agent

    with session_scope(world.database_url) as s:
        upsert_agent(session=s, actor="test", name="Becky Ortiz", lead="ULEAD")
    notifier = SlackFlagNotifier(slack_client(world, fake_slack.token))
    scan = run_scan(
        session_factory=Services(world).sessions,
        settings=world,
        summarizer=OfflineSummarizer(),
        notifier=notifier,
        now=now,
    )

    with session_scope(world.database_url) as s:
        flagged = s.scalars(
            select(Agent.name)
            .join(Flag, Flag.agent_id == Agent.id)
            .where(Flag.id.in_(scan.outcome.raised))
        ).all()
        samples = s.scalars(select(Sample)).all()
        emails = sorted(str(e) for e in s.scalars(select(Agent.email)))
        conversations = s.scalar(select(func.count()).select_from(Conversation))
    assert flagged == ["Becky Ortiz"]
    assert emails == ["becky@example.com", "dan@example.com"]
    assert samples and scan.captured[scan.outcome.raised[0]] == len(samples)
    for sample in samples:
        assert sample.url == f"https://acme.freshdesk.com/a/tickets/{sample.external_id}"
        assert sample.summary.startswith("Offline summary")
        assert "charged twice" in sample.summary  # the fake's transcript, read at capture time
    read = {r.path for r in fd_fake.calls_matching("/conversations")}
    assert {f"/api/v2/tickets/{s.external_id}/conversations" for s in samples} <= read
    words = (CUSTOMER, "Jane", "Roe", EMAIL, PHONE, "555 0134")
    assert leaks(stored_texts(world.database_url), words, CARD) == []

    before = fd_fake.requests
    again = sync_helpdesks(
        session_factory=factory,
        settings=world,
        helpdesks=configured_helpdesks(world, sleep=sleeps.append),
    )
    assert not again.failed
    with session_scope(world.database_url) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == conversations == 336
    assert fd_fake.requests > before


def test_a_sync_of_ten_thousand_ratings_makes_104_requests(settings, fd_fake, sleeps):
    start = int(utcnow().timestamp()) - 86400 * 100
    for a in range(200):
        fd_fake.add_agent(10_000 + a, f"Agent {a}", f"agent{a}@acme.test")
    fd_fake.groups = {700 + g: f"Queue {g}" for g in range(5)}
    for n in range(10_000):
        fd_fake.add_rating(
            100_000 + n, FIVE_POINT[1 + n % 5], agent_id=10_000 + n % 200, group_id=700 + n % 5,
            created=start + 800 * n,
        )  # fmt: skip
    before = fd_fake.requests

    report = _synced(settings, fd_fake, sleeps)

    assert report.pulled == {"freshdesk": 10_000}
    made = fd_fake.requests - before
    # 100 pages of ratings, 1 of surveys, 2 of agents, 1 of groups
    assert made == 104, made
    assert len(fd_fake.calls(RATINGS)) == 100 and len(fd_fake.calls("/api/v2/agents")) == 2
