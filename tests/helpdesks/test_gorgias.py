"""The Gorgias connector against a fake Gorgias API (syncs through it: test_gorgias_sync.py)."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.coaching.transcripts import WHILE_WAITING
from bot.core.db import session_scope
from bot.core.settings import Settings, SettingsError, load_settings
from bot.ingest.deeplinks import deep_link
from bot.ingest.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
    RatingRecord,
    Transcript,
)
from bot.ingest.helpdesks.gorgias import DRAIN_SECONDS, GorgiasHelpdesk
from bot.ingest.helpdesks.registry import (
    check_helpdesk_settings,
    configured_helpdesks,
    helpdesk_for,
)
from models import Agent, Conversation
from tests.helpdesks import fake_gorgias
from tests.helpdesks.fake_gorgias import FakeGorgias
from tests.helpdesks.gorgias_support import SINCE, H, connector


def _team(fake: FakeGorgias) -> None:
    fake.add_user(11, "Ana Lima", "ana@acme.test")
    fake.add_user(12, "Ben Okafor", "ben@acme.test")
    fake.add_user(13, "Caro Diaz", "caro@acme.test")


# ---- ratings ---------------------------------------------------------------------------------


def test_ratings_come_oldest_scored_first_across_cursor_pages_with_their_fields(gg_fake, gorgias):
    _team(gg_fake)
    # created in one order, scored in another: the connector sorts by scored_datetime
    gg_fake.add_rating(
        101, 2, agent_id=11, scored=SINCE + 50 * H, team=(5, "Billing"), tags=("refund", "vip")
    )
    gg_fake.add_rating(102, 5, agent_id=12, scored=SINCE + 10 * H)
    gg_fake.add_ticket(103, assignee_id=13, closed=None)  # reopened since
    gg_fake.add_survey(103, 4, scored=SINCE + 30 * H)
    gg_fake.add_rating(104, 1, agent_id=11, scored=SINCE + 20 * H)
    gg_fake.add_rating(105, 3, agent_id=12, scored=SINCE + 40 * H)
    gg_fake.add_rating(90, 5, agent_id=11, scored=SINCE - H)  # scored before `since`

    records = list(gorgias.ratings_since(SINCE))

    assert [r.external_id for r in records] == ["102", "104", "103", "105", "101"]
    assert [r.rated_at for r in records] == sorted(r.rated_at for r in records)
    assert records[-1] == RatingRecord(
        helpdesk="gorgias",
        external_id="101",
        agent_name="Ana Lima",
        agent_email="ana@acme.test",
        closed_at=SINCE + 50 * H - 20 * H,
        csat=2.0,
        queue="Billing",
        tags=("refund", "vip"),
        url=None,
        rated_at=SINCE + 50 * H,
    )
    assert records[2].closed_at == SINCE + 30 * H  # reopened, no closed_datetime: the score time
    assert records[0].queue is None and records[0].tags == ()
    pages = gg_fake.calls("/api/satisfaction-surveys")
    assert len(pages) == 2  # six surveys, three a page
    assert pages[0].args.to_dict() == {"limit": "100", "order_by": "created_datetime:desc"}
    assert pages[1].args["cursor"] and pages[1].args["order_by"] == "created_datetime:desc"


def test_requests_use_basic_auth_with_the_email_and_api_key(gg_fake, gorgias):
    _team(gg_fake)
    gg_fake.add_rating(1, 5, agent_id=11, scored=SINCE + H)

    list(gorgias.ratings_since(SINCE))

    expected = base64.b64encode(f"{fake_gorgias.EMAIL}:{fake_gorgias.API_KEY}".encode()).decode()
    for request, _ in gg_fake.server.log:
        assert request.headers["Authorization"] == f"Basic {expected}"


def test_stars_are_kept_on_the_1_to_5_scale_and_non_csat_surveys_skipped(gg_fake, gorgias, caplog):
    _team(gg_fake)
    for n, score in enumerate([1, 2, 3, 4, 5], start=1):
        gg_fake.add_rating(200 + n, score, agent_id=11, scored=SINCE + n * H)
    gg_fake.add_ticket(210, assignee_id=11)
    gg_fake.add_survey(210, None, scored=SINCE + 7 * H, comment="Too slow")  # a comment only
    gg_fake.add_ticket(211, assignee_id=11)
    gg_fake.add_survey(211, None, scored=None)  # sent, never answered
    gg_fake.add_ticket(212, assignee_id=11)
    gg_fake.add_survey(212, 0, scored=SINCE + 8 * H)  # not a 1-5 score

    with caplog.at_level(logging.INFO, logger="bot.helpdesks.gorgias"):
        records = list(gorgias.ratings_since(SINCE))

    assert [r.csat for r in records] == [1.0, 2.0, 3.0, 4.0, 5.0]
    skipped = [r.getMessage() for r in caplog.records if "not a CSAT" in r.getMessage()]
    assert len(skipped) == 2 and "ticket 210" in skipped[0] + skipped[1]
    assert all("ticket 211" not in line for line in skipped)


def test_a_score_without_its_time_counts_from_the_survey_creation(gg_fake, gorgias):
    _team(gg_fake)
    gg_fake.add_ticket(300, assignee_id=12)
    gg_fake.add_survey(300, 4, scored=None, created=SINCE + 2 * H)

    [record] = gorgias.ratings_since(SINCE)

    assert record.rated_at == SINCE + 2 * H and record.csat == 4.0


def test_surveys_are_read_back_only_as_far_as_the_score_lag(gg_fake, gorgias):
    _team(gg_fake)
    gg_fake.page_size = 10
    for n in range(60):  # one survey created a day, the oldest 60 days before `since`
        created = SINCE - timedelta(days=60 - n)
        gg_fake.add_ticket(1000 + n, assignee_id=11, closed=created)
        gg_fake.add_survey(1000 + n, 4, scored=created + timedelta(days=2), created=created)

    records = list(gorgias.ratings_since(SINCE))

    assert len(records) == 2  # those created in the last two days were scored since
    # newest first, ten a page: pages 1-3 reach back 30 days, the fourth goes past the lag
    # (so reading stops there), the last two are never asked for
    assert len(gg_fake.calls("/api/satisfaction-surveys")) == 4


def test_users_are_listed_once_and_an_unlisted_one_looked_up(gg_fake, gorgias):
    _team(gg_fake)
    gg_fake.add_user(99, "Former Agent", "former@acme.test", listed=False)
    for n in range(8):
        gg_fake.add_rating(400 + n, 3, agent_id=[11, 12, 13, 99][n % 4], scored=SINCE + n * H)

    records = list(gorgias.ratings_since(SINCE))
    list(gorgias.ratings_since(SINCE))  # the same connector: users stay cached

    assert [r.agent_name for r in records[:4]] == [
        "Ana Lima",
        "Ben Okafor",
        "Caro Diaz",
        "Former Agent",
    ]
    assert records[3].agent_email == "former@acme.test"
    listed = gg_fake.calls("/api/users")
    assert len(listed) == 1  # three users fit one page of three
    assert listed[0].args.to_dict() == {"limit": "100"}
    assert len(gg_fake.calls("/api/users/99")) == 1


def test_tickets_are_read_a_hundred_ids_at_a_time(gg_fake, gorgias):
    gg_fake.page_size = 100
    for n in range(150):
        gg_fake.add_user(2000 + n, f"Agent {n}", f"a{n}@acme.test")
        gg_fake.add_rating(3000 + n, 1 + n % 5, agent_id=2000 + n, scored=SINCE + n * H)

    records = list(gorgias.ratings_since(SINCE))

    assert len(records) == 150
    listed = gg_fake.calls("/api/tickets")
    assert [len(r.args.getlist("ticket_ids")) for r in listed] == [100, 50]
    assert all(r.args["limit"] == "100" for r in listed)
    assert not [r for r, _ in gg_fake.server.log if r.path.startswith("/api/tickets/")]


def test_when_ticket_ids_is_refused_tickets_are_read_one_by_one(gg_fake, gorgias):
    _team(gg_fake)
    gg_fake.ticket_ids_supported = False
    gg_fake.add_rating(501, 5, agent_id=11, scored=SINCE + H)
    gg_fake.add_rating(502, 2, agent_id=12, scored=SINCE + 2 * H)

    records = list(gorgias.ratings_since(SINCE))

    assert [(r.external_id, r.agent_name) for r in records] == [
        ("501", "Ana Lima"),
        ("502", "Ben Okafor"),
    ]
    assert len(gg_fake.calls("/api/tickets")) == 1  # refused once (400), not asked again
    assert len(gg_fake.calls("/api/tickets/501")) == 1


def test_deleted_and_unassigned_tickets_are_skipped(gg_fake, gorgias, caplog):
    _team(gg_fake)
    gg_fake.add_rating(601, 4, agent_id=None, scored=SINCE + H)
    gg_fake.add_rating(602, 1, agent_id=11, scored=SINCE + 2 * H)
    gg_fake.add_rating(603, 5, agent_id=12, scored=SINCE + 3 * H)
    del gg_fake.tickets[603]

    with caplog.at_level(logging.WARNING, logger="bot.helpdesks.gorgias"):
        records = list(gorgias.ratings_since(SINCE))

    assert [r.external_id for r in records] == ["602"]
    text = caplog.text
    assert "ticket 601 has no assigned agent" in text and "ticket 603 not found" in text


# ---- rate limits, failures, credentials ------------------------------------------------------


def test_a_429_is_waited_out_with_its_retry_after(gg_fake, gorgias, sleeps):
    _team(gg_fake)
    gg_fake.add_rating(701, 5, agent_id=11, scored=SINCE + H)
    gg_fake.throttle("/api/satisfaction-surveys", times=2, retry_after=7)

    assert [r.external_id for r in gorgias.ratings_since(SINCE)] == ["701"]
    assert sleeps == [7.0, 7.0]
    assert len(gg_fake.calls("/api/satisfaction-surveys")) == 3


def test_a_full_call_bucket_spaces_the_next_calls(gg_fake, gorgias, sleeps):
    _team(gg_fake)
    gg_fake.add_rating(702, 5, agent_id=11, scored=SINCE + H)
    gg_fake.bucket = 40  # every answer says 40/40

    list(gorgias.ratings_since(SINCE))

    calls = len(gg_fake.server.log)
    assert calls == 3  # surveys, tickets, users
    assert sleeps == [DRAIN_SECONDS] * (calls - 1)


def test_someone_waiting_is_not_kept_waiting_by_a_full_bucket(gg_fake, sleeps):
    _thread(gg_fake)
    gg_fake.bucket = 40
    helpdesk = connector(gg_fake, sleeps, policy=WHILE_WAITING)

    assert helpdesk.transcript("900").customer_name == "Dana Whitfield"
    assert sleeps == []
    helpdesk.close()


def test_persistent_5xx_is_unavailable(gg_fake, gorgias, sleeps):
    gg_fake.fail("/api/satisfaction-surveys", after=0, status=502)

    with pytest.raises(HelpdeskUnavailable, match="Gorgias is unavailable: HTTP 502"):
        list(gorgias.ratings_since(SINCE))
    assert len(sleeps) == 4


def test_wrong_credentials_name_the_settings_in_one_line(gg_fake, sleeps):
    helpdesk = connector(gg_fake, sleeps, api_key="not-the-key")
    with pytest.raises(HelpdeskAuthError) as caught:
        list(helpdesk.ratings_since(SINCE))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "Gorgias refused the credentials: check DEBRIEF_GORGIAS_EMAIL and DEBRIEF_GORGIAS_API_KEY"
    )
    assert sleeps == []
    helpdesk.close()


def test_debrief_sync_with_a_wrong_key_exits_with_one_line_and_keeps_nothing(
    gg_fake, db, monkeypatch, tmp_path
):
    _team(gg_fake)
    gg_fake.add_rating(801, 5, agent_id=11, scored=datetime.now(UTC) - timedelta(days=2))
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DATABASE_URL": db,
        "DEBRIEF_GORGIAS_BASE_URL": gg_fake.base_url,
        "DEBRIEF_GORGIAS_EMAIL": fake_gorgias.EMAIL,
        "DEBRIEF_GORGIAS_API_KEY": "wrong",
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["sync"], catch_exceptions=False)

    assert result.exit_code != 0
    [line] = result.stderr.strip().splitlines()
    assert "DEBRIEF_GORGIAS_EMAIL" in line and "DEBRIEF_GORGIAS_API_KEY" in line
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 0
        assert s.scalar(select(func.count()).select_from(Agent)) == 0

    monkeypatch.setenv("DEBRIEF_GORGIAS_API_KEY", fake_gorgias.API_KEY)
    result = CliRunner().invoke(main, ["sync"], catch_exceptions=False)
    assert result.exit_code == 0 and "gorgias: 1 ratings" in result.output


# ---- transcripts and links ---------------------------------------------------------------------


def _thread(fake: FakeGorgias) -> None:
    _team(fake)
    fake.add_ticket(900, assignee_id=11, customer=(77, "Dana Whitfield", "dana@example.com"))
    agent = (11, "Ana Lima", "ana@acme.test")
    fake.add_message(
        900, from_agent=False, html="<p>My card was charged <b>twice</b>.</p>", text=""
    )
    fake.add_message(
        900, from_agent=True, html="<p>Thanks! We got it.</p>", rule_id=3, sender=agent
    )
    fake.add_message(
        900,
        from_agent=True,
        html="<p>Sorry &amp; thanks!</p>",
        text="Sorry & thanks!",
        sender=agent,
    )
    fake.add_message(900, from_agent=True, html="<p>VIP, refund?</p>", note=True, sender=agent)
    fake.add_message(
        900,
        from_agent=False,
        html="<div>Still waiting</div><blockquote>On Monday Ana wrote: Sorry</blockquote>",
        text="Still waiting\nOn Monday Ana wrote: Sorry",
        stripped="Still waiting",
    )
    fake.add_message(
        900, from_agent=True, html="<p>Refunded.<br>Anything else?</p>", text="", sender=agent
    )


def test_transcript_labels_turns_strips_html_leaves_notes_out_and_finds_the_customer(
    gg_fake, gorgias
):
    _thread(gg_fake)

    transcript = gorgias.transcript("900")

    assert transcript == Transcript(
        text=(
            "Customer: My card was charged twice.\n"
            "Bot: Thanks! We got it.\n"
            "Agent: Sorry & thanks!\n"
            "Customer: Still waiting\n"
            "Agent: Refunded. Anything else?\n"
        ),
        customer_name="Dana Whitfield",
        customer_email="dana@example.com",
    )
    pages = gg_fake.calls("/api/messages")
    assert len(pages) == 2  # six messages, three a page
    assert pages[0].args.to_dict() == {
        "ticket_id": "900",
        "limit": "100",
        "order_by": "created_datetime:asc",
    }


def test_transcript_of_an_unknown_ticket_is_not_found(gg_fake, gorgias):
    with pytest.raises(HelpdeskNotFound, match="Gorgias has no ticket 404"):
        gorgias.transcript("404")
    with pytest.raises(HelpdeskNotFound):
        gorgias.transcript("not-a-ticket")


def gsettings(**values: Any) -> Settings:
    none = {
        "DEBRIEF_GORGIAS_DOMAIN": None,
        "DEBRIEF_GORGIAS_EMAIL": None,
        "DEBRIEF_GORGIAS_API_KEY": None,
        "DEBRIEF_GORGIAS_BASE_URL": None,
        "DEBRIEF_DEEPLINK_GORGIAS": None,
    }
    return Settings(_env_file=None, **{**none, **values})


GORGIAS = {
    "DEBRIEF_GORGIAS_DOMAIN": "acme",
    "DEBRIEF_GORGIAS_EMAIL": fake_gorgias.EMAIL,
    "DEBRIEF_GORGIAS_API_KEY": fake_gorgias.API_KEY,
}


def test_the_deep_link_is_the_agent_view_of_the_ticket_unless_overridden():
    assert (
        deep_link(gsettings(DEBRIEF_GORGIAS_DOMAIN="acme"), "gorgias", "4242")
        == "https://acme.gorgias.com/app/ticket/4242"
    )
    custom = gsettings(
        DEBRIEF_GORGIAS_DOMAIN="acme",
        DEBRIEF_DEEPLINK_GORGIAS="https://help.acme.test/t/{external_id}",
    )
    assert deep_link(custom, "gorgias", "4242") == "https://help.acme.test/t/4242"
    assert deep_link(gsettings(), "gorgias", "4242") is None


def test_settings_build_the_connector_on_the_account_or_base_url():
    helpdesk = GorgiasHelpdesk.from_settings(gsettings(**GORGIAS))
    assert helpdesk._http.base_url == "https://acme.gorgias.com"
    helpdesk.close()
    local = gsettings(**GORGIAS, DEBRIEF_GORGIAS_BASE_URL="http://127.0.0.1:9/")
    helpdesk = GorgiasHelpdesk.from_settings(local)
    assert helpdesk._http.base_url == "http://127.0.0.1:9"
    helpdesk.close()
    [built] = configured_helpdesks(gsettings(**GORGIAS))
    assert built.name == "gorgias" and built.ordered
    built.close()
    found = helpdesk_for(gsettings(**GORGIAS), "Gorgias")
    assert isinstance(found, GorgiasHelpdesk)
    found.close()
    assert configured_helpdesks(gsettings(DEBRIEF_GORGIAS_DOMAIN="acme")) == []  # links only
    assert helpdesk_for(gsettings(DEBRIEF_GORGIAS_DOMAIN="acme"), "gorgias") is None


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"DEBRIEF_GORGIAS_EMAIL": "a@b.c"}, "DEBRIEF_GORGIAS_API_KEY"),
        ({"DEBRIEF_GORGIAS_API_KEY": "k"}, "DEBRIEF_GORGIAS_EMAIL"),
        ({"DEBRIEF_GORGIAS_BASE_URL": "http://127.0.0.1:9"}, "DEBRIEF_GORGIAS_EMAIL"),
        (
            {"DEBRIEF_GORGIAS_EMAIL": "a@b.c", "DEBRIEF_GORGIAS_API_KEY": "k"},
            "DEBRIEF_GORGIAS_DOMAIN",
        ),
        ({**GORGIAS, "DEBRIEF_GORGIAS_DOMAIN": "acme.gorgias.com"}, "DEBRIEF_GORGIAS_DOMAIN"),
    ],
)
def test_half_configured_gorgias_names_the_missing_variable(values, variable):
    with pytest.raises(SettingsError) as caught:
        check_helpdesk_settings(gsettings(**values))
    assert str(caught.value).startswith(variable)


def test_a_malformed_gorgias_base_url_is_refused_when_the_settings_are_read(monkeypatch):
    for name, value in GORGIAS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DEBRIEF_GORGIAS_BASE_URL", "acme.gorgias.com")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith("DEBRIEF_GORGIAS_BASE_URL")


def test_complete_or_absent_gorgias_settings_pass_the_check():
    check_helpdesk_settings(gsettings())
    check_helpdesk_settings(gsettings(**GORGIAS))
    check_helpdesk_settings(gsettings(DEBRIEF_GORGIAS_DOMAIN="acme-store"))
