"""ADDRESS: street addresses with what follows them, PO boxes, postcodes, address cues.

Addresses: a street (house number and type in either order, a glued type, a unit or building
number before it, on one line or two), its inline and following lines (unit, town, region,
postcode, country; a form's next field ends it), PO boxes, UK/CA postcodes, US city-state-ZIP;
a postcode beside its town on its own line, and as the voucher of the street line before it;
and the rest of a phrase after an address cue (``lives at``, ``ship it to``, ``Street:``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from bot.privacy.emails import _EMAIL_RE
from bot.privacy.lexicon import _BRANDS, _COMMON, _L, _NOT_NAMES, _PLACES, _UP, _fold, _words
from bot.privacy.localities import (
    _ADDR_BEFORE_POSTCODE_RE,
    _PLACE_POSTCODE_LINE_RE,
    _locality_spans,
)
from bot.privacy.spans import _trim
from bot.privacy.streets import (
    _ADDR_BOX_RE,
    _ADDR_CSZ_RE,
    _ADDR_CTX_RE,
    _ADDR_LINE_RE,
    _ADDR_MIL_RE,
    _ADDR_MORPH_RE,
    _ADDR_NAMED_RE,
    _ADDR_NUM_FIRST_LOWER_RE,
    _ADDR_NUM_FIRST_RE,
    _ADDR_POSTCODE_RE,
    _ADDR_PREFIX_NUM_RE,
    _ADDR_PREFIX_RE,
    _ADDR_STOP_RE,
    _ADDR_TAIL_RE,
    _ADDR_UNIT_RE,
    _ADDR_WEAK_UNIT_RE,
    _ADDR_ZIP_CTX_RE,
    _ANYWORD,
    _CONNECTORS,
    _INLINE_EXT_RE,
    _LEAD_FILLER_RE,
    _LINE_PREFIX_RE,
    _LINE_STOP_RE,
    _MORPHEMES,
    _NUM,
    _POSTCODE_PLACE,
    _PREFIX,
    _STREET_WORD_RE,
    _TIME_LIKE_RE,
    _UNIT_LINE_RE,
    _WEAK_SUFFIXES,
    _WORD_NUM_RE,
)


def _has_uncommon_word(chunk: str) -> bool:
    """Whether a chunk holds a word that is not common English (a place or street name)."""
    for w in re.findall(rf"(?<!\w){_L}[\w'’\-]*", chunk):
        if len(w) >= 2 and w.casefold() not in _COMMON and _fold(w) not in _COMMON:
            return True
    return False


_POSTCODE_LINE_RE: Final = re.compile(
    rf"(?=.*{_L})(?:{_L}[\w'’.\-]*[ \t,/-]+){{0,4}}(?:\d{{5}}-?\d{{3}}|\d{{6}})"
    rf"(?:[ \t,/-]+{_L}[\w'’.\-]*){{0,4}}"
)


def _continuation_len(line: str) -> int:
    """How much of a line continues an address block (city, region, country, zip, unit); 0 if none."""
    lead = _LINE_PREFIX_RE.match(line)
    offset = lead.end() if lead else 0
    stop = _LINE_STOP_RE.search(line, offset)
    if stop is not None:
        line = line[: stop.start()]
    body = line[offset:].strip()
    if not body or len(body) > 60:
        return 0
    words = re.findall(r"[\w'’.\-]+", body)
    if not words or len(words) > 7 or body.endswith(":"):
        return 0
    if _EMAIL_RE.search(body) or "@" in body or "http" in body.lower():
        return 0
    digits = sum(c.isdigit() for c in body)
    # Six or more digits are a phone or an account number, unless they are one postcode
    # ("Rajkot 400001", "01310-100 São Paulo").
    if digits >= 6 and not _POSTCODE_LINE_RE.fullmatch(body):
        return 0
    if re.search(r"(?i)\b(?:office|fax|mobile|phone|tel|email|regards|thanks|cheers)\b", body):
        return 0
    size = len(line.rstrip(" \t,;:"))
    # "55650 Perleberg Our officer confirmed it": a sentence goes on after the address.
    prose = [w for w in words if w.islower() and w in _COMMON and not re.fullmatch(_CONNECTORS, w)]
    if len(prose) >= 3 and _fold(body) not in _PLACES:
        return 0
    if digits:
        return size
    if re.fullmatch(r",?\s*[A-Z]{2,3}\.?", body) or body.casefold() == ", nan":
        return size
    if body.isupper() and len(words) <= 4:
        return size
    if _fold(re.sub(r"[\d,]+", " ", body)).strip() in _PLACES:
        return size
    return size if _has_uncommon_word(body) and not re.search(r"[.!?]$", body) else 0


_POSTCODE_PLACE_RE: Final = re.compile(rf"[ \t>*•-]*{_POSTCODE_PLACE}")


def _postcode_place_len(line: str) -> int:
    """The "12345 Town" or "Town 12345" that opens a line, when the rest is something else."""
    m = _POSTCODE_PLACE_RE.match(line)
    return m.end() if m else 0


_FIELD_LINE_RE: Final = re.compile(r"[ \t>*•-]*[^\W\d_]+(?:[ /][^\W\d_]+){0,2}(?: \d)?:(?:[ \t]|$)")


def _extend_block(text: str, end: int) -> int:
    """Extend an address that ends a line over the following address-like lines."""
    nl = text.find("\n", end)
    rest_of_line = text[end : nl if nl != -1 else len(text)]
    if rest_of_line.strip(" \t,"):
        return end
    pos = end + len(rest_of_line)  # at a newline, or the end
    lines_taken = 0
    new_end = end
    while pos < len(text) and lines_taken < 6:
        nl = text.find("\n", pos + 1)
        line = text[pos + 1 : nl if nl != -1 else len(text)]
        # A blank line ends the paragraph, and the address with it.
        if not line.strip():
            break
        # A form's next field ("City: ...", "Postcode: ...") is a value of its own, found by
        # itself if private: the field names are no part of the address.
        if _FIELD_LINE_RE.match(line):
            break
        size = _continuation_len(line) or _postcode_place_len(line)
        if not size:
            break
        lines_taken += 1
        new_end = pos + 1 + size
        if size < len(line.rstrip()):
            break
        pos = nl if nl != -1 else len(text)
    return new_end


def _extend_back(text: str, start: int) -> int:
    """Take in the line before an address that starts a line when that line is only a house
    number or a unit ("Flat 3", "H.No. 42", "70/657")."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip(" \t>*•-") or line_start == 0:
        return start
    prev_start = text.rfind("\n", 0, line_start - 1) + 1
    if _UNIT_LINE_RE.fullmatch(text, prev_start, line_start - 1):
        return (
            prev_start
            + len(text[prev_start:line_start])
            - len(text[prev_start:line_start].lstrip(" \t>*•-"))
        )
    return start


_INLINE_UNITS: Final[frozenset[str]] = _words("apt apartment suite ste unit flat")
_INLINE_WORD_RE: Final = re.compile(rf"{_L}[\w'’\-]*")


def _extend_inline(text: str, end: int) -> int:
    """Extend over ``, Apt. 5``, ``, City``, ``, City, ST 12345`` or ``, Country 12345`` parts."""
    if text[end - 1 : end] == ".":
        return end
    m = _INLINE_EXT_RE.match(text, end)
    if not m:
        return end
    new_end = m.end()
    # Stop before a common English word that only looks like a town ("... Perleberg Our ..."),
    # and leave a sentence's full stop out.
    words = list(_INLINE_WORD_RE.finditer(text, end, new_end))
    for k, w in enumerate(words):
        key = w.group(0).casefold()
        pair = f"{key} {words[k + 1].group(0)}" if k + 1 < len(words) else key
        if (
            key in _COMMON
            and key not in _PLACES
            and _fold(pair) not in _PLACES
            and key not in _INLINE_UNITS
        ):
            new_end = w.start()
            break
    new_end = end if new_end <= end else new_end
    if text[new_end - 1 : new_end] == "." and re.search(rf"{_L}{{4}}\.$", text[end:new_end]):
        new_end -= 1
    return _trim(text, end, new_end)[1] if new_end > end else end


def _prefix_street(text: str, m: re.Match[str]) -> tuple[int, int] | None:
    """Judge a street-type-first match ("Rua das Pedras 930"); return its span or None."""
    words = m.group("words")
    parts = words.split()
    first = parts[0] if parts else ""
    type_ = m.group("type").casefold()
    if not (m.group("pre") or m.group("post")):
        return None
    if type_ in {"via", "place", "plaza", "avenue", "boulevard", "r.", "rue", "square"} and not (
        m.group("type")[0].isupper() or m.group("pre")
    ):
        return None
    if first.casefold() in _COMMON and not first[:1].isupper():
        return None
    if not m.group("post") and not _has_uncommon_word(words) and not words[:1].isupper():
        return None
    end = m.end()
    if not m.group("post"):
        # Without a trailing house number, stop after the last capitalised word, or, in lower
        # case, before the first common word.
        tokens = list(re.finditer(_ANYWORD, words))
        if words[:1].isupper():
            caps = [t for t in tokens if t.group(0)[0].isupper()]
            end = m.start("words") + caps[-1].end()
        else:
            keep = tokens[:1]
            for t in tokens[1:]:
                if t.group(0).casefold() in _COMMON:
                    break
                keep.append(t)
            end = m.start("words") + keep[-1].end()
    return m.start(), end


def _glued_stem_ok(word: str) -> bool:
    """A short glued type that is also an English word ("pad", "tie") ends a street name only
    after a stem that is no English word or brand ("Kerkpad", not "Keypad" or "ThinkPad")."""
    morpheme = max((m for m in _MORPHEMES if word.endswith(m)), key=len)
    if len(morpheme) > 3 or morpheme not in _COMMON:
        return True
    stem = word[: -len(morpheme)].rstrip("-")
    return len(stem) >= 3 and stem not in _COMMON and word not in _BRANDS


def _uncommon_before(text: str, pos: int) -> bool:
    """Whether the word just before ``pos`` is not common English ("Knudssøns gate 22")."""
    m = re.search(rf"({_ANYWORD})[ \t]+$", text[max(0, pos - 40) : pos])
    return m is not None and m.group(1).casefold() not in _COMMON


def _skip_common_words(text: str, start: int, end: int) -> int:
    """Move ``start`` past leading common English words ("the title refers to Xstraße 5")."""
    for w in re.finditer(rf"{_ANYWORD}|\S+", text[start:end]):
        word = w.group(0)
        if word[:1].isdigit() or word.casefold() not in _COMMON:
            return start + w.start()
    return start


_CHUNK_START_RE: Final = re.compile(
    rf"(?:\d|{_UP}|(?i:{_PREFIX})\b|(?i:p\.?\s?o\.?\s*box|unit|psc|apt|suite)\b)"
)


def _starts_address(text: str, pos: int) -> bool:
    """Whether a street address starts at ``pos`` (so a number there is a house number)."""
    return bool(
        _ADDR_NUM_FIRST_RE.match(text, pos)
        or _ADDR_NUM_FIRST_LOWER_RE.match(text, pos)
        or _ADDR_MORPH_RE.match(text, pos)
        or _ADDR_PREFIX_NUM_RE.match(text, pos)
    )


def _address_spans(text: str) -> Iterable[tuple[int, int]]:
    """Street addresses with their unit/city/region/zip continuation, PO boxes, postcodes."""
    found = _street_spans(text)
    found += _glued_street_spans(text)
    for rx in (_ADDR_NAMED_RE, _ADDR_UNIT_RE, _ADDR_BOX_RE, _ADDR_MIL_RE, _ADDR_CSZ_RE):
        for m in rx.finditer(text):
            found.append((m.start(), m.end()))
    for m in _ADDR_POSTCODE_RE.finditer(text):
        found.append((m.start(), m.end()))
    found += _postcode_town_spans(text)
    found += _locality_spans(text)
    for m in _ADDR_LINE_RE.finditer(text):
        if _has_uncommon_word(m.group("addr")):
            found.append((m.start("addr"), m.end("addr")))
    for m in _ADDR_CTX_RE.finditer(text):
        span = _cue_span(text, m)
        if span:
            found.append(span)
    # Weak units only next to something else that is an address.
    for m in _ADDR_WEAK_UNIT_RE.finditer(text):
        if any(s - 3 <= m.end() and m.start() <= e + 3 for s, e in found):
            found.append((m.start(), m.end()))
    for start, end in found:
        end = _extend_inline(text, end)
        yield _extend_back(text, start), _extend_block(text, end)


def _street_spans(text: str) -> list[tuple[int, int]]:
    """Streets with a house number and a street type, in either order."""
    found: list[tuple[int, int]] = []
    for m in _ADDR_NUM_FIRST_RE.finditer(text):
        # "2 Green Park tickets": a suffix that is also a plain word needs an address after it.
        if m.group("suffix").casefold() in _WEAK_SUFFIXES and not _ADDR_TAIL_RE.match(
            text, m.end()
        ):
            continue
        found.append((m.start(), m.end()))
    for m in _ADDR_NUM_FIRST_LOWER_RE.finditer(text):
        if _has_uncommon_word(m.group("words")):
            found.append((m.start(), m.end()))
    for m in _ADDR_PREFIX_NUM_RE.finditer(text):
        span = _prefix_street(text, m)
        if span:
            found.append(span)
    for m in _ADDR_PREFIX_RE.finditer(text):
        span = _prefix_street(text, m)
        if span:
            found.append(span)
    return found


def _glued_street_spans(text: str) -> list[tuple[int, int]]:
    """Streets whose type is glued to the name ("Kerkpad 4", "Hauptstraße 12")."""
    found: list[tuple[int, int]] = []
    for m in _WORD_NUM_RE.finditer(text):
        word = m.group("word").casefold()
        if word.endswith(_MORPHEMES) and (word not in _COMMON or _uncommon_before(text, m.start())):
            if not _glued_stem_ok(word):
                continue
            line_start = text.rfind("\n", 0, m.start()) + 1
            # The match that ends at this word, not an earlier street on the line.
            full = next(
                (
                    f
                    for f in _ADDR_MORPH_RE.finditer(text, max(line_start, m.start() - 80), m.end())
                    if f.end() == m.end()
                ),
                None,
            )
            if full is not None:
                start = _skip_common_words(text, full.start(), full.end())
                if re.search(_L, text[start : full.end()]):
                    found.append((start, full.end()))
    return found


def _postcode_town_spans(text: str) -> list[tuple[int, int]]:
    """Street lines before a postcode and town, places beside a postcode, codes after a zip cue."""
    found: list[tuple[int, int]] = []
    for m in _ADDR_BEFORE_POSTCODE_RE.finditer(text):
        street = m.group("street")
        town = re.findall(rf"{_L}[\w'’\-]*", m.group("town"))
        if (
            re.search(r"\d", street)
            and not re.fullmatch(rf"[\d\s,]+|{_NUM}", street)
            and not any(w.casefold() in _NOT_NAMES for w in re.findall(rf"{_L}+", street))
            and all(_fold(w) in _PLACES or w.casefold() not in _COMMON for w in town)
        ):
            found.append((m.start(), m.end()))
    for m in _PLACE_POSTCODE_LINE_RE.finditer(text):
        if _fold(m.group("place")) in _PLACES:
            found.append((m.start("place"), m.end("code")))
    for m in _ADDR_ZIP_CTX_RE.finditer(text):
        found.append((m.start("code"), m.end("code")))
    return found


def _cue_span(text: str, m: re.Match[str]) -> tuple[int, int] | None:
    """The rest of the phrase after an address cue ("lives at", "Street:"), if an address."""
    start = m.end()
    stop = _ADDR_STOP_RE.search(text, start, min(len(text), start + 120))
    end = stop.start() if stop else min(len(text), start + 120)
    inner = re.search(r"(?i)(?::|\bis\b|\bare\b)[ \t]+(?=\S)", text[start:end])
    if inner and not re.search(r"\d", text[start : start + inner.start()]):
        start += inner.end()
    lead = _LEAD_FILLER_RE.match(text, start, end)
    if lead:
        start = lead.end()
    chunk = text[start:end].rstrip(" \t,;:")
    # "I live at H.No. 53\nKhosla and ...": a unit or house number alone on the cue's line
    # goes on to the street on the next.
    if stop is not None and text.startswith("\n", stop.start()) and _UNIT_LINE_RE.fullmatch(chunk):
        nxt = _ADDR_STOP_RE.search(text, stop.start() + 1, min(len(text), end + 120))
        end = nxt.start() if nxt else min(len(text), end + 120)
        chunk = text[start:end].rstrip(" \t,;:")
    if not chunk or _TIME_LIKE_RE.match(chunk) or len(chunk.split()) > 14:
        return None
    first_word = re.match(rf"{_ANYWORD}", chunk)
    if not _CHUNK_START_RE.match(chunk) and not (
        first_word and first_word.group(0).casefold() not in _COMMON
    ):
        return None
    has_num = re.search(r"\d", chunk) is not None
    if (has_num and (_has_uncommon_word(chunk) or _STREET_WORD_RE.search(chunk))) or (
        _STREET_WORD_RE.search(chunk) and _has_uncommon_word(chunk)
    ):
        return start, start + len(chunk)
    return None
