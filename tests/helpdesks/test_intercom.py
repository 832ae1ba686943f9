"""The Intercom connector against a fake Intercom API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.ingest.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
    RatingRecord,
    Transcript,
)
from bot.ingest.helpdesks.intercom import IntercomHelpdesk
from tests.helpdesks import fake_intercom
from tests.helpdesks.fake_intercom import FakeIntercom, part

SINCE = datetime(2024, 5, 1, tzinfo=UTC)
T0 = int(SINCE.timestamp())


def _team(fake: FakeIntercom) -> None:
    fake.add_admin("814860", "Mark Strong", "mark@acme.test")
    fake.add_admin("814861", "Nia Park", "nia@acme.test")
    fake.teams = {"5017691": "Billing", "5017692": "Onboarding"}


def test_ratings_follow_search_pages_and_map_fields(ic_fake, intercom):
    _team(ic_fake)
    ic_fake.add_conversation(
        "1911149811",
        rating=2,
        teammate_id="814860",
        team_id="5017691",
        replied_at=T0 + 10,
        last_close_at=T0 + 5,
        tags=("refund", "kb-42"),
    )
    ic_fake.add_conversation("1911149812", rating=5, teammate_id="814861", replied_at=T0 + 20)
    ic_fake.add_conversation(
        "1911149813",
        rating=4,
        teammate_id=None,
        assignee_id=814861,
        replied_at=T0 + 30,
        last_close_at=None,
    )
    ic_fake.add_conversation("1911149814", rating=1, teammate_id="814860", replied_at=T0 + 40)
    ic_fake.add_conversation("1911149815", rating=3, teammate_id="814860", replied_at=T0 + 50)
    ic_fake.add_conversation("1911149816", rating=None, teammate_id=None, replied_at=T0 + 60)
    ic_fake.add_conversation("1911149817", rating=5, teammate_id="814860", replied_at=T0 - 60)

    records = list(intercom.ratings_since(SINCE))

    assert [r.external_id for r in records] == [f"191114981{n}" for n in range(1, 6)]
    assert records[0] == RatingRecord(
        helpdesk="intercom",
        external_id="1911149811",
        agent_name="Mark Strong",
        agent_email="mark@acme.test",
        closed_at=datetime.fromtimestamp(T0 + 5, tz=UTC),
        csat=2.0,
        queue="Billing",
        tags=("refund", "kb-42"),
        url=None,
    )
    assert [r.csat for r in records] == [2.0, 5.0, 4.0, 1.0, 3.0]
    assert records[2].agent_name == "Nia Park"  # the assignee when the rating names no teammate
    assert records[2].closed_at == datetime.fromtimestamp(T0 + 30, tz=UTC)  # updated_at
    assert records[1].queue is None
    bodies = ic_fake.search_bodies
    assert len(bodies) == 3
    assert bodies[0]["query"]["value"] == T0 - 1
    assert "starting_after" not in bodies[0]["pagination"]
    assert bodies[1]["pagination"]["starting_after"] == "2"


def test_requests_carry_the_token_and_api_version(ic_fake, intercom):
    _team(ic_fake)
    ic_fake.add_conversation("1", rating=5, teammate_id="814860", replied_at=T0 + 1)

    list(intercom.ratings_since(SINCE))

    request = ic_fake.calls("/conversations/search")[0]
    assert request.headers["Intercom-Version"] == "2.11"
    assert request.headers["Authorization"].startswith("Bearer ")


def test_teammates_and_teams_are_listed_once_and_unlisted_ones_looked_up(ic_fake, intercom):
    _team(ic_fake)
    ic_fake.add_admin("900", "Former Teammate", "former@acme.test", listed=False)
    for n in range(6):
        ic_fake.add_conversation(
            str(n),
            rating=3,
            teammate_id=["814860", "814861", "900"][n % 3],
            team_id="5017692",
            replied_at=T0 + n,
        )
    ic_fake.add_conversation("gone", rating=3, teammate_id="404404", replied_at=T0 + 9)

    records = list(intercom.ratings_since(SINCE))

    assert [r.agent_name for r in records[:3]] == ["Mark Strong", "Nia Park", "Former Teammate"]
    assert len(records) == 6  # the conversation rated for an unknown teammate is skipped
    assert {r.queue for r in records} == {"Onboarding"}
    assert len(ic_fake.calls("/admins")) == 1
    assert len(ic_fake.calls("/admins/900")) == 1
    assert len(ic_fake.calls("/teams")) == 1


def test_rate_limit_honours_retry_after(httpserver, ic_fake, intercom, sleeps):
    _team(ic_fake)
    ic_fake.add_conversation("1", rating=5, teammate_id="814860", replied_at=T0 + 1)
    httpserver.expect_oneshot_request("/conversations/search", method="POST").respond_with_json(
        {"type": "error.list", "errors": [{"code": "rate_limit_exceeded", "message": "Slow"}]},
        status=429,
        headers={"Retry-After": "9"},
    )

    assert [r.external_id for r in intercom.ratings_since(SINCE)] == ["1"]
    assert sleeps == [9.0]


def test_a_rate_limited_search_waits_until_x_ratelimit_reset(httpserver, ic_fake, sleeps):
    """Intercom's documented 429: no Retry-After, X-RateLimit-Reset (Unix seconds) says when the
    window resets (developers.intercom.com, Rate limiting)."""
    _team(ic_fake)
    ic_fake.add_conversation("1", rating=5, teammate_id="814860", replied_at=T0 + 1)
    now = 1_714_557_600.0
    httpserver.expect_oneshot_request("/conversations/search", method="POST").respond_with_json(
        {"type": "error.list", "errors": [{"code": "rate_limit_exceeded", "message": "Slow"}]},
        status=429,
        headers={
            "X-RateLimit-Limit": "10000",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(now) + 9),
        },
    )
    connector = IntercomHelpdesk(
        token=fake_intercom.TOKEN,
        base_url=ic_fake.base_url,
        sleep=sleeps.append,
        clock=lambda: now,
    )

    assert [r.external_id for r in connector.ratings_since(SINCE)] == ["1"]
    assert sleeps == [9.0]
    connector.close()


def test_wrong_token_names_the_setting(ic_fake):
    connector = IntercomHelpdesk(token="wrong", base_url=ic_fake.base_url)
    with pytest.raises(HelpdeskAuthError) as caught:
        list(connector.ratings_since(SINCE))
    assert str(caught.value) == "Intercom refused the credentials: check DEBRIEF_INTERCOM_TOKEN"
    connector.close()


def test_persistent_5xx_is_unavailable(httpserver, intercom, sleeps):
    httpserver.clear()
    httpserver.expect_request("/conversations/search").respond_with_data("oops", status=500)
    with pytest.raises(HelpdeskUnavailable, match="Intercom is unavailable"):
        list(intercom.ratings_since(SINCE))
    assert len(sleeps) == 4


def test_transcript_assembles_turns_without_notes_or_html(ic_fake, intercom):
    ic_fake.add_contact("c-77", "Dana Whitfield", "dana@example.com")
    ic_fake.add_conversation(
        "555",
        rating=1,
        teammate_id="814860",
        contact_id="c-77",
        source={
            "type": "conversation",
            "id": "src-9",
            "delivered_as": "customer_initiated",
            "subject": "",
            "body": "<p>Where is my <a href='https://x.test/o/1'>order</a>?</p>",
            "author": {"type": "user", "id": "c-77", "name": "Dana Whitfield", "email": ""},
        },
        parts=[
            part("bot", "<p>I can help with orders.</p>"),
            part("admin", "<p>Checking now &mdash; one moment.</p><p>It shipped.</p>"),
            part("admin", "<p>VIP, be nice</p>", part_type="note"),
            part("admin", None, part_type="assignment"),
            part("user", "<p>Thanks</p>", id="c-77"),
            part("admin", None, part_type="close"),
        ],
    )

    transcript = intercom.transcript("555")

    assert transcript == Transcript(
        text=(
            "Customer: Where is my order?\n"
            "Bot: I can help with orders.\n"
            "Agent: Checking now — one moment. It shipped.\n"
            "Customer: Thanks\n"
        ),
        customer_name="Dana Whitfield",
        customer_email="dana@example.com",
    )
    assert len(ic_fake.calls("/contacts/c-77")) == 1  # the source author had no email


def test_transcript_of_unknown_conversation_is_not_found(ic_fake, intercom):
    with pytest.raises(HelpdeskNotFound, match="Intercom has no conversation 999"):
        intercom.transcript("999")
