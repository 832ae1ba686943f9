"""How long Debrief's detection scan takes on PostgreSQL, against a plain `GROUP BY`.

Run from the repository root::

    python -m bench.detect [--ratings 1000000] [--agents 5000] [--repeat 5] [--postgres URL]

Setup (not measured): the database is reset and migrated, then `--agents` agents and
`--ratings` rated conversations are bulk-loaded with `COPY`, spread over the 14 weeks before a
fixed `NOW`, CSAT 1-5; about 5 % of the agents slide by roughly a point over the last six
weeks. `VACUUM (ANALYZE)` follows, as autovacuum would eventually do.

Measured, interleaved, after one warm-up each, `--repeat` times:

(a) the floor: one plain `SELECT agent_id, date_trunc('week', closed_at), avg(csat), count(*)
    ... GROUP BY 1, 2` over the same table and the same period as the scan, all rows fetched,
    through psycopg directly;
(b) Debrief's whole scan, `bot.flags.records.evaluate_agents(session=, config=TrendConfig(), now=NOW)`
    plus the final flush of its writes, in a fresh session that is rolled back afterwards, so
    every repetition raises the same flags from the same state.

Also timed, to say where the time goes: `window_histories` alone (the scan's SQL through
SQLAlchemy into `WindowStat`s), `assess_many` alone on those histories, and Debrief's SQL sent
raw through psycopg. The target is scan / GROUP BY <= 2x. When it is missed the script runs the
scan once under cProfile and prints the top functions. `--variants` also times alternative
bucket expressions for the scan's SQL (raw, through psycopg) next to Debrief's own.

The PostgreSQL database is wiped (default `debrief_bench_detect`).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import psycopg
from sqlalchemy.engine import make_url

from bench.pg import libpq_url, reset_database
from bot.core.db import dispose_all, session_factory
from bot.flags.records import evaluate_agents
from bot.flags.trend import TrendConfig, assess_many
from bot.flags.windows import _ANCHOR_EPOCH, day_start, last_complete_window, window_histories
from models.agent import fold_name

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/debrief_bench_detect"
NOW = datetime(2025, 6, 4, 12, 0, tzinfo=UTC)  # a Wednesday: the current week is unfinished
SPREAD = timedelta(weeks=14)
SLIDING = 0.05  # share of agents whose CSAT slides over the trend span
INACTIVE = 0.02  # share of agents marked inactive (the scan skips them)
TARGET_RATIO = 2.0
CHUNK = 100_000  # rows per COPY write

PLAIN_SQL = """
SELECT agent_id, date_trunc('week', closed_at), avg(csat), count(*)
FROM conversations
WHERE closed_at >= %(lo)s AND closed_at < %(hi)s
GROUP BY 1, 2
"""

# Debrief's window_histories statement as SQLAlchemy renders it for PostgreSQL, and variants
# of its bucket expression; {bucket} is replaced, the rest is identical.
SCAN_SQL = """
SELECT conversations.agent_id, {bucket} AS bucket, sum(conversations.csat), count(*)
FROM conversations JOIN agents ON agents.id = conversations.agent_id
WHERE agents.active IS true AND conversations.closed_at >= %(lo)s AND conversations.closed_at < %(hi)s
GROUP BY conversations.agent_id, bucket
"""
BUCKETS = {
    "debrief: floor((EXTRACT(epoch ...) - a) / CAST(s AS NUMERIC))::int  [numeric]": (
        "CAST(floor((EXTRACT(epoch FROM conversations.closed_at) - {a}::INTEGER)"
        " / CAST({s}::INTEGER AS NUMERIC)) AS INTEGER)"
    ),
    "floor((date_part('epoch', ...) - a) / s)::int  [float8]": (
        "CAST(floor((date_part('epoch', conversations.closed_at) - {a}) / {s}) AS INTEGER)"
    ),
    "date_bin('s seconds', closed_at, anchor)  [timestamptz]": (
        "date_bin(interval '{s} seconds', conversations.closed_at,"
        " timestamptz '1970-01-05 00:00:00+00')"
    ),
}


# ------------------------------------------------------------------------------ database setup
def server_settings(url: str) -> str:
    """The server's version with the settings that change this benchmark's plans."""
    with psycopg.connect(libpq_url(url), connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        jit = conn.execute("SHOW jit").fetchone()
        workers = conn.execute("SHOW max_parallel_workers_per_gather").fetchone()
    return f"{row[0] if row else '?'} (jit {jit[0] if jit else '?'}, parallel workers/gather {workers[0] if workers else '?'})"


# ----------------------------------------------------------------------------- synthetic data
def scan_period(config: TrendConfig) -> tuple[datetime, datetime]:
    """The [lo, hi) period of closed_at that evaluate_agents reads at NOW."""
    as_of = last_complete_window(NOW, config.window_days)
    first = as_of - timedelta(
        days=(config.trend_windows + config.baseline_windows - 1) * config.window_days
    )
    return day_start(first), day_start(as_of + timedelta(days=config.window_days))


def generate(
    n_ratings: int, n_agents: int, config: TrendConfig, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Agents' active flags and sliding flags; per rating its agent index, epoch second, CSAT."""
    rng = np.random.default_rng(seed)
    active = rng.random(n_agents) >= INACTIVE
    sliding = rng.random(n_agents) < SLIDING
    base = np.clip(rng.normal(4.3, 0.25, n_agents), 3.2, 4.8)
    slide = np.where(sliding, rng.uniform(0.8, 1.6, n_agents), 0.0)
    volume = rng.lognormal(0.0, 0.6, n_agents)  # busy and quiet agents
    agent = rng.choice(n_agents, size=n_ratings, p=volume / volume.sum())
    end = NOW.timestamp()
    when = end - rng.uniform(0.0, SPREAD.total_seconds(), n_ratings)
    _lo, hi = scan_period(config)
    slide_end = hi.timestamp()
    slide_start = slide_end - config.trend_windows * config.window_days * 86400
    progress = np.clip((when - slide_start) / (slide_end - slide_start), 0.0, 1.0)
    mean = base[agent] - slide[agent] * progress
    csat = np.clip(np.rint(mean + rng.normal(0.0, 0.9, n_ratings)), 1, 5)
    return active, sliding, agent, when.astype(np.int64), csat.astype(np.int64)


def _chunks(lines: Iterator[str]) -> Iterator[str]:
    buffer: list[str] = []
    for line in lines:
        buffer.append(line)
        if len(buffer) >= CHUNK:
            yield "".join(buffer)
            buffer = []
    if buffer:
        yield "".join(buffer)


def load(url: str, n_ratings: int, n_agents: int, config: TrendConfig, seed: int) -> int:
    """Bulk-load agents and conversations with COPY; returns the number of sliding agents."""
    active, sliding, agent, when, csat = generate(n_ratings, n_agents, config, seed)
    stamps = np.datetime_as_string(when.astype("datetime64[s]"), unit="s")
    queues = ("billing", "shipping", "returns", "technical", "account")
    created = NOW - timedelta(days=400)
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        with conn.cursor() as cur:
            columns = "id, name, name_key, email, active, created_at"
            with cur.copy(f"COPY agents ({columns}) FROM STDIN") as copy:
                for chunk in _chunks(
                    f"{i + 1}\tAgent {i + 1:05d}\t{fold_name(f'Agent {i + 1:05d}')}\t"
                    f"agent{i + 1:05d}@example.com\t"
                    f"{'t' if active[i] else 'f'}\t{created.isoformat()}\n"
                    for i in range(n_agents)
                ):
                    copy.write(chunk)
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('agents', 'id'), %s)", (max(n_agents, 1),)
            )
            updated = NOW.isoformat()
            columns = (
                "helpdesk, external_id, agent_id, closed_at, csat, queue, has_transcript,"
                " updated_at"
            )
            with cur.copy(f"COPY conversations ({columns}) FROM STDIN") as copy:
                for chunk in _chunks(
                    f"zendesk\t{k + 1}\t{a + 1}\t{s}+00\t{c}\t{queues[k % 5]}\tf\t{updated}\n"
                    for k, (a, s, c) in enumerate(
                        zip(agent.tolist(), stamps.tolist(), csat.tolist(), strict=True)
                    )
                ):
                    copy.write(chunk)
        conn.execute("VACUUM (ANALYZE) agents, conversations")
    return int(sliding.sum())


# ---------------------------------------------------------------------------------- measuring
def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def plain_group_by(conn: psycopg.Connection[Any], lo: datetime, hi: datetime) -> int:
    with conn.cursor() as cur:
        cur.execute(PLAIN_SQL, {"lo": lo, "hi": hi})
        return len(cur.fetchall())


def raw_scan_sql(
    conn: psycopg.Connection[Any], bucket: str, lo: datetime, hi: datetime, days: int
) -> int:
    query = SCAN_SQL.format(bucket=bucket.format(a=_ANCHOR_EPOCH, s=days * 86400))
    with conn.cursor() as cur:
        cur.execute(query, {"lo": lo, "hi": hi})
        return len(cur.fetchall())


def scan(url: str, config: TrendConfig) -> tuple[float, int, int]:
    """One whole scan in a fresh session, its writes flushed then rolled back: (s, assessed, raised)."""
    session = session_factory(url)()
    try:
        start = time.perf_counter()
        outcome = evaluate_agents(session=session, config=config, now=NOW)
        session.flush()
        elapsed = time.perf_counter() - start
    finally:
        session.rollback()
        session.close()
    return elapsed, outcome.assessed, len(outcome.raised)


def commit_scan(url: str, config: TrendConfig) -> None:
    session = session_factory(url)()
    try:
        evaluate_agents(session=session, config=config, now=NOW)
        session.commit()
    finally:
        session.close()


def histories_only(url: str, config: TrendConfig) -> tuple[float, dict[int, Any]]:
    lo, hi = scan_period(config)
    last = hi.date() - timedelta(days=config.window_days)
    session = session_factory(url)()
    try:
        return timed(
            lambda: window_histories(
                session=session, first=lo.date(), last=last, window_days=config.window_days
            )
        )
    finally:
        session.rollback()
        session.close()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def line(label: str, seconds: float) -> str:
    return f"{label:<64}{ms(seconds)}"


def profile_scan(url: str, config: TrendConfig, top: int) -> str:
    session = session_factory(url)()
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        evaluate_agents(session=session, config=config, now=NOW)
        session.flush()
        profiler.disable()
    finally:
        session.rollback()
        session.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--ratings", type=int, default=1_000_000, help="rated conversations")
    parser.add_argument("--agents", type=int, default=5000, help="agents")
    parser.add_argument("--repeat", type=int, default=5, help="measured repetitions of each")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="database to wipe and use")
    parser.add_argument("--variants", action="store_true", help="time other bucket expressions")
    parser.add_argument("--profile", action="store_true", help="profile the scan even if on target")
    parser.add_argument("--top", type=int, default=25, help="functions shown by the profile")
    args = parser.parse_args(argv)
    if args.ratings < 1 or args.agents < 1 or args.repeat < 1:
        parser.error("--ratings, --agents and --repeat must be positive")
    return args


def _variants(
    conn: psycopg.Connection[Any], lo: datetime, hi: datetime, days: int, repeat: int
) -> None:
    """Debrief's scan SQL with each bucket expression, raw through psycopg."""
    print()
    print(
        f"scan SQL with other bucket expressions (raw through psycopg, same join and "
        f"filter; medians of {repeat} interleaved runs):"
    )
    runs: dict[str, list[float]] = {label: [] for label in BUCKETS}
    for bucket in BUCKETS.values():
        raw_scan_sql(conn, bucket, lo, hi, days)
    for _ in range(repeat):
        for label, bucket in BUCKETS.items():
            runs[label].append(timed(partial(raw_scan_sql, conn, bucket, lo, hi, days))[0])
    for label, values in runs.items():
        print(f"  {ms(statistics.median(values))}  {label}")


def _rescans(
    url: str, config: TrendConfig, plain_sql: Callable[[], int], repeat: int, raised: int
) -> None:
    """(c) the usual case afterwards: the flags of (b) are open, nothing new to raise."""
    commit_scan(url, config)
    rescans: list[float] = []
    plain_again: list[float] = []
    scan(url, config)
    for _ in range(repeat):
        plain_again.append(timed(plain_sql)[0])
        rescans.append(scan(url, config)[0])
    again, rescan = statistics.median(plain_again), statistics.median(rescans)
    print()
    print(f"with those {raised} flags committed, medians of {repeat} interleaved runs:")
    print(line("  (a) plain GROUP BY", again))
    print(line("  (c) evaluate_agents again, nothing new to raise", rescan))
    print(f"  ratio rescan / GROUP BY: {rescan / again:.2f}x")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    config = TrendConfig()
    lo, hi = scan_period(config)
    url = args.postgres
    setup_s, n_sliding = timed(lambda: reset_and_load(url, args, config))
    print(f"PostgreSQL {server_settings(url)}: {make_url(url).render_as_string()}")
    print(
        f"data: {args.ratings:,} ratings, {args.agents:,} agents, over {SPREAD.days} days before "
        f"{NOW:%Y-%m-%d %H:%M} UTC; scan period [{lo:%Y-%m-%d}, {hi:%Y-%m-%d})"
    )
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM conversations WHERE closed_at >= %s AND closed_at < %s", (lo, hi)
        ).fetchone()
        in_period = int(row[0]) if row else 0
        print(
            f"setup (reset, migrate, COPY, VACUUM ANALYZE): {setup_s:.1f} s; "
            f"{in_period:,} ratings in the scan period; {n_sliding} agents sliding"
        )
        days = config.window_days
        as_of = hi.date() - timedelta(days=days)
        debrief_bucket = next(iter(BUCKETS.values()))
        plain_sql = partial(plain_group_by, conn, lo, hi)
        raw_sql = partial(raw_scan_sql, conn, debrief_bucket, lo, hi, days)

        # warm-up: caches, hint bits, SQLAlchemy's compiled-statement cache, the pool
        groups = plain_sql()
        _, assessed, raised = scan(url, config)
        raw_sql()
        times: dict[str, list[float]] = {k: [] for k in ("plain", "scan", "raw", "hist", "assess")}
        for _ in range(args.repeat):  # interleaved, so background load hits every case alike
            times["plain"].append(timed(plain_sql)[0])
            times["scan"].append(scan(url, config)[0])
            times["raw"].append(timed(raw_sql)[0])
            hist_s, histories = histories_only(url, config)
            times["hist"].append(hist_s)
            times["assess"].append(
                timed(partial(assess_many, histories, config, {}, as_of=as_of))[0]
            )
        med = {k: statistics.median(v) for k, v in times.items()}
        plain, whole = med["plain"], med["scan"]
        ratio = whole / plain
        verdict = "on target" if ratio <= TARGET_RATIO else "MISSED"

        print()
        print(f"medians of {args.repeat} interleaved runs after one warm-up each:")
        print(line(f"  (a) plain GROUP BY, psycopg, {groups:,} rows fetched", plain))
        print(line(f"  (b) evaluate_agents: {assessed:,} agents, {raised} flags raised", whole))
        print(line("      Debrief's scan SQL alone, raw through psycopg", med["raw"]))
        print(line("      window_histories (SQL + SQLAlchemy rows + WindowStat)", med["hist"]))
        print(line("      assess_many on those histories", med["assess"]))
        rest = whole - med["hist"] - med["assess"]
        print(line(f"      (b) minus those two: open flags, {raised} new + audit", rest))
        print(f"  ratio scan / GROUP BY: {ratio:.2f}x (target <= {TARGET_RATIO:g}x): {verdict}")
        print(f"  every run, ms: GROUP BY {[round(t * 1000) for t in times['plain']]}")
        print(f"                 scan     {[round(t * 1000) for t in times['scan']]}")

        if args.variants:
            _variants(conn, lo, hi, days, args.repeat)

        if args.profile or ratio > TARGET_RATIO:
            print()
            print("cProfile of one scan (by own time, then cumulative):")
            print(profile_scan(url, config, args.top))

        _rescans(url, config, plain_sql, args.repeat, raised)
    dispose_all()
    return 0


def reset_and_load(url: str, args: argparse.Namespace, config: TrendConfig) -> int:
    reset_database(url)
    return load(url, args.ratings, args.agents, config, args.seed)


if __name__ == "__main__":
    sys.exit(main())
