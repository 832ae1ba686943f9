"""Many leads at once, with a slow Slack: does Debrief answer every request in time, and lose or
double nothing?

Run from the repository root::

    python -m bench.load [--leads N] [--seconds S] [--slow-every K] [--slow-seconds T]
                         [--postgres URL]

For S seconds, N leads work concurrently against Debrief served by real uvicorn on loopback
(`bot.app.web.create_web_app` over `bot.app.bolt.build_app`, as `debrief serve` builds them) on
PostgreSQL: each types `/coach Sarah`, waits for its Coach modal, saves a note in it (a view
submission), and starts again. The fake Slack (this process) answers every K-th `views.open`
T seconds late (by default every 10th, 2 s: 10% slow, inside the trigger's 3 s). A bare Bolt
app (its only listener acks `/coach` and opens a one-block modal) gets the same leads, the same
duration and the same slow share, served the same way.

Printed per app: requests answered per second; the time to each HTTP answer (the ack Slack
waits 3 s for) and from each `/coach` reaching the server to its `views.open` reaching Slack,
p50/p95/p99; errors (an HTTP answer other than 200, a refused or missing `views.open`, a save
not answered with the updated modal); and, from the database afterwards, notes lost (a save
answered as done whose note isn't there) and doubled (a note there twice). Targets: none lost,
none doubled, every ack inside 3 s, p99 `/coach` → `views.open` at most 3× the bare app's.
Nothing is asserted; the script prints figures and the targets met / NOT met.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.coach_open import BARE_VIEW, HOST, SIGNING_SECRET, seed
from bench.pg import empty_database, server_version
from blocks.ids import ActionId, BlockId
from bot.app.services import Services
from bot.app.web import create_web_app
from bot.core.db import dispose_all, session_scope
from bot.core.settings import Settings
from models import Note
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.test_socket_mode import START_TIMEOUT, command_env, debrief_command, free_port, healthz

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/debrief_bench"
ACK_LIMIT = 3.0  # Slack's: an answer later than this is an error in Slack
OPEN_WAIT = 10.0  # how long a lead waits for its modal before counting it as missing
TARGET_RATIO = 3.0


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0 when there are no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Tally:
    """What one app's leads saw."""

    name: str
    acks: list[float] = field(default_factory=list)  # seconds to each HTTP answer
    opens: list[float] = field(default_factory=list)  # seconds from arrival to views.open
    errors: Counter[str] = field(default_factory=Counter)
    saved: list[str] = field(default_factory=list)  # note bodies answered as saved
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, seconds: float) -> None:
        with self.lock:
            self.acks.append(seconds)
            self.requests += 1

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1


class Lead(threading.Thread):
    """One lead: `/coach Sarah`, wait for the modal, save a note in it (Debrief), again."""

    def __init__(self, user: str, served: Process, fake: FakeSlack, tally: Tally, until: float,
                 saves: bool, warmup: int) -> None:  # fmt: skip
        super().__init__(name=f"lead-{user}", daemon=True)
        self.user, self.served, self.fake, self.tally = user, served, fake, tally
        self.until, self.saves, self.warmup = until, saves, warmup
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self.conn: http.client.HTTPConnection | None = None
        self.count = 0

    def post(self, body: str) -> tuple[int, bytes, float]:
        data = body.encode()
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=ts, body=body) or "",
        }
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.served.port, timeout=30)
            started = time.monotonic()
            try:
                self.conn.request("POST", "/slack/events", body=data, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read(), time.monotonic() - started
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def run(self) -> None:
        rounds = 0
        while time.monotonic() < self.until:
            try:
                self.once(counted=rounds >= self.warmup)
            except Exception as exc:  # a benchmark reports what went wrong and goes on
                self.tally.error(f"client: {type(exc).__name__}")
            rounds += 1

    def once(self, *, counted: bool = True) -> None:
        trigger = self.fake.issue_trigger()
        form = {"token": "unused", "team_id": "T1", "channel_id": "C1", "user_id": self.user,
                "command": "/coach", "text": "Sarah", "response_url": self.fake.response_url(),
                "trigger_id": trigger, "api_app_id": "A1"}  # fmt: skip
        sent = time.monotonic()
        status, _answer, took = self.post(urlencode(form))
        if counted:
            self.tally.ack(took)
        if status != 200:
            self.tally.error(f"/coach HTTP {status}")
            return
        call = self.fake.wait_for_trigger(trigger, timeout=OPEN_WAIT)
        if call is None:
            self.tally.error("/coach: no views.open")
            return
        if not call.response.get("ok"):
            self.tally.error(f"views.open {call.response.get('error')}")
            return
        if counted:
            with self.tally.lock:
                self.tally.opens.append(call.at - sent)
        if not self.saves:
            return
        self.count += 1
        body = f"{self.user} note {self.count}: role-play the refund call."
        view = self.fake.views.get(call.response["view"]["id"])
        if view is None:
            self.tally.error("the modal was gone")
            return
        status, answer, took = self.post(
            urlencode({"payload": json.dumps(submission(view, self.user, body, self.fake))})
        )
        if counted:
            self.tally.ack(took)
        if status != 200:
            self.tally.error(f"save HTTP {status}")
            return
        reply = json.loads(answer) if answer else {}
        if reply.get("response_action") != "update":
            self.tally.error(f"save answered {reply.get('response_action') or 'nothing'}")
            return
        with self.tally.lock:
            self.tally.saved.append(body)


def submission(view: dict[str, Any], user: str, body: str, fake: FakeSlack) -> dict[str, Any]:
    """A view_submission of the Coach modal's composer with this note, as Slack sends it."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        block_id = block["block_id"]
        if block_id.startswith(BlockId.BODY):
            values[block_id] = {ActionId.BODY: {"type": "plain_text_input", "value": body}}
    return {"type": "view_submission", "user": {"id": user, "team_id": "T1"},
            "team": {"id": "T1"}, "api_app_id": "A1",
            "trigger_id": fake.issue_trigger(view["id"]),
            "view": {**view, "state": {"values": values}}}  # fmt: skip


def run(name: str, served: Process, fake: FakeSlack, users: list[str], seconds: float,
        saves: bool, warmup: int) -> Tally:  # fmt: skip
    tally = Tally(name)
    until = time.monotonic() + seconds
    leads = [Lead(u, served, fake, tally, until, saves, warmup) for u in users]
    started = time.monotonic()
    for lead in leads:
        lead.start()
    for lead in leads:
        lead.join(seconds + 60)
    tally.elapsed = time.monotonic() - started  # type: ignore[attr-defined]
    return tally


def lost_and_doubled(url: str, saved: list[str]) -> tuple[int, int]:
    with session_scope(url) as session:
        kept = Counter(session.scalars(select(Note.body)))
    lost = sum(1 for body in saved if kept[body] == 0)
    doubled = sum(1 for body, times in kept.items() if times > 1 and " note " in body)
    return lost, doubled


def line(tally: Tally) -> str:
    rate = tally.requests / max(tally.elapsed, 1e-9)  # type: ignore[attr-defined]
    ms = 1000.0
    return (
        f"{tally.name:<10} {tally.requests:>7} {rate:>7.1f} "
        f"{percentile(tally.acks, 0.5) * ms:>7.1f} {percentile(tally.acks, 0.95) * ms:>7.1f} "
        f"{percentile(tally.acks, 0.99) * ms:>7.1f} {max(tally.acks, default=0) * ms:>7.0f} "
        f"{percentile(tally.opens, 0.5) * ms:>7.1f} {percentile(tally.opens, 0.95) * ms:>7.1f} "
        f"{percentile(tally.opens, 0.99) * ms:>7.1f} {sum(tally.errors.values()):>6}"
    )


class Process:
    """An app in its own process on a free port, its output in a log file."""

    def __init__(self, command: Callable[[int], list[str]], env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        cwd.mkdir(parents=True, exist_ok=True)
        self.log = cwd / "app.log"
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen(command(self.port), env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=subprocess.STDOUT)  # fmt: skip

    def wait_ready(self) -> Process:
        deadline = time.monotonic() + START_TIMEOUT
        while healthz(self.port) is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the app didn't start:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


def serve_bare(port: int, slack_url: str, token: str, threads: int) -> None:
    """The floor, in its own process: Bolt whose only listener acks `/coach` and opens a
    one-block modal, behind the same FastAPI endpoint and uvicorn, with the same pool size."""
    import uvicorn
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    app = App(signing_secret=SIGNING_SECRET, client=WebClient(token=token, base_url=slack_url),
              listener_executor=ThreadPoolExecutor(threads))  # fmt: skip

    @app.command("/coach")
    def coach(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=BARE_VIEW)

    settings = Settings(DATABASE_URL="sqlite://", SLACK_BOT_TOKEN=token,
                        SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack_url)  # fmt: skip
    uvicorn.run(create_web_app(Services(settings), app), host=HOST, port=port, log_level="warning")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--leads", type=int, default=8, help="leads working at once")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long each app is loaded")
    parser.add_argument("--slow-every", type=int, default=10, help="every K-th views.open is slow")
    parser.add_argument("--slow-seconds", type=float, default=2.0, help="how late a slow one is")
    parser.add_argument("--warmup", type=int, default=3, help="uncounted rounds per lead")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL")
                        or os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES,
                        help="PostgreSQL to use (wiped)")  # fmt: skip
    parser.add_argument("--serve-bare", nargs=4, metavar=("PORT", "SLACK_URL", "TOKEN", "THREADS"),
                        help=argparse.SUPPRESS)  # fmt: skip
    return parser.parse_args(argv)


def print_results(
    ours: Tally, theirs: Tally, violations: list[str], lost: int, doubled: int
) -> None:
    """Both apps' figures side by side, then Debrief's against the targets."""
    print()
    print(f"{'app':<10} {'answers':>7} {'per s':>7} {'ack p50':>7} {'p95':>7} {'p99':>7} "
          f"{'max':>7} {'open p50':>7} {'p95':>7} {'p99':>7} {'errors':>6}   (ms)")  # fmt: skip
    print(line(ours))
    print(line(theirs))
    for tally in (ours, theirs):
        if tally.errors:
            print(f"  {tally.name} errors: {dict(tally.errors)}")
    if violations:
        print(f"  what real Slack would refuse: {violations[:3]}")
    print(f"  debrief: {len(ours.saved)} notes saved; lost {lost}, doubled {doubled}")
    print("  open: from sending /coach to the fake Slack receiving its views.open (this process)")
    print()
    late = [a for a in ours.acks if a > ACK_LIMIT]
    ratio = percentile(ours.opens, 0.99) / max(percentile(theirs.opens, 0.99), 1e-9)
    verdicts = [
        ("no note lost", lost == 0), ("no note doubled", doubled == 0),
        (f"every ack inside {ACK_LIMIT:g} s ({len(late)} late, slowest "
         f"{max(ours.acks, default=0):.2f} s)", not late),
        (f"p99 /coach → views.open ≤ {TARGET_RATIO:g}× bare ({ratio:.2f}×)", ratio <= TARGET_RATIO),
        ("no errors", not ours.errors),
    ]  # fmt: skip
    for label, met in verdicts:
        print(f"  {label}: {'met' if met else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.serve_bare:
        port, slack_url, token, threads = args.serve_bare
        serve_bare(int(port), slack_url, token, int(threads))
        return 0
    print(f"python {platform.python_version()} on {platform.platform()}; {os.cpu_count()} CPUs")
    print(f"{args.leads} leads for {args.seconds:g} s per app; every {args.slow_every}th "
          f"views.open answered {args.slow_seconds:g} s late; each app in its own process")  # fmt: skip
    why = empty_database(args.postgres)
    if why is not None:
        print(f"PostgreSQL can't be used: {why}", file=sys.stderr)
        return 1
    print(f"PostgreSQL {server_version(args.postgres)}: "
          f"{make_url(args.postgres).render_as_string(hide_password=True)}")  # fmt: skip
    users = [f"ULOAD{n:03d}" for n in range(args.leads)]
    threads = Settings(DATABASE_URL="sqlite://").listener_threads
    processes: list[Process] = []
    # not strict: the conformance suite checks what Debrief sends; here its CPU would be
    # taken from the apps measured (two cores: this process, the app and PostgreSQL share them)
    with FakeSlack(trigger_ttl=60.0, strict=False) as fake, tempfile.TemporaryDirectory() as tmp:
        try:
            seed(args.postgres)
            with session_scope(args.postgres) as session:
                for user in users:
                    f.member(session, user, "owner")
            dispose_all()
            for user in users:
                fake.add_user(user)
            env = command_env(DATABASE_URL=args.postgres, SLACK_BOT_TOKEN=fake.token,
                              SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.url)  # fmt: skip
            serve = [*debrief_command(), "serve", "--no-scheduler", "--port"]
            debrief = Process(lambda port: [*serve, str(port)], env, Path(tmp, "debrief"))
            processes.append(debrief.wait_ready())
            fake.slow("views.open", args.slow_every, args.slow_seconds)
            ours = run("debrief", debrief, fake, users, args.seconds, True, args.warmup)
            debrief.stop()
            lost, doubled = lost_and_doubled(args.postgres, ours.saved)
            bare_command = [sys.executable, "-m", "bench.load", "--serve-bare"]
            bare = Process(lambda port: [*bare_command, str(port), fake.url, fake.token,
                                         str(threads)],
                           {**env, "PYTHONPATH": os.getcwd()}, Path(tmp, "bare"))  # fmt: skip
            processes.append(bare.wait_ready())
            fake.slow("views.open", args.slow_every, args.slow_seconds)
            theirs = run("bare Bolt", bare, fake, users, args.seconds, False, args.warmup)
            violations = list(fake.violations)
        finally:
            for process in processes:
                process.stop()
            dispose_all()
    print_results(ours, theirs, violations, lost, doubled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
