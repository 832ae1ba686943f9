"""A deploy loses nothing: on SIGTERM `debrief serve` finishes what it acknowledged, gives back
the reminders it claimed but hadn't started, and exits 0; another process sends those at once."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select, update

from bot.app.slack import slack_client
from bot.coaching.notes import create_note
from bot.core.db import session_scope
from bot.followups.reminders import send_due
from handlers.notifier import SlackReminderNotifier, slack_refused
from models import Reminder, ReminderStatus
from models.base import utcnow
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.test_socket_mode import (
    BOT_TOKEN,
    SIGNING_SECRET,
    START_TIMEOUT,
    STEP_TIMEOUT,
    Served,
    command_env,
    free_port,
    healthz,
)

LEADS = ["ULEAD1", "ULEAD2", "ULEAD3"]


@pytest.fixture()
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=BOT_TOKEN, trigger_ttl=60.0) as fake:
        yield fake
        assert fake.violations == []


def serve(db: str, fake: FakeSlack, tmp_path: Path, **extra: str) -> tuple[Served, int]:
    port = free_port()
    env = command_env(DATABASE_URL=db, SLACK_BOT_TOKEN=BOT_TOKEN,
                      SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.url,
                      DEBRIEF_SCAN_TIME=f"{(utcnow().hour + 12) % 24:02d}:00", **extra)  # fmt: skip
    server = Served(["serve", "--port", str(port)], env, tmp_path)
    server.wait_until("GET /healthz", lambda: healthz(port) is not None, START_TIMEOUT)
    return server, port


def coach(port: int, fake: FakeSlack, user: str) -> int:
    body = urlencode({"command": "/coach", "text": "Sarah", "user_id": user, "team_id": "T1",
                      "channel_id": "C1", "trigger_id": fake.issue_trigger(), "api_app_id": "A1",
                      "response_url": fake.response_url()})  # fmt: skip
    ts = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
    answer = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body, timeout=10, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature or ""})  # fmt: skip
    return answer.status_code


def until(what: str, ready, server: Served) -> None:
    server.wait_until(what, ready, STEP_TIMEOUT)


def test_sigterm_finishes_the_modals_it_acknowledged_and_exits_0(db, fake, tmp_path):
    with session_scope(db) as s:
        for lead in LEADS:
            f.member(s, lead, "owner")
            fake.add_user(lead)
        f.agent(s, "Sarah Connor", lead=LEADS[0])
    release = fake.hold("views.open", times=len(LEADS))
    server, port = serve(db, fake, tmp_path, DEBRIEF_SLACK_TRIGGER_TIMEOUT="30")
    try:
        assert [coach(port, fake, lead) for lead in LEADS] == [200, 200, 200]  # acknowledged
        until("the three views.open held", lambda: fake.held == len(LEADS), server)
        server.proc.send_signal(signal.SIGTERM)
        until("the drain", lambda: "stopping: finishing" in server.output(), server)
        release.set()  # Slack answers at last: the modals open before the process ends
        assert server.proc.wait(timeout=STEP_TIMEOUT) == 0, server.output()
    finally:
        release.set()
        server.stop()
    opened = [c for c in fake.calls_to("views.open") if c.response["ok"]]
    assert len(opened) == len(LEADS)
    assert "every acknowledged request finished" in server.output()


def test_sigterm_mid_batch_gives_back_the_reminders_not_started(db, fake, tmp_path):
    with session_scope(db) as s:
        f.member(s, "ULEAD", "owner")
        fake.add_user("ULEAD")
        lead = f.viewer(s, "ULEAD")
        agent = f.agent(s, "Sarah Connor", lead="ULEAD")
        for n in range(12):
            create_note(session=s, actor=lead, agent_id=agent.id, body=f"Follow-up {n}",
                        follow_up_at=utcnow() + timedelta(hours=1))  # fmt: skip
        s.execute(update(Reminder).values(due_at=utcnow() - timedelta(minutes=1)))
    release = fake.hold("chat.postMessage")  # the first DM of the batch waits for Slack
    server, _port = serve(db, fake, tmp_path, DEBRIEF_REMINDER_CHANNEL_INTERVAL="0",
                          DEBRIEF_REMINDER_LEASE_SECONDS="600")  # fmt: skip
    try:
        until("the first reminder DM held", lambda: fake.held == 1, server)
        server.proc.send_signal(signal.SIGTERM)
        until("the drain", lambda: "stopping: finishing" in server.output(), server)
        release.set()
        assert server.proc.wait(timeout=STEP_TIMEOUT) == 0, server.output()
    finally:
        release.set()
        server.stop()
    with session_scope(db) as s:
        rows = list(s.scalars(select(Reminder)))
    sent = [r for r in rows if r.status == ReminderStatus.SENT]
    given_back = [r for r in rows if r.status == ReminderStatus.PENDING]
    assert len(sent) == 1 and len(given_back) == 11
    assert all(r.claim_token is None and r.claimed_at is None for r in given_back)
    # another process takes them at once, not after the 10-minute lease
    again = send_due(session_factory=partial(session_scope, db),
                     notifier=SlackReminderNotifier(slack_client_for(fake)),
                     per_channel_interval=0, is_definite_failure=slack_refused)  # fmt: skip
    assert again.sent == 11
    posted = [c for c in fake.calls_to("chat.postMessage") if c.response.get("ok")]
    ids = [c.args["metadata"]["event_payload"]["reminder_id"] for c in posted]
    assert sorted(ids) == sorted(r.id for r in rows)  # each once


def slack_client_for(fake: FakeSlack):
    from bot.core.settings import Settings

    return slack_client(Settings(SLACK_API_URL=fake.url), fake.token)


def test_in_the_real_server_six_slow_modals_dont_hold_up_a_seventh_lead(db, fake, tmp_path):
    leads = [f"ULEAD{n}" for n in range(7)]
    with session_scope(db) as s:
        for lead in leads:
            f.member(s, lead, "owner")
            fake.add_user(lead)
        f.agent(s, "Sarah Connor", lead=leads[0])
    release = fake.hold("views.open", times=6)
    server, port = serve(db, fake, tmp_path, DEBRIEF_SLACK_TRIGGER_TIMEOUT="30")
    try:
        assert [coach(port, fake, lead) for lead in leads[:6]] == [200] * 6
        until("six views.open held", lambda: fake.held == 6, server)
        assert coach(port, fake, leads[6]) == 200
        [opened] = fake.wait_for("views.open", timeout=STEP_TIMEOUT)  # while the six still wait
        assert opened.response["ok"]
        release.set()
        fake.wait_for("views.open", count=7, timeout=STEP_TIMEOUT)
    finally:
        release.set()
        server.stop()
