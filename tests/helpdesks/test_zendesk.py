"""The Zendesk connector against a fake Zendesk API: new CSAT survey responses, legacy
satisfaction ratings, transcripts and links (syncs: test_zendesk_sync.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.core.settings import Settings
from bot.ingest.deeplinks import deep_link
from bot.ingest.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
    RatingRecord,
    Transcript,
)
from bot.ingest.helpdesks.zendesk import ANSWER_WINDOW, WINDOW, ZendeskHelpdesk
from tests.helpdesks import fake_zendesk
from tests.helpdesks.fake_zendesk import RATINGS, RESPONSES, FakeZendesk
from tests.helpdesks.zendesk_support import MS, add_agents

SINCE = datetime(2024, 5, 1, tzinfo=UTC)
T0 = int(SINCE.timestamp())
FIRST = SINCE - ANSWER_WINDOW  # every sync reaches back for late answers


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


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
    add_agents(zd_fake)
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
    add_agents(zd_fake)
    zd_fake.offset_pagination = True
    for ticket in range(201, 206):
        zd_fake.add_rating(ticket, "good", assignee_id=11, created=T0 + ticket)

    records = list(zendesk.ratings_since(SINCE))

    assert [r.external_id for r in records] == ["201", "202", "203", "204", "205"]
    pages = _window_calls(zd_fake, RATINGS, SINCE)
    assert [r.args.get("page") for r in pages] == [None, "2", "3"]


def test_scores_map_good_to_5_and_bad_to_1(zd_fake, zendesk):
    add_agents(zd_fake)
    zd_fake.add_rating(301, "good", assignee_id=11, created=T0 + 1)
    zd_fake.add_rating(302, "bad", assignee_id=11, created=T0 + 2)

    assert [r.csat for r in zendesk.ratings_since(SINCE)] == [5.0, 1.0]


def test_closed_at_is_the_solved_time_else_the_rating_time(zd_fake, zendesk):
    add_agents(zd_fake)
    zd_fake.add_rating(401, "good", assignee_id=11, created=T0 + 100, solved=T0 + 60)
    zd_fake.add_rating(402, "good", assignee_id=11, created=T0 + 200)
    del zd_fake.tickets[402]  # deleted since: no tags, no solved time

    first, second = zendesk.ratings_since(SINCE)

    assert first.closed_at == _at(T0 + 60)
    assert second.closed_at == _at(T0 + 200)
    assert second.closed_at.tzinfo is UTC and second.tags == ()


def test_users_groups_and_tickets_are_fetched_in_batches_and_cached(zd_fake, zendesk):
    add_agents(zd_fake)
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
    add_agents(zd_fake)
    zd_fake.add_rating(501, "bad", assignee_id=None, created=T0 + 1)
    zd_fake.add_rating(502, "good", assignee_id=12, created=T0 + 2)

    assert [r.external_id for r in zendesk.ratings_since(SINCE)] == ["502"]


def test_ratings_come_oldest_first_whatever_order_the_list_gives(zd_fake, zendesk):
    add_agents(zd_fake)
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
    add_agents(zd_fake)
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
    add_agents(zd_fake)
    survey = zd_fake.add_survey("01JSURVEY000000000000000" + str(points) + "P", 1, points)
    for n, rating in enumerate(ratings):
        zd_fake.add_response(
            800 + n, rating, assignee_id=11, points=points, survey=survey, created=T0 + n
        )

    assert [r.csat for r in zendesk.ratings_since(SINCE)] == expected
    assert len(zd_fake.calls(f"/api/v2/guide/en-us/surveys/{survey[0]}/1")) == 1  # once a version


def test_without_the_survey_the_scale_comes_from_the_rating_category(zd_fake, zendesk, caplog):
    add_agents(zd_fake)
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
    add_agents(zd_fake)
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
    add_agents(zd_fake)
    sent = T0 - 20 * 86400  # offered 20 days before `since`, answered after it
    zd_fake.add_response(1101, 1, assignee_id=11, created=sent, answered=T0 + 3600)
    zd_fake.add_response(1102, 5, assignee_id=11, created=int(FIRST.timestamp()) - 86400)

    records = list(zendesk.ratings_since(SINCE))

    assert [(r.external_id, r.csat) for r in records] == [("1101", 1.0)]
    assert records[0].rated_at is not None and records[0].rated_at <= _at(sent) + WINDOW


def test_an_account_that_moved_to_the_new_csat_has_both_read_in_order(zd_fake, zendesk):
    add_agents(zd_fake)
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
    add_agents(zd_fake)
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
    add_agents(zd_fake)
    zd_fake.add_response(1401, 5, assignee_id=11, created=T0 + 1)
    zd_fake.add_rating(1402, "good", assignee_id=11, created=T0 + 2)
    zd_fake.throttle(1, "42")
    records = list(zendesk.ratings_since(SINCE))
    zd_fake.throttle(2, "7")
    again = list(zendesk.ratings_since(SINCE))

    assert [r.external_id for r in records] == [r.external_id for r in again] == ["1402", "1401"]
    assert sleeps == [42.0, 7.0, 7.0]


def test_persistent_5xx_is_unavailable(zd_fake, zendesk, sleeps):
    add_agents(zd_fake)
    zd_fake.add_response(1501, 5, assignee_id=11, created=T0 + 1)
    zd_fake.fail_after[RESPONSES] = 3  # the probe and two windows, then 503s
    with pytest.raises(HelpdeskUnavailable, match="Zendesk is unavailable"):
        list(zendesk.ratings_since(SINCE))
    assert sleeps == [1.0, 2.0, 4.0, 8.0]


# -- transcripts and links ------------------------------------------------------------------


def _thread(fake: FakeZendesk) -> None:
    add_agents(fake)
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
