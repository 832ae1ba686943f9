"""The Zendesk connector against a fake Zendesk API: new CSAT survey responses, legacy
satisfaction ratings, transcripts, and a sync and a scan end to end."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.ai.offline import OfflineSummarizer
from bot.app.slack import slack_client
from bot.core.db import session_scope
from bot.core.settings import Settings
from bot.flags.scan import run_scan
from bot.ingest.deeplinks import deep_link
from bot.ingest.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
    RatingRecord,
    Transcript,
)
from bot.ingest.helpdesks.zendesk import ANSWER_WINDOW, WINDOW, ZendeskHelpdesk
from bot.ingest.sync import FIRST_SYNC, OVERLAP, sync_helpdesks
from handlers.notifier import SlackFlagNotifier
from models import Agent, Conversation, Flag, Sample, SyncRun
from models.base import utcnow
from tests import factories as f
from tests.helpdesks import fake_zendesk
from tests.helpdesks.fake_zendesk import RATINGS, RESPONSES, FakeZendesk
from tests.privacy import leaks, stored_texts

SINCE = datetime(2024, 5, 1, tzinfo=UTC)
T0 = int(SINCE.timestamp())
FIRST = SINCE - ANSWER_WINDOW  # every sync reaches back for late answers
MS = 1000


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _agents(fake: FakeZendesk) -> None:
    fake.add_user(11, "Ana Lima", "ana@acme.test")
    fake.add_user(12, "Ben Okafor", "ben@acme.test")
    fake.add_user(13, "Caro Diaz", "caro@acme.test")
    fake.groups = {501: "Billing", 502: "Tier 2"}


def _window_calls(fake: FakeZendesk, path: str, start: datetime) -> list:
    """The requests for the window starting at `start` (not the probe of one)."""
    if path == RATINGS:
        key, value = "start_time", str(int(start.timestamp()))
    else:
        key, value = "filter[created_at_start]", str(int(start.timestamp()) * MS)
    return [
        r for r in fake.calls(path) if r.args.get(key) == value and r.args.get("page[size]") != "1"
    ]


# -- legacy satisfaction ratings ------------------------------------------------------------


def test_legacy_ratings_follow_cursor_pages_and_map_fields(zd_fake, zendesk):
    _agents(zd_fake)
    zd_fake.add_rating(
        101,
        "good",
        assignee_id=11,
        group_id=501,
        created=T0 + 10,
        tags=("refund", "kb-42"),
        solved=T0 + 5,
    )
    zd_fake.add_rating(102, "bad", assignee_id=12, group_id=502, created=T0 + 20)
    zd_fake.add_rating(103, "good", assignee_id=13, created=T0 + 30)
    zd_fake.add_rating(104, "bad", assignee_id=11, group_id=501, created=T0 + 40)
    zd_fake.add_rating(105, "good", assignee_id=12, created=T0 + 50)
    zd_fake.add_rating(90, "bad", assignee_id=11, created=int(FIRST.timestamp()) - 100)  # older

    records = list(zendesk.ratings_since(SINCE))

    assert [r.external_id for r in records] == ["101", "102", "103", "104", "105"]
    assert records[0] == RatingRecord(
        helpdesk="zendesk",
        external_id="101",
        agent_name="Ana Lima",
        agent_email="ana@acme.test",
        closed_at=_at(T0 + 5),
        csat=5.0,
        queue="Billing",
        tags=("refund", "kb-42"),
        url=None,
        rated_at=_at(T0 + 10),
    )
    assert records[1].queue == "Tier 2" and records[2].queue is None
    assert zendesk.what_it_read() == "legacy satisfaction ratings"
    probe = zd_fake.calls(RATINGS)[0].args
    assert probe["page[size]"] == "1" and probe["start_time"] == str(int(FIRST.timestamp()))
    assert probe["score"] == "received" and "end_time" not in probe
    pages = _window_calls(zd_fake, RATINGS, SINCE)
    assert len(pages) == 3
    assert pages[0].args["end_time"] == str(T0 + int(WINDOW.total_seconds()))
    assert pages[0].args["page[size]"] == "100" and pages[0].args["score"] == "received"
    assert pages[1].args["page[after]"] == "2" and pages[1].args["start_time"] == str(T0)


def test_offset_pagination_is_followed_too(zd_fake, zendesk):
    _agents(zd_fake)
    zd_fake.offset_pagination = True
    for ticket in range(201, 206):
        zd_fake.add_rating(ticket, "good", assignee_id=11, created=T0 + ticket)

    records = list(zendesk.ratings_since(SINCE))

    assert [r.external_id for r in records] == ["201", "202", "203", "204", "205"]
    pages = _window_calls(zd_fake, RATINGS, SINCE)
    assert [r.args.get("page") for r in pages] == [None, "2", "3"]


def test_scores_map_good_to_5_and_bad_to_1(zd_fake, zendesk):
    _agents(zd_fake)
    zd_fake.add_rating(301, "good", assignee_id=11, created=T0 + 1)
    zd_fake.add_rating(302, "bad", assignee_id=11, created=T0 + 2)

    assert [r.csat for r in zendesk.ratings_since(SINCE)] == [5.0, 1.0]


def test_closed_at_is_the_solved_time_else_the_rating_time(zd_fake, zendesk):
    _agents(zd_fake)
    zd_fake.add_rating(401, "good", assignee_id=11, created=T0 + 100, solved=T0 + 60)
    zd_fake.add_rating(402, "good", assignee_id=11, created=T0 + 200)
    del zd_fake.tickets[402]  # deleted since: no tags, no solved time

    first, second = zendesk.ratings_since(SINCE)

    assert first.closed_at == _at(T0 + 60)
    assert second.closed_at == _at(T0 + 200)
    assert second.closed_at.tzinfo is UTC and second.tags == ()


def test_users_groups_and_tickets_are_fetched_in_batches_and_cached(zd_fake, zendesk):
    _agents(zd_fake)
    zd_fake.page_size = 100
    for n in range(30):
        zd_fake.add_rating(
            1000 + n, "good", assignee_id=11 + n % 3, group_id=501, created=T0 + 1 + n
        )

    records = list(zendesk.ratings_since(SINCE))
    again = list(zendesk.ratings_since(SINCE))

    assert len(records) == len(again) == 30
    assert {r.agent_name for r in records} == {"Ana Lima", "Ben Okafor", "Caro Diaz"}
    users = zd_fake.calls("/api/v2/users/show_many.json")
    assert len(users) == 1
    assert users[0].args["ids"] == "11,12,13"
    assert len(zd_fake.calls("/api/v2/groups.json")) == 1
    tickets = zd_fake.calls("/api/v2/tickets/show_many.json")
    assert len(tickets) == 2  # once a sync; tickets are not cached across syncs
    assert tickets[0].args["include"] == "metric_sets"


def test_more_than_a_hundred_ids_are_split(zd_fake, zendesk):
    zd_fake.page_size = 150  # more than Zendesk gives: the connector asks for 100
    for n in range(150):
        zd_fake.add_user(2000 + n, f"Agent {n}", f"a{n}@acme.test")
        zd_fake.add_rating(3000 + n, "bad", assignee_id=2000 + n, created=T0 + 1 + n)

    records = list(zendesk.ratings_since(SINCE))

    assert len(records) == 150
    sizes = [len(r.args["ids"].split(",")) for r in zd_fake.calls("/api/v2/users/show_many.json")]
    assert sizes == [100, 50]


def test_unassigned_ratings_are_skipped(zd_fake, zendesk):
    _agents(zd_fake)
    zd_fake.add_rating(501, "bad", assignee_id=None, created=T0 + 1)
    zd_fake.add_rating(502, "good", assignee_id=12, created=T0 + 2)

    assert [r.external_id for r in zendesk.ratings_since(SINCE)] == ["502"]


def test_ratings_come_oldest_first_whatever_order_the_list_gives(zd_fake, zendesk):
    _agents(zd_fake)
    day = 86400
    for ticket, created in [
        (601, T0 + 9 * day),
        (602, T0 + 1),
        (603, T0 - 3 * day),
        (604, T0 + 8 * day),
        (605, T0 + 2),
    ]:
        zd_fake.add_rating(ticket, "good", assignee_id=11, created=created)

    records = list(zendesk.ratings_since(SINCE))

    assert [r.external_id for r in records] == ["603", "602", "605", "604", "601"]
    times = [r.rated_at for r in records]
    assert times == sorted(times) and None not in times


# -- new CSAT survey responses --------------------------------------------------------------


def test_survey_responses_are_read_with_the_documented_filters_and_cursor(zd_fake, zendesk):
    _agents(zd_fake)
    zd_fake.add_response(
        701,
        4,
        assignee_id=11,
        group_id=501,
        created=T0 + 100,
        answered=T0 + 7200,
        tags=("vip",),
        solved=T0 + 50,
        comment="Quick and kind",
    )
    zd_fake.add_response(702, 2, assignee_id=12, created=T0 + 200, answered=T0 + 900)
    zd_fake.add_response(703, 5, assignee_id=13, group_id=502, created=T0 + 300)

    records = list(zendesk.ratings_since(SINCE))

    assert records[2] == RatingRecord(
        helpdesk="zendesk",
        external_id="701",
        agent_name="Ana Lima",  # the ticket's assignee: a survey response names no agent
        agent_email="ana@acme.test",
        closed_at=_at(T0 + 50),
        csat=4.0,
        queue="Billing",
        tags=("vip",),
        rated_at=_at(T0 + 7200),
    )
    # in the order they were rated (all three were sent in the same window)
    assert [(r.external_id, r.csat) for r in records] == [("702", 2.0), ("703", 5.0), ("701", 4.0)]
    assert records[0].closed_at == _at(T0 + 900)  # not solved: when the rating was given
    assert records[1].queue == "Tier 2"
    assert zendesk.what_it_read() == "new CSAT survey responses"
    probe = zd_fake.calls(RESPONSES)[0].args
    assert probe["filter[created_at_start]"] == str(int(FIRST.timestamp()) * MS)
    assert probe["page[size]"] == "1" and probe["sort"] == "id"
    pages = _window_calls(zd_fake, RESPONSES, SINCE)
    assert len(pages) == 2  # two to a page in the fake; only meta.after_cursor says what's next
    week = int((SINCE + WINDOW).timestamp()) * MS
    assert pages[0].args["filter[created_at_end]"] == str(week)
    assert pages[0].args["page[size]"] == "100" and pages[0].args["sort"] == "id"
    assert pages[1].args["page[after]"] == "Mg" and pages[1].args["filter[created_at_end]"] == str(
        week
    )


@pytest.mark.parametrize(
    ("points", "ratings", "expected"),
    [
        (2, [1, 2], [1.0, 5.0]),
        (3, [1, 2, 3], [1.0, 3.0, 5.0]),
        (5, [1, 2, 3, 4, 5], [1.0, 2.0, 3.0, 4.0, 5.0]),
    ],
)
def test_each_survey_scale_maps_onto_one_to_five(zd_fake, zendesk, points, ratings, expected):
    _agents(zd_fake)
    survey = zd_fake.add_survey("01JSURVEY000000000000000" + str(points) + "P", 1, points)
    for n, rating in enumerate(ratings):
        zd_fake.add_response(
            800 + n, rating, assignee_id=11, points=points, survey=survey, created=T0 + n
        )

    assert [r.csat for r in zendesk.ratings_since(SINCE)] == expected
    assert len(zd_fake.calls(f"/api/v2/guide/en-us/surveys/{survey[0]}/1")) == 1  # once a version


def test_without_the_survey_the_scale_comes_from_the_rating_category(zd_fake, zendesk, caplog):
    _agents(zd_fake)
    for n, (rating, points) in enumerate([(2, 2), (2, 5), (2, 3), (3, 3), (4, 5), (1, 2)]):
        zd_fake.add_response(
            900 + n,
            rating,
            assignee_id=11,
            points=points,
            created=T0 + n,
            survey=(f"01JGONE{n}", 1),
        )
    zd_fake.surveys.clear()  # deleted since: 404 "The survey could not be found"

    with caplog.at_level(logging.WARNING, logger="bot.helpdesks.zendesk"):
        csats = [r.csat for r in zendesk.ratings_since(SINCE)]

    assert csats == [5.0, 2.0, 3.0, 5.0, 4.0, 1.0]
    assert "can't be read" in caplog.text


def test_responses_without_a_csat_rating_are_skipped_with_a_log_line(zd_fake, zendesk, caplog):
    _agents(zd_fake)
    zd_fake.add_response(1001, None, assignee_id=11, created=T0 + 1, comment="Just a comment")
    zd_fake.add_response(1002, 5, assignee_id=11, created=T0 + 2, sub_type="other")
    zd_fake.add_response(1003, 4, assignee_id=11, created=T0 + 3)
    zd_fake.add_response(1004, 3, assignee_id=None, created=T0 + 4)  # nobody's ticket

    with caplog.at_level(logging.INFO, logger="bot.helpdesks.zendesk"):
        records = list(zendesk.ratings_since(SINCE))

    assert [r.external_id for r in records] == ["1003"]
    assert "survey response" in caplog.text and "has no CSAT rating" in caplog.text
    assert "(ticket 1001)" in caplog.text and "(ticket 1002)" in caplog.text
    assert "ticket 1004) has no agent" in caplog.text


def test_a_late_answer_to_a_survey_sent_before_since_is_read(zd_fake, zendesk):
    _agents(zd_fake)
    sent = T0 - 20 * 86400  # offered 20 days before `since`, answered after it
    zd_fake.add_response(1101, 1, assignee_id=11, created=sent, answered=T0 + 3600)
    zd_fake.add_response(1102, 5, assignee_id=11, created=int(FIRST.timestamp()) - 86400)

    records = list(zendesk.ratings_since(SINCE))

    assert [(r.external_id, r.csat) for r in records] == [("1101", 1.0)]
    assert records[0].rated_at is not None and records[0].rated_at <= _at(sent) + WINDOW


def test_an_account_that_moved_to_the_new_csat_has_both_read_in_order(zd_fake, zendesk):
    _agents(zd_fake)
    day = 86400
    zd_fake.add_rating(1201, "good", assignee_id=11, created=T0 + 1 * day)
    zd_fake.add_rating(1202, "bad", assignee_id=12, created=T0 + 2 * day)
    zd_fake.add_response(1203, 3, assignee_id=11, created=T0 + 3 * day)
    zd_fake.add_response(1204, 4, assignee_id=13, created=T0 + 9 * day)

    records = list(zendesk.ratings_since(SINCE))

    assert [(r.external_id, r.csat) for r in records] == [
        ("1201", 5.0),
        ("1202", 1.0),
        ("1203", 3.0),
        ("1204", 4.0),
    ]
    assert zendesk.what_it_read() == "2 new CSAT survey responses, 2 legacy satisfaction ratings"


def test_an_account_with_neither_says_so(zd_fake, zendesk):
    assert list(zendesk.ratings_since(SINCE)) == []
    assert zendesk.what_it_read() == (
        "found neither new CSAT survey responses nor legacy satisfaction ratings"
    )
    assert len(zd_fake.calls(RESPONSES)) == len(zd_fake.calls(RATINGS)) == 1  # probes only


@pytest.mark.parametrize("status", [403, 404])
def test_a_list_the_account_cant_use_is_passed_over(zd_fake, zendesk, status):
    _agents(zd_fake)
    zd_fake.add_rating(1301, "good", assignee_id=11, created=T0 + 1)
    zd_fake.survey_status = status  # no new CSAT on this plan

    assert [r.external_id for r in zendesk.ratings_since(SINCE)] == ["1301"]
    assert zendesk.what_it_read() == "legacy satisfaction ratings"

    zd_fake.survey_status, zd_fake.legacy_status = None, status  # legacy CSAT turned off
    zd_fake.add_response(1302, 2, assignee_id=12, created=T0 + 2)
    assert [r.external_id for r in zendesk.ratings_since(SINCE)] == ["1302"]
    assert zendesk.what_it_read() == "new CSAT survey responses"


def test_wrong_credentials_name_the_settings(zd_fake):
    connector = ZendeskHelpdesk(base_url=zd_fake.base_url, email="x@acme.test", token="nope")
    with pytest.raises(HelpdeskAuthError) as caught:
        list(connector.ratings_since(SINCE))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "Zendesk refused the credentials: check DEBRIEF_ZENDESK_EMAIL and DEBRIEF_ZENDESK_TOKEN"
    )
    assert len(zd_fake.calls(RESPONSES)) == len(zd_fake.calls(RATINGS)) == 1
    connector.close()


def test_rate_limit_honours_retry_after(zd_fake, zendesk, sleeps):
    _agents(zd_fake)
    zd_fake.add_response(1401, 5, assignee_id=11, created=T0 + 1)
    zd_fake.add_rating(1402, "good", assignee_id=11, created=T0 + 2)
    zd_fake.throttle(1, "42")
    records = list(zendesk.ratings_since(SINCE))
    zd_fake.throttle(2, "7")
    again = list(zendesk.ratings_since(SINCE))

    assert [r.external_id for r in records] == [r.external_id for r in again] == ["1402", "1401"]
    assert sleeps == [42.0, 7.0, 7.0]


def test_persistent_5xx_is_unavailable(zd_fake, zendesk, sleeps):
    _agents(zd_fake)
    zd_fake.add_response(1501, 5, assignee_id=11, created=T0 + 1)
    zd_fake.fail_after[RESPONSES] = 3  # the probe and two windows, then 503s
    with pytest.raises(HelpdeskUnavailable, match="Zendesk is unavailable"):
        list(zendesk.ratings_since(SINCE))
    assert sleeps == [1.0, 2.0, 4.0, 8.0]


# -- transcripts and links ------------------------------------------------------------------


def _thread(fake: FakeZendesk) -> None:
    _agents(fake)
    fake.add_user(9000, "Dana Whitfield", "dana@example.com", role="end-user")
    fake.add_user(9001, "Eli Cc", "eli@example.com", role="end-user")
    fake.add_response(700, 1, assignee_id=11, created=T0 + 1, requester_id=9000)
    fake.add_comment(700, 9000, "<p>My card was charged <b>twice</b>.</p>", plain="")
    fake.add_comment(700, 11, "<p>Sorry &amp; thanks!</p>", plain="Sorry & thanks!")
    fake.add_comment(700, 11, "<p>Internal: refund?</p>", plain="Internal: refund?", public=False)
    fake.add_comment(700, 9001, "<div>I see it too</div>", plain="I see it too")
    fake.add_comment(
        700, 12, "<p>Refunded.<br>Anything else?</p>", plain="Refunded.\nAnything else?"
    )


def test_transcript_labels_turns_strips_html_and_finds_the_requester(zd_fake, zendesk):
    _thread(zd_fake)

    transcript = zendesk.transcript("700")

    assert transcript == Transcript(
        text=(
            "Customer: My card was charged twice.\n"
            "Agent: Sorry & thanks!\n"
            "Customer: I see it too\n"
            "Agent: Refunded. Anything else?\n"
        ),
        customer_name="Dana Whitfield",
        customer_email="dana@example.com",
    )
    assert len(zd_fake.calls("/api/v2/tickets/700/comments.json")) == 3  # three pages


def test_transcript_of_unknown_ticket_is_not_found(zd_fake, zendesk):
    with pytest.raises(HelpdeskNotFound, match="Zendesk has no ticket 404"):
        zendesk.transcript("404")
    with pytest.raises(HelpdeskNotFound):
        zendesk.transcript("not-a-ticket")


def test_from_settings_uses_the_subdomain_or_base_url():
    settings = Settings(
        _env_file=None,
        DEBRIEF_ZENDESK_SUBDOMAIN="acme",
        DEBRIEF_ZENDESK_EMAIL=fake_zendesk.EMAIL,
        DEBRIEF_ZENDESK_TOKEN=fake_zendesk.TOKEN,
    )
    connector = ZendeskHelpdesk.from_settings(settings)
    assert connector._http.base_url == "https://acme.zendesk.com"
    connector.close()
    settings = settings.model_copy(update={"zendesk_base_url": "http://127.0.0.1:9"})
    connector = ZendeskHelpdesk.from_settings(settings)
    assert connector._http.base_url == "http://127.0.0.1:9"
    connector.close()


def test_the_deep_link_is_the_agent_ticket_page_unless_a_template_says_otherwise():
    settings = Settings(_env_file=None, DEBRIEF_ZENDESK_SUBDOMAIN="acme")
    assert deep_link(settings, "zendesk", "701") == "https://acme.zendesk.com/agent/tickets/701"
    custom = settings.model_copy(
        update={"deeplink_zendesk": "https://support.acme.test/agent/tickets/{external_id}"}
    )
    assert deep_link(custom, "zendesk", "701") == "https://support.acme.test/agent/tickets/701"


# -- syncs: resume, the command line, and a scan end to end ------------------------------------


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
    _agents(zd_fake)
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
    _agents(zd_fake)
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
    _agents(zd_fake)
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
    scan = run_scan(settings=configured, summarizer=OfflineSummarizer(), notifier=notifier, now=now)

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
