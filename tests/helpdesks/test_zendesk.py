"""The Zendesk connector against a fake Zendesk API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
    RatingRecord,
    Transcript,
)
from bot.helpdesks.zendesk import ZendeskHelpdesk
from tests.helpdesks import fake_zendesk
from tests.helpdesks.fake_zendesk import FakeZendesk

SINCE = datetime(2024, 5, 1, tzinfo=UTC)
T0 = int(SINCE.timestamp())


def _agents(fake: FakeZendesk) -> None:
    fake.add_user(11, "Ana Lima", "ana@acme.test")
    fake.add_user(12, "Ben Okafor", "ben@acme.test")
    fake.add_user(13, "Caro Diaz", "caro@acme.test")
    fake.groups = {501: "Billing", 502: "Tier 2"}


def test_ratings_follow_cursor_pages_and_map_fields(zd_fake, zendesk):
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
    zd_fake.add_rating(90, "bad", assignee_id=11, created=T0 - 100)  # before `since`

    records = list(zendesk.ratings_since(SINCE))

    assert [r.external_id for r in records] == ["101", "102", "103", "104", "105"]
    assert records[0] == RatingRecord(
        helpdesk="zendesk",
        external_id="101",
        agent_name="Ana Lima",
        agent_email="ana@acme.test",
        closed_at=datetime.fromtimestamp(T0 + 5, tz=UTC),
        csat=5.0,
        queue="Billing",
        tags=("refund", "kb-42"),
        url=None,
    )
    assert records[1].queue == "Tier 2" and records[2].queue is None
    pages = zd_fake.calls("/api/v2/satisfaction_ratings.json")
    assert len(pages) == 3
    first = pages[0].args
    assert first["start_time"] == str(T0)
    assert first["score"] == "received"
    assert first["page[size]"] == "100"
    assert pages[1].args["page[after]"] == "2" and pages[1].args["start_time"] == str(T0)


def test_offset_pagination_is_followed_too(zd_fake, zendesk):
    _agents(zd_fake)
    zd_fake.offset_pagination = True
    for ticket in range(201, 206):
        zd_fake.add_rating(ticket, "good", assignee_id=11, created=T0 + ticket)

    records = list(zendesk.ratings_since(SINCE))

    assert [r.external_id for r in records] == ["201", "202", "203", "204", "205"]
    assert [r.args.get("page") for r in zd_fake.calls("/api/v2/satisfaction_ratings.json")] == [
        None,
        "2",
        "3",
    ]


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

    assert first.closed_at == datetime.fromtimestamp(T0 + 60, tz=UTC)
    assert second.closed_at == datetime.fromtimestamp(T0 + 200, tz=UTC)
    assert second.closed_at.tzinfo is UTC and second.tags == ()


def test_users_groups_and_tickets_are_fetched_in_batches_and_cached(zd_fake, zendesk):
    _agents(zd_fake)
    zd_fake.page_size = 100
    for n in range(30):
        zd_fake.add_rating(1000 + n, "good", assignee_id=11 + n % 3, group_id=501, created=T0 + n)

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
    zd_fake.page_size = 150  # larger than Zendesk allows, to force a split
    for n in range(150):
        zd_fake.add_user(2000 + n, f"Agent {n}", f"a{n}@acme.test")
        zd_fake.add_rating(3000 + n, "bad", assignee_id=2000 + n, created=T0 + n)

    records = list(zendesk.ratings_since(SINCE))

    assert len(records) == 150
    sizes = [len(r.args["ids"].split(",")) for r in zd_fake.calls("/api/v2/users/show_many.json")]
    assert sizes == [100, 50]


def test_unassigned_ratings_are_skipped(zd_fake, zendesk):
    _agents(zd_fake)
    zd_fake.add_rating(501, "bad", assignee_id=None, created=T0 + 1)
    zd_fake.add_rating(502, "good", assignee_id=12, created=T0 + 2)

    assert [r.external_id for r in zendesk.ratings_since(SINCE)] == ["502"]


def test_wrong_credentials_name_the_settings(zd_fake):
    connector = ZendeskHelpdesk(base_url=zd_fake.base_url, email="x@acme.test", token="nope")
    with pytest.raises(HelpdeskAuthError) as caught:
        list(connector.ratings_since(SINCE))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "Zendesk refused the credentials: check DEBRIEF_ZENDESK_EMAIL and DEBRIEF_ZENDESK_TOKEN"
    )
    connector.close()


def test_rate_limit_honours_retry_after(httpserver, zd_fake, zendesk, sleeps):
    _agents(zd_fake)
    zd_fake.add_rating(601, "good", assignee_id=11, created=T0 + 1)
    httpserver.expect_oneshot_request("/api/v2/satisfaction_ratings.json").respond_with_json(
        {"error": "TooManyRequests"}, status=429, headers={"Retry-After": "42"}
    )

    assert [r.external_id for r in zendesk.ratings_since(SINCE)] == ["601"]
    assert sleeps == [42.0]


def test_persistent_5xx_is_unavailable(httpserver, zendesk, sleeps):
    httpserver.clear()
    httpserver.expect_request("/api/v2/satisfaction_ratings.json").respond_with_data(
        "Service Unavailable", status=503
    )
    with pytest.raises(HelpdeskUnavailable, match="Zendesk is unavailable"):
        list(zendesk.ratings_since(SINCE))
    assert len(sleeps) == 4


def _thread(fake: FakeZendesk) -> None:
    _agents(fake)
    fake.add_user(9000, "Dana Whitfield", "dana@example.com", role="end-user")
    fake.add_user(9001, "Eli Cc", "eli@example.com", role="end-user")
    fake.add_rating(700, "bad", assignee_id=11, created=T0 + 1, requester_id=9000)
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
    from bot.settings import Settings

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
