"""The HubSpot connector against a fake HubSpot API."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select

import bot.ingest.helpdesks.hubspot as hubspot_module
from bot.app.services import Services
from bot.cli import main
from bot.core.db import session_scope
from bot.core.settings import Settings, SettingsError
from bot.ingest.deeplinks import HELPDESKS, deep_link
from bot.ingest.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
    RatingRecord,
    Transcript,
)
from bot.ingest.helpdesks.hubspot import AUTH_HINT, HubSpotHelpdesk
from bot.ingest.helpdesks.registry import (
    check_helpdesk_settings,
    configured_helpdesks,
    helpdesk_for,
)
from bot.ingest.sync import OVERLAP, sync_helpdesks
from models import Conversation, SyncRun
from tests.helpdesks.fake_hubspot import (
    ASSOCIATIONS,
    OWNERS,
    PORTAL_ID,
    SEARCH,
    TICKETS_BATCH,
    TOKEN,
    FakeHubSpot,
    comment,
    message,
)
from tests.helpdesks.fake_hubspot import server as fake_hubspot_server

SINCE = datetime(2024, 5, 1, tzinfo=UTC)
T0 = SINCE.timestamp()


class Clock:
    """A clock that moves only when the connector sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def hs_fake(httpserver: HTTPServer) -> Iterator[FakeHubSpot]:
    """A fake HubSpot with no data; the test fails if the connector sent what HubSpot ignores."""
    fake = FakeHubSpot(httpserver).install()
    yield fake
    assert fake.problems == []


def connector(fake: FakeHubSpot, clock: Clock, token: str = TOKEN) -> HubSpotHelpdesk:
    return HubSpotHelpdesk(token=token, base_url=fake.base_url, sleep=clock.sleep, clock=clock)


@pytest.fixture()
def hubspot(hs_fake: FakeHubSpot, clock: Clock) -> Iterator[HubSpotHelpdesk]:
    helpdesk = connector(hs_fake, clock)
    yield helpdesk
    helpdesk.close()


def _team(fake: FakeHubSpot) -> None:
    fake.add_owner("101", "Ana", "Lima", "ana@acme.test", teams=(("7", "Billing", True),))
    fake.add_owner("102", "Ben", "Okafor", "ben@acme.test", teams=(("8", "Tier 2", True),))
    fake.add_owner("103", "", "", "caro@acme.test")  # no name in HubSpot: named by email


def test_ratings_follow_search_pages_and_map_fields(hs_fake, hubspot, clock):
    _team(hs_fake)
    hs_fake.page_size = 2
    hs_fake.add_ticket(
        "9001", owner_id="101", team_id="8", closed=T0 + 5, categories=("BILLING_ISSUE", "REFUND")
    )
    hs_fake.add_ticket("9002", owner_id="102")
    hs_fake.add_ticket("9003", owner_id="103")
    hs_fake.add_ticket("9004", owner_id="101")
    hs_fake.add_submission("501", created=T0 + 10, value="0", ticket_id="9001")
    hs_fake.add_submission("502", created=T0 + 20, value="2", ticket_id="9002")
    hs_fake.add_submission("503", created=T0 + 30, value="1", ticket_id="9003")
    hs_fake.add_submission("504", created=T0 + 40, value="9", ticket_id="9004", survey="NPS")
    hs_fake.add_submission("505", created=T0 + 50, value="5", ticket_id="9004", survey="CES")
    hs_fake.add_submission("506", created=T0 - 60, value="2", ticket_id="9004")  # before since
    hs_fake.add_submission("507", created=T0 + 60, value="2", ticket_id="9004")

    records = list(hubspot.ratings_since(SINCE))

    assert [r.external_id for r in records] == ["9001", "9002", "9003", "9004"]
    assert records[0] == RatingRecord(
        helpdesk="hubspot",
        external_id="9001",
        agent_name="Ana Lima",
        agent_email="ana@acme.test",
        closed_at=datetime.fromtimestamp(T0 + 5, tz=UTC),
        csat=1.0,
        queue="Tier 2",  # the ticket's team, though Ana's primary team is Billing
        tags=("BILLING_ISSUE", "REFUND"),
        url=None,
        rated_at=datetime.fromtimestamp(T0 + 10, tz=UTC),
    )
    assert [r.csat for r in records] == [1.0, 5.0, 3.0, 5.0]
    assert records[1].queue == "Tier 2" and records[2].queue is None  # owner's primary team
    assert records[2].agent_name == "caro@acme.test"
    assert records[1].closed_at == records[1].rated_at  # no close date: the rating's time
    assert [r.rated_at for r in records] == sorted(r.rated_at for r in records)
    bodies = hs_fake.search_bodies
    assert len(bodies) == 2 and "after" not in bodies[0] and bodies[1]["after"] == "2"
    assert bodies[0]["filterGroups"] == [
        {
            "filters": [
                {"propertyName": "hs_createdate", "operator": "GTE", "value": str(int(T0 * 1000))},
                {"propertyName": "hs_survey_type", "operator": "EQ", "value": "CSAT"},
            ]
        }
    ]
    assert bodies[0]["sorts"] == [{"propertyName": "hs_createdate", "direction": "ASCENDING"}]
    assert bodies[0]["limit"] == 200 and bodies[1]["filterGroups"] == bodies[0]["filterGroups"]
    assert clock.sleeps == [0.25]  # the second search waited for the search API's limit


def test_hubspot_csat_0_to_2_maps_onto_1_3_5_and_other_answers_are_skipped(
    hs_fake, hubspot, caplog
):
    _team(hs_fake)
    for n, value in enumerate(["0", "1", "2", "2.0", None, "4", "-1", "good"]):
        hs_fake.add_ticket(f"80{n}", owner_id="101")
        hs_fake.add_submission(f"70{n}", created=T0 + n, value=value, ticket_id=f"80{n}")
    hs_fake.add_submission("799", created=T0 + 99, value="2", ticket_id=None)  # no ticket
    hs_fake.add_ticket("899", owner_id=None)
    hs_fake.add_submission("798", created=T0 + 98, value="2", ticket_id="899")  # no owner

    with caplog.at_level(logging.WARNING, logger="bot.helpdesks.hubspot"):
        records = list(hubspot.ratings_since(SINCE))

    assert [(r.external_id, r.csat) for r in records] == [
        ("800", 1.0),
        ("801", 3.0),
        ("802", 5.0),
        ("803", 5.0),
    ]
    logged = caplog.text
    assert "704 has no CSAT value (a comment only); skipped" in logged
    assert "705: CSAT value '4' is off HubSpot's 0-2 scale; skipped" in logged
    assert "706: CSAT value '-1'" in logged and "707: CSAT value 'good'" in logged
    assert "799 has no ticket; skipped" in logged
    assert "798: ticket 899 has no owner to name; skipped" in logged


def test_a_survey_that_is_not_csat_is_skipped_with_a_log_line(hubspot, caplog):
    nps = {"id": "1", "properties": {"hs_survey_type": "NPS", "hs_value": "9",
                                     "hs_createdate": "2024-05-01T10:00:00.000Z"}}  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="bot.helpdesks.hubspot"):
        assert list(hubspot._records([nps])) == []
    assert "submission 1 is a NPS survey, not CSAT; skipped" in caplog.text


def test_owners_are_listed_once_in_pages_and_archived_ones_only_when_needed(hs_fake, hubspot):
    _team(hs_fake)
    hs_fake.owner_page = 2
    hs_fake.add_owner("104", "Old", "Timer", "old@acme.test", archived=True)
    for n, owner in enumerate(["101", "102", "103", "101", "102"]):
        hs_fake.add_ticket(f"90{n}", owner_id=owner)
        hs_fake.add_submission(f"60{n}", created=T0 + n, value="2", ticket_id=f"90{n}")

    first = list(hubspot.ratings_since(SINCE))
    hs_fake.add_ticket("999", owner_id="104")
    hs_fake.add_submission("699", created=T0 + 9, value="1", ticket_id="999")
    second = list(hubspot.ratings_since(SINCE))

    assert [r.agent_name for r in first] == [
        "Ana Lima",
        "Ben Okafor",
        "caro@acme.test",
        "Ana Lima",
        "Ben Okafor",
    ]
    assert second[-1].agent_name == "Old Timer" and second[-1].agent_email == "old@acme.test"
    owner_calls = hs_fake.calls(OWNERS)
    assert [(c.args.get("after"), c.args.get("archived")) for c in owner_calls] == [
        (None, None),
        ("2", None),  # a second page of active owners
        (None, "true"),  # the archived ones, once, for owner 104
    ]
    assert owner_calls[0].args["limit"] == "500"


def test_tickets_are_read_a_hundred_at_a_time_and_associations_a_page_at_a_time(hs_fake, hubspot):
    _team(hs_fake)
    for n in range(150):
        hs_fake.add_ticket(str(20_000 + n), owner_id="102")
        hs_fake.add_submission(
            str(30_000 + n), created=T0 + n, value="1", ticket_id=str(20_000 + n)
        )

    records = list(hubspot.ratings_since(SINCE))

    assert len(records) == 150
    assert [len(c.get_json()["inputs"]) for c in hs_fake.calls(TICKETS_BATCH)] == [100, 50]
    [associations] = hs_fake.calls(ASSOCIATIONS)
    assert len(associations.get_json()["inputs"]) == 150
    assert hs_fake.calls(TICKETS_BATCH)[0].get_json()["properties"] == [
        "hubspot_owner_id",
        "hubspot_team_id",
        "closed_date",
        "hs_ticket_category",
    ]


def test_a_search_starts_again_before_hubspots_10000_result_cap(hs_fake, hubspot, monkeypatch):
    monkeypatch.setattr(fake_hubspot_server, "SEARCH_CAP", 10)  # read by the fake's search
    monkeypatch.setattr(hubspot_module, "SEARCH_CAP", 10)
    monkeypatch.setattr(hubspot_module, "PER_PAGE", 2)
    _team(hs_fake)
    hs_fake.add_ticket("1", owner_id="101")
    times = [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
    for n, second in enumerate(times):  # three created in the same millisecond at the cap
        hs_fake.add_submission(str(100 + n), created=T0 + second, value="2", ticket_id="1")

    records = list(hubspot.ratings_since(SINCE))

    assert len(records) == len(times)  # each submission once
    assert [r.rated_at for r in records] == sorted(r.rated_at for r in records)
    starts = [b["filterGroups"][0]["filters"][0]["value"] for b in hs_fake.search_bodies]
    afters = [b.get("after") for b in hs_fake.search_bodies]
    assert afters[:6] == [None, "2", "4", "6", "8", None]  # a new search at the cap
    assert starts[5] == str(int((T0 + 8) * 1000))  # from the last time read, ties skipped


def test_rate_limits_are_read_from_hubspots_429s(hs_fake, hubspot, clock):
    _team(hs_fake)
    hs_fake.add_ticket("1", owner_id="101")
    hs_fake.add_submission("2", created=T0 + 1, value="2", ticket_id="1")
    hs_fake.rate_limit(SEARCH, "SECONDLY")  # the search API's own limit: no headers
    hs_fake.rate_limit(TICKETS_BATCH, "TEN_SECONDLY_ROLLING", "TEN_SECONDLY_ROLLING")

    assert [r.external_id for r in hubspot.ratings_since(SINCE)] == ["1"]
    assert clock.sleeps == [1.0, 10.0, 10.0]  # a second; the window of the ten-second limit


def test_the_daily_limit_gives_up_at_once(hs_fake, hubspot, clock):
    _team(hs_fake)
    hs_fake.add_ticket("1", owner_id="101")
    hs_fake.add_submission("2", created=T0 + 1, value="2", ticket_id="1")
    hs_fake.rate_limit(ASSOCIATIONS, "DAILY")

    with pytest.raises(HelpdeskUnavailable, match="HubSpot's daily API limit is used up"):
        list(hubspot.ratings_since(SINCE))
    assert clock.sleeps == [] and len(hs_fake.calls(ASSOCIATIONS)) == 1


def test_a_rate_limit_that_does_not_lift_is_unavailable(hs_fake, hubspot, clock):
    hs_fake.rate_limit(SEARCH, *["SECONDLY"] * 6)
    with pytest.raises(HelpdeskUnavailable, match=r"still rate-limited \(429\)"):
        list(hubspot.ratings_since(SINCE))
    assert clock.sleeps == [1.0] * 5


def test_persistent_5xx_is_unavailable(httpserver, hubspot, clock):
    httpserver.clear()
    httpserver.expect_request(SEARCH).respond_with_data("upstream request timeout", status=503)
    with pytest.raises(HelpdeskUnavailable, match="HubSpot is unavailable"):
        list(hubspot.ratings_since(SINCE))
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]


def test_wrong_token_names_the_setting_in_one_line(hs_fake, clock):
    helpdesk = connector(hs_fake, clock, token="pat-na1-wrong")
    with pytest.raises(HelpdeskAuthError) as caught:
        list(helpdesk.ratings_since(SINCE))
    assert str(caught.value) == AUTH_HINT and "\n" not in AUTH_HINT
    assert AUTH_HINT.startswith("HubSpot refused the credentials: check DEBRIEF_HUBSPOT_TOKEN")
    helpdesk.close()


def test_debrief_sync_with_a_wrong_token_fails_in_one_line_and_changes_nothing(
    hs_fake, db, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setenv("DEBRIEF_HUBSPOT_TOKEN", "pat-na1-wrong")
    monkeypatch.setenv("DEBRIEF_HUBSPOT_BASE_URL", hs_fake.base_url)
    for name in ("DEBRIEF_ZENDESK_TOKEN", "DEBRIEF_ZENDESK_EMAIL", "DEBRIEF_INTERCOM_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    _team(hs_fake)
    hs_fake.add_ticket("1", owner_id="101")
    hs_fake.add_submission("2", created=T0 + 1, value="2", ticket_id="1")

    result = CliRunner().invoke(main, ["sync", "--since", "2024-04-01"])

    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DEBRIEF_HUBSPOT_TOKEN" in lines[0], result.stderr
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 0


def _thread(fake: FakeHubSpot, *, email: str | None = "dana@example.com") -> None:
    fake.add_ticket("4242", owner_id="101", thread_id="7788")
    fake.add_thread(
        "7788",
        [
            message(
                "INCOMING",
                "My card was charged twice.",
                rich="<p>My card was charged <b>twice</b>.</p>",
                email=email,
            ),
            message(
                "OUTGOING",
                "Sorry & thanks!",
                rich="<p>Sorry &amp; thanks!</p>",
                sender="Ana Lima",
                email="ana@acme.test",
            ),
            comment("Internal: refund? VIP"),
            {
                **message("OUTGOING", "Hi! I'm the bot.", sender="Bot", actor="B-4"),
                "type": "MESSAGE",
            },
            message("INCOMING", "I see it too", email=email),
            message(
                "OUTGOING",
                "Refunded.\nAnything else?",
                rich="<div>Refunded.<br>Anything else?</div>",
                sender="Ana Lima",
                email="ana@acme.test",
            ),
            {
                "type": "THREAD_STATUS_CHANGE",
                "newStatus": "CLOSED",
                "createdBy": "A-1234567",
                "client": {"clientType": "HUBSPOT"},
                "senders": [],
                "recipients": [],
                "archived": False,
            },
        ],
        contact_id="1001",
    )
    fake.add_contact("1001", "Dana", "Whitfield", "dana@example.com")


def test_transcript_labels_turns_strips_html_leaves_notes_out_and_finds_the_customer(
    hs_fake, hubspot
):
    _thread(hs_fake)
    hs_fake.message_page = 3

    transcript = hubspot.transcript("4242")

    assert transcript == Transcript(
        text=(
            "Customer: My card was charged twice.\n"
            "Agent: Sorry & thanks!\n"
            "Bot: Hi! I'm the bot.\n"
            "Customer: I see it too\n"
            "Agent: Refunded. Anything else?\n"
        ),
        customer_name="Dana Whitfield",
        customer_email="dana@example.com",
    )
    pages = hs_fake.calls("/conversations/v3/conversations/threads/7788/messages")
    assert [p.args.get("after") for p in pages] == [None, "3", "6"]
    assert hs_fake.calls("/crm/v3/objects/contacts/1001") == []  # the messages named her


def test_transcript_asks_the_threads_contact_when_messages_dont_name_the_customer(hs_fake, hubspot):
    _thread(hs_fake, email=None)
    transcript = hubspot.transcript("4242")
    assert (transcript.customer_name, transcript.customer_email) == (
        "Dana Whitfield",
        "dana@example.com",
    )
    [asked] = hs_fake.calls("/crm/v3/objects/contacts/1001")
    assert asked.args["properties"] == "firstname,lastname,email"


def test_unknown_ticket_is_not_found_and_a_ticket_without_conversation_is_empty(hs_fake, hubspot):
    with pytest.raises(HelpdeskNotFound, match="HubSpot has no ticket 404"):
        hubspot.transcript("404")
    with pytest.raises(HelpdeskNotFound):
        hubspot.transcript("not-a-ticket")
    hs_fake.add_ticket("5", owner_id="101")  # created by hand, from no conversation
    assert hubspot.transcript("5") == Transcript(text="")
    hs_fake.add_ticket("6", owner_id="101", thread_id="404404")  # its thread was deleted
    assert hubspot.transcript("6") == Transcript(text="")


def _settings(**values: str | None) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_deep_link_opens_the_ticket_with_the_portal_id_or_the_template():
    assert "hubspot" in HELPDESKS
    with_portal = _settings(DEBRIEF_HUBSPOT_PORTAL_ID=PORTAL_ID)
    assert deep_link(with_portal, "hubspot", "4242") == (
        f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-5/4242"
    )
    template = "https://app-eu1.hubspot.com/contacts/99/record/0-5/{external_id}"
    overridden = _settings(DEBRIEF_HUBSPOT_PORTAL_ID=PORTAL_ID, DEBRIEF_DEEPLINK_HUBSPOT=template)
    assert deep_link(overridden, "hubspot", "4242") == (
        "https://app-eu1.hubspot.com/contacts/99/record/0-5/4242"
    )
    assert deep_link(_settings(), "hubspot", "4242") is None
    with pytest.raises(ValueError, match="numeric portal"):
        _settings(DEBRIEF_HUBSPOT_PORTAL_ID="acme")
    for bad in (
        "https://app.hubspot.com/contacts/99/record/0-5/",
        template.replace("https", "ftp"),
    ):
        with pytest.raises(ValueError, match=r"http\(s\) URL containing \{external_id\}"):
            _settings(DEBRIEF_DEEPLINK_HUBSPOT=bad)


def test_settings_build_the_connector_and_a_half_configured_one_names_the_token(hs_fake):
    assert configured_helpdesks(_settings(DEBRIEF_HUBSPOT_PORTAL_ID=PORTAL_ID)) == []
    configured = _settings(DEBRIEF_HUBSPOT_TOKEN=TOKEN, DEBRIEF_HUBSPOT_BASE_URL=hs_fake.base_url)
    [built] = configured_helpdesks(configured)
    assert isinstance(built, HubSpotHelpdesk) and built._http.base_url == hs_fake.base_url
    built.close()
    found = helpdesk_for(configured, "HubSpot")
    assert isinstance(found, HubSpotHelpdesk)
    found.close()
    default = HubSpotHelpdesk.from_settings(_settings(DEBRIEF_HUBSPOT_TOKEN=TOKEN))
    assert default._http.base_url == "https://api.hubapi.com"
    default.close()
    with pytest.raises(SettingsError) as caught:
        check_helpdesk_settings(_settings(DEBRIEF_HUBSPOT_BASE_URL=hs_fake.base_url))
    assert str(caught.value).startswith("DEBRIEF_HUBSPOT_TOKEN")
    with pytest.raises(SettingsError, match="DEBRIEF_HUBSPOT_TOKEN"):
        HubSpotHelpdesk.from_settings(_settings())


def test_a_sync_that_fails_part_way_resumes_where_it_stopped(hs_fake, clock, settings, monkeypatch):
    import bot.ingest.sync

    monkeypatch.setattr(bot.ingest.sync, "BATCH", 2)
    _team(hs_fake)
    hs_fake.page_size = 3
    for n in range(12):
        hs_fake.add_ticket(str(1000 + n), owner_id="101")
        hs_fake.add_submission(str(500 + n), created=T0 + 3600 * n, value="2",
                               ticket_id=str(1000 + n))  # fmt: skip
    hs_fake.failing_after["6"] = 503  # the third page, after every retry
    factory = partial(session_scope, settings.database_url)

    report = sync_helpdesks(
        session_factory=factory,
        settings=settings,
        since=SINCE,
        helpdesks=[connector(hs_fake, clock)],
    )

    assert "HubSpot is unavailable: HTTP 503" in report.failed["hubspot"]
    with session_scope(settings.database_url) as s:
        kept = sorted(s.scalars(select(Conversation.external_id)))
        reached = s.scalar(select(SyncRun.reached))
    assert kept == [str(1000 + n) for n in range(6)]  # the first two pages were kept
    assert reached is not None
    assert reached.replace(tzinfo=UTC) == datetime.fromtimestamp(T0 + 3600 * 5, tz=UTC)

    del hs_fake.failing_after["6"]
    resumed = sync_helpdesks(
        session_factory=factory, settings=settings, helpdesks=[connector(hs_fake, clock)]
    )

    start = hs_fake.search_bodies[-1]["filterGroups"][0]["filters"][0]["value"]
    assert start == str(int((reached.replace(tzinfo=UTC) - OVERLAP).timestamp() * 1000))
    assert resumed.failed == {} and resumed.pulled == {"hubspot": 12}  # a day's overlap re-read
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 12


def test_requests_for_a_sync_of_10000_ratings_over_200_agents(hs_fake, clock):
    """The figure reported for the connector: HubSpot's largest pages (200 submissions a
    search, 100 tickets a batch read, 500 owners a page)."""
    for agent in range(200):
        hs_fake.add_owner(str(10_000 + agent), "Agent", str(agent), f"a{agent}@acme.test")
    for n in range(10_000):
        hs_fake.add_ticket(str(100_000 + n), owner_id=str(10_000 + n % 200))
        hs_fake.add_submission(str(200_000 + n), created=T0 + 60 * n, value=str(n % 3),
                               ticket_id=str(100_000 + n))  # fmt: skip
    helpdesk = connector(hs_fake, clock)

    records = list(helpdesk.ratings_since(SINCE))
    helpdesk.close()

    assert len(records) == 10_000
    counts = {
        path: len(hs_fake.calls(path)) for path in (SEARCH, ASSOCIATIONS, TICKETS_BATCH, OWNERS)
    }
    assert counts == {SEARCH: 50, ASSOCIATIONS: 50, TICKETS_BATCH: 100, OWNERS: 1}
    assert len(hs_fake.calls()) == 201
    assert sum(clock.sleeps) == pytest.approx(49 * 0.25)  # searches spaced: 12 s of waiting


def test_serve_schedules_the_sync_when_only_hubspot_is_configured(settings):
    from slack_sdk import WebClient

    from bot.app.scheduler import build_scheduler

    client = WebClient(token="xoxb-test", base_url=settings.slack_api_url)
    plain = build_scheduler(Services(settings, slack=client))
    assert "sync" not in [job.id for job in plain.get_jobs()]
    hubspot_only = build_scheduler(
        Services(settings.model_copy(update={"hubspot_token": TOKEN}), slack=client)
    )
    assert "sync" in [job.id for job in hubspot_only.get_jobs()]
