"""`debrief import`: resolved, rated conversations from CSV or JSONL (SPEC §4)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from bot.conversations import AgentDirectory, ConversationRow, upsert_conversations
from bot.deeplinks import HELPDESKS
from bot.errors import InvalidInput
from models import ImportRun
from models.base import utcnow

REQUIRED = ("helpdesk", "external_id", "agent", "closed_at", "csat")
BATCH = 5000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
csv.field_size_limit(16 * 1024 * 1024)


class RowError(ValueError):
    """A row that can't be loaded; the message says why."""


@dataclass
class ImportReport:
    """What an import did: rows loaded and the bad rows with their line numbers."""

    import_id: int
    loaded: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SourceRecord:
    """One record of an import file with where it starts (for reading it again at capture)."""

    line: int
    offset: int
    fields: dict[str, Any]


def file_format(path: Path) -> str:
    """`jsonl` or `csv`, from the name or else the first byte."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    with path.open("rb") as handle:
        head = handle.read(64).lstrip()
    return "jsonl" if head.startswith(b"{") else "csv"


class _Lines:
    """Decoded lines of a binary file, remembering where the next line starts."""

    def __init__(self, handle: BinaryIO, offset: int = 0, line: int = 1) -> None:
        self.handle = handle
        self.offset = offset
        self.line = line

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline()
        if not raw:
            raise StopIteration
        self.offset += len(raw)
        self.line += 1
        return raw.decode("utf-8-sig" if self.line == 2 else "utf-8", errors="replace")


def read_records(handle: BinaryIO, fmt: str) -> Iterator[SourceRecord | tuple[int, str]]:
    """The file's records in order; an unparseable record is `(line, reason)` instead."""
    if fmt == "jsonl":
        offset = 0
        for number, raw in enumerate(handle, start=1):
            start, offset = offset, offset + len(raw)
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield (number, f"not valid JSON ({exc.msg})")
                continue
            if not isinstance(data, dict):
                yield (number, "not a JSON object")
                continue
            yield SourceRecord(line=number, offset=start, fields=data)
        return
    lines = _Lines(handle)
    reader = csv.reader(lines)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput("file", f"the CSV header lacks {', '.join(missing)}")
    while True:
        start, line = lines.offset, lines.line
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield (line, f"unreadable CSV ({exc})")
            continue
        if not row or row == [""]:
            continue
        if len(row) != len(header):
            yield (line, f"has {len(row)} fields, the header has {len(header)}")
            continue
        yield SourceRecord(line=line, offset=start, fields=dict(zip(header, row, strict=True)))


def read_record_at(path: Path, offset: int) -> dict[str, Any] | None:
    """The record starting at `offset` in an import file, read again (None if it's gone)."""
    try:
        with path.open("rb") as handle:
            fmt = file_format(path)
            if fmt == "jsonl":
                handle.seek(offset)
                data = json.loads(handle.readline().decode("utf-8", errors="replace"))
                return data if isinstance(data, dict) else None
            header_line = next(csv.reader(_Lines(handle)))
            header = [h.strip().lower() for h in header_line]
            handle.seek(offset)
            row = next(csv.reader(_Lines(handle, offset=offset, line=3)))
            return dict(zip(header, row, strict=False))
    except (OSError, StopIteration, ValueError, csv.Error):
        return None


def _text(fields: dict[str, Any], name: str, limit: int) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) > limit:
        raise RowError(f"{name} is longer than {limit} characters")
    return text


def parse_closed_at(value: str, now: datetime) -> datetime:
    """An ISO 8601 time (a bare date or a time without zone is UTC), not in the future."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"closed_at {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment > now + timedelta(days=1):
        raise RowError(f"closed_at {value!r} is in the future")
    return moment


def parse_csat(value: Any) -> float:
    """A 1–5 score; `good` is 5 and `bad` is 1."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("good", "bad"):
            return 5.0 if word == "good" else 1.0
        try:
            number = float(word)
        except ValueError:
            raise RowError(f"csat {value!r} is not a number from 1 to 5, good or bad") from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        raise RowError(f"csat {value!r} is not a number from 1 to 5, good or bad")
    if not 1.0 <= number <= 5.0:
        raise RowError(f"csat {number:g} is outside 1–5")
    return number


def parse_row(record: SourceRecord, now: datetime) -> ConversationRow:
    """Validate one record into a ConversationRow (RowError says what is wrong)."""
    fields = record.fields
    helpdesk = (_text(fields, "helpdesk", 32) or "").lower()
    if helpdesk not in HELPDESKS:
        raise RowError(f"helpdesk {helpdesk or '(empty)'!r} is not one of {', '.join(HELPDESKS)}")
    external_id = _text(fields, "external_id", 200)
    if external_id is None:
        raise RowError("external_id is empty")
    agent = _text(fields, "agent", 200)
    if agent is None:
        raise RowError("agent is empty")
    email = _text(fields, "agent_email", 320)
    if email is not None and not _EMAIL.match(email):
        raise RowError(f"agent_email {email!r} is not an email address")
    closed = _text(fields, "closed_at", 64)
    if closed is None:
        raise RowError("closed_at is empty")
    raw_tags = fields.get("tags")
    if isinstance(raw_tags, list):
        raw_tags = ";".join(str(t) for t in raw_tags)
    tags = ";".join(t.strip() for t in str(raw_tags or "").split(";") if t.strip()) or None
    if tags is not None and len(tags) > 2000:
        raise RowError("tags are longer than 2000 characters")
    url = _text(fields, "url", 2000)
    if url is not None and not url.startswith(("http://", "https://")):
        raise RowError(f"url {url!r} is not an http(s) link")
    csat = fields.get("csat")
    if csat is None or (isinstance(csat, str) and not csat.strip()):
        raise RowError("csat is empty")
    return ConversationRow(
        helpdesk=helpdesk,
        external_id=external_id,
        agent_name=agent,
        agent_email=email.lower() if email else None,
        closed_at=parse_closed_at(closed, now),
        csat=parse_csat(csat),
        queue=_text(fields, "queue", 200),
        tags=tags,
        url=url,
        has_transcript=bool(str(fields.get("transcript") or "").strip()),
        source_offset=record.offset,
        source_line=record.line,
    )


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()


def import_file(
    *,
    session_factory: Callable[[], Any],
    path: Path,
    actor: str = "import",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Load a file in batches; bad rows are reported and skipped, the rest loads.

    Idempotent on (helpdesk, external_id). `progress` gets the bytes read so far.
    """
    path = path.expanduser().resolve()
    if not path.is_file():
        raise InvalidInput("file", f"{path} is not a readable file")
    fmt = file_format(path)
    with path.open("rb") as probe:
        if fmt == "csv":
            next(iter(read_records(probe, fmt)), None)  # checks the header before any write
    now = utcnow()
    with session_factory() as session:
        run = ImportRun(path=str(path), size=path.stat().st_size, fingerprint=_fingerprint(path))
        session.add(run)
        session.flush()
        report = ImportReport(import_id=run.id)
    batch: list[ConversationRow] = []
    with session_factory() as session:  # agents are loaded once per import, not per batch
        directory = AgentDirectory(session=session, actor=actor)
    with path.open("rb") as handle:
        for item in read_records(handle, fmt):
            if isinstance(item, tuple):
                report.bad.append(item)
                continue
            try:
                batch.append(parse_row(item, now))
            except RowError as exc:
                report.bad.append((item.line, str(exc)))
                continue
            if len(batch) >= BATCH:
                _load(session_factory, directory, batch, report)
                batch = []
                if progress is not None:
                    progress(handle.tell())
        _load(session_factory, directory, batch, report)
        if progress is not None:
            progress(handle.tell())
    with session_factory() as session:
        run = session.get(ImportRun, report.import_id)
        if run is not None:
            run.rows_loaded, run.rows_bad, run.finished_at = (
                report.loaded,
                len(report.bad),
                utcnow(),
            )
    return report


def _load(
    session_factory: Callable[[], Any],
    directory: AgentDirectory,
    batch: list[ConversationRow],
    report: ImportReport,
) -> None:
    if not batch:
        return
    with session_factory() as session:
        rows: list[tuple[ConversationRow, int]] = []
        for row in batch:
            try:
                rows.append(
                    (row, directory.agent_id(row.agent_name, row.agent_email, session=session))
                )
            except InvalidInput as exc:
                report.bad.append((row.source_line or 0, exc.message))
        upsert_conversations(session=session, rows=rows, import_id=report.import_id)
        report.loaded += len(rows)
