"""`debrief import`: resolved, rated conversations from CSV or JSONL (SPEC §4)."""

from __future__ import annotations

import csv
import gc
import hashlib
import json
import logging
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bot.core.db import DatabaseUnavailable
from bot.core.errors import InvalidInput
from bot.core.text import refusal, unstorable
from bot.ingest.batches import EARLIEST, EMAIL, checked_batch, csv_batches
from bot.ingest.conversations import AgentDirectory, ConversationRow, upsert_conversations
from bot.ingest.deeplinks import HELPDESKS
from models import ImportRun
from models.agent import NAME_MAX
from models.base import utcnow

log = logging.getLogger("bot.importer")  # its name before bot/ingest/

REQUIRED = ("helpdesk", "external_id", "agent", "closed_at", "csat")
OPTIONAL = ("agent_email", "queue", "tags", "transcript", "customer_name", "customer_email", "url")
KNOWN = REQUIRED + OPTIONAL
BATCH = 20_000  # rows a transaction: fewer commits and round trips, ~20 MB in memory
_PERSON = itemgetter(2, 3)  # a ConversationRow's (agent_name, agent_email)
_CONTROLS = dict.fromkeys([*range(1, 32), 127], " ")  # what a transcript may hold but a name not
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
        # bytes that are not UTF-8 become lone surrogates: the row holding them is refused
        return raw.decode("utf-8-sig" if self.line == 2 else "utf-8", errors="surrogateescape")


def read_records(handle: BinaryIO, fmt: str) -> Iterator[SourceRecord | tuple[int, str]]:
    """The file's records in order; an unparseable record is `(line, reason)` instead."""
    if fmt == "jsonl":
        offset = 0
        for number, raw in enumerate(handle, start=1):
            start, offset = offset, offset + len(raw)
            encoding = "utf-8-sig" if number == 1 else "utf-8"
            text = raw.decode(encoding, errors="surrogateescape").strip()
            if not text:
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield (number, f"not valid JSON ({exc.msg})")
                continue
            except RecursionError:
                yield (number, "not valid JSON (nested too deep)")
                continue
            if not isinstance(data, dict):
                yield (number, "not a JSON object")
                continue
            if unknown := sorted(set(map(str, data)) - set(KNOWN)):
                yield (number, f"unknown field {unknown[0]!r} (known: {', '.join(KNOWN)})")
                continue
            yield SourceRecord(line=number, offset=start, fields=data)
        return
    lines = _Lines(handle)
    reader = csv.reader(lines)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return
    check_header(header)
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


def check_header(header: list[str]) -> None:
    """Refuse (InvalidInput, one line) a CSV header with a missing, repeated or unknown column."""
    if why := unstorable(",".join(header)):
        raise InvalidInput("file", f"the CSV header {why}")
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise InvalidInput("file", f"the CSV header has the column {repeated[0]!r} twice")
    unknown = [c for c in header if c not in KNOWN]
    if unknown:
        raise InvalidInput(
            "file",
            f"the CSV header has an unknown column {unknown[0]!r} (known: {', '.join(KNOWN)})",
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput("file", f"the CSV header lacks {', '.join(missing)}")


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


def _kind(value: Any) -> str:
    """What a JSON value is, as a person would say it."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "a number" if isinstance(value, int | float) else type(value).__name__


_SINGLE_LINE = ("helpdesk", "external_id", "agent", "agent_email", "closed_at", "queue",
                "customer_name", "customer_email", "url")  # fmt: skip
_JOINER = "\u2063"  # INVISIBLE SEPARATOR: no control character, so the joined check is exact


def _all_storable(fields: dict[str, Any]) -> bool:
    """Whether every single-line text field is a string with nothing `unstorable` refuses, in
    one check of them all joined (the common case: a clean row, checked at C speed)."""
    values = [fields.get(name) for name in _SINGLE_LINE]
    if not all(v is None or type(v) is str for v in values):
        return False
    return unstorable(_JOINER.join(v for v in values if v)) is None


def _text(
    fields: dict[str, Any],
    name: str,
    limit: int,
    *,
    number: bool = False,
    multiline: bool = False,
    checked: bool = False,
) -> str | None:
    """A text field, trimmed (None when absent or blank), or RowError saying what is wrong:
    a value of the wrong JSON type, a control or broken character, or over `limit`
    (`checked`: the whole row passed `_all_storable` already)."""
    value = fields.get(name)
    if value is None:
        return None
    if number and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # ids are often numbers in JSON
    if not isinstance(value, str):
        raise RowError(f"{name} must be text, not {_kind(value)}")
    if not checked and (why := unstorable(value, multiline=multiline)):
        raise RowError(f"{name} {why}")
    text = value.strip()
    if not text:
        return None
    if len(text) > limit:
        raise RowError(f"{name} is longer than {limit} characters ({len(text)})")
    return text


def parse_closed_at(value: str, now: datetime) -> datetime:
    """An ISO 8601 time (a bare date or a time without zone is UTC), not in the future."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"closed_at {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 or 9999-12-31T23:00-01:00: past datetime's range
        when = "in the future" if moment.year > EARLIEST.year else f"before {EARLIEST:%Y}"
        raise RowError(f"closed_at {value!r} is {when}") from None
    if moment > now + timedelta(days=1):
        raise RowError(f"closed_at {value!r} is in the future")
    if moment < EARLIEST:
        raise RowError(f"closed_at {value!r} is before {EARLIEST:%Y}")
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
    text = partial(_text, fields, checked=_all_storable(fields))
    helpdesk = (text("helpdesk", 32) or "").lower()
    if helpdesk not in HELPDESKS:
        raise RowError(f"helpdesk {helpdesk or '(empty)'!r} is not one of {', '.join(HELPDESKS)}")
    external_id = text("external_id", 200, number=True)
    if external_id is None:
        raise RowError("external_id is empty")
    agent = text("agent", NAME_MAX)
    if agent is None or (not agent.isascii() and refusal(agent, max_length=NAME_MAX)):
        raise RowError("agent is empty" if agent is None else "agent has nothing visible in it")
    email = text("agent_email", 320)
    if email is not None and not EMAIL.match(email):
        raise RowError(f"agent_email {email!r} is not an email address")
    closed = text("closed_at", 64)
    if closed is None:
        raise RowError("closed_at is empty")
    tags = _tags(fields.get("tags"))
    for name in ("customer_name", "customer_email"):  # read only to redact, never kept
        text(name, 320)
    _check_transcript(fields.get("transcript"))
    url = text("url", 2000)
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
        queue=text("queue", 200),
        tags=tags,
        url=url,
        has_transcript=bool(str(fields.get("transcript") or "").strip()),
        source_offset=record.offset,
        source_line=record.line,
    )


def _check_transcript(value: Any) -> None:
    """A transcript is read, never kept: text without NUL or broken characters (exports carry
    form feeds and the like, which are harmless in a transcript)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise RowError(f"transcript must be text, not {_kind(value)}")
    if "\x00" in value:
        raise RowError(
            f"transcript holds a control character (U+0000) at position {value.index(chr(0)) + 1}"
        )
    if why := unstorable(value.translate(_CONTROLS), multiline=True):
        raise RowError(f"transcript {why}")


def _tags(raw: Any) -> str | None:
    """Tags as kept: `;`-separated text, or a JSON list of strings."""
    if raw is None:
        return None
    items = raw if isinstance(raw, list) else [raw]
    for item in items:
        if not isinstance(item, str):
            raise RowError(f"tags must be text or a list of text, not {_kind(item)}")
        if why := unstorable(item):
            raise RowError(f"tags {why}")
    tags = ";".join(t.strip() for t in ";".join(items).split(";") if t.strip()) or None
    if tags is not None and len(tags) > 2000:
        raise RowError(f"tags are longer than 2000 characters ({len(tags)})")
    return tags


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()


def _csv_header(handle: BinaryIO) -> list[str]:
    """The CSV's column names, lower-cased (InvalidInput when the header is unfit)."""
    try:
        header = [h.strip().lower() for h in next(csv.reader(_Lines(handle)))]
    except StopIteration:
        return []
    check_header(header)
    return header


def _parsed_batches(
    handle: BinaryIO, fmt: str, header: list[str], now: datetime, report: ImportReport
) -> Iterator[list[ConversationRow]]:
    """The file's good rows in batches of about BATCH; bad ones go to the report."""
    if fmt == "csv":
        if not header:
            return
        for batch in csv_batches(handle, BATCH):
            report.bad.extend(batch.bad)
            rows = checked_batch(header, batch, now, csat=parse_csat, tags=_tags)
            if rows is None:  # something is amiss: row by row, each bad one said why
                rows = []
                for line, offset, values in zip(batch.lines, batch.offsets, batch.rows,
                                                strict=True):  # fmt: skip
                    record = SourceRecord(line, offset, dict(zip(header, values, strict=True)))
                    try:
                        rows.append(parse_row(record, now))
                    except RowError as exc:
                        report.bad.append((line, str(exc)))
            yield rows
        return
    batch_rows: list[ConversationRow] = []
    for item in read_records(handle, fmt):
        if isinstance(item, tuple):
            report.bad.append(item)
            continue
        try:
            batch_rows.append(parse_row(item, now))
        except RowError as exc:
            report.bad.append((item.line, str(exc)))
            continue
        if len(batch_rows) >= BATCH:
            yield batch_rows
            batch_rows = []
    yield batch_rows


@contextmanager
def _bulk_mode() -> Iterator[None]:
    """For a big import, the interpreter tuned as for a batch job: a short switch interval (a
    thread back from a database round trip has the GIL again in 0.1 ms, not 5), and the young
    generation collected every 10,000 allocations, not 700 (a batch's rows, alive until it is
    written, were traversed again and again: a third of the parsing time)."""
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(min(interval, 1e-4))
    gc.set_threshold(max(thresholds[0], 10_000), *thresholds[1:])
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)


@dataclass
class _WriterState:
    """What the writer carries from batch to batch: the agents known, and whether the last
    batch was all new (then the next is COPYed straight in)."""

    directory: AgentDirectory
    direct: bool = True
    same_file: tuple[int, ...] = ()  # earlier imports of this very file


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
    header: list[str] = []
    if fmt == "csv":
        with path.open("rb") as probe:  # checks the header before any write
            header = _csv_header(probe)
    now = utcnow()
    with session_factory() as session:
        run = ImportRun(path=str(path), size=path.stat().st_size, fingerprint=_fingerprint(path))
        session.add(run)
        session.flush()
        report = ImportReport(import_id=run.id)
        same_file = tuple(session.scalars(select(ImportRun.id).where(
            ImportRun.path == run.path, ImportRun.size == run.size,
            ImportRun.fingerprint == run.fingerprint, ImportRun.id != run.id,
            ImportRun.finished_at.is_not(None),
        )))  # fmt: skip
    with session_factory() as session:  # agents are loaded once per import, not per batch
        state = _WriterState(AgentDirectory(session=session, actor=actor), same_file=same_file)
    # one writer, one batch at a time and in order: the database merges a batch while this
    # thread reads and checks the next (psycopg lets go of the GIL while it waits)
    with (
        _bulk_mode(),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer") as writer,
    ):
        merging: Future[_WriterState] | None = None
        with path.open("rb") as handle:
            for rows in _parsed_batches(handle, fmt, header, now, report):
                if merging is not None:
                    state = merging.result()  # raises what the last batch raised
                merging = writer.submit(_load, session_factory, state, rows, report)
                if progress is not None:
                    progress(handle.tell())
            if merging is not None:
                merging.result()
            if progress is not None:
                progress(handle.tell())
    report.bad.sort()  # by line: the writer reports its refusals while the reader goes on
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
    state: _WriterState,
    batch: list[ConversationRow],
    report: ImportReport,
) -> _WriterState:
    """Write a batch; if the database refuses it (a row the checks let through), write its rows
    one by one so only the refused ones are lost, each reported. Returns the state to go on
    with (agents reloaded after a refusal: agents made in a rolled-back batch are gone)."""
    if not batch:
        return state
    try:
        direct = _write(session_factory, state, batch, report)
        return _WriterState(state.directory, direct, state.same_file)
    except DatabaseUnavailable:
        raise
    except DBAPIError:
        log.warning("the database refused a batch of %d rows; writing them one by one", len(batch))
    for row in batch:
        state = _WriterState(_reloaded(session_factory, state.directory), False, state.same_file)
        try:
            _write(session_factory, state, [row], report)
        except DatabaseUnavailable:
            raise
        except DBAPIError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            report.bad.append((row.source_line or 0, f"the database refused it ({reason})"))
    return _WriterState(_reloaded(session_factory, state.directory), False, state.same_file)


def _reloaded(session_factory: Callable[[], Any], directory: AgentDirectory) -> AgentDirectory:
    with session_factory() as session:
        return AgentDirectory(session=session, actor=directory.actor)


def _write(
    session_factory: Callable[[], Any],
    state: _WriterState,
    batch: list[ConversationRow],
    report: ImportReport,
) -> bool:
    """Match agents and upsert the batch in one transaction; the report changes only if it
    commits. Whether every row was new."""
    bad: list[tuple[int, str]] = []
    with session_factory() as session:
        found_ids = state.directory.agent_ids(list(map(_PERSON, batch)), session=session)
        if any(isinstance(found, InvalidInput) for found in set(found_ids)):
            rows: list[tuple[ConversationRow, int]] = []
            for row, found in zip(batch, found_ids, strict=True):
                if isinstance(found, InvalidInput):
                    bad.append((row.source_line or 0, found.message))
                else:
                    rows.append((row, found))
        else:  # the common case, zipped at C speed
            rows = list(zip(batch, cast(list[int], found_ids), strict=True))
        all_new = upsert_conversations(
            session=session,
            rows=rows,
            import_id=report.import_id,
            direct=state.direct,
            same_file=state.same_file,
        )
    report.loaded += len(rows)
    report.bad += bad
    return all_new
