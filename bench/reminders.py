"""How long a burst of follow-up reminders takes to go out, against the per-channel limits' floor.

Run from the repository root::

    python -m bench.reminders [--reminders 10000] [--authors 300] [--rate 0.05] [--skew 0.8]

In one process, on PostgreSQL: REMINDERS reminders for AUTHORS leads (a Zipf-like, skewed
share each), all due at the same instant; a loopback `tests.fake_slack.FakeSlack` that accepts
one `chat.postMessage` per DM channel per RATE seconds and answers faster posts with HTTP 429 +
`Retry-After`; and `jobs.work.reminder_job` (the scheduler's reminder tick: `send_due` in a loop,
the app's `WebClient` with its 429 retries, `SlackReminderNotifier`, pacing each DM channel at
RATE) called tick after tick until every reminder is sent.

The floor the limits allow is the largest author's count × RATE: that author's DMs can't go
faster. The default RATE (0.05 s) keeps a run to a couple of minutes; Slack's real limit is
about 1 s (`--rate 1`), where the floor alone is many minutes. Nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import make_url

from bench.pg import empty_database, server_version
from bot.app.services import Services
from bot.app.slack import slack_client
from bot.core.db import dispose_all, session_scope
from bot.core.migrate import upgrade
from bot.core.settings import Settings
from bot.people.agents import upsert_agent
from bot.people.members import set_member
from jobs.work import reminder_job
from models import Note, Reminder, ReminderStatus
from models.base import utcnow
from tests.fake_slack import Call, FakeSlack

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/debrief_reminders"
SIGNING_SECRET = "bench-signing-secret"
AGENTS = 20
TICK = 1.0  # seconds between reminder_job calls while some reminders wait for a retry
PROGRESS = 15.0  # seconds between progress lines


def skewed_counts(total: int, authors: int, skew: float) -> list[int]:
    """``total`` split over ``authors`` in proportion to 1/rank**skew, each at least 1."""
    weights = [1 / (rank**skew) for rank in range(1, authors + 1)]
    spare = total - authors
    shares = [spare * w / sum(weights) for w in weights]
    counts = [1 + math.floor(s) for s in shares]
    by_remainder = sorted(range(authors), key=lambda i: shares[i] - math.floor(shares[i]))
    for i in reversed(by_remainder[len(by_remainder) - (total - sum(counts)) :]):
        counts[i] += 1
    return counts


def seed(url: str, counts: list[int], rng: random.Random) -> list[str]:
    """Leads, agents and one note + pending reminder per count, interleaved; not due yet."""
    authors = [f"UB{n:06d}" for n in range(len(counts))]
    later = utcnow() + timedelta(days=1)
    with session_scope(url) as session:
        for n, user in enumerate(authors):
            set_member(
                session=session,
                actor="bench",
                slack_user_id=user,
                role="owner" if n % 10 == 0 else "admin",
            )
        agents = [
            upsert_agent(
                session=session, actor="bench", name=f"Agent {n}", lead=authors[n % len(authors)]
            )[0].id
            for n in range(AGENTS)
        ]
    order = [user for user, count in zip(authors, counts, strict=True) for _ in range(count)]
    rng.shuffle(order)  # notes are written over time by everyone: ids interleave authors
    now = utcnow()
    for start in range(0, len(order), 1000):
        chunk = order[start : start + 1000]
        with session_scope(url) as session:
            note_ids = session.scalars(
                insert(Note).returning(Note.id, sort_by_parameter_order=True),
                [
                    {
                        "agent_id": agents[(start + i) % AGENTS],
                        "author": user,
                        "body": f"Role-play the refund call from ticket #{start + i} in our 1:1.",
                        "follow_up_at": later,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i, user in enumerate(chunk)
                ],
            ).all()
            session.execute(
                insert(Reminder),
                [
                    {"note_id": note_id, "author": user, "due_at": later}
                    for note_id, user in zip(note_ids, chunk, strict=True)
                ],
            )
    return authors


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def accepted(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage") if c.status == 200 and c.response["ok"]]


def progress(fake: FakeSlack, start: float, total: int, stop: threading.Event) -> None:
    while not stop.wait(PROGRESS):
        sent = len(accepted(fake))
        print(f"  {time.monotonic() - start:7.1f} s: {sent}/{total} sent, {fake.rate_limited} 429s")


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.reminders",
        description="A burst of due reminders through reminder_job, against the per-channel floor.",
    )
    parser.add_argument("--reminders", type=int, default=10_000, help="reminders, all due at once")
    parser.add_argument("--authors", type=int, default=300, help="leads they belong to")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.05,
        help="seconds per post per DM channel: the fake's limit and the app's pacing (Slack: ~1)",
    )
    parser.add_argument("--skew", type=float, default=0.8, help="author i gets ∝ 1/i**skew")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the interleaving")
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after (seconds)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_REMINDERS_DATABASE_URL") or DEFAULT_POSTGRES,
        help="PostgreSQL URL (its public schema is dropped and recreated)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.authors <= args.reminders <= 1_000_000:
        parser.error("need 1 <= --authors <= --reminders <= 1000000")
    if not 0 <= args.rate <= 60 or args.skew < 0:
        parser.error("--rate must be 0..60 seconds and --skew >= 0")
    return args


def header(args: argparse.Namespace, counts: list[int], floor: float) -> None:
    """What is about to run, and the floor no schedule can beat."""
    print("Debrief reminders: a burst through jobs.work.reminder_job, against the channel floor")
    print(f"python {platform.python_version()} on {platform.platform()}; {os.cpu_count()} CPUs")
    print(
        f"{args.reminders} reminders for {args.authors} authors (skew {args.skew}: largest "
        f"{max(counts)}, median {sorted(counts)[len(counts) // 2]}, smallest {min(counts)}), "
        "all due at once"
    )
    print(
        f"limit and pacing: 1 post per DM channel per {args.rate:g} s; floor = "
        f"{max(counts)} × {args.rate:g} s = {floor:.1f} s"
    )
    if floor > 300:
        print(f"  (that floor is {floor / 60:.0f} min; lower --rate for a quick run)")


@dataclass
class Run:
    """What the burst did, read from the fake and the database."""

    posts: list[Any]
    due: float
    ticks: int
    gave_up: bool
    passes: int
    queues: int
    retried: int
    rate_limited: int


def burst(args: argparse.Namespace, counts: list[int]) -> Run:
    """Seed, make everything due at once, and tick reminder_job until nothing is pending."""
    rng = random.Random(args.seed)
    with FakeSlack() as fake:
        began = time.monotonic()
        for user in seed(args.postgres, counts, rng):
            fake.add_user(user)
        print(f"seeded in {time.monotonic() - began:.1f} s")
        fake.channel_rate(args.rate)
        settings = Settings(
            DATABASE_URL=args.postgres,
            SLACK_BOT_TOKEN=fake.token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake.url,
            DEBRIEF_REMINDER_CHANNEL_INTERVAL=args.rate,
        )
        services = Services(settings, slack=slack_client(settings, fake.token))
        with session_scope(args.postgres) as session:
            session.execute(update(Reminder).values(due_at=utcnow()))
        due = time.monotonic()
        stop = threading.Event()
        threading.Thread(
            target=progress, args=(fake, due, args.reminders, stop), daemon=True
        ).start()
        try:
            ticks, gave_up = tick_until_done(services, args, due)
        finally:
            stop.set()
        posts = accepted(fake)
        passes, queues, retried = claim_figures(args.postgres)
        rate_limited = fake.rate_limited
    dispose_all()
    return Run(posts, due, ticks, gave_up, passes, queues, retried, rate_limited)


def tick_until_done(services: Services, args: argparse.Namespace, due: float) -> tuple[int, bool]:
    """reminder_job, then again every TICK while some wait for a retry; (ticks, gave up)."""
    ticks = 0
    while True:
        reminder_job(services)
        ticks += 1
        with session_scope(args.postgres) as session:
            left = session.scalar(
                select(func.count())
                .select_from(Reminder)
                .where(Reminder.status == ReminderStatus.PENDING)
            )
        if not left:
            return ticks, False
        if time.monotonic() - due > args.timeout:
            return ticks, True
        time.sleep(TICK)  # some wait for a retry: the next tick


def claim_figures(url: str) -> tuple[int, int, int]:
    """send_due passes (claim tokens), per-pass author queues, reminders retried later."""
    with session_scope(url) as session:
        passes = session.scalar(
            select(func.count(func.distinct(Reminder.claim_token))).select_from(Reminder)
        )
        queues = session.scalar(
            select(func.count()).select_from(
                select(Reminder.claim_token, Reminder.author).distinct().subquery()
            )
        )
        retried = session.scalar(
            select(func.count()).select_from(Reminder).where(Reminder.attempts > 0)
        )
    return passes or 0, queues or 0, retried or 0


def report(args: argparse.Namespace, counts: list[int], floor: float, run: Run) -> bool:
    """The figures; whether every reminder went out exactly once in time."""
    once = Counter(int(c.args["metadata"]["event_payload"]["reminder_id"]) for c in run.posts)
    twice = sum(1 for n in once.values() if n > 1)
    lateness = [c.at - run.due for c in run.posts]
    last = max(lateness) if lateness else float("nan")
    workers = 8  # send_due's default, which reminder_job uses
    sleep_bound = (args.reminders - run.queues) * args.rate / workers
    print()
    print(f"sent {len(once)}/{args.reminders} ({twice} twice) in {run.ticks} reminder_job call(s),")
    print(
        f"  {run.passes} send_due passes (claim limit 500), {run.retried} reminder(s) retried later"
    )
    print(f"due → last sent:            {last:8.1f} s")
    print(f"floor (largest × interval): {floor:8.1f} s  ({max(counts)} × {args.rate:g} s)")
    ratio = last / floor if floor > 0 else float("inf")
    print(f"ratio:                      {ratio:8.2f} ×")
    if lateness:
        print(
            f"lateness p50 / p99:         {nearest_rank(lateness, 0.5):8.1f} s / "
            f"{nearest_rank(lateness, 0.99):.1f} s"
        )
    print(f"429s answered:              {run.rate_limited:8d}")
    print(
        f"pacing sleeps in {workers} workers:  ≥ {sleep_bound:6.1f} s  "
        f"((reminders − {run.queues} per-pass author queues) × interval / workers)"
    )
    if run.gave_up:
        print(f"gave up after {args.timeout:g} s with reminders still pending", file=sys.stderr)
    return not run.gave_up and len(once) == args.reminders and twice == 0


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    counts = skewed_counts(args.reminders, args.authors, args.skew)
    floor = max(counts) * args.rate
    header(args, counts, floor)
    note = empty_database(args.postgres)
    if note is not None:
        print(f"PostgreSQL can't be used: {note}", file=sys.stderr)
        return 1
    shown = make_url(args.postgres).render_as_string(hide_password=True)
    print(f"PostgreSQL {server_version(args.postgres)}: {shown} (schema reset)")
    upgrade(args.postgres)
    return 0 if report(args, counts, floor, burst(args, counts)) else 1


if __name__ == "__main__":
    sys.exit(main())
