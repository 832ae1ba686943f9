"""`debrief serve --socket-mode`, run as the real command against a fake Slack and Socket Mode."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from blocks.ids import ActionId, BlockId
from bot.core.db import session_scope
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.fake_socket_mode import FakeSocketMode
from tests.slack_conformance import options_problems

APP_TOKEN = "xapp-1-test"
BOT_TOKEN = "xoxb-test"
SIGNING_SECRET = "test-signing-secret"
START_TIMEOUT = 30.0  # seconds for the command to connect and serve
STEP_TIMEOUT = 15.0  # seconds for each thing it does after that


def debrief_command() -> list[str]:
    """The installed `debrief` script of this interpreter's environment."""
    script = Path(sys.executable).with_name("debrief")
    if script.exists():
        return [str(script)]
    found = shutil.which("debrief")
    if found is None:
        pytest.fail("the `debrief` command is not installed (pip install -e '.[dev]')")
    return [found]


def command_env(**settings: str) -> dict[str, str]:
    """This environment without Slack/database settings or proxies, plus ``settings``."""
    dropped = {"DATABASE_URL", "SLACK_API_URL", "ALL_PROXY", "HTTP_PROXY", "HTTPS_PROXY"}
    env = {
        k: v
        for k, v in os.environ.items()
        if k.upper() not in dropped and not k.upper().startswith(("SLACK_", "DEBRIEF_"))
    }
    return {**env, "NO_PROXY": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1", **settings}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """A running `debrief serve` subprocess whose output goes to a log file."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.log = cwd / "serve.log"
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [*debrief_command(), *args],
            env=env,
            cwd=cwd,  # no stray .env is read
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(errors="replace")[-4000:]

    def wait_until(self, what: str, ready: Callable[[], bool], timeout: float) -> None:
        """Poll ``ready`` until true; fail early (with the log) if the command exits."""
        deadline = time.monotonic() + timeout
        while not ready():
            if self.proc.poll() is not None:
                pytest.fail(f"debrief serve exited {self.proc.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{what} not within {timeout}s; debrief serve said:\n{self.output()}")
            time.sleep(0.05)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._out.close()
        return self.proc.returncode


@pytest.fixture()
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=BOT_TOKEN, trigger_ttl=10.0) as fake:
        yield fake
        assert fake.violations == []  # nothing real Slack would refuse


@pytest.fixture()
def socket_mode(fake: FakeSlack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as server:
        fake.socket_url = server.url
        yield server


@pytest.fixture()
def team(db: str, fake: FakeSlack) -> None:
    with session_scope(db) as session:
        f.member(session, "ULEAD", "owner")
        sarah = f.agent(session, "Sarah Connor", lead="ULEAD", slack_user="USARAHAGENT")
        f.sample(session, sarah.id, csat=1.0)
    fake.add_user("ULEAD", "lead")


@pytest.fixture()
def served(
    db: str, team: None, fake: FakeSlack, socket_mode: FakeSocketMode, tmp_path: Path
) -> Iterator[tuple[Served, int]]:
    """`debrief serve --socket-mode` on a free port, connected to the fake Socket Mode."""
    port = free_port()
    env = command_env(
        DATABASE_URL=db,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.url,
        SLACK_APP_TOKEN=APP_TOKEN,
    )
    server = Served(["serve", "--socket-mode", "--port", str(port)], env, tmp_path)
    try:
        server.wait_until(
            "a Socket Mode connection", lambda: socket_mode.connection_count > 0, START_TIMEOUT
        )
        yield server, port
    finally:
        server.stop()


def slash_command(fake: FakeSlack, text: str, trigger_id: str) -> dict[str, Any]:
    """The payload of a `slash_commands` envelope, as Slack sends it over Socket Mode."""
    return {
        "token": "unused",
        "team_id": fake.team_id,
        "team_domain": "fake-team",
        "channel_id": "C1",
        "channel_name": "coaching",
        "user_id": "ULEAD",
        "user_name": "lead",
        "command": "/coach",
        "text": text,
        "api_app_id": fake.app_id,
        "is_enterprise_install": "false",
        "response_url": fake.response_url(),
        "trigger_id": trigger_id,
    }


def healthz(port: int) -> httpx.Response | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2.0)
    except httpx.TransportError:
        return None


def test_socket_mode_coach_opens_the_modal_and_healthz_answers(
    served: tuple[Served, int], fake: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    server, port = served
    [opened] = fake.wait_for("apps.connections.open", timeout=STEP_TIMEOUT)
    assert opened.response["ok"] is True
    assert socket_mode.paths[0].startswith(f"/link/?ticket={socket_mode.ticket}")

    trigger = fake.issue_trigger()
    envelope_id = socket_mode.send_envelope(
        "slash_commands", slash_command(fake, "Sarah Connor", trigger)
    )

    ack = socket_mode.wait_for_ack(envelope_id, timeout=STEP_TIMEOUT)
    assert ack["envelope_id"] == envelope_id
    assert not ack.get("payload")  # a bare ack(): nothing posted back in the channel
    [call] = fake.wait_for("views.open", timeout=STEP_TIMEOUT)
    assert call.response["ok"] is True, call.response
    assert call.args["trigger_id"] == trigger
    assert call.args["view"]["title"]["text"] == "Coach Sarah Connor"
    assert fake.calls_to("response_url") == []  # no error reply

    # an external_select's options load over the socket: the answer rides on the ack
    for typed, expected in (("sar", ["Sarah Connor"]), ("zzz", [])):
        suggestion = {
            "type": "block_suggestion", "user": {"id": "ULEAD", "team_id": fake.team_id},
            "team": {"id": fake.team_id}, "api_app_id": fake.app_id,
            "action_id": ActionId.PICK_AGENT, "block_id": BlockId.PICKER, "value": typed,
            "container": {"type": "view", "view_id": "VHOME"}, "action_ts": "1.2",
        }  # fmt: skip
        options_ack = socket_mode.wait_for_ack(
            socket_mode.send_envelope("interactive", suggestion), timeout=STEP_TIMEOUT
        )
        answer = options_ack.get("payload")
        assert answer is not None and options_problems(answer) == []
        assert [o["text"]["text"] for o in answer["options"]] == expected

    box: dict[str, httpx.Response] = {}

    def answered() -> bool:
        response = healthz(port)
        if response is not None:
            box["response"] = response
        return response is not None

    server.wait_until("GET /healthz", answered, START_TIMEOUT)
    assert box["response"].status_code == 200, box["response"].text
    assert box["response"].json() == {"ok": True, "database": "up"}
    assert socket_mode.connection_count == 1  # no reconnect loop
    assert server.proc.poll() is None, server.output()
    # SIGTERM: uvicorn shuts down, then re-raises the signal; no hang on the socket threads
    assert server.stop() in (0, -signal.SIGTERM), server.output()
    assert "Finished server process" in server.output()


def test_socket_mode_without_app_token_is_one_line_and_non_zero(db: str, tmp_path: Path) -> None:
    env = command_env(
        DATABASE_URL=db, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET
    )
    done = subprocess.run(
        [*debrief_command(), "serve", "--socket-mode", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "SLACK_APP_TOKEN" in lines[0]
    assert done.stdout == ""
