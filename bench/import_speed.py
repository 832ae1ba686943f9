"""How fast `debrief import` loads a big CSV, against PostgreSQL's own `COPY` of the same file.

Run from the repository root::

    python -m bench.import_speed [--rows 1000000] [--agents 5000] [--postgres URL]

A CSV in SPEC §4 format (helpdesk, external_id, agent, agent_email, closed_at, csat, queue,
tags, url, customer_name, customer_email; no transcripts) is written to a temporary directory,
then timed, one after the other in the same run:

(a) `COPY scratch FROM STDIN WITH (FORMAT csv, HEADER true)` of the file, streamed through
    psycopg, into a scratch table with the same columns (typed: timestamptz, float8, varchar);
(a') the same into a table with conversations' keys and indexes (a primary key, the unique
    (helpdesk, external_id), (agent, closed_at) and (closed_at));
(a'') the same again with conversations' foreign key: each row's agent must exist in an agents
    table (filled first, untimed);
(b) `bot.ingest.importer.import_file(session_factory=partial(session_scope, url), path=...)` into a
    freshly migrated PostgreSQL database, exactly what `debrief import` does;
(c) the same into a fresh SQLite file, for reference;
(d) (b) again with the same file: every row already there.

Each prints rows/s; the import's ratios to (a), (a') and (a'') are the figures of merit. When
the import is more than 10x slower than (a) (or with `--profile`), the script then takes the
first `--profile-rows` rows and times the import's stages on them separately (reading and
validating rows, matching agents, the upsert statement) and prints a cProfile of a whole import
of them.

The PostgreSQL database is wiped (default `debrief_bench_import`).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import itertools
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, cast

import numpy as np
import psycopg
from sqlalchemy import Table, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.detect import server_settings
from bench.pg import libpq_url, reset_database
from bot.core.db import dispose_all, session_scope
from bot.core.migrate import upgrade
from bot.ingest.conversations import AgentDirectory, ConversationRow, upsert_conversations
from bot.ingest.importer import BATCH, ImportReport, _csv_header, _parsed_batches, import_file
from models import Conversation, ImportRun
from models.base import utcnow

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/debrief_bench_import"
NOW = datetime(2025, 6, 4, 12, 0, tzinfo=UTC)
SPREAD = timedelta(weeks=26)
TARGET_RATIO = 10.0
COLUMNS = (
    "helpdesk",
    "external_id",
    "agent",
    "agent_email",
    "closed_at",
    "csat",
    "queue",
    "tags",
    "url",
    "customer_name",
    "customer_email",
)
COPY_COLUMNS = (
    "helpdesk",
    "external_id",
    "agent_id",
    "closed_at",
    "csat",
    "queue",
    "tags",
    "url",
    "import_id",
    "source_offset",
    "source_line",
    "has_transcript",
    "updated_at",
)
UPSERT_FROM_SAME_ROWS = f"""
INSERT INTO conversations SELECT * FROM same_rows
ON CONFLICT (helpdesk, external_id) DO UPDATE SET
{", ".join(f"{c} = excluded.{c}" for c in COPY_COLUMNS[2:] if c != "url")},
url = coalesce(excluded.url, conversations.url)
"""
SCRATCH_DDL = """
CREATE TABLE copy_scratch (
    helpdesk varchar(32), external_id varchar(200), agent varchar(200),
    agent_email varchar(320), closed_at timestamptz, csat double precision,
    queue varchar(200), tags varchar(2000), url varchar(2000),
    customer_name varchar(200), customer_email varchar(320)
)
"""
# the same file COPYed into a table with conversations' keys and indexes: a primary key, the
# unique (helpdesk, external_id) every upsert relies on, and the two indexes scans read by
KEYED_DDL = (
    SCRATCH_DDL.replace("copy_scratch (", "copy_keyed (id bigserial PRIMARY KEY, ").replace(
        "\n)", ",\n    UNIQUE (helpdesk, external_id)\n)"
    )
    + """;
CREATE INDEX ON copy_keyed (agent, closed_at);
CREATE INDEX ON copy_keyed (closed_at)
"""
)
# and the same with conversations' foreign key too: each row's agent must exist (conversations
# keep agent_id -> agents ON DELETE CASCADE; every row costs PostgreSQL a lookup and a lock)
KEYED_FK_DDL = """
CREATE TABLE bench_agents (id serial PRIMARY KEY, name varchar(200) UNIQUE NOT NULL);
CREATE TABLE copy_keyed_fk (LIKE copy_keyed INCLUDING ALL);
ALTER TABLE copy_keyed_fk ADD FOREIGN KEY (agent) REFERENCES bench_agents (name)
"""
TARGET_KEYED = 1.5
FIRST = [
    "Sarah",
    "Mohammed",
    "James",
    "Maria",
    "Wei",
    "Olga",
    "Pedro",
    "Aisha",
    "Tom",
    "Lena",
    "Ravi",
    "Chloe",
    "Ivan",
    "Nadia",
    "Sam",
    "Yuki",
    "Omar",
    "Grace",
    "Luis",
    "Emma",
    "Kofi",
    "Anna",
    "Jonas",
    "Priya",
    "Diego",
    "Mei",
    "Paul",
    "Zara",
    "Ben",
    "Ines",
]
LAST = [
    "Connor",
    "Khan",
    "Okafor",
    "Silva",
    "Chen",
    "Novak",
    "Garcia",
    "Haddad",
    "Brown",
    "Weber",
    "Iyer",
    "Martin",
    "Petrov",
    "Ali",
    "Lee",
    "Sato",
    "Farah",
    "Kim",
    "Lopez",
    "Jensen",
    "Mensah",
    "Rossi",
    "Berg",
    "Shah",
    "Torres",
    "Wong",
    "Dubois",
    "Nasser",
    "Cohen",
    "Costa",
]
QUEUES = ("billing", "shipping", "returns", "technical", "account", "")
TAGS = ("refund", "late-delivery", "kb-142", "kb-377", "password", "invoice", "damaged", "vip")


# ------------------------------------------------------------------------------- the CSV file
def write_csv(path: Path, rows: int, n_agents: int, seed: int) -> int:
    """A SPEC §4 CSV with `rows` rated conversations by about `n_agents` agents; its size."""
    rng = np.random.default_rng(seed)
    pairs = [f"{first} {last}" for first in FIRST for last in LAST]
    names = [
        pairs[i % len(pairs)] + ("" if i < len(pairs) else f" {i // len(pairs) + 1}")
        for i in range(n_agents)
    ]
    emails = [
        f"{n.lower().replace(' ', '.')}@acme.example" if rng.random() < 0.9 else "" for n in names
    ]
    volume = rng.lognormal(0.0, 0.6, n_agents)
    agent = rng.choice(n_agents, size=rows, p=volume / volume.sum()).tolist()
    ages = rng.uniform(0.0, SPREAD.total_seconds(), rows).tolist()
    csat = np.clip(np.rint(rng.normal(4.2, 1.0, rows)), 1, 5).astype(int).tolist()
    helpdesk = np.where(rng.random(rows) < 0.7, "zendesk", "intercom").tolist()
    email_given = (rng.random(rows) < 0.95).tolist()
    queue = rng.integers(0, len(QUEUES), rows).tolist()
    n_tags = rng.integers(0, 3, rows).tolist()
    tag_pick = rng.integers(0, len(TAGS), (rows, 2)).tolist()
    end = NOW.timestamp()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(rows):
            a = agent[i]
            closed = datetime.fromtimestamp(end - ages[i], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            ext = str(10_000_000 + i)
            desk = helpdesk[i]
            url = (
                f"https://acme.zendesk.com/agent/tickets/{ext}"
                if desk == "zendesk"
                else f"https://app.intercom.com/a/inbox/acme/inbox/conversation/{ext}"
            )
            tags = ";".join(TAGS[t] for t in tag_pick[i][: n_tags[i]])
            writer.writerow(
                (
                    desk,
                    ext,
                    names[a],
                    emails[a] if email_given[i] else "",
                    closed,
                    csat[i],
                    QUEUES[queue[i]],
                    tags,
                    url,
                    f"Customer {i % 50_000}",
                    f"customer{i % 50_000}@mail.example",
                )
            )
    return path.stat().st_size


def head_of(path: Path, rows: int, target: Path) -> None:
    """The header and the first `rows` rows of a CSV (the generator writes one line a row)."""
    with path.open("rb") as source, target.open("wb") as out:
        for line in itertools.islice(source, rows + 1):
            out.write(line)


# ---------------------------------------------------------------------------------- measuring
def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def copy_file(url: str, path: Path, table: str = "copy_scratch") -> int:
    """PostgreSQL's COPY of the file into a table, committed; rows copied."""
    with psycopg.connect(libpq_url(url)) as conn, conn.cursor() as cur:
        columns = ", ".join(COLUMNS)
        with (
            cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as handle,
        ):
            while block := handle.read(1 << 20):
                copy.write(block)
        return cur.rowcount


def debrief_import(url: str, path: Path) -> ImportReport:
    return import_file(session_factory=partial(session_scope, url), path=path)


def counts(url: str) -> tuple[int, int]:
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM agents)"
        ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def rate(rows: int, seconds: float) -> str:
    return f"{seconds:8.1f} s  {rows / seconds:>10,.0f} rows/s"


def line(label: str, rows: int, seconds: float) -> str:
    return f"{label:<66}{rate(rows, seconds)}"


def core_upsert(session: Session, rows: list[tuple[ConversationRow, int]], import_id: int) -> None:
    """What-if: upsert_conversations' statement and values (import case), executed on the Core
    table `Conversation.__table__` instead of the ORM entity, so SQLAlchemy sends one
    executemany instead of taking its ORM bulk-insert path."""
    now = utcnow()
    values = [
        {
            "helpdesk": r.helpdesk,
            "external_id": r.external_id,
            "agent_id": agent_id,
            "closed_at": r.closed_at,
            "csat": r.csat,
            "queue": r.queue,
            "tags": r.tags,
            "url": r.url,
            "import_id": import_id,
            "source_offset": r.source_offset,
            "source_line": r.source_line,
            "has_transcript": r.has_transcript,
            "updated_at": now,
        }
        for r, agent_id in rows
    ]
    table = cast(Table, Conversation.__table__)
    statement = pg_insert(table)
    excluded = statement.excluded
    updated = [c for c in COPY_COLUMNS if c not in ("helpdesk", "external_id")]
    set_: dict[str, Any] = {c: excluded[c] for c in updated}
    set_["url"] = func.coalesce(excluded.url, table.c.url)
    session.execute(
        statement.on_conflict_do_update(index_elements=["helpdesk", "external_id"], set_=set_),
        values,
    )


def parse_rows(path: Path, now: datetime) -> list[ConversationRow]:
    """What the import reads and checks, batch by batch (bad rows dropped)."""
    with path.open("rb") as handle:
        header = _csv_header(handle)
    report = ImportReport(import_id=0)
    with path.open("rb") as handle:
        return [r for rows in _parsed_batches(handle, "csv", header, now, report) for r in rows]


def match_and_upsert(
    url: str, path: Path, batches: list[list[ConversationRow]]
) -> dict[str, float]:
    """Seconds spent matching agents and upserting, by stage: Debrief's own upsert on a fresh
    database, then the Core what-if on another."""
    spent: dict[str, float] = {}

    def upserts(key: str, upsert: Callable[..., object], import_id: int) -> None:
        for pairs in matched:
            with session_scope(url) as session:
                start = time.perf_counter()
                upsert(session=session, rows=pairs, import_id=import_id)
                session.flush()
                spent[key] = spent.get(key, 0.0) + time.perf_counter() - start

    for what_if in (False, True):
        reset_database(url)
        with session_scope(url) as session:
            run = ImportRun(path=str(path), size=0, fingerprint="bench")
            session.add(run)
            session.flush()
            import_id = run.id
        matched: list[list[tuple[ConversationRow, int]]] = []
        for batch in batches:  # agents are created as they first appear
            with session_scope(url) as session:
                start = time.perf_counter()
                directory = AgentDirectory(session=session, actor="bench")
                people = [(r.agent_name, r.agent_email) for r in batch]
                ids = directory.agent_ids(people, session=session)  # as the import: in bulk
                matched.append(
                    [(r, i) for r, i in zip(batch, ids, strict=True) if isinstance(i, int)]
                )
                spent["match_new"] = spent.get("match_new", 0.0) + time.perf_counter() - start
        if not what_if:
            for batch in batches:  # all agents known: matching alone, a long import's steady state
                with session_scope(url) as session:
                    start = time.perf_counter()
                    directory = AgentDirectory(session=session, actor="bench")
                    for r in batch:
                        directory.agent_id(r.agent_name, r.agent_email, session=session)
                    spent["match_known"] = (
                        spent.get("match_known", 0.0) + time.perf_counter() - start
                    )
            upserts("insert", upsert_conversations, import_id)
            upserts("update", upsert_conversations, import_id)
        else:
            upserts("core_insert", core_upsert, import_id)
            upserts("core_update", core_upsert, import_id)
    spent["match_new"] /= 2
    return spent


def floors(url: str, path: Path) -> tuple[float, float, float]:
    """The same rows inserted and upserted by PostgreSQL alone, and the file's COPY: seconds."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE same_rows AS SELECT * FROM conversations")
        conn.execute("TRUNCATE conversations CASCADE")
        floor_insert_s, _ = timed(
            lambda: conn.execute("INSERT INTO conversations SELECT * FROM same_rows")
        )
        floor_update_s, _ = timed(lambda: conn.execute(UPSERT_FROM_SAME_ROWS))
        conn.execute(SCRATCH_DDL)
    copy_s, _ = timed(lambda: copy_file(url, path))
    return floor_insert_s, floor_update_s, copy_s


def profiled_import(url: str, path: Path) -> tuple[float, cProfile.Profile]:
    """A whole import of `path` into an emptied database under cProfile: seconds, profile."""
    reset_database(url)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    debrief_import(url, path)
    profiler.disable()
    profiled_s = time.perf_counter() - start
    return profiled_s, profiler


def stages(url: str, path: Path, rows: int, top: int) -> None:
    """Time the import's stages separately on `path`, then profile a whole import of it."""
    now = utcnow()
    parse_s, parsed = timed(lambda: parse_rows(path, now))
    batches = [parsed[i : i + BATCH] for i in range(0, len(parsed), BATCH)]
    spent = match_and_upsert(url, path, batches)
    floor_insert_s, floor_update_s, copy_s = floors(url, path)
    profiled_s, profiler = profiled_import(url, path)

    print(f"stages on the first {rows:,} rows ({len(batches)} batches of {BATCH}):")
    print(line("  COPY of this file into the scratch table (reference)", rows, copy_s))
    print(line("  read + validate (batches as the import does), no database", rows, parse_s))
    print(line("  match agents (AgentDirectory), creating them", rows, spent["match_new"]))
    print(line("  match agents (AgentDirectory), all already known", rows, spent["match_known"]))
    print(line("  upsert_conversations + flush, new rows", rows, spent["insert"]))
    print(line("  upsert_conversations + flush, same rows again", rows, spent["update"]))
    print(line("  what-if: same upsert on the Core table, new rows", rows, spent["core_insert"]))
    print(
        line(
            "  what-if: same upsert on the Core table, same rows again", rows, spent["core_update"]
        )
    )
    print(line("  floor: INSERT ... SELECT of the rows into conversations", rows, floor_insert_s))
    print(
        line("  floor: the same with ON CONFLICT DO UPDATE, all conflicting", rows, floor_update_s)
    )
    print(line("  whole import under cProfile (slower than unprofiled)", rows, profiled_s))
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    print(out.getvalue())


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the CSV")
    parser.add_argument("--agents", type=int, default=5000, help="distinct agents in the CSV")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="database to wipe and use")
    parser.add_argument("--no-sqlite", action="store_true", help="skip (c)")
    parser.add_argument("--no-reimport", action="store_true", help="skip (d)")
    parser.add_argument("--profile", action="store_true", help="stages and cProfile, always")
    parser.add_argument("--no-profile", action="store_true", help="stages and cProfile, never")
    parser.add_argument("--profile-rows", type=int, default=50_000, help="rows for the stages")
    parser.add_argument("--top", type=int, default=25, help="functions shown by the profile")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.agents < 1 or args.profile_rows < 1:
        parser.error("--rows, --agents and --profile-rows must be positive")
    return args


def print_ratios(
    rows: int, pg_s: float, copy_s: float, keyed_s: float, fk_s: float, again_s: float | None
) -> None:
    """The import against each COPY, and the re-import (`again_s`, None when skipped)."""
    ratio = pg_s / copy_s
    keyed = pg_s / keyed_s
    print()
    print(
        f"import / COPY into the scratch table: {ratio:.1f}x (target {TARGET_RATIO:g}x: "
        f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})"
    )
    print(
        f"import / COPY into the keyed table: {keyed:.2f}x (target {TARGET_KEYED:g}x: "
        f"{'met' if keyed <= TARGET_KEYED else 'NOT met'})"
    )
    print(
        f"import / COPY into the keyed table with the foreign key: {pg_s / fk_s:.2f}x "
        f"(target {TARGET_KEYED:g}x: {'met' if pg_s / fk_s <= TARGET_KEYED else 'NOT met'})"
    )
    if again_s is not None:
        print(f"re-import / first import: {again_s / pg_s:.2f}x")
        print(
            f"re-import / COPY into the scratch table: {again_s / copy_s:.1f}x; "
            f"/ the keyed table: {again_s / keyed_s:.2f}x; / with the foreign key: "
            f"{again_s / fk_s:.2f}x"
        )
    print(f"1M rows would take ~{pg_s / rows * 1e6:.0f} s on PostgreSQL (linear extrapolation)")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    url = args.postgres
    rows = args.rows

    with tempfile.TemporaryDirectory(prefix="debrief-import-bench-") as tmp:
        path = Path(tmp) / "conversations.csv"
        gen_s, size = timed(lambda: write_csv(path, rows, args.agents, args.seed))
        reset_database(url)
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            conn.execute(SCRATCH_DDL)
            conn.execute(KEYED_DDL)
            conn.execute(KEYED_FK_DDL)
        print(f"PostgreSQL {server_settings(url)}: {make_url(url).render_as_string()}")
        print(
            f"file: {rows:,} rows, {args.agents:,} agents, {size / 1e6:.1f} MB CSV, "
            f"columns {', '.join(COLUMNS)}; written in {gen_s:.1f} s"
        )
        print()

        copy_s, copied = timed(lambda: copy_file(url, path))
        print(line("(a) PostgreSQL COPY into a scratch table", copied, copy_s))
        keyed_s, _ = timed(lambda: copy_file(url, path, "copy_keyed"))
        print(line("(a') COPY into a table with conversations' keys and indexes", copied, keyed_s))
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:  # the agents, untimed
            conn.execute("INSERT INTO bench_agents (name) SELECT DISTINCT agent FROM copy_scratch")
        fk_s, _ = timed(lambda: copy_file(url, path, "copy_keyed_fk"))
        print(line("(a'') the same with the foreign key to the agents", copied, fk_s))

        pg_s, report = timed(lambda: debrief_import(url, path))
        loaded, agents = counts(url)
        print(line("(b) debrief import, PostgreSQL", rows, pg_s))
        print(
            f"      {report.loaded:,} loaded, {len(report.bad)} bad; "
            f"{loaded:,} conversations and {agents:,} agents in the database"
        )

        if not args.no_sqlite:
            sqlite_url = f"sqlite:///{Path(tmp) / 'debrief.db'}"
            upgrade(sqlite_url)
            lite_s, lite = timed(lambda: debrief_import(sqlite_url, path))
            print(line("(c) debrief import, SQLite (file, WAL)", rows, lite_s))
            print(f"      {lite.loaded:,} loaded, {len(lite.bad)} bad")

        if not args.no_reimport:
            again_s, again = timed(lambda: debrief_import(url, path))
            loaded_again, _ = counts(url)
            print(line("(d) debrief import again, PostgreSQL, same file", rows, again_s))
            print(
                f"      {again.loaded:,} loaded, {len(again.bad)} bad; still "
                f"{loaded_again:,} conversations (idempotent: {loaded_again == loaded})"
            )

        ratio = pg_s / copy_s
        print_ratios(rows, pg_s, copy_s, keyed_s, fk_s, None if args.no_reimport else again_s)

        if args.profile or (ratio > TARGET_RATIO and not args.no_profile):
            head = Path(tmp) / "head.csv"
            n = min(args.profile_rows, rows)
            head_of(path, n, head)
            print()
            stages(url, head, n, args.top)
    dispose_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
