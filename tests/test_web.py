"""The HTTP surface: health check, outages, and slow requests not stalling others."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app.bolt import build_app
from bot.app.services import Services
from bot.app.web import create_web_app
from bot.core.settings import Settings
from tests import factories as f
from tests.conftest import SIGNING_SECRET
from tests.slack_driver import SlackDriver, TrackingExecutor

UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-debrief-dir/sub/debrief.db",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/debrief",
}


def test_healthz_is_ok_when_the_database_answers(slack):
    answer = slack.http.get("/healthz")
    assert answer.status_code == 200 and answer.json()["database"] == "up"


@pytest.fixture(params=sorted(UNREACHABLE))
def down(request, settings: Settings, fake_slack):
    broken = settings.model_copy(update={"database_url": UNREACHABLE[request.param]})
    executor = TrackingExecutor()
    services = Services(broken)
    with TestClient(
        create_web_app(services, build_app(services, listener_executor=executor))
    ) as http:
        yield SlackDriver(http, fake_slack, SIGNING_SECRET, executor)
    executor.shutdown(wait=True)


def test_healthz_is_503_when_the_database_is_unreachable(down):
    assert down.http.get("/healthz").status_code == 503


def test_coach_with_the_database_down_says_nothing_was_lost(down, fake_slack, caplog):
    down.command("ULEAD", "Sarah")
    [reply] = [c.args for c in fake_slack.calls_to("response_url")]
    assert reply["response_type"] == "ephemeral"
    assert "can't reach its database right now, nothing was lost" in reply["text"]
    assert any("database unreachable" in r.getMessage() for r in caplog.records)


def test_a_coach_button_with_the_database_down_says_nothing_was_lost(down, fake_slack):
    down.click("ULEAD", "coach_open", "1")
    [reply] = [c.args for c in fake_slack.calls_to("response_url")]
    assert "can't reach its database right now, nothing was lost" in reply["text"]
    assert not fake_slack.calls_to("views.open")


def test_saving_with_the_database_down_keeps_the_form_open(down, fake_slack):
    view = {
        "id": "V1",
        "type": "modal",
        "hash": "h1",
        "callback_id": "coach_modal",
        "private_metadata": '{"agent_id": 1, "page": 0, "gen": 0}',
        "blocks": [{"type": "input", "block_id": "note_body.0"}],
    }
    fake_slack.views["V1"] = {**view, "root_view_id": "V1"}
    answer = down.submit("ULEAD", view, body="Typed with care.").json()
    assert answer["response_action"] == "errors"
    assert "nothing was lost" in answer["errors"]["note_body.0"]


def test_a_slow_slack_request_does_not_stall_others(settings: Settings, fake_slack, session):
    f.member(session, "ULEAD", "owner")
    f.agent(session, "Sarah Connor")
    session.commit()
    executor = TrackingExecutor()
    services = Services(settings)
    bolt = build_app(services, listener_executor=executor)
    release, entered = threading.Event(), threading.Event()
    original = bolt.dispatch

    def dispatch(request: Any) -> Any:
        if "slowpoke" in request.raw_body:
            entered.set()
            release.wait(30)
        return original(request)

    bolt.dispatch = dispatch  # type: ignore[method-assign,assignment]
    with TestClient(create_web_app(services, bolt)) as http:
        driver = SlackDriver(http, fake_slack, SIGNING_SECRET, executor)
        slow = threading.Thread(target=driver.command, args=("ULEAD", "slowpoke"))
        slow.start()
        assert entered.wait(30)
        assert http.get("/healthz").status_code == 200
        driver.command("ULEAD", "Sarah Connor")
        assert len(fake_slack.calls_to("views.open")) == 1
        assert slow.is_alive()
        release.set()
        slow.join(30)
    executor.shutdown(wait=True)
