"""Redaction of private customer information (SPEC §8).

Every text that leaves for a model or lands in the database goes through :func:`redact` first.
Each private span becomes its type in brackets: ``[EMAIL]``, ``[PHONE]``, ``[CARD]``, ``[IBAN]``,
``[ID]``, ``[NAME]``, ``[ADDRESS]``. :func:`find_spans` returns the spans so callers and tests can
look at what would be redacted.

Everything here is offline and deterministic: regular expressions, checksums (Luhn, mod-97, the
national-id checks of ``python-stdnum``), the phone metadata of ``phonenumbers`` and a lexicon of
given names, surnames, common English words and place names shipped in
``bot/privacy/data/lexicon.txt``, frequent names of 105 countries (``names.txt``, from
names-dataset) and street types of two dozen languages (``streets.txt``, from libpostal), with
USPS Publication 28's street suffixes and a few Dutch and Indian street words kept in the code.
No span crosses a blank line. The package keeps no mutable state: its tables are built, and the
libraries' lazily loaded metadata (phone regions, IBAN registry) is loaded, at import.

Precedence when detections overlap: EMAIL, IBAN, CARD, ID, PHONE, ADDRESS, NAME. A lower kind
keeps only the parts no higher kind took. Text already redacted (``[EMAIL]`` and the other labels)
is never redacted again and reads like a capitalised word to the name rules, so
``redact(redact(t)) == redact(t)``.

Each detector family has its module beside this one: :mod:`~bot.privacy.emails`,
:mod:`~bot.privacy.cards` (cards, IBANs, bank details), :mod:`~bot.privacy.ids`,
:mod:`~bot.privacy.phones`, :mod:`~bot.privacy.addresses` (with :mod:`~bot.privacy.streets` and
:mod:`~bot.privacy.localities`), :mod:`~bot.privacy.names` and :mod:`~bot.privacy.known` (the
ticket's own customer); :mod:`~bot.privacy.lexicon` holds the word lists they share.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Final

import phonenumbers
from phonenumbers import Leniency, PhoneMetadata, PhoneNumberMatcher
from stdnum import iban as _stdnum_iban

from bot.privacy.addresses import _address_spans
from bot.privacy.cards import _bank_spans, _card_spans, _iban_spans
from bot.privacy.emails import _email_spans
from bot.privacy.ids import _STDNUM_CHECKS, _id_spans
from bot.privacy.known import _known_spans
from bot.privacy.names import _name_spans
from bot.privacy.phones import _POSSIBLE_REGIONS, PHONE_REGIONS, _phone_spans
from bot.privacy.spans import KINDS, Kind, Span, _trim, label

__all__ = [
    "KINDS",
    "PHONE_REGIONS",
    "Kind",
    "Span",
    "find_spans",
    "label",
    "redact",
    "redact_spans",
]

_RANK: Final[dict[str, int]] = {k: i for i, k in enumerate(KINDS)}

# Existing labels are protected: never re-redacted, never part of a new span.
_LABEL_RE: Final = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|ID|NAME|ADDRESS)\]")
# A blank line (only whitespace between two newlines) ends a paragraph or a transcript turn: no
# span crosses one.
_BLANK_LINE_RE: Final = re.compile(r"\n[^\S\n]*\n")


_URL_RE: Final = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")


def _outside_urls(text: str, spans: Iterable[tuple[int, int]]) -> Iterable[tuple[int, int]]:
    """Drop spans that overlap a URL (names and addresses are not looked for inside links)."""
    if "http" not in text and "www." not in text:
        yield from spans
        return
    urls = [(m.start(), m.end()) for m in _URL_RE.finditer(text)]
    for s, e in spans:
        if not any(s < ue and us < e for us, ue in urls):
            yield s, e


def _candidates(
    text: str, names: Sequence[str], emails: Sequence[str], kinds: Collection[Kind]
) -> list[tuple[int, int, Kind]]:
    """Every detection of these kinds (and the customer's own name and email), possibly
    overlapping."""
    found: list[tuple[int, int, Kind]] = list(_known_spans(text, names, emails))
    detectors: list[tuple[Kind, Callable[[str], Iterable[tuple[int, int]]]]] = [
        ("EMAIL", _email_spans),
        ("IBAN", _iban_spans),
        ("IBAN", _bank_spans),
        ("CARD", _card_spans),
        ("ID", _id_spans),
        ("PHONE", _phone_spans),
        ("ADDRESS", lambda t: _outside_urls(t, _address_spans(t))),
        ("NAME", lambda t: _outside_urls(t, _name_spans(t))),
    ]
    for kind, detect in detectors:
        if kind in kinds:
            found += [(s, e, kind) for s, e in detect(text)]
    return found


def _merge_gap(kind: Kind, gap: str) -> bool:
    """Whether two neighbouring spans of one kind become one."""
    if gap == "":
        return True
    if kind == "ADDRESS":
        return re.fullmatch(r"[\s,;]*", gap) is not None and not _BLANK_LINE_RE.search(gap)
    if kind == "NAME":
        return re.fullmatch(r"[ \t]+", gap) is not None
    return False


def find_spans(
    text: str,
    *,
    customer_names: Sequence[str] = (),
    customer_emails: Sequence[str] = (),
    kinds: Collection[Kind] = KINDS,
) -> list[Span]:
    """Return the non-overlapping private spans of ``text``, in order: every kind by default,
    else those of ``kinds`` (the customer's own name and email always)."""
    if not text:
        return []
    taken = bytearray(len(text))
    for m in _LABEL_RE.finditer(text):
        taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    found = _candidates(text, customer_names, customer_emails, kinds)
    found.sort(key=lambda c: (_RANK[c[2]], c[0], -(c[1] - c[0])))
    spans: list[Span] = []
    for start, end, kind in found:
        start, end = _trim(text, start, end)
        i = start
        while i < end:
            if taken[i]:
                i += 1
                continue
            j = i
            while j < end and not taken[j]:
                j += 1
            s, e = _trim(text, i, j)
            if any(c.isalnum() for c in text[s:e]):
                spans.append(Span(s, e, kind))
                taken[s:e] = b"\x01" * (e - s)
            i = j
    spans.sort()
    merged: list[Span] = []
    for span in spans:
        if merged:
            prev = merged[-1]
            if prev.kind == span.kind and _merge_gap(span.kind, text[prev.end : span.start]):
                merged[-1] = Span(prev.start, span.end, span.kind)
                continue
        merged.append(span)
    if "\n" in text:
        merged = [part for span in merged for part in _split_at_blank_lines(text, span)]
    return merged


def _split_at_blank_lines(text: str, span: Span) -> list[Span]:
    """The parts of a span between blank lines (the last guarantee that none is crossed).

    The detectors already stop at blank lines; a span that still crosses one is split rather
    than cut short, so nothing that was found private is let through.
    """
    if not _BLANK_LINE_RE.search(text, span.start, span.end):
        return [span]
    parts: list[Span] = []
    pos = span.start
    for m in _BLANK_LINE_RE.finditer(text, span.start, span.end):
        parts.append(Span(pos, m.start(), span.kind))
        pos = m.end()
    parts.append(Span(pos, span.end, span.kind))
    out: list[Span] = []
    for part in parts:
        s, e = _trim(text, part.start, part.end)
        if any(c.isalnum() for c in text[s:e]):
            out.append(Span(s, e, span.kind))
    return out


def redact(
    text: str,
    *,
    customer_names: Sequence[str] = (),
    customer_emails: Sequence[str] = (),
    kinds: Collection[Kind] = KINDS,
) -> str:
    """Replace every private span of ``text`` with its ``[KIND]`` label."""
    return redact_spans(text, find_spans(text, customer_names=customer_names,
                                         customer_emails=customer_emails, kinds=kinds))  # fmt: skip


def labels_in(text: str) -> int:
    """How many redaction labels (``[EMAIL]``, ``[CARD]``, …) a text holds."""
    return len(_LABEL_RE.findall(text))


def redact_spans(text: str, spans: Sequence[Span]) -> str:
    """``text`` with these spans (from ``find_spans``) replaced by their labels."""
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    for span in spans:
        parts.append(text[pos : span.start])
        parts.append(label(span.kind))
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts)


def _warm_up() -> None:
    """Load the libraries' lazily loaded metadata now, at import, not during a call."""
    PhoneMetadata.load_all()
    sample = (
        "Call +44 20 7946 0958 or (415) 555-2671, IBAN GB82WEST12345698765432, "
        "card 4111 1111 1111 1111, SSN 123-45-6789, 12 Main Street, Dr. Jane Doe"
    )
    for region in _POSSIBLE_REGIONS:
        phonenumbers.parse("0201234567", region)
        for _ in PhoneNumberMatcher(sample, region, leniency=Leniency.VALID):
            pass
    for code in ("GB82WEST12345698765432", "DE89370400440532013000", "FR1420041010050500013M02606"):
        _stdnum_iban.is_valid(code)
    for check in _STDNUM_CHECKS.values():
        check("0")
    redact(sample)


_warm_up()
