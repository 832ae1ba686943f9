"""The "Coach on this" message shortcut through Bolt's signature check against the strict fake
Slack: a lead pins a linked conversation and gets the Coach modal; everyone else is told why."""

from __future__ import annotations

import json
import threading
import time
from functools import partial
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from werkzeug import Response

from blocks.ids import CallbackId
from bot.core.db import session_scope
from bot.core.settings import Settings
from bot.ingest.deeplinks import deep_link
from bot.ingest.importer import import_file
from models import AuditEntry, Sample
from models.sample import SampleSource
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.slack_driver import SlackDriver

TRANSCRIPT = (
    "Customer: The app logs me out every five minutes since Monday.\\nAgent: Please reinstall."
)
ZD = "https://acme.zendesk.com/agent/tickets/77"


@pytest.fixture()
def settings(settings: Settings, httpserver: HTTPServer) -> Settings:
    """The test settings with a Zendesk connector on the loopback helpdesk."""
    return settings.model_copy(
        update={
            "zendesk_base_url": httpserver.url_for("").rstrip("/"),
            "zendesk_email": "a@b.c",
            "zendesk_token": "t",
        }
    )


@pytest.fixture()
def team(session, settings, tmp_path):
    f.member(session, "ULEAD", "owner")
    f.agent(session, "Sarah Connor", email="sarah@acme.test", lead="ULEAD")
    f.member(session, "USARAH", "member", agent="Sarah Connor")
    session.commit()
    path = tmp_path / "c.csv"
    path.write_text(
        "helpdesk,external_id,agent,closed_at,csat,transcript\n"
        f'zendesk,77,Sarah Connor,2026-11-10T10:00:00Z,2,"{TRANSCRIPT}"\n'
    )
    import_file(session_factory=partial(session_scope, settings.database_url), path=path)


def _shortcut(slack: SlackDriver, user: str, **message: Any) -> Any:
    response = slack.message_shortcut(user, CallbackId.COACH_SHORTCUT, message)
    assert response.status_code == 200 and not response.content  # acked at once, empty
    return response


def _modal(fake: FakeSlack) -> dict[str, Any]:
    """The shortcut's modal as it stands after views.open and the views.update that fills it."""
    [opened] = fake.calls_to("views.open")
    assert opened.response["view"]["callback_id"] == CallbackId.SHORTCUT_MODAL
    [update] = fake.calls_to("views.update")
    assert update.args["view_id"] == opened.response["view"]["id"]
    return fake.views[opened.response["view"]["id"]]


def _told(fake: FakeSlack) -> str:
    [reply] = fake.calls_to("response_url")
    assert reply.args["response_type"] == "ephemeral"
    return str(reply.args["text"])


def _samples(settings: Settings) -> int:
    with session_scope(settings.database_url) as s:
        return int(s.scalar(select(func.count()).select_from(Sample)) or 0)


def _pin(slack: SlackDriver, fake: FakeSlack, modal: dict[str, Any]) -> dict[str, Any]:
    """Press Pin: the answer shows "pinning", then the view becomes the Coach modal."""
    before = len(fake.calls_to("views.update"))
    answer = slack.payload(
        {"type": "view_submission", "user": {"id": "ULEAD", "team_id": "T1"}, "team": {"id": "T1"},
         "api_app_id": "A1", "trigger_id": fake.issue_trigger(modal["id"]),
         "view": {**modal, "state": {"values": {}}}}
    )  # fmt: skip
    assert answer.status_code == 200 and answer.json()["response_action"] == "update"
    assert "Pinning it" in json.dumps(answer.json()["view"])
    update = fake.calls_to("views.update")[before]
    assert update.args["view_id"] == modal["id"]
    return fake.views[modal["id"]]


def test_a_lead_pins_the_linked_conversation_and_gets_the_coach_modal(
    slack, fake_slack, settings, team
):
    _shortcut(slack, "ULEAD", text=f"rough one: <{ZD}|#77>")
    modal = _modal(fake_slack)
    shown = json.dumps(modal)
    assert "Zendesk #77" in shown and "Sarah Connor" in shown and "CSAT 2" in shown
    assert modal["submit"]["text"] == "Pin" and ZD in shown  # the Open button's url
    assert json.loads(modal["private_metadata"])["external_id"] == "77"
    coach = _pin(slack, fake_slack, modal)
    assert coach["callback_id"] == CallbackId.COACH_MODAL
    blocks = json.dumps(coach["blocks"])
    assert "Sarah Connor" in blocks and "#77" in blocks and "logs me out" in blocks
    assert _samples(settings) == 1
    with session_scope(settings.database_url) as s:
        sample = s.scalars(select(Sample)).one()
        assert sample.source == SampleSource.MANUAL and sample.csat == 2.0
    # the same message again: the modal says it is pinned; pinning again adds nothing
    fake_slack.reset()
    _shortcut(slack, "ULEAD", text=ZD)
    again = _modal(fake_slack)
    assert "Already a sample" in json.dumps(again)
    assert _pin(slack, fake_slack, again)["callback_id"] == CallbackId.COACH_MODAL
    assert _samples(settings) == 1


@pytest.mark.parametrize(
    "message",
    [
        {"text": "see thread", "blocks": [{"type": "rich_text", "block_id": "r", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "link", "url": ZD}]}]}]},
        {"text": "", "attachments": [{"from_url": ZD, "fallback": "Ticket #77"}]},
        {"text": "<https://example.com|docs> and <https://acme.zendesk.com/agent/tickets/77|this>"},
    ],
    ids=["rich text", "unfurl", "markup"],
)  # fmt: skip
def test_links_in_blocks_and_attachments(slack, fake_slack, team, message):
    _shortcut(slack, "ULEAD", **message)
    assert "Sarah Connor" in json.dumps(_modal(fake_slack))


def test_several_links_take_the_first_recognised(slack, fake_slack, team):
    text = f"https://example.com/x {ZD} https://acme.zendesk.com/agent/tickets/78"
    _shortcut(slack, "ULEAD", text=text)
    shown = json.dumps(_modal(fake_slack))
    assert "Zendesk #77" in shown and "1 other conversation; Debrief took the first" in shown


@pytest.mark.parametrize(
    ("user", "text", "says"),
    [
        ("USARAH", ZD, "Only Debrief owners and admins"),
        ("UNOBODY", ZD, "not set up in Debrief"),
        ("ULEAD", "no link here, only https://example.com/agent/tickets/77", "no helpdesk"),
        ("ULEAD", "<https://acme.zendesk.com.evil.io/agent/tickets/77|#77>", "no helpdesk"),
        ("ULEAD", "javascript:alert(1)//acme.zendesk.com/agent/tickets/77", "no helpdesk"),
        ("ULEAD", "\u200b" * 30_000 + "https://acme.zen\u200bdesk.com/agent/tickets/1", "no helpdesk"),
    ],
    ids=["member", "unknown user", "no link", "lookalike host", "javascript", "invisible"],
)  # fmt: skip
def test_refusals_are_ephemeral_and_write_nothing(
    slack, fake_slack, settings, team, user, text, says
):
    _shortcut(slack, user, text=text)
    assert says in _told(fake_slack)
    assert fake_slack.calls_to("views.open") == []
    assert _samples(settings) == 0
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "sample.pin")) == 0


def test_a_helpdesk_without_a_connector_says_why(slack, fake_slack, team):
    _shortcut(slack, "ULEAD", text="https://secure.helpscout.net/conversation/2201/45")
    modal = _modal(fake_slack)
    shown = json.dumps(modal)
    assert "helpscout #2201 isn't among the imported conversations" in shown
    assert "no helpscout connector is configured" in shown and "submit" not in modal


def _ticket(httpserver: HTTPServer, ticket: int, assignee: dict[str, Any] | None) -> None:
    body = {"id": ticket, "requester_id": 1, "assignee_id": assignee and assignee["id"]}
    httpserver.expect_request(f"/api/v2/tickets/{ticket}.json").respond_with_json({"ticket": body})
    users = [assignee] if assignee else []
    httpserver.expect_request("/api/v2/users/show_many.json").respond_with_json({"users": users})


def test_the_helpdesk_says_whose_a_conversation_is(slack, fake_slack, team, httpserver):
    _ticket(httpserver, 4512, {"id": 9, "name": "S. Connor", "email": "Sarah@acme.test"})
    _shortcut(slack, "ULEAD", text="https://acme.zendesk.com/agent/tickets/4512")
    modal = _modal(fake_slack)
    assert "Handled by *Sarah Connor*" in json.dumps(modal) and modal["submit"]["text"] == "Pin"


@pytest.mark.parametrize(
    ("assignee", "says"),
    [
        ({"id": 9, "name": "Kyle Reese", "email": "kyle@acme.test"},
         "is assigned to Kyle Reese in zendesk, who isn't a Debrief agent"),
        (None, "isn't assigned to anyone in zendesk"),
    ],
    ids=["not an agent", "unassigned"],
)  # fmt: skip
def test_an_unknown_agent_is_a_clear_answer(slack, fake_slack, team, httpserver, assignee, says):
    _ticket(httpserver, 4513, assignee)
    _shortcut(slack, "ULEAD", text="https://acme.zendesk.com/agent/tickets/4513")
    modal = _modal(fake_slack)
    assert says in json.dumps(modal) and "submit" not in modal


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (500, "Zendesk is unavailable: HTTP 500"),
        (404, "zendesk has no conversation 4514"),
        (401, "DEBRIEF_ZENDESK"),
    ],
)
def test_a_failing_helpdesk_is_a_clear_modal_message(
    slack, fake_slack, team, httpserver, status, says
):
    httpserver.expect_request("/api/v2/tickets/4514.json").respond_with_data("no", status=status)
    _shortcut(slack, "ULEAD", text="https://acme.zendesk.com/agent/tickets/4514")
    modal = _modal(fake_slack)
    shown = json.dumps(modal)
    assert "Debrief couldn't find whose conversation this is" in shown and says in shown
    assert "submit" not in modal


def test_a_member_cannot_pin_through_a_forged_submission(slack, fake_slack, settings, team):
    _shortcut(slack, "ULEAD", text=ZD)
    modal = _modal(fake_slack)
    answer = slack.payload(
        {"type": "view_submission", "user": {"id": "USARAH", "team_id": "T1"}, "team": {"id": "T1"},
         "api_app_id": "A1", "trigger_id": fake_slack.issue_trigger(modal["id"]),
         "view": {**modal, "state": {"values": {}}}}
    )  # fmt: skip
    assert answer.json()["response_action"] == "update"
    assert "couldn't pin it" in json.dumps(fake_slack.views[modal["id"]])
    assert _samples(settings) == 0


def test_extreme_names_and_links_stay_within_slack_limits(slack, fake_slack, session, settings):
    name = ("名前😀 " * 40)[:200].strip()
    f.member(session, "ULEAD", "owner")
    agent = f.agent(session, name, email="x@acme.test")
    session.add(Sample(agent_id=agent.id, helpdesk="zendesk", external_id="4515", csat=1.0,
                       summary="Refund waited two days.", source=SampleSource.MANUAL))  # fmt: skip
    session.commit()
    url = "https://acme.zendesk.com/agent/tickets/4515/" + "a" * 2_900
    _shortcut(slack, "ULEAD", text=f"<{url}|@channel {name}>")
    modal = _modal(fake_slack)  # the fake refuses anything over Slack's limits
    shown = json.dumps(modal, ensure_ascii=False)
    assert name in shown and url in shown and modal["submit"]["text"] == "Pin"


def test_an_unexpected_failure_never_leaves_the_modal_waiting(slack, fake_slack, team, monkeypatch):
    def broken(**_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("handlers.shortcut.shortcut_target", broken)
    _shortcut(slack, "ULEAD", text=ZD)
    assert "Something went wrong on Debrief's side" in json.dumps(_modal(fake_slack))


CUSTOM = "https://desk.acme.test:8443/c/{external_id}?tab=x#{external_id}"


class TestACustomDeepLink:
    @pytest.fixture()
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"deeplink_other": CUSTOM})

    def test_with_a_port_and_an_odd_id_is_coached_on(self, slack, fake_slack, settings, tmp_path):
        """A DEBRIEF_DEEPLINK_OTHER template with a port and the id twice, an id that needs
        percent-encoding, the link written with http and a capitalised host: it is found."""
        with session_scope(settings.database_url) as s:
            f.member(s, "ULEAD", "owner")
            f.agent(s, "Sarah Connor", email="sarah@acme.test", lead="ULEAD")
        path = tmp_path / "c.csv"
        path.write_text(
            "helpdesk,external_id,agent,closed_at,csat,transcript\n"
            f'other,CASE/7 ü,Sarah Connor,2026-11-10T10:00:00Z,4,"{TRANSCRIPT}"\n'
        )
        import_file(session_factory=partial(session_scope, settings.database_url), path=path)
        url = deep_link(settings, "other", "CASE/7 ü")
        assert url is not None and ":8443/" in url
        written = url.replace("https://desk.acme.test", "http://DESK.Acme.test")
        _shortcut(slack, "ULEAD", text=f"this one <{written}|case>.")
        modal = _modal(fake_slack)
        assert "Handled by *Sarah Connor*" in json.dumps(modal, ensure_ascii=False)
        assert json.loads(modal["private_metadata"])["external_id"] == "CASE/7 ü"
        assert _pin(slack, fake_slack, modal)["callback_id"] == CallbackId.COACH_MODAL
        assert _samples(settings) == 1


class TestAnIdInAnotherScript:
    @pytest.fixture()
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"zendesk_subdomain": "acme"})

    @pytest.mark.parametrize("encoded", ["%D9%A3", "%C2%B2"], ids=["arabic 3", "superscript 2"])
    def test_is_no_ticket_not_another_one(self, slack, fake_slack, team, httpserver, encoded):
        _ticket(httpserver, 3, {"id": 9, "name": "S. Connor", "email": "sarah@acme.test"})
        _shortcut(slack, "ULEAD", text=f"<https://acme.zendesk.com/agent/tickets/{encoded}|x>")
        modal = _modal(fake_slack)
        shown = json.dumps(modal, ensure_ascii=False)
        assert "zendesk has no conversation" in shown and "submit" not in modal
        assert httpserver.log == []


def _dripping(asked: list[float]) -> Any:
    """A helpdesk answer sent a byte at a time: no single read ever times out (3 s in all)."""

    def drip(_request: Any) -> Response:
        asked.append(time.monotonic())

        def body() -> Any:
            yield b'{"ticket": {"id": 4516, "assignee_id": null}, "comments": []'
            for _ in range(12):
                time.sleep(0.25)
                yield b" "
            yield b"}"

        return Response(body(), content_type="application/json")

    return drip


def test_a_slow_helpdesk_never_leaves_the_modal_waiting(
    slack, fake_slack, team, httpserver, monkeypatch
):
    """The modal opens before the helpdesk is asked; a helpdesk that answers a byte at a time
    gets a deadline, and the modal says so."""
    monkeypatch.setattr("bot.coaching.shortcut.LOOKUP_DEADLINE", 1.0)
    asked: list[float] = []
    httpserver.expect_request("/api/v2/tickets/4516.json").respond_with_handler(_dripping(asked))
    started = time.monotonic()
    _shortcut(slack, "ULEAD", text="https://acme.zendesk.com/agent/tickets/4516")
    assert time.monotonic() - started < 2.5
    [opened] = fake_slack.calls_to("views.open")
    assert asked and opened.at < asked[0]  # the trigger is used before the helpdesk is asked
    modal = _modal(fake_slack)
    assert "didn't answer within 1 seconds" in json.dumps(modal) and "submit" not in modal


def test_a_slow_helpdesk_never_leaves_the_modal_pinning(
    slack, fake_slack, settings, team, httpserver, monkeypatch
):
    """Pinning a conversation that wasn't imported reads it from its helpdesk: one that answers
    a byte at a time gets a deadline too, and the modal says Debrief carries on."""
    monkeypatch.setattr("handlers.shortcut.PIN_DEADLINE", 1.0)
    _ticket(httpserver, 4517, {"id": 9, "name": "S. Connor", "email": "sarah@acme.test"})
    comments = "/api/v2/tickets/4517/comments.json"
    httpserver.expect_request(comments).respond_with_handler(_dripping([]))
    _shortcut(slack, "ULEAD", text="https://acme.zendesk.com/agent/tickets/4517")
    modal = _modal(fake_slack)
    started = time.monotonic()
    shown = _pin(slack, fake_slack, modal)
    assert time.monotonic() - started < 2.5
    assert "Debrief carries on" in json.dumps(shown) and "submit" not in shown
    for late in [t for t in threading.enumerate() if t.name == "coach-on-this"]:
        late.join(timeout=10)  # and it does: the sample is pinned when the helpdesk is done
    assert _samples(settings) == 1


def test_a_sample_on_another_agents_record_is_not_said_to_be_theirs(
    slack, fake_slack, settings, team, session
):
    """Imported as Sarah's, pinned earlier on Kyle's: the modal doesn't say it is on Sarah's
    record, and Pin says why it can't."""
    kyle = f.agent(session, "Kyle Reese", email="kyle@acme.test")
    session.add(Sample(agent_id=kyle.id, helpdesk="zendesk", external_id="77", csat=2.0,
                       summary="Refund waited two days.", source=SampleSource.MANUAL))  # fmt: skip
    session.commit()
    _shortcut(slack, "ULEAD", text=ZD)
    modal = _modal(fake_slack)
    shown = json.dumps(modal)
    assert "Handled by *Sarah Connor*" in shown and "Already a sample" not in shown
    pinned = json.dumps(_pin(slack, fake_slack, modal))
    assert "already a sample on another agent's record" in pinned
    assert _samples(settings) == 1
