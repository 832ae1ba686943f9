"""`debrief import`: CSV and JSONL, idempotent, bad rows reported by line, transcripts not stored."""

from __future__ import annotations

import csv
import json
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import DataError

from bot.cli import main
from bot.core.db import session_scope
from bot.core.errors import InvalidInput
from bot.ingest.importer import import_file, read_record_at
from models import Agent, Conversation, ImportRun
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
        row("4", helpdesk="kustomer"),
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
    assert "outside 1–5" in lines[3] and "ISO 8601" in lines[4] and "kustomer" in lines[5]
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


# -- hostile files: every bad row reported and skipped, every good row loaded ----------------


def test_a_csv_mixing_every_kind_of_bad_row_loads_exactly_the_good_ones(db, tmp_path):
    rows = [
        row("1"),
        row("2", agent="Sarah\x00Connor"),
        row("3"),
        row("4", queue="Billing"),  # its bytes are broken below: not UTF-8
        row("9" * 201),
        row("6", closed_at="2026-13-45"),
        row("7", csat="NaN"),
        row("8", closed_at="1899-12-31"),
        row("12\x0734"),
        row("10", agent="\u200b\u200d"),
        row("11", transcript="Customer: hi\x00 there"),
        row("12", transcript="Customer: page one\x0cpage two"),  # a form feed: fine here
        row("13", tags="ok;" + "t" * 2000),
        row("14", agent="Omar"),
    ]
    path = write_csv(tmp_path / "mixed.csv", rows)
    path.write_bytes(path.read_bytes().replace(b"Billing", b"Bill\xff\xfeing"))
    report = load(db, path)
    reasons = dict(report.bad)
    assert sorted(reasons) == [3, 5, 6, 7, 8, 9, 10, 11, 12, 14]  # line = row + 1 (the header)
    assert reasons[3] == "agent holds a control character (U+0000) at position 6"
    assert "queue holds" in reasons[5] and "not valid Unicode" in reasons[5]
    assert reasons[6] == "external_id is longer than 200 characters (201)"
    assert ("ISO 8601" in reasons[7] and "outside 1–5" in reasons[8]) or "not a number" in reasons[
        8
    ]
    assert "is before 1990" in reasons[9]
    assert "external_id holds a control character (U+0007)" in reasons[10]
    assert reasons[11] == "agent has nothing visible in it"
    assert reasons[12] == "transcript holds a control character (U+0000) at position 13"
    assert "tags are longer than 2000 characters" in reasons[14]
    assert report.loaded == 4 == count(db, Conversation)
    with session_scope(db) as s:
        loaded = sorted(s.scalars(select(Conversation.external_id)))
    assert loaded == ["1", "12", "14", "3"]


def test_a_jsonl_mixing_bad_types_escapes_and_bytes_loads_exactly_the_good_ones(db, tmp_path):
    good = {"helpdesk": "zendesk", "agent": "Omar", "closed_at": "2026-11-02", "csat": 4}
    lines = [
        json.dumps({**good, "external_id": "1"}),
        '{"helpdesk": "zendesk", "external_id": "2", "agent": "Sam\\ud800", "closed_at": "2026-11-02", "csat": 4}',
        json.dumps({**good, "external_id": "3", "agent": {"name": "Object Agent"}}),
        json.dumps({**good, "external_id": "4", "queue": {"a": 1}}),
        json.dumps({**good, "external_id": "5", "tags": ["ok", 7]}),
        json.dumps({**good, "external_id": 6}),  # a number id: fine
        json.dumps({**good, "external_id": "7", "csat": True}),
        json.dumps({**good, "external_id": "8", "agent": True}),
        json.dumps({**good, "external_id": "9", "colour": "blue"}),
        "[" * 100_000 + "]" * 100_000,
        '{"external_id": "11", ',
        json.dumps([good]),
        '{"helpdesk": "zendesk", "external_id": "13", "agent": "Om\udcff\udcfear", "closed_at": "2026-11-02", "csat": 4}',  # bytes ff fe: not UTF-8
        json.dumps({**good, "external_id": "14", "transcript": ["Customer: hi"]}),
        json.dumps({**good, "external_id": "15"}),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(line.encode("utf-8", errors="surrogateescape") for line in lines))
    report = load(db, path)
    reasons = dict(report.bad)
    assert sorted(reasons) == [2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14]
    assert "agent holds" in reasons[2] and "not valid Unicode" in reasons[2]
    assert reasons[3] == "agent must be text, not an object"
    assert reasons[4] == "queue must be text, not an object"
    assert reasons[5] == "tags must be text or a list of text, not a number"
    assert "csat True" in reasons[7] or "csat" in reasons[7]
    assert reasons[8] == "agent must be text, not true/false"
    assert reasons[9].startswith("unknown field 'colour'")
    assert "nested too deep" in reasons[10] and "not valid JSON" in reasons[11]
    assert reasons[12] == "not a JSON object" and "not valid Unicode" in reasons[13]
    assert reasons[14] == "transcript must be text, not a list"
    assert report.loaded == 3
    with session_scope(db) as s:
        assert sorted(s.scalars(select(Conversation.external_id))) == ["1", "15", "6"]
        assert s.scalar(select(func.count()).select_from(Agent)) == 1  # no 'True', no '{...}'


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("helpdesk,external_id,agent,closed_at,csat,csat", "has the column 'csat' twice"),
        ("helpdesk,external_id,agent,closed_at,csat,colour", "unknown column 'colour'"),
        ("helpdesk,external_id,agent,closed_at", "lacks csat"),
    ],
)
def test_a_bad_header_is_refused_up_front_in_one_line_and_imports_nothing(db, tmp_path, monkeypatch,
                                                                          header, reason):  # fmt: skip
    path = tmp_path / "h.csv"
    path.write_text(f"{header}\nzendesk,1,Omar,2026-11-02,4,4\n")
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["import", str(path)])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert reason in line
    assert count(db, Conversation) == 0 and count(db, ImportRun) == 0


def test_a_row_the_database_refuses_loses_only_that_row(db, tmp_path, monkeypatch):
    import bot.ingest.importer as importer

    real = importer.upsert_conversations

    def refusing(*, session, rows, import_id, **hints):
        if any(r.external_id == "boom" for r, _ in rows):
            raise DataError("INSERT", {}, Exception("value too long for type character varying"))
        return real(session=session, rows=rows, import_id=import_id, **hints)

    monkeypatch.setattr(importer, "upsert_conversations", refusing)
    rows = [row("1", agent="New Agent"), row("boom", agent="Other New"), row("3")]
    report = load(db, write_csv(tmp_path / "i.csv", rows))
    assert report.loaded == 2
    assert report.bad == [
        (3, "the database refused it (value too long for type character varying)")
    ]
    with session_scope(db) as s:
        assert sorted(s.scalars(select(Conversation.external_id))) == ["1", "3"]
        assert sorted(s.scalars(select(Agent.name))) == ["New Agent", "Sarah Connor"]
