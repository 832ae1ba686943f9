"""The "Coach on this" shortcut and its Pin submission given payloads Slack might send short or a
forger might send wrong: each gets a clear answer, never a traceback, and nothing is pinned."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from blocks.ids import CallbackId
from bot.core.db import session_scope
from models import Sample
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.slack_driver import SlackDriver

ZD = "https://acme.zendesk.com/agent/tickets/77"


@pytest.fixture()
def team(session):
    f.member(session, "ULEAD", "owner")
    agent = f.agent(session, "Sarah Connor", email="sarah@acme.test", lead="ULEAD")
    f.member(session, "USARAH", "member", agent="Sarah Connor")
    session.add(Sample(agent_id=agent.id, helpdesk="zendesk", external_id="77", csat=2.0,
                       summary="Refund waited two days."))  # fmt: skip
    session.commit()
    return agent


@pytest.fixture()
def tracebacks(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.ERROR)
    return caplog


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def _action(fake: FakeSlack, user: str = "ULEAD", **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "message_action", "token": "unused", "action_ts": f"{time.time():.6f}",
        "team": {"id": "T1", "domain": "acme"}, "user": {"id": user, "team_id": "T1"},
        "channel": {"id": "C1", "name": "support"}, "callback_id": CallbackId.COACH_SHORTCUT,
        "trigger_id": fake.issue_trigger(), "response_url": fake.response_url(),
        "message_ts": "1.2", "message": {"type": "message", "text": ZD, "ts": "1.2"},
    }  # fmt: skip
    for key, value in fields.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


def _samples(settings: Any) -> int:
    with session_scope(settings.database_url) as s:
        return int(s.scalar(select(func.count()).select_from(Sample)) or 0)


def test_a_lead_without_a_response_url_is_told_by_an_ephemeral_message(
    slack: SlackDriver, fake_slack: FakeSlack, team: Any, tracebacks: Any
) -> None:
    message = {"type": "message", "text": "no link", "ts": "1.2"}
    answer = slack.payload(_action(fake_slack, response_url=None, message=message))
    assert answer.status_code == 200
    [told] = fake_slack.calls_to("chat.postEphemeral")
    assert told.args["user"] == "ULEAD" and told.args["channel"] == "C1"
    assert "no helpdesk conversation link" in json.dumps(told.args)
    assert _errors(tracebacks) == []


def test_a_channel_debrief_cannot_post_in_is_logged_not_raised(
    slack: SlackDriver, fake_slack: FakeSlack, team: Any, tracebacks: Any
) -> None:
    fake_slack.fail_next("chat.postEphemeral", error="channel_not_found")
    message = {"type": "message", "text": "no link", "ts": "1.2"}
    channel = {"id": "CUNKNOWN", "name": "private"}
    answer = slack.payload(_action(fake_slack, response_url=None, channel=channel, message=message))
    assert answer.status_code == 200
    assert len(fake_slack.calls_to("chat.postEphemeral")) == 1
    assert _errors(tracebacks) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"message": None},
        {"message": "not a message"},
        {"message": {"type": "message", "text": ["odd"], "blocks": "odd", "ts": "1.2"}},
        {"message": None, "channel": None, "response_url": None},
        {"channel": None, "response_url": None, "message": {"text": "no link"}},
    ],
    ids=["no message", "message not an object", "odd fields", "nothing to answer on",
         "no channel"],
)  # fmt: skip
def test_a_short_payload_never_raises(
    slack: SlackDriver, fake_slack: FakeSlack, team: Any, tracebacks: Any, fields: Any
) -> None:
    answer = slack.payload(_action(fake_slack, **fields))
    assert answer.status_code == 200
    assert fake_slack.calls_to("views.open") == []
    assert _errors(tracebacks) == []


@pytest.mark.parametrize("where", ["text", "last block"])
def test_the_largest_message_slack_allows_is_read_whole(
    slack: SlackDriver, fake_slack: FakeSlack, team: Any, tracebacks: Any, where: str
) -> None:
    """Slack allows 40,000 characters of text and 50 blocks of 3,000 characters each."""
    linked = {"type": "section", "text": {"type": "mrkdwn", "text": f"<{ZD}|#77>"}}
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x " * 1_500}}] * 49
    text = f"<{ZD}|#77>" if where == "text" else "y " * 19_999
    message = {"type": "message", "text": text, "blocks": [*blocks, linked], "ts": "1.2"}
    slack.payload(_action(fake_slack, message=message))
    [opened] = fake_slack.calls_to("views.open")
    assert "Sarah Connor" in json.dumps(fake_slack.views[opened.response["view"]["id"]])
    assert _errors(tracebacks) == []


def _submit(slack: SlackDriver, fake: FakeSlack, user: str, metadata: str) -> dict[str, Any]:
    """Open the shortcut's Pin modal as the lead, then submit it as `user` with `metadata`."""
    slack.payload(_action(fake))
    [opened] = fake.calls_to("views.open")
    modal = fake.views[opened.response["view"]["id"]]
    assert modal["submit"]["text"] == "Pin"
    answer = slack.payload(
        {"type": "view_submission", "user": {"id": user, "team_id": "T1"}, "team": {"id": "T1"},
         "api_app_id": "A1", "trigger_id": fake.issue_trigger(modal["id"]),
         "view": {**modal, "private_metadata": metadata, "state": {"values": {}}}}
    )  # fmt: skip
    assert answer.status_code == 200
    return fake.views[modal["id"]]


FORGED = [
    "",
    "not json",
    "[1, 2]",
    json.dumps({"agent_id": "abc", "helpdesk": "zendesk", "external_id": "77"}),
    json.dumps({"agent_id": 999999, "helpdesk": "zendesk", "external_id": "77"}),
    json.dumps({"agent_id": 1, "helpdesk": "evil", "external_id": "77"}),
    json.dumps({"agent_id": 1, "helpdesk": "zendesk", "external_id": "7" * 2_900}),
    json.dumps({"agent_id": 1, "helpdesk": "z" * 2_900, "external_id": "77"}),
    json.dumps({"agent_id": [1], "helpdesk": ["zendesk"], "external_id": {"a": 1}}),
    json.dumps({"agent_id": 1, "helpdesk": "zendesk", "external_id": "*<!channel>*"}),
]


@pytest.mark.parametrize("metadata", FORGED, ids=range(len(FORGED)))
def test_a_forged_pin_is_a_clear_message(
    slack: SlackDriver,
    fake_slack: FakeSlack,
    settings: Any,
    team: Any,
    tracebacks: Any,
    metadata: str,
) -> None:
    shown = _submit(slack, fake_slack, "ULEAD", metadata)
    assert "couldn't pin it" in json.dumps(shown)
    assert _samples(settings) == 1  # only the one the team started with
    assert _errors(tracebacks) == []


def test_a_member_forging_the_pin_pins_nothing(
    slack: SlackDriver, fake_slack: FakeSlack, settings: Any, team: Any, tracebacks: Any
) -> None:
    metadata = json.dumps({"agent_id": team.id, "helpdesk": "zendesk", "external_id": "78"})
    shown = _submit(slack, fake_slack, "USARAH", metadata)
    assert "Only owners and admins" in json.dumps(shown)
    assert _samples(settings) == 1


def test_a_modal_closed_while_debrief_looks_is_left_closed(
    slack: SlackDriver, fake_slack: FakeSlack, team: Any, tracebacks: Any, monkeypatch: Any
) -> None:
    """The lead closed the modal before whose it is was known: no "Slack didn't let Debrief
    open that" message for a modal that did open, no traceback."""
    import handlers.shortcut as listener

    looked_up = listener.shortcut_target

    def closing(**kwargs: Any) -> Any:
        [opened] = fake_slack.calls_to("views.open")
        fake_slack.close_view(opened.response["view"]["id"])
        return looked_up(**kwargs)

    monkeypatch.setattr(listener, "shortcut_target", closing)
    slack.payload(_action(fake_slack))
    assert [c.response.get("error") for c in fake_slack.calls_to("views.update")] == ["not_found"]
    assert fake_slack.calls_to("response_url") == []
    assert _errors(tracebacks) == []


def test_a_modal_closed_while_pinning_is_left_closed(
    slack: SlackDriver,
    fake_slack: FakeSlack,
    settings: Any,
    team: Any,
    tracebacks: Any,
    monkeypatch: Any,
) -> None:
    import handlers.shortcut as listener

    pinned = listener.pin_in_modal

    def closing(**kwargs: Any) -> Any:
        fake_slack.close_view(fake_slack.calls_to("views.open")[0].response["view"]["id"])
        return pinned(**kwargs)

    monkeypatch.setattr(listener, "pin_in_modal", closing)
    slack.payload(_action(fake_slack))
    [opened] = fake_slack.calls_to("views.open")
    modal = fake_slack.views[opened.response["view"]["id"]]
    slack.payload(
        {"type": "view_submission", "user": {"id": "ULEAD", "team_id": "T1"}, "team": {"id": "T1"},
         "api_app_id": "A1", "trigger_id": fake_slack.issue_trigger(modal["id"]),
         "view": {**modal, "state": {"values": {}}}}
    )  # fmt: skip
    assert fake_slack.calls_to("views.update")[-1].response.get("error") == "not_found"
    assert _errors(tracebacks) == []
