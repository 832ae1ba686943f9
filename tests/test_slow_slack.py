"""A slow Slack never freezes the bot: a few slow calls don't hold up other leads' requests, and
a `views.open` slower than its trigger's window gives up and says so."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from slack_sdk.signature import SignatureVerifier

from bot.app.bolt import build_app
from bot.app.services import Services
from bot.app.web import create_web_app
from bot.core.settings import Settings
from handlers.replies import SLACK_SLOW
from tests import factories as f
from tests.conftest import SIGNING_SECRET
from tests.slack_driver import SlackDriver, TrackingExecutor

LEADS = [f"ULEAD{n}" for n in range(7)]


@pytest.fixture()
def team(session, fake_slack):
    for lead in LEADS:
        f.member(session, lead, "owner")
        fake_slack.add_user(lead)
    f.agent(session, "Sarah Connor", lead=LEADS[0])
    session.commit()


def coach(http: TestClient, fake_slack, user: str) -> str:
    """`/coach Sarah` from `user`, signed as Slack signs it; the trigger it carried."""
    trigger = fake_slack.issue_trigger()
    body = urlencode({"command": "/coach", "text": "Sarah", "user_id": user, "team_id": "T1",
                      "channel_id": "C1", "trigger_id": trigger, "api_app_id": "A1",
                      "response_url": fake_slack.response_url()})  # fmt: skip
    ts = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
    answer = http.post("/slack/events", content=body.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature or ""})  # fmt: skip
    assert answer.status_code == 200  # acknowledged at once, whatever Slack is doing
    return trigger


def test_six_slow_views_open_never_hold_up_another_lead(settings: Settings, fake_slack, team):
    release = fake_slack.hold("views.open", times=6)
    # Debrief's own listener pool, as `debrief serve` builds it; the six wait as long as it takes
    services = Services(settings.model_copy(update={"slack_trigger_timeout": 30.0}))
    bolt = build_app(services)
    try:
        with TestClient(create_web_app(services, bolt)) as http:
            for lead in LEADS[:6]:
                coach(http, fake_slack, lead)
            with fake_slack._cond:
                assert fake_slack._cond.wait_for(lambda: fake_slack.held == 6, timeout=10)
            seventh = coach(http, fake_slack, LEADS[6])
            [opened] = fake_slack.wait_for("views.open")  # served while the six still wait
            assert opened.args["trigger_id"] == seventh and opened.response["ok"]
            release.set()
            fake_slack.wait_for("views.open", count=7)
    finally:
        release.set()
        bolt.listener_runner.listener_executor.shutdown(wait=True)


def test_a_views_open_slower_than_the_trigger_gives_up_and_says_so(settings, fake_slack, team):
    release = fake_slack.hold("views.open")
    executor = TrackingExecutor()
    services = Services(settings.model_copy(update={"slack_trigger_timeout": 0.3}))
    bolt = build_app(services, listener_executor=executor)
    try:
        with TestClient(create_web_app(services, bolt)) as http:
            slack = SlackDriver(http, fake_slack, SIGNING_SECRET, executor)
            slack.command(LEADS[0], "Sarah")  # waits for the listener: it gives up after 0.3 s
        [reply] = [c.args for c in fake_slack.calls_to("response_url")]
        assert reply["text"] == SLACK_SLOW
    finally:
        release.set()
        executor.shutdown(wait=True)
    fake_slack.wait_for("views.open")  # Slack answers at last; nobody waits for it any more


def test_a_slow_users_info_doesnt_hold_up_saving_a_note_with_a_date(slack, fake_slack, session,
                                                                    team):  # fmt: skip
    from datetime import date, timedelta

    from sqlalchemy import select

    from models import Note

    slack.command(LEADS[0], "Sarah")
    view = fake_slack.views[fake_slack.calls_to("views.open")[0].response["view"]["id"]]
    release = fake_slack.hold("users.info")  # the author's time zone: Slack doesn't answer
    try:
        day = date.today() + timedelta(days=7)
        answer = slack.submit(LEADS[0], view, body="Role-play it.", follow_up=day.isoformat())
        assert answer.json()["response_action"] == "update"  # saved, without waiting for Slack
    finally:
        release.set()
    session.expire_all()
    [note] = session.scalars(select(Note)).all()
    assert note.follow_up_at is not None and note.follow_up_at.hour == 9  # 09:00 UTC
