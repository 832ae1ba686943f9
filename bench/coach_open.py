"""How long Debrief takes, server-side, from a signed `/coach` request to `views.open`.

Run from the repository root::

    python -m bench.coach_open [--requests N] [--warmup W] [--postgres URL]

Each app is served by real uvicorn on 127.0.0.1 behind `bot.app.web.create_web_app`, exactly as
`debrief serve` does. A tiny ASGI middleware stamps `time.monotonic()` when each request
arrives; the fake Slack (same process) stamps `time.monotonic()` when it receives the matching
`views.open` (matched by trigger_id). The difference is the server-side latency. Requests are
sequential (the next one is sent only after the previous `views.open` was received) and
interleaved: every round sends one request of each case, so drift on the machine (other work,
clock speed) weighs on all cases alike.

Cases: Debrief `/coach Sarah` and the Coach button on SQLite and on PostgreSQL, and a bare Bolt
app whose only listener acks `/coach` and opens a one-block modal. The bare app is the floor
(Bolt + FastAPI + uvicorn + the Web API round trip); Debrief's cost is reported as a ratio to it.

Nothing here asserts on timings; the script prints figures and stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlencode

import uvicorn
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.engine import make_url

from bench.pg import empty_database, server_version
from blocks.ids import ActionId
from bot.app.bolt import build_app, share_client
from bot.app.services import Services
from bot.app.slack import slack_client
from bot.app.web import create_web_app
from bot.core.db import dispose_all, session_scope
from bot.core.migrate import upgrade
from bot.core.settings import Settings
from handlers.views import open_view
from tests import factories as f
from tests.fake_slack import FakeSlack

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/debrief_bench"
SIGNING_SECRET = "bench-signing-secret"
LEAD = "ULEAD"
HOST = "127.0.0.1"  # loopback only, for every server and client here
HTTP_TIMEOUT = 10.0  # seconds for one request to be answered
OPEN_TIMEOUT = 10.0  # seconds for its views.open to reach the fake
START_TIMEOUT = 15.0  # seconds for uvicorn to start or stop
TARGET_RATIO = 2.0  # Debrief median at most twice the bare app's median
TARGET_P95_MS = 50.0  # Debrief p95 < 50 ms on PostgreSQL
BARE_VIEW = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Bare"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
}


class BenchError(Exception):
    """The benchmark could not measure a case (a request failed or views.open never came)."""


# ----------------------------------------------------------------------------- arrival stamps
def trigger_of(body: bytes) -> str | None:
    """The trigger_id in a slash command form or an interactivity payload."""
    form = parse_qs(body.decode("utf-8", "replace"))
    if "trigger_id" in form:
        return form["trigger_id"][0]
    if "payload" in form:
        value = json.loads(form["payload"][0]).get("trigger_id")
        return str(value) if value else None
    return None


class ArrivalStamps:
    """ASGI middleware: `time.monotonic()` when each HTTP request reaches the app.

    On the request path it only takes a timestamp and keeps the body bytes; the trigger_id is
    parsed later, in `take()`, by the benchmark thread, so parsing costs nothing measured.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self._seen: list[tuple[float, bytes]] = []
        self._known: dict[str, float] = {}  # trigger -> arrival, taken but not asked for yet
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.monotonic()
        chunks: list[bytes] = []

        async def receive_and_keep() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    with self._lock:
                        self._seen.append((arrived, b"".join(chunks)))
            return message

        await self.app(scope, receive_and_keep, send)

    def arrival_of(self, trigger: str) -> float | None:
        """When the request carrying this trigger arrived (None if it hasn't), for concurrent
        callers: what `take()` would return is kept and looked up."""
        found = self.take()
        with self._lock:
            self._known.update(found)
            return self._known.pop(trigger, None)

    def take(self) -> dict[str, float]:
        """trigger_id → arrival time for every request seen since the last call."""
        with self._lock:
            seen, self._seen = self._seen, []
        arrivals: dict[str, float] = {}
        for arrived, body in seen:
            trigger = trigger_of(body)
            if trigger:
                arrivals[trigger] = arrived
        return arrivals


# -------------------------------------------------------------------------------- serving
class Served:
    """One ASGI app behind ArrivalStamps, on real uvicorn in a background thread."""

    def __init__(self, name: str, app: Any) -> None:
        self.name = name
        self.stamps = ArrivalStamps(app)
        config = uvicorn.Config(self.stamps, host=HOST, port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{name}", daemon=True)
        self.port = 0
        self._conn: http.client.HTTPConnection | None = None
        self.verifier = SignatureVerifier(SIGNING_SECRET)

    def start(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise BenchError(f"uvicorn for {self.name} did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(START_TIMEOUT)

    def post(self, body: str) -> tuple[int, bytes]:
        """POST a signed form body to /slack/events as Slack does (keep-alive; one retry if
        the server had closed an idle connection before reading the request)."""
        data = body.encode()
        for attempt in (1, 2):
            ts = str(int(time.time()))
            signature = self.verifier.generate_signature(timestamp=ts, body=body) or ""
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature,
            }
            if self._conn is None:
                self._conn = http.client.HTTPConnection(HOST, self.port, timeout=HTTP_TIMEOUT)
            try:
                self._conn.request("POST", "/slack/events", body=data, headers=headers)
                response = self._conn.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


# ------------------------------------------------------------------------------- payloads
def coach_command(fake: FakeSlack, text: str) -> tuple[str, str]:
    """`/coach TEXT` typed by the lead, form-encoded as Slack sends it; (body, trigger_id)."""
    trigger = fake.issue_trigger()
    form = {
        "token": "unused",
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": LEAD,
        "command": "/coach",
        "text": text,
        "response_url": fake.response_url(),
        "trigger_id": trigger,
        "api_app_id": "A1",
    }
    return urlencode(form), trigger


def coach_click(fake: FakeSlack, agent_id: int) -> tuple[str, str]:
    """The lead clicking a Coach button in a message; (body, trigger_id)."""
    trigger = fake.issue_trigger()
    payload = {
        "type": "block_actions",
        "user": {"id": LEAD, "team_id": "T1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": trigger,
        "actions": [
            {
                "action_id": ActionId.COACH_OPEN.value,
                "block_id": "b1",
                "type": "button",
                "value": str(agent_id),
                "action_ts": str(time.time()),
            }
        ],
        "container": {"type": "message", "channel_id": "D1", "message_ts": "1.2"},
        "channel": {"id": "D1"},
        "response_url": fake.response_url(),
    }
    return urlencode({"payload": json.dumps(payload)}), trigger


# ----------------------------------------------------------------------------------- data
def seed(url: str) -> int:
    """Migrate and fill a database: lead ULEAD, Sarah Connor with 20 samples and 100 notes,
    a few other agents. Returns Sarah's agent id."""
    upgrade(url)
    with session_scope(url) as session:
        f.member(session, LEAD, "owner")
        sarah = f.agent(session, "Sarah Connor", lead=LEAD, slack_user="USARAHAGENT")
        for name in ("Kyle Reese", "Miles Dyson", "Becky Jones"):
            f.agent(session, name, lead=LEAD)
        f.member(session, "UBECKY", "member", agent="Becky Jones")
        samples = [
            f.sample(session, sarah.id, csat=None if i % 7 == 6 else float(1 + i % 5))
            for i in range(20)
        ]
        lead = f.viewer(session, LEAD)
        for i in range(100):
            f.note(
                session,
                lead,
                sarah.id,
                body=f"Note {i + 1}: role-play the refund call and check the macro wording.",
                shared_with_agent=i % 4 == 0,
                sample_id=samples[i % 20].id if i % 3 == 0 else None,
            )
        session.commit()
        return sarah.id


# -------------------------------------------------------------------------------- the apps
def settings_for(url: str, fake: FakeSlack) -> Settings:
    return Settings(
        DATABASE_URL=url,
        SLACK_BOT_TOKEN=fake.token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.url,
    )


def bare_bolt_app(
    fake: FakeSlack,
    view: dict[str, Any] | None = None,
    *,
    keep_alive: bool = False,
    listener_threads: int | None = None,
) -> App:
    """The floor: Bolt with one `/coach` listener that acks and opens a one-block modal, on
    Bolt's own client (a new connection for every call).

    With `keep_alive` it sends the way Debrief does instead: through Debrief's Slack client
    (connections kept open, handed to listeners by `share_client`) and `handlers.views.open_view`,
    and with a prebuilt `view` it opens that view: references that show how much of Debrief's
    time is the transport, and how much the size of what it sends.
    """
    shown = view or BARE_VIEW
    pool = ThreadPoolExecutor(listener_threads) if listener_threads else None  # Bolt's is 5
    if not keep_alive:
        app = App(
            signing_secret=SIGNING_SECRET,
            client=WebClient(token=fake.token, base_url=fake.url),
            listener_executor=pool,
        )

        @app.command("/coach")
        def coach(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=shown)

        return app
    like_debrief = App(
        signing_secret=SIGNING_SECRET,
        client=slack_client(settings_for("sqlite://", fake), fake.token),
    )
    share_client(like_debrief)

    @like_debrief.command("/coach")
    def coach_like_debrief(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        open_view(client, trigger_id=command["trigger_id"], view=shown)

    return like_debrief


def debrief_view(url: str) -> dict[str, Any]:
    """Debrief's Coach modal for Sarah, built once, for a bare app to open as is."""
    from blocks.coach_modal import coach_modal
    from bot.coaching.record import load_coach_record
    from bot.core.db import read_scope
    from bot.core.scope import viewer_for
    from models import Agent

    with read_scope(url) as session:
        viewer = viewer_for(session=session, slack_user_id=LEAD)
        agent_id = session.query(Agent.id).filter(Agent.name == "Sarah Connor").scalar()
        record = load_coach_record(session=session, viewer=viewer, agent_id=agent_id)
    view = coach_modal(record)
    view["title"] = {"type": "plain_text", "text": "Bare, same modal"}
    return view


# --------------------------------------------------------------------------------- running
@dataclass
class Case:
    number: int
    label: str
    backend: str
    served: Served
    title: str  # the opened modal's title must contain this (no error modal measured)
    build: Callable[[], tuple[str, str]]  # -> (signed body to send, its trigger_id)
    is_bare: bool = False
    ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        """Nearest-rank 95th percentile."""
        ordered = sorted(self.ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure_one(case: Case, fake: FakeSlack) -> float:
    """Send one request of this case and wait for its views.open (the first since the fake was
    reset); the server-side latency in ms."""
    body, trigger = case.build()
    status, answer = case.served.post(body)
    if status != 200:
        raise BenchError(f"case {case.number}: HTTP {status} {answer[:200]!r}")
    try:
        calls = fake.wait_for("views.open", timeout=OPEN_TIMEOUT)
    except AssertionError:
        replies = [c.args.get("text") for c in fake.calls_to("response_url")]
        raise BenchError(
            f"case {case.number}: no views.open within {OPEN_TIMEOUT:.0f} s; "
            f"replies to the user: {replies[-3:]}"
        ) from None
    call = next((c for c in reversed(calls) if c.args.get("trigger_id") == trigger), None)
    if call is None or not call.response.get("ok"):
        raise BenchError(f"case {case.number}: views.open failed: {call and call.response}")
    title = str(call.args.get("view", {}).get("title", {}).get("text", ""))
    if case.title not in title:
        raise BenchError(f"case {case.number}: opened {title!r}, expected {case.title!r}")
    arrived = case.served.stamps.take().get(trigger)
    if arrived is None:
        raise BenchError(f"case {case.number}: no arrival stamp for trigger {trigger}")
    return (call.at - arrived) * 1000.0


def run_cases(cases: list[Case], fake: FakeSlack, warmup: int, requests: int) -> None:
    """Warm-up + measured rounds; each round sends one request of every case in turn, so
    whatever else the machine does in the meantime weighs on every case alike. The fake forgets
    each call once it is checked: kept, thousands of parsed modals would grow this process's
    heap and make its garbage collections slower for whichever case happens to trigger them."""
    fake.reset()
    for case in cases:
        case.served.stamps.take()
    for i in range(warmup + requests):
        for case in cases:
            ms = measure_one(case, fake)
            fake.reset()
            if i >= warmup:
                case.ms.append(ms)


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×" if base > 0 else "n/a"


def report(cases: list[Case], pg_note: str | None) -> None:
    bare = next(c for c in cases if c.is_bare)
    print()
    header = (
        f"{'case':<28} {'backend':<10} {'n':>5} {'median ms':>10} {'p95 ms':>8} "
        f"{'median/bare':>12} {'p95/bare':>9}"
    )
    print(header)
    print("-" * len(header))
    for c in cases:
        print(
            f"{f'{c.number} {c.label}':<28} {c.backend:<10} {len(c.ms):>5} {c.median:>10.2f} "
            f"{c.p95:>8.2f} {ratio(c.median, bare.median):>12} {ratio(c.p95, bare.p95):>9}"
        )
    print()
    print(f"target: median ≤ {TARGET_RATIO:g}× bare, p95 < {TARGET_P95_MS:g} ms on PostgreSQL")
    on_pg = [c for c in cases if c.backend == "postgresql"]
    if not on_pg:
        print(f"  not measured: PostgreSQL unreachable ({pg_note})")
    for c in on_pg:
        times = c.median / bare.median
        median_ok = "met" if times <= TARGET_RATIO else "NOT met"
        p95_ok = "met" if c.p95 < TARGET_P95_MS else "NOT met"
        print(
            f"  {c.number} {c.label} (postgresql): median {times:.2f}× bare — {median_ok}; "
            f"p95 {c.p95:.2f} ms — {p95_ok}"
        )
    for c in cases:
        if c.backend == "sqlite":
            times = c.median / bare.median
            verdict = "within" if times <= TARGET_RATIO else "over"
            print(
                f"  (for reference) {c.number} {c.label} (sqlite): median {times:.2f}× bare "
                f"— {verdict} {TARGET_RATIO:g}×; p95 {c.p95:.2f} ms"
            )
    same = next((c for c in cases if c.number == 6), None)
    big = next((c for c in cases if c.number == 7), None)
    if same is not None:
        print(
            f"  (for reference) 6: the bare app on Debrief's keep-alive Slack client takes "
            f"{same.median / bare.median:.2f}× the bare app on Bolt's own client (case 5)"
        )
        for c in on_pg:
            print(
                f"  (for reference) {c.number} {c.label} (postgresql) against that bare app on "
                f"the same client: median {c.median / same.median:.2f}×"
            )
        if big is not None:
            print(
                f"  (for reference) 7: sending Debrief's modal instead of one block takes "
                f"{big.median / same.median:.2f}× case 6: the part of Debrief's time that is only "
                "the size of the view"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.coach_open",
        description="Server-side time from a signed /coach request to views.open.",
    )
    parser.add_argument("--requests", type=int, default=200, help="measured requests per case")
    parser.add_argument("--warmup", type=int, default=20, help="uncounted requests per case")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or DEFAULT_POSTGRES,
        help="PostgreSQL URL (its public schema is dropped and recreated)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 100_000 or not 0 <= args.warmup <= 10_000:
        parser.error("--requests must be 1..100000 and --warmup 0..10000")

    print("Debrief /coach → views.open, server-side latency")
    print("  measured from the request reaching the ASGI app (uvicorn, loopback)")
    print("  to the fake Slack Web API receiving the matching views.open")
    print(
        f"python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.platform()}; {os.cpu_count()} CPUs"
    )
    print(
        f"N = {args.requests} measured requests per case, sequential, after {args.warmup} warm-up"
    )

    pg_note = empty_database(args.postgres)
    if pg_note is None:
        shown = make_url(args.postgres).render_as_string(hide_password=True)
        print(f"PostgreSQL {server_version(args.postgres)}: {shown}")
    else:
        print(f"PostgreSQL can't be reached ({pg_note}); running SQLite only")

    served: list[Served] = []
    with FakeSlack() as fake, tempfile.TemporaryDirectory(prefix="debrief-bench-") as tmp:
        try:
            sqlite_url = f"sqlite:///{tmp}/bench.db"
            backends = [(1, "sqlite", sqlite_url)]
            if pg_note is None:
                backends.append((3, "postgresql", args.postgres))
            cases: list[Case] = []
            for first, backend, url in backends:
                sarah = seed(url)
                settings = settings_for(url, fake)
                web = Served(
                    f"debrief-{backend}",
                    create_web_app(services := Services(settings), build_app(services)),
                )
                served.append(web.start())
                command = partial(coach_command, fake, "Sarah")
                click = partial(coach_click, fake, sarah)
                cases.append(Case(first, "/coach Sarah", backend, web, "Sarah Connor", command))
                cases.append(Case(first + 1, "Coach button", backend, web, "Sarah Connor", click))
            command = partial(coach_command, fake, "Sarah")
            references = [
                (5, "bare Bolt /coach", "bare", "Bare", False, False),
                (6, "bare, keep-alive client", "bare-keep-alive", "Bare", True, False),
                (7, "bare, keep-alive, modal", "bare-big", "Bare, same modal", True, True),
            ]
            for number, label, name, title, keep_alive, big in references:
                app = bare_bolt_app(
                    fake, debrief_view(sqlite_url) if big else None, keep_alive=keep_alive
                )
                web = Served(name, create_web_app(Services(settings_for(sqlite_url, fake)), app))
                served.append(web.start())
                cases.append(Case(number, label, "-", web, title, command, is_bare=number == 5))
            print(f"  running {len(cases)} cases in interleaved rounds …", flush=True)
            run_cases(cases, fake, args.warmup, args.requests)
            report(cases, pg_note)
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1
        finally:
            for web in served:
                web.stop()
            dispose_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
