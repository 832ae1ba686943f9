"""A CSV import read in batches and checked column by column: a clean batch (the common case) is
checked at C speed and comes out exactly as `parse_row` would make it; a batch with anything
amiss comes back None, and is then parsed row by row, which says what is wrong."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import accumulate, chain
from operator import methodcaller
from typing import Any, BinaryIO

from bot.core.text import refusal, unstorable
from bot.ingest.conversations import ConversationRow
from bot.ingest.deeplinks import HELPDESKS
from models.agent import NAME_MAX

CHUNK = 1 << 22  # bytes read at a time
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # a rating closed before this is a bad date
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# single-line text columns with the longest value a row may hold (before trimming: a longer one
# sends the batch row by row, which trims first)
LIMITS = {"helpdesk": 32, "external_id": 200, "agent": NAME_MAX, "agent_email": 320,
          "closed_at": 64, "queue": 200, "customer_name": 320, "customer_email": 320,
          "url": 2000}  # fmt: skip
_C1 = re.compile("[\x80-\x9f]")  # what a transcript may not hold once C0 controls are spaces
_NOT_HTTP = re.compile(r"^(?!https?://|$)", re.MULTILINE)  # a line that is a link of no kind
_HELPDESKS = frozenset(HELPDESKS)
_ROW = partial(tuple.__new__, ConversationRow)  # skips the named tuple's Python __new__
_TO_UTC = methodcaller("astimezone", UTC)
_Z = methodcaller("replace", "Z", "+00:00")


@dataclass
class CsvBatch:
    """Records of a CSV with their line numbers and byte offsets, and the lines that could not
    be read as records, `(line, reason)`."""

    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)


def _lines(handle: BinaryIO, starts: list[int]) -> Iterator[str]:
    """The file's lines decoded (a byte that is not UTF-8 becomes a lone surrogate, refused
    later), each line's first byte offset appended to `starts` as its chunk is read."""
    offset, tail, first = 0, b"", True
    while True:
        block = handle.read(CHUNK)
        data = tail + block
        if not data:
            return
        cut = len(data) if not block else data.rfind(b"\n") + 1
        if cut == 0:
            tail = data
            continue
        data, tail = data[:cut], data[cut:]
        parts = data.split(b"\n")
        if not parts[-1]:
            parts.pop()
        n = len(parts)
        ends = [b"\n"] * n
        if not data.endswith(b"\n"):
            ends[-1] = b""
        starts.extend(accumulate((len(p) + len(e) for p, e in zip(parts, ends, strict=True)),
                                 initial=offset))  # fmt: skip
        starts.pop()  # the offset after the chunk: the next chunk's first start
        offset += len(data)
        try:
            text = data.decode("utf-8-sig" if first else "utf-8")
            decoded = text.split("\n")
            if not decoded[-1]:
                decoded.pop()
            lines = [d + "\n" for d in decoded]
            if ends[-1] == b"":
                lines[-1] = decoded[-1]
        except UnicodeDecodeError:
            lines = [
                (p + e).decode("utf-8-sig" if first and i == 0 else "utf-8", "surrogateescape")
                for i, (p, e) in enumerate(zip(parts, ends, strict=True))
            ]
        first = False
        yield from lines


def csv_batches(handle: BinaryIO, size: int) -> Iterator[CsvBatch]:
    """The records after the header in batches of `size`, numbered and placed as
    `read_records` does (the header was checked already)."""
    starts: list[int] = []
    base = 0  # the line index of starts[0]: lines already read are let go
    reader = csv.reader(_lines(handle, starts))
    try:
        width = len(next(reader))
    except StopIteration:
        return
    batch = CsvBatch()
    done = reader.line_num
    while True:
        try:
            for row in reader:
                if row and row != [""]:
                    if len(row) == width:
                        batch.rows.append(row)
                        batch.lines.append(done + 1)
                        batch.offsets.append(starts[done - base])
                    else:
                        batch.bad.append(
                            (done + 1, f"has {len(row)} fields, the header has {width}")
                        )
                done = reader.line_num
                if len(batch.rows) >= size:
                    break
            else:
                yield batch
                return
        except csv.Error as exc:
            batch.bad.append((done + 1, f"unreadable CSV ({exc})"))
            done = reader.line_num
            continue
        yield batch
        batch = CsvBatch()
        del starts[: done - base]
        base = done


def _column(columns: dict[str, Sequence[Any]], name: str, n: int) -> Sequence[Any]:
    return columns.get(name) or (None,) * n


def _each(values: Sequence[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """fn of every value, worked out once per distinct value."""
    known = {value: fn(value) for value in set(values)}
    return list(map(known.__getitem__, values))


def _trimmed_or_none(value: str | None) -> str | None:
    return (value.strip() or None) if value is not None else None


def checked_batch(
    header: list[str],
    batch: CsvBatch,
    now: datetime,
    *,
    csat: Callable[[Any], float],
    tags: Callable[[Any], str | None],
) -> list[ConversationRow] | None:
    """The batch's rows as `parse_row` makes them when every row is clean, else None (the
    batch is then parsed row by row). `csat` and `tags` are parse_row's own checks."""
    n = len(batch.rows)
    if not n:
        return []
    columns: dict[str, Sequence[Any]] = dict(zip(header, zip(*batch.rows, strict=True),
                                                 strict=True))  # fmt: skip
    single = [columns[c] for c in (*LIMITS, "tags") if c in columns]
    joined = "".join(chain.from_iterable(single))
    if not (joined.isascii() and joined.isprintable()) and unstorable(joined) is not None:
        return None  # a control or broken character somewhere: row by row says where
    for name, limit in LIMITS.items():
        if name in columns and max(map(len, columns[name])) > limit:
            return None
    helpdesk = _each(columns["helpdesk"], lambda v: v.strip().lower())
    external_id = list(map(str.strip, columns["external_id"]))
    agent = list(map(str.strip, columns["agent"]))
    closed = list(map(str.strip, columns["closed_at"]))
    if not (set(helpdesk) <= _HELPDESKS and all(external_id) and all(agent) and all(closed)):
        return None
    names = set(agent)
    if any(not a.isascii() and refusal(a, max_length=NAME_MAX) for a in names):
        return None
    email = _each(_column(columns, "agent_email", n), _trimmed_or_none)
    if any(e is not None and not EMAIL.match(e) for e in set(email)):
        return None
    email = _each(email, lambda e: e.lower() if e else None)
    links = list(map(str.strip, columns["url"])) if "url" in columns else [""] * n
    if _NOT_HTTP.search("\n".join(links)):  # no line breaks in them: checked above
        return None
    url = [u or None for u in links]
    transcript = columns.get("transcript")
    if transcript is not None:
        text = "".join(transcript)
        if "\x00" in text or _C1.search(text):
            return None
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return None
        has_transcript = list(map(bool, map(str.strip, transcript)))
    else:
        has_transcript = [False] * n
    try:
        score = _each(columns["csat"], csat)
        tag_text = _each(_column(columns, "tags", n), tags)
        moments = list(map(datetime.fromisoformat, map(_Z, closed)))
        moments = list(map(_TO_UTC, (m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments)))
    except (ValueError, OverflowError):  # RowError is a ValueError
        return None
    if min(moments) < EARLIEST or max(moments) > now + timedelta(days=1):
        return None
    queue = _each(_column(columns, "queue", n), _trimmed_or_none)
    return list(map(_ROW, zip(helpdesk, external_id, agent, email, moments, score, queue,
                    tag_text, url, has_transcript, batch.offsets, batch.lines, strict=True)))  # fmt: skip
