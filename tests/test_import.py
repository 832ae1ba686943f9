"""`debrief import`: CSV and JSONL, idempotent, bad rows reported by line, transcripts not stored."""

from __future__ import annotations

import csv
import json
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.db import session_scope
from bot.errors import InvalidInput
from bot.importer import import_file, read_record_at
from models import Agent, Conversation
from tests import factories as f

HEADER = ["helpdesk", "external_id", "agent", "agent_email", "closed_at", "csat", "queue", "tags",
          "transcript", "customer_name", "customer_email", "url"]  # fmt: skip


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in HEADER})
    return path


def row(external_id: str, **extra: str) -> dict[str, str]:
    return {
        "helpdesk": "zendesk",
        "external_id": external_id,
        "agent": "Sarah Connor",
        "closed_at": "2026-11-02T10:00:00Z",
        "csat": "4",
        **extra,
    }


def load(db: str, path: Path):
    return import_file(session_factory=partial(session_scope, db), path=path)


def count(db: str, model) -> int:
    with session_scope(db) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_csv_loads_and_is_idempotent(db, tmp_path):
    path = write_csv(tmp_path / "a.csv", [row("1"), row("2", csat="good"), row("3", csat="bad")])
    report = load(db, path)
    assert report.loaded == 3 and report.bad == []
    load(db, path)
    assert count(db, Conversation) == 3
    with session_scope(db) as s:
        csats = sorted(s.scalars(select(Conversation.csat)))
    assert csats == [1.0, 4.0, 5.0]


def test_bad_rows_are_reported_with_line_numbers_and_skipped(db, tmp_path):
    rows = [
        row("1"),
        row("2", csat="7"),
        row("3", closed_at="yesterday"),
        row("4", helpdesk="hubspot"),
        row("5", agent=""),
        row("6", agent_email="not-an-email"),
        row("7", closed_at="2999-01-01T00:00:00Z"),
        row("8", url="ftp://x"),
        row("9"),
    ]
    report = load(db, write_csv(tmp_path / "b.csv", rows))
    assert report.loaded == 2
    lines = {line: reason for line, reason in report.bad}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 9]
    assert "outside 1–5" in lines[3] and "ISO 8601" in lines[4] and "hubspot" in lines[5]
    assert "in the future" in lines[8]


def test_multiline_transcripts_keep_line_numbers_and_can_be_read_again(db, tmp_path):
    transcript = "Customer: my card 4111 1111 1111 1111 was charged twice\nAgent: sorry!"
    path = write_csv(tmp_path / "c.csv", [row("1", transcript=transcript), row("2", csat="x")])
    report = load(db, path)
    assert report.bad == [(4, "csat 'x' is not a number from 1 to 5, good or bad")]
    with session_scope(db) as s:
        conv = s.scalars(select(Conversation)).one()
        assert conv.has_transcript and conv.source_line == 2
        again = read_record_at(path, conv.source_offset or 0)
    assert again is not None and again["transcript"] == transcript and again["external_id"] == "1"


def test_jsonl_with_numbers_and_tag_lists(db, tmp_path):
    path = tmp_path / "d.jsonl"
    records = [
        {"helpdesk": "intercom", "external_id": 77, "agent": "Omar", "closed_at": "2026-11-02",
         "csat": 2, "tags": ["billing", "refund"], "transcript": "Customer: hi"},
        "not an object",
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n{broken\n")
    report = load(db, path)
    assert report.loaded == 1
    assert [line for line, _ in report.bad] == [2, 3]
    with session_scope(db) as s:
        conv = s.scalars(select(Conversation)).one()
        assert (conv.external_id, conv.tags, conv.csat) == ("77", "billing;refund", 2.0)
    assert read_record_at(path, 0) == records[0]


def test_agents_match_by_email_then_name_and_new_names_are_created(db, tmp_path, session):
    f.agent(session, "Sarah Connor", email="sarah@example.com")
    session.commit()
    rows = [
        row("1", agent="S. Connor", agent_email="SARAH@example.com"),
        row("2", agent="sarah connor"),
        row("3", agent="Brand New"),
    ]
    load(db, write_csv(tmp_path / "e.csv", rows))
    with session_scope(db) as s:
        names = dict(s.execute(select(Conversation.external_id, Agent.name).join(Agent)).all())
    assert names == {"1": "Sarah Connor", "2": "Sarah Connor", "3": "Brand New"}


def test_a_file_without_the_required_columns_changes_nothing(db, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("helpdesk,external_id\nzendesk,1\n")
    with pytest.raises(InvalidInput, match="lacks agent, closed_at, csat"):
        load(db, path)
    assert count(db, Conversation) == 0


def test_transcripts_and_customer_details_are_not_stored(db, tmp_path):
    path = write_csv(
        tmp_path / "g.csv",
        [row("1", transcript="Customer: I am Jane Roe, jane.roe@example.com",
             customer_name="Jane Roe", customer_email="jane.roe@example.com")],
    )  # fmt: skip
    load(db, path)
    with session_scope(db) as s:
        dump = json.dumps([list(r) for r in s.execute(select(Conversation)).all()], default=str)
    assert "Jane" not in dump and "jane.roe" not in dump


def test_cli_import_reports_bad_rows_on_stderr(db, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.chdir(tmp_path)
    path = write_csv(tmp_path / "h.csv", [row("1"), row("2", csat="0")])
    result = CliRunner().invoke(main, ["import", str(path)])
    assert result.exit_code == 0
    assert "loaded 1 conversations, skipped 1 bad rows" in result.stdout
    assert "line 3: csat 0 is outside 1–5" in result.stderr
    missing = CliRunner().invoke(main, ["import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "not a readable file" in missing.stderr
