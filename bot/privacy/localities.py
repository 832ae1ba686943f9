"""ADDRESS, continued: postcodes beside their town, and the street line before them they vouch for."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

from bot.privacy.lexicon import _COMMON, _L, _NOT_NAMES, _PLACES, _UP, _fold
from bot.privacy.streets import (
    _CONNECTORS,
    _MORPHEME,
    _NUM,
    _POSTCODE,
    _POSTCODE_PLACE,
    _PREFIX,
    _SUFFIX,
    _UNIT_LINE_RE,
    _UNIT_WORDS,
)

# A street line with its house number, then a postcode and town: "Via Verdi 7\nPalizzi 14037",
# "Kerkstraat 43, 9129 UX Beerz". The postcode vouches for the line before it, whose street
# name may read like a person's.
_ADDR_BEFORE_POSTCODE_RE: Final = re.compile(
    rf"(?m)(?<![\w.])(?P<street>(?:{_NUM},?[ \t]+)?(?:{_UP}[\w'’.\-]*|{_CONNECTORS})"
    rf"(?:[ \t]+(?:{_UP}[\w'’.\-]*|{_CONNECTORS})){{0,4}}(?:,?[ \t]+{_NUM})?)"
    rf"(?:[ \t]*,[ \t]*|[ \t]*\n[ \t]*)(?P<town>{_POSTCODE_PLACE})"
)
# A line that is only a country or a city and a postcode: "Norway 08093".
_PLACE_POSTCODE_LINE_RE: Final = re.compile(
    rf"(?m)^[ \t]*(?P<place>{_L}[\w'’.\-]*(?:[ \t]+{_L}[\w'’.\-]*){{0,2}}),?[ \t]+"
    rf"(?P<code>{_POSTCODE})[ \t]*$"
)


# A postcode beside its town: "443280 Jamshedpur", "Muzaffarnagar Andhra Pradesh 108949",
# "Sint Kruis 9426EY", "TQ9 5QR Johnsonmouth", "Legros-sur-Mer 15495". Four digits alone are a
# postcode only below a street line (they are years and models as often).
_PC_STRONG = (
    r"(?:\d{5}(?:-\d{4}|-\d{3})?|\d{6}|\d{8}|\d{4}[ ]?[A-Z]{2}|"
    r"[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}|"
    r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d)"
)
_TOWN_WORD = rf"{_UP}[\w'’.\-]*"
# Small words inside street and town names: "rue des Lilas", "Santa Cruz de Tenerife".
_NAME_JOINERS = (
    rf"(?:{_CONNECTORS}|des|della|delle|dello|dei|degli|von|van|den|het|ter|ten|zum|zur|im|"
    r"al|el|lo|au|aux|à)"
)
_TOWN = (
    rf"(?:{_NAME_JOINERS}[ \t]+)?{_TOWN_WORD}"
    rf"(?:[ \t]+(?:{_TOWN_WORD}|{_NAME_JOINERS}(?=[ \t]+{_UP}))){{0,4}}"
)
_LOCALITY_RE: Final = re.compile(
    rf"(?<![\w-])(?:(?P<pc1>{_PC_STRONG}|\d{{4}})[ \t]+(?P<town1>{_TOWN})|"
    rf"(?P<town2>{_TOWN}),?[ \t]+(?P<pc2>{_PC_STRONG}|\d{{4}})(?![ \t]+{_UP}))(?![\w-])"
)
_TOWN_WORD_RE: Final = re.compile(rf"{_L}[\w'’.\-]*")
# A form label or speaker before a value: "Address line 1: ", "Customer: ", "Delivery address - ".
_LABEL_PREFIX_RE: Final = re.compile(
    r"^[ \t>*•-]*(?:[^\W\d_][\w .'’]{0,30}?(?:[ \t]*:|[ \t]+[-–]))?[ \t]*"
)
_STREET_TOKEN_RE: Final = re.compile(
    rf"(?:{_UP}[\w'’.\-]*|{_NUM}/?|{_NAME_JOINERS}|(?i:{_PREFIX})|(?i:{_UNIT_WORDS})\.?)(?![\w'’])"
)
_STREET_TYPE_RE: Final = re.compile(
    rf"(?i)\b(?:{_SUFFIX}|{_PREFIX})\b|{_MORPHEME}\b|\b{_UNIT_WORDS}\b"
)


def _town_ok(words: Sequence[str]) -> bool:
    """A town: capitalised words (a connector between), one at least not common English, none a
    weekday, month, brand or other word that is never a name."""
    if not words or not any(w[:1].isupper() for w in words):
        return False
    if any(w.casefold().rstrip(".") in _NOT_NAMES for w in words if w[:1].isupper()):
        return False
    return any(_fold(w) in _PLACES or w.casefold() not in _COMMON for w in words if w[:1].isupper())


def _street_tokens(segment: str) -> int:
    """Where the street words that end ``segment`` begin (house numbers, capitalised words,
    connectors, street types, units, commas), as an offset into it."""
    pos = len(segment)
    tokens = list(re.finditer(r"[^\s,]+", segment))
    for t in reversed(tokens):
        if not _STREET_TOKEN_RE.fullmatch(t.group(0)):
            break
        if t.group(0).casefold() in _NOT_NAMES and not t.group(0)[:1].isupper():
            break
        pos = t.start()
    return pos


def _street_ok(street: str, *, same_line: bool) -> bool:
    """Whether a line or segment before a postcode and town reads as a street: a number or a
    street type, or (on the same line, before a comma) capitalised words not all common."""
    words = _TOWN_WORD_RE.findall(street)
    if not words or len(words) > 7:
        return False
    if any(w.casefold() in _NOT_NAMES for w in words if w[:1].isupper() and len(w) > 1):
        return False
    if re.search(r"\d", street) or _STREET_TYPE_RE.search(street):
        return True
    return same_line and _town_ok(words)


def _locality_spans(text: str) -> Iterable[tuple[int, int]]:
    """Postcodes with their town, and the street line before them that they vouch for."""
    for m in _LOCALITY_RE.finditer(text):
        if m.group("pc1"):
            pc = m.group("pc1")
            words = list(_TOWN_WORD_RE.finditer(m.group("town1")))
            # Up to the last word that is no common English word ("256647 Nandyal Your ...").
            keep = [
                k
                for k, w in enumerate(words)
                if w.group(0)[:1].isupper()
                and (_fold(w.group(0)) in _PLACES or w.group(0).casefold() not in _COMMON)
            ]
            if not keep:
                continue
            words = words[: keep[-1] + 1]
            start, end = m.start("pc1"), m.start("town1") + words[-1].end()
            if text[end - 1] == "." and len(words[-1].group(0)) > 4:
                end -= 1  # a sentence's full stop, not an abbreviation's
        else:
            pc = m.group("pc2")
            words = list(_TOWN_WORD_RE.finditer(m.group("town2")))
            lead = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
            if not (not lead.strip() or re.search(r"[,:;-][ \t]*$", lead)):
                # Mid-sentence, leading common words are not the town's ("ship to Rome 00100").
                while words and words[0].group(0).casefold() in _COMMON:
                    words.pop(0)
            if not words:
                continue
            start, end = m.start("town2") + words[0].start(), m.end()
        if not _town_ok([w.group(0) for w in words]):
            continue
        strong = not re.fullmatch(r"\d{4}", pc)
        line_start = text.rfind("\n", 0, start) + 1
        before = text[line_start:start]
        street_start = None
        if re.search(r",[ \t]*$", before):
            # A street is short: look no further back than 120 characters.
            if len(before) > 120:
                line_start = start - 120
                before = text[line_start:start]
            seg_end = before.rstrip(" \t").rstrip(",")
            label = _LABEL_PREFIX_RE.match(seg_end)
            seg_from = label.end() if label else 0
            pos = max(seg_from, _street_tokens(seg_end))
            street = seg_end[pos:]
            if street.strip() and _street_ok(street, same_line=True):
                street_start = line_start + pos
        elif not before.strip(" \t>*•-") and line_start > 0:
            prev_start = text.rfind("\n", 0, line_start - 1) + 1
            prev = text[prev_start : line_start - 1]
            label = _LABEL_PREFIX_RE.match(prev)
            offset = label.end() if label else 0
            street = prev[offset:].rstrip(" \t,")
            if street and _street_tokens(street) == 0 and _street_ok(street, same_line=False):
                street_start = prev_start + offset
            elif street and _street_tokens(street) == 0 and len(street.split()) <= 3:
                # A name line between a house-number line and the town: "52/380\nRandhawa".
                above = text.rfind("\n", 0, max(0, prev_start - 1)) + 1
                unit = text[above : max(above, prev_start - 1)]
                unit_label = _LABEL_PREFIX_RE.match(unit)
                unit_from = unit_label.end() if unit_label else 0
                if prev_start > 0 and _UNIT_LINE_RE.fullmatch(unit[unit_from:].rstrip()):
                    street_start = above + unit_from
        if street_start is not None:
            yield street_start, end
        elif strong:
            after = text[end : end + 2]
            alone = not before.strip(" \t>*•-") or re.search(r"(?:[,:;]|[ \t][-–])[ \t]*$", before)
            if alone and re.match(r"[ \t]*(?:$|\n|[.,;!?)])", after):
                yield start, end
