"""The fast CSV path: batches read with exact lines and byte offsets, clean batches checked column
by column exactly as row by row, and PostgreSQL's COPY straight in or merged."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from unittest.mock import patch

import pytest
from sqlalchemy import select

import bot.ingest.batches as batches
from bot.core.db import session_scope
from bot.ingest import importer
from bot.ingest.batches import checked_batch
from bot.ingest.importer import (
    ImportReport,
    _csv_header,
    _parsed_batches,
    import_file,
    parse_row,
    read_record_at,
    read_records,
)
from models import Agent, AuditEntry, Conversation

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HEADER = ["helpdesk", "external_id", "agent", "agent_email", "closed_at", "csat", "queue", "tags",
          "transcript", "customer_name", "customer_email", "url"]  # fmt: skip
CLEAN = [
    ["zendesk", "1", "Sarah Connor", "Sarah@Acme.example", "2026-11-02T10:00:00Z", "4", "Billing",
     "refund; vip", "Customer: hi\nAgent: hello", "Ann", "ann@mail.example",
     "https://acme.zendesk.com/agent/tickets/1"],
    ["Intercom ", " 2 ", " Émile Zola ", "", "2026-11-03", "good", "", "", "", "", "", ""],
    ["freshdesk", "3", "Łukasz", "l@acme.example", "2026-11-03T10:00:00+02:00", " 2.5 ", " Tier 2 ",
     "a;;b;", "a\ttab and\x0cform feed", "", "", "http://x.example/3"],
    ["zendesk", "4", "İpek Strauß 李", "", "2026-11-04T23:59:59.123456", "bad", "", "", " ", "", "",
     ""],
]  # fmt: skip


def csv_bytes(rows: list[list[str]], *, header: list[str] = HEADER, ending: str = "\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=ending)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def row_by_row(path: Path) -> tuple[list, list]:
    """What parse_row makes of each record, and the bad ones: the reference."""
    good, bad = [], []
    with path.open("rb") as handle:
        for item in read_records(handle, "csv"):
            if isinstance(item, tuple):
                bad.append(item)
                continue
            try:
                good.append(parse_row(item, NOW))
            except ValueError as exc:
                bad.append((item.line, str(exc)))
    return good, bad


def fast(path: Path, size: int = 3) -> tuple[list, list, int]:
    """What the import's batch path makes of the file, the bad ones, and how many batches fell
    back to row by row."""
    fallbacks = 0

    def counted(*args, **kwargs):
        nonlocal fallbacks
        rows = checked_batch(*args, **kwargs)
        fallbacks += rows is None
        return rows

    report = ImportReport(import_id=0)
    with path.open("rb") as handle:
        header = _csv_header(handle)
    with (
        patch.object(importer, "BATCH", size),
        patch.object(importer, "checked_batch", counted),
        path.open("rb") as handle,
    ):
        good = [r for rows in _parsed_batches(handle, "csv", header, NOW, report) for r in rows]
    return good, sorted(report.bad), fallbacks


@pytest.mark.parametrize("chunk", [7, 64, 1 << 22])
@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_a_clean_file_comes_out_exactly_as_row_by_row(tmp_path, monkeypatch, chunk, ending):
    monkeypatch.setattr(batches, "CHUNK", chunk)  # lines and quoted line breaks across chunks
    path = tmp_path / "clean.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_bytes(CLEAN * 3, ending=ending))
    reference, bad = row_by_row(path)
    got, got_bad, fallbacks = fast(path)
    assert bad == [] and got_bad == [] and fallbacks == 0
    assert got == reference
    lines = [r.source_line for r in got]
    assert lines[:3] == [2, 4, 5] and lines == sorted(set(lines))  # a transcript spans 2 lines
    for r in got:  # every offset finds its record again
        again = read_record_at(path, r.source_offset)
        assert again is not None and again["external_id"].strip() == r.external_id


@pytest.mark.parametrize(
    "bad_row",
    [
        ["zendesk", "9", "Sarah\x00Connor", "", "2026-11-02", "4", "", "", "", "", "", ""],
        ["zendesk", "9", "Sarah", "not-an-email", "2026-11-02", "4", "", "", "", "", "", ""],
        ["zendesk", "9", "\u200b\u200d", "", "2026-11-02", "4", "", "", "", "", "", ""],
        ["zendesk", "9", "Sarah", "", "0001-01-01T00:00:00+01:00", "4", "", "", "", "", "", ""],
        ["zendesk", "9", "Sarah", "", "9999-12-31T23:30:00-01:00", "4", "", "", "", "", "", ""],
        ["zendesk", "9", "Sarah", "", "2026-11-02", "NaN", "", "", "", "", "", ""],
        ["zendesk", "9", "Sarah", "", "2026-11-02", "4", "", "", "a\x00b", "", "", ""],
        ["zendesk", "9", "Sarah", "", "2026-11-02", "4", "", "", "\x85", "", "", ""],
        ["zendesk", "9", "Sarah", "", "2026-11-02", "4", "", "", "", "", "", "ftp://x"],
        ["nowhere", "9", "Sarah", "", "2026-11-02", "4", "", "", "", "", "", ""],
        ["zendesk", " ", "Sarah", "", "2026-11-02", "4", "", "", "", "", "", ""],
        ["zendesk", "9", "Sarah", "", "2026-11-02", "4", "q" * 201, "", "", "", "", ""],
        ["zendesk", "9", "Sarah", "", "2026-11-02", "4", "", "t\x01", "", "", "", ""],
        ["zendesk", "9", "Sarah", "", "2027-01-02", "4", "", "", "", "", "", ""],
        ["zendesk", "9", "Sarah", "", "2026-11-02", "", "", "", "", "", "", ""],
        ["zendesk", "9", "Sarah"],
    ],
)
def test_a_batch_with_a_bad_row_is_read_row_by_row_and_says_why(tmp_path, bad_row):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([*CLEAN[:2], bad_row, *CLEAN[2:]]))
    reference, bad = row_by_row(path)
    got, got_bad, _ = fast(path, size=2)
    assert len(bad) == 1 and "Traceback" not in bad[0][1]
    assert got == reference and got_bad == sorted(bad)


def test_a_file_with_broken_bytes_reads_them_as_the_row_reader_does(tmp_path, monkeypatch):
    monkeypatch.setattr(batches, "CHUNK", 16)
    path = tmp_path / "bytes.csv"
    path.write_bytes(csv_bytes(CLEAN).replace(b"Billing", b"Bill\xff\xe2\x82ing"))
    reference, bad = row_by_row(path)
    got, got_bad, _ = fast(path)
    assert got == reference and got_bad == sorted(bad) and "not valid Unicode" in bad[0][1]


def test_a_file_with_only_a_header_or_nothing_reads_no_rows(tmp_path):
    for content in (b"", csv_bytes([])):
        path = tmp_path / "empty.csv"
        path.write_bytes(content)
        assert fast(path)[:2] == ([], [])


def _rows(ids: range) -> list[list[str]]:
    return [
        ["zendesk", str(i), f"Agent {i % 3}", "", "2026-11-02T10:00:00Z", str(1 + i % 5), "", "",
         "", "", "", ""]
        for i in ids
    ]  # fmt: skip


def test_a_file_overlapping_an_earlier_one_merges_and_adds_only_the_new(db, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 4)  # batches all new, all old and mixed
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(csv_bytes(_rows(range(0, 10))))
    second.write_bytes(csv_bytes(_rows(range(6, 20))))
    factory = partial(session_scope, db)
    assert import_file(session_factory=factory, path=first).loaded == 10
    report = import_file(session_factory=factory, path=second)
    assert report.loaded == 14 and report.bad == []
    with session_scope(db) as s:
        rows = s.execute(select(Conversation.external_id, Conversation.import_id,
                                Conversation.source_line)).all()  # fmt: skip
        agents = sorted(s.scalars(select(Agent.name)))
        created = s.scalars(
            select(AuditEntry.after).where(AuditEntry.action == "agent.create")
        ).all()
    assert len(rows) == 20
    assert {r.external_id: r.source_line for r in rows if r.import_id == report.import_id} == {
        str(i): i - 4 for i in range(6, 20)
    }  # the second file's lines: every overlapping row now points into it
    assert agents == ["Agent 0", "Agent 1", "Agent 2"]
    assert sorted(c["name"] for c in created) == agents
    assert all(c == {"name": c["name"], "email": None, "slack_user_id": None,
                     "lead_member_id": None, "active": True} for c in created)  # fmt: skip


def test_the_same_key_twice_in_a_batch_keeps_the_later_row(db, tmp_path):
    path = tmp_path / "twice.csv"
    rows = _rows(range(3))
    rows.append(
        ["zendesk", "1", "Agent 1", "", "2026-11-05T10:00:00Z", "1", "", "", "", "", "", ""]
    )
    path.write_bytes(csv_bytes(rows))
    report = import_file(session_factory=partial(session_scope, db), path=path)
    assert report.loaded == 4
    with session_scope(db) as s:
        csat = dict(s.execute(select(Conversation.external_id, Conversation.csat)).all())
    assert csat == {"0": 1.0, "1": 1.0, "2": 3.0}


def test_importing_the_same_file_again_leaves_unchanged_rows_alone(db, tmp_path):
    path = tmp_path / "same.csv"
    path.write_bytes(csv_bytes(_rows(range(6))))
    factory = partial(session_scope, db)
    first = import_file(session_factory=factory, path=path)
    with session_scope(db) as s:
        before = dict(s.execute(select(Conversation.external_id, Conversation.updated_at)).all())
    again = import_file(session_factory=factory, path=path)
    assert again.loaded == 6 and again.import_id != first.import_id
    copy = tmp_path / "copy.csv"  # the same bytes elsewhere: a different file
    copy.write_bytes(path.read_bytes())
    with session_scope(db) as s:
        kept = s.execute(
            select(Conversation.external_id, Conversation.import_id, Conversation.updated_at)
        ).all()
    assert {r.import_id for r in kept} == {first.import_id}  # its pointer into the file holds
    assert {r.external_id: r.updated_at for r in kept} == before
    moved = import_file(session_factory=factory, path=copy)
    with session_scope(db) as s:
        pointers = set(s.scalars(select(Conversation.import_id)))
        sources = {r.source_line for r in s.execute(select(Conversation.source_line)).all()}
    assert pointers == {moved.import_id} and sources == set(range(2, 8))


def test_a_row_postgresql_refuses_inside_copy_loses_only_that_row(db, tmp_path, monkeypatch):
    """A refusal raised by psycopg's COPY itself (not SQLAlchemy) still sends the batch row by
    row: only the refused row is lost, and reported."""
    if not db.startswith("postgresql"):
        pytest.skip("COPY is PostgreSQL's path")
    import psycopg

    import bot.ingest.conversations as conversations

    real = conversations._copy

    def refusing(cursor, table, rows, import_id, now):
        if any(r.external_id == "boom" for r, _ in rows):
            raise psycopg.errors.StringDataRightTruncation("value too long for type varchar")
        return real(cursor, table, rows, import_id, now)

    monkeypatch.setattr(conversations, "_copy", refusing)
    rows = _rows(range(3))
    rows.insert(1, ["zendesk", "boom", "Agent 9", "", "2026-11-02T10:00:00Z", "4", "", "", "",
                    "", "", ""])  # fmt: skip
    path = tmp_path / "refused.csv"
    path.write_bytes(csv_bytes(rows))
    report = import_file(session_factory=partial(session_scope, db), path=path)
    assert report.loaded == 3
    assert report.bad == [(3, "the database refused it (value too long for type varchar)")]
    with session_scope(db) as s:
        assert sorted(s.scalars(select(Conversation.external_id))) == ["0", "1", "2"]
        assert "Agent 9" not in set(s.scalars(select(Agent.name)))
