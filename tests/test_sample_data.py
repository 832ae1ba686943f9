"""The bundled demo data set (data/sample/): format, trends, transcripts, determinism."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from data.build_sample import (
    DECLINING_AGENTS,
    SAMPLE_DIR,
    SOURCE_CSV,
    SURNAMES,
    TRANSCRIPTS_JSONL,
    build,
    default_end,
    read_calls,
    transcript_candidates,
)
from data.build_sample import prepare as prepare_calls

END = date(2025, 6, 1)  # a Sunday
SPEC_COLUMNS = [
    "helpdesk",
    "external_id",
    "agent",
    "agent_email",
    "closed_at",
    "csat",
    "queue",
    "tags",
    "transcript",
    "customer_name",
    "customer_email",
    "url",
]
TREND_WEEKS = 6
SOURCE_SHA256 = "c48f509fa8c0485d360896c92d0f329bb40e4f0278af3793b3ac089a2a8b69d6"
TICKETS_CSV = SAMPLE_DIR.parents[2] / "shared" / "data" / "customer_support_tickets.csv"
CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
PHONE = re.compile(r"555[-. ]01\d\d")

Rows = list[dict[str, str]]


def read_rows(path: Path) -> Rows:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def closed(row: dict[str, str]) -> datetime:
    return datetime.fromisoformat(row["closed_at"])


def kendall_tau(values: list[float]) -> float:
    """Kendall's tau-b of (index, value)."""
    conc = disc = ties = 0
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            d = values[j] - values[i]
            conc += d > 0
            disc += d < 0
            ties += d == 0
    pairs = len(values) * (len(values) - 1) // 2
    return (conc - disc) / (pairs * (pairs - ties)) ** 0.5


def weekly_means(rows: Rows) -> dict[str, list[tuple[date, float]]]:
    """Per agent: (Monday, mean CSAT) for every calendar week of the data, in order."""
    table: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        day = closed(row).date()
        table[row["agent"]][day - timedelta(days=day.weekday())].append(int(row["csat"]))
    return {
        agent: [(w, statistics.fmean(v)) for w, v in sorted(weeks.items())]
        for agent, weeks in table.items()
    }


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        x = int(ch) * (2 if i % 2 else 1)
        total += x - 9 if x > 9 else x
    return total % 10 == 0


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(end=END, out_dir=tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def rows(built: Path) -> Rows:
    return read_rows(built)


def test_header_is_spec_import_format(built: Path) -> None:
    with built.open(newline="", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == SPEC_COLUMNS


def test_one_row_per_rated_call(rows: Rows) -> None:
    with SOURCE_CSV.open(newline="", encoding="utf-8") as fh:
        rated = [r for r in csv.DictReader(fh) if r["Satisfaction rating"].strip()]
    assert len(rows) == len(rated) == 4054
    ids = [r["external_id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert {r["external_id"] for r in rows} == {
        str(10_000 + int(r["Call Id"].removeprefix("ID"))) for r in rated
    }


def test_every_row_is_valid(rows: Rows) -> None:
    agents = {f"{first} {last}" for first, last in SURNAMES.items()}
    for row in rows:
        assert row["helpdesk"] == "zendesk"
        assert row["agent"] in agents
        first, last = row["agent"].lower().split()
        assert row["agent_email"] == f"{first}.{last}@example.com"
        assert row["csat"] in {"1", "2", "3", "4", "5"}
        when = closed(row)
        assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
        assert row["closed_at"].endswith("Z")
        assert row["queue"]
        topic, resolved = row["tags"].split(";")
        assert topic.startswith("topic:") and resolved in {"resolved:yes", "resolved:no"}
        assert row["url"] == ""


def test_dates_shift_by_whole_weeks_to_end_last_week(rows: Rows) -> None:
    source = {c.external_id: c.day for c in read_calls()}
    shifts = {closed(r).date() - source[r["external_id"]] for r in rows}
    assert len(shifts) == 1
    (shift,) = shifts
    assert shift.days % 7 == 0
    last = max(closed(r).date() for r in rows)
    assert END - timedelta(days=6) <= last <= END


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 11, 21), date(2025, 11, 16)),  # Friday
        (date(2025, 11, 23), date(2025, 11, 16)),  # Sunday: the one before
        (date(2025, 11, 24), date(2025, 11, 23)),  # Monday
    ],
)
def test_default_end_is_the_sunday_before_today(today: date, expected: date) -> None:
    assert default_end(today) == expected


def test_declining_agents_slide_and_others_do_not(rows: Rows) -> None:
    means = weekly_means(rows)
    declining = {f"{a} {SURNAMES[a]}" for a in DECLINING_AGENTS}
    assert len(declining) == 2 and len(means) == 8
    for agent, weeks in means.items():
        tail = [m for _, m in weeks[-TREND_WEEKS:]]
        tau = kendall_tau(tail)
        if agent in declining:
            assert tau < -0.6, (agent, tail)
            earlier = statistics.fmean(m for _, m in weeks[:-7])
            assert tail[-1] <= earlier - 1.0, (agent, earlier, tail)
        else:
            assert tau >= -0.6, (agent, tail)


def test_only_the_declining_agents_ratings_change(rows: Rows) -> None:
    original = {c.external_id: (c.agent, c.original_csat) for c in read_calls()}
    changed = {
        original[r["external_id"]][0]
        for r in rows
        if int(r["csat"]) != original[r["external_id"]][1]
    }
    assert changed == set(DECLINING_AGENTS)
    for r in rows:  # ratings only go down
        assert int(r["csat"]) <= original[r["external_id"]][1]


def test_transcripts_are_planted_on_the_worst_recent_conversations(rows: Rows) -> None:
    with_text = [r for r in rows if r["transcript"]]
    assert 35 <= len(with_text) <= 45
    expected = {c.external_id for c in transcript_candidates(prepare_calls())}
    assert {r["external_id"] for r in with_text} == expected
    declining = {f"{a} {SURNAMES[a]}" for a in DECLINING_AGENTS}
    assert sum(r["agent"] in declining for r in with_text) >= 2 * len(with_text) // 3
    for r in with_text:
        text = r["transcript"]
        assert int(r["csat"]) <= 2
        assert r["customer_name"] and r["customer_name"] in text
        assert r["customer_email"] and r["customer_email"] in text
        lines = text.split("\n")
        assert 4 <= len(lines) <= 10
        assert all(line.startswith(("Customer: ", "Agent: ")) for line in lines)
        cards = [re.sub(r"\D", "", m) for m in CARD.findall(text)]
        assert cards and all(luhn(c) for c in cards), (r["external_id"], cards)
        assert PHONE.search(text), r["external_id"]
    for r in rows:
        if not r["transcript"]:
            assert r["customer_name"] == r["customer_email"] == ""


def test_transcripts_cite_their_ticket_rows() -> None:
    if not TICKETS_CSV.exists():
        pytest.skip(f"{TICKETS_CSV} is not beside the project")
    tickets = read_rows(TICKETS_CSV)
    with TRANSCRIPTS_JSONL.open(encoding="utf-8") as fh:
        entries = [json.loads(line) for line in fh if line.strip()]
    rows_used = [e["ticket_source_row"] for e in entries]
    assert len(set(rows_used)) == len(rows_used)
    for e in entries:
        ticket = tickets[e["ticket_source_row"] - 1]
        assert ticket["Ticket ID"] == str(e["ticket_source_row"])
        assert (ticket["Customer Name"], ticket["Customer Email"]) == (
            e["customer_name"],
            e["customer_email"],
        )
        assert ticket["Product Purchased"] in e["transcript"]


def test_build_is_deterministic(tmp_path: Path, built: Path) -> None:
    again = build(end=END, out_dir=tmp_path / "again")
    assert again.read_bytes() == built.read_bytes()


def test_another_end_changes_only_the_dates(tmp_path: Path, rows: Rows) -> None:
    later = read_rows(build(end=END + timedelta(weeks=3), out_dir=tmp_path))
    assert len(later) == len(rows)
    for a, b in zip(rows, later, strict=True):
        assert closed(b) - closed(a) == timedelta(weeks=3)
        assert {k: v for k, v in a.items() if k != "closed_at"} == {
            k: v for k, v in b.items() if k != "closed_at"
        }


def test_end_that_is_not_a_sunday_means_the_sunday_before(tmp_path: Path, built: Path) -> None:
    wednesday = END + timedelta(days=3)
    assert build(end=wednesday, out_dir=tmp_path).read_bytes() == built.read_bytes()


def test_source_is_the_untouched_call_centre_file() -> None:
    assert hashlib.sha256(SOURCE_CSV.read_bytes()).hexdigest() == SOURCE_SHA256


def test_bundled_sample_matches_a_rebuild(tmp_path: Path) -> None:
    bundled = SAMPLE_DIR / "conversations.csv"
    last = max(closed(r).date() for r in read_rows(bundled))
    end = last + timedelta(days=6 - last.weekday())
    assert build(end=end, out_dir=tmp_path).read_bytes() == bundled.read_bytes()
