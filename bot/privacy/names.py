"""NAME: person names from honorifics, phrases, sign-offs, form fields and the name lexicon.

Names: honorifics (``Mr. X``), phrases (``my name is``, ``this is``, ``Hi X,``, sign-offs such as
``Thanks,\nX``), a name alone on a line, ``Name <email>``, and words from the name lexicon: a
given name that is not also an English word (``Priya``), one that is (``Mark``) only with a
surname or mid-sentence, a known surname mid-sentence, and names listed with a name. Capitalised
words at the start of a sentence are not names by themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from bot.privacy.lexicon import (
    _BRANDS,
    _COMMON,
    _FIRST,
    _FIRST_LOWER,
    _HONORIFICS,
    _LAST,
    _LAST_LOWER,
    _NOT_NAMES,
    _PLACES,
    _UP,
    _fold,
    _words,
)

_WORD_RE: Final = re.compile(
    r"(?P<label>\[(?:EMAIL|PHONE|CARD|IBAN|ID|NAME|ADDRESS)\])|[^\W\d_]+(?:['’\-][^\W\d_]+)*"
)
_NAME_CTX_RE: Final = re.compile(
    r"(?i)(?:\bmy[ \t]+name[ \t]+is|\bmy[ \t]+name's|\bname[ \t]+is|\bname[ \t]*:|\bnamed|"
    r"\bcall[ \t]+me|\bthis[ \t]+is|\bi[ \t]+am|\bi'm|\bi’m|\bit's|\bit’s|\bdear|\bhi|\bhello|\bhey|"
    r"\battn\.?:?|\battention:|\bc/o|\bspeak[ \t]+(?:to|with)|\bspoke[ \t]+(?:to|with)|"
    r"\btalk(?:ed)?[ \t]+(?:to|with)|\bask[ \t]+for|\bsigned|\bfrom:|\bcustomer:|\bcontact:|"
    r"\bmaiden[ \t]+name[ \t]+is|\bname[ \t]+on[ \t]+the[ \t]+(?:account|card)[ \t]+is|"
    r"\bsaid|\bsays|\basked|\bthanks|\bthank[ \t]+you|\bregards|\bcheers|\bbest|\bsincerely|"
    r"\byours|\bsigned[ \t]+by|\bwith[ \t]+love|\bxoxo|"
    r"\b(?:(?:first|last|full|sur|given|family|my)[ \t]*)?name(?:[ \t]+on[ \t]+the[ \t]+(?:account|card))?\?"
    r"(?:[ \t]*(?:user|customer|client|me|caller)[ \t]*:)?)"
    r"[ \t]*[,:]?[ \t]*(?:\n[ \t>*-]*)?$"
)
_NAME_CTX_FIND_RE: Final = re.compile(_NAME_CTX_RE.pattern.removesuffix("$"))
_WEAK_CTX: Final[frozenset[str]] = frozenset(
    {
        "this is",
        "i am",
        "i'm",
        "i’m",
        "it's",
        "it’s",
        "said",
        "says",
        "asked",
        "named",
        "hi",
        "hello",
        "hey",
        "dear",
        "thanks",
        "thank you",
        "regards",
        "cheers",
        "best",
        "sincerely",
        "yours",
    }
)


def _sentence_start(text: str, pos: int) -> bool:
    """Whether the word at ``pos`` starts a sentence, a line or the text."""
    i = pos - 1
    while i >= 0 and text[i] in " \t\"'“‘(*•-":
        i -= 1
    return i < 0 or text[i] in ".!?:;\n>"


def _glued(text: str, start: int, end: int) -> bool:
    """Whether a word is part of an identifier, path, tag, handle or host name (not prose)."""
    before, after = text[start - 1 : start], text[end : end + 2]
    if before and before in "_/\\<{@#$=.":
        return not (before == "." and start >= 2 and text[start - 2] == " ")
    if after[:1] and after[:1] in "_/\\>}@=":
        return True
    return after[:1] == "." and after[1:2].isalnum()


@dataclass(frozen=True, slots=True)
class _Tok:
    start: int
    end: int  # without a possessive 's
    word: str
    title: bool
    lower: bool
    first: bool
    last: bool
    common: bool
    blocked: bool
    place: bool = False  # a country or US state: "Jordan", "Georgia" are names only with a surname
    label: str = ""  # "[NAME]" etc. for text redacted before: capitalised, never re-redacted


def _tokens(text: str) -> list[_Tok]:
    """Word tokens with their shape and lexicon flags."""
    out: list[_Tok] = []
    for m in _WORD_RE.finditer(text):
        if m.group("label"):
            # Text that was redacted before reads like a capitalised word, so a second pass
            # sees the same neighbours as the first.
            out.append(
                _Tok(m.start(), m.end(), m.group(0), True, False, False, False, False, True,
                     label=m.group(0))
            )  # fmt: skip
            continue
        word = m.group(0)
        if word[-2:] in {"'s", "’s", "'S", "’S"}:
            word = word[:-2]
        if not word or _glued(text, m.start(), m.end()):
            continue
        key, folded = word.casefold(), _fold(word)
        place = folded in _PLACES
        first_set, last_set = (_FIRST_LOWER, _LAST_LOWER) if word.islower() else (_FIRST, _LAST)
        title = word[0].isupper() and any(c.islower() for c in word)
        out.append(
            _Tok(
                start=m.start(),
                end=m.start() + len(word),
                word=word,
                title=title,
                lower=word.islower(),
                first=key in first_set or folded in first_set,
                last=key in last_set or folded in last_set,
                common=key in _COMMON or folded in _COMMON or "'" in key or "’" in key or place,
                blocked=key in _NOT_NAMES or key in _HONORIFICS,
                place=place,
            )
        )
    return out


def _adjacent(text: str, a: _Tok, b: _Tok) -> bool:
    """Whether two tokens are separated by spaces only (part of one name)."""
    gap = text[a.end : b.start]
    return (0 < len(gap) <= 2 and gap.strip(" \t") == "") or gap in {" ", "-"}


def _surname_like(t: _Tok, *, lowercase: bool) -> bool:
    """Whether a token can be a further part of a name already started."""
    if t.blocked:
        return False
    if lowercase:
        return t.lower and not t.common
    return t.title and (t.last or t.first or not t.common)


_NAME_SUFFIX_RE: Final = re.compile(
    r"[ \t]*,?[ \t]+(?:Jr|Sr|II|III|IV|MD|PhD|DDS|DVM|Esq|CPA)\b\.?"
)
_NAME_BEFORE_EMAIL_RE: Final = re.compile(
    rf"(?<![\w])(?P<name>(?:{_UP}[\w'’\-]*\.?[ \t]+){{0,3}}{_UP}[\w'’\-]*)[ \t]*<[^<>@\s]+@[^<>\s]+>"
)
# A capitalised word opening a line, then a comma and a request: "Jakobine, can you ...".
_VOCATIVE_RE: Final = re.compile(
    rf"(?m)^[ \t>*-]*(?P<name>{_UP}[^\W\d_]+),[ \t]+(?:can|could|would|will|please|thanks|thank|"
    rf"i|we|you|do|did|are|is|have|just|sorry|hope)\b",
    re.IGNORECASE,
)
# A line that is only a name, as in a signature: "Victor Miller".
_NAME_LINE_RE: Final = re.compile(
    rf"(?m)^[ \t>*•-]*(?P<name>{_UP}[^\W\d_]+(?:[ \t]+{_UP}\.?)?(?:[ \t]+{_UP}[^\W\d_'’-]+(?:[-'’]{_UP}?[^\W\d_]+)?){{1,2}})[ \t]*,?[ \t]*$"
)
# A form field that holds a name ("Surname: PIRANDELLO", "Account holder - Jun Ye"), and a
# transcript speaker's answer that is only a name ("Customer: Fang He").
_NAME_WORD = r"[^\W\d_]+(?:['’-][^\W\d_]+)*\.?"
_NAME_FIELD_RE: Final = re.compile(
    r"(?im)^[ \t>*•-]*(?P<field>(?:(?:full|first|last|given|family|middle|maiden|legal|billing|"
    r"shipping|account|card|customer|contact|cardholder'?s?|holder'?s?)[ \t]*name|name|surname|"
    r"forename|account[ \t]+holder|card[ \t]*holder|contact[ \t]+person|recipient|addressee|"
    r"attn|attention|customer|caller|user|client))[ \t]*(?::|-|–)[ \t]*"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}})[ \t]*(?P<after>[;,(]|$)"
)
_SPEAKER_FIELDS: Final[frozenset[str]] = _words("customer caller user client")


def _field_name_spans(text: str) -> Iterable[tuple[int, int]]:
    """Names in form fields and transcript answers; see ``_NAME_FIELD_RE``."""
    for m in _NAME_FIELD_RE.finditer(text):
        words = m.group("name").split()
        keys = [w.rstrip(".").casefold() for w in words]
        if any(k in _NOT_NAMES or (k in _HONORIFICS and i > 0) for i, k in enumerate(keys)):
            continue
        if not all(w[0].isupper() or w.casefold() in _PARTICLES for w in words):
            continue
        known = any(
            (k in _FIRST or k in _LAST or _fold(k) in _FIRST or _fold(k) in _LAST) for k in keys
        )
        speaker = m.group("field").casefold() in _SPEAKER_FIELDS
        if speaker and (m.group("after") != "" or not known):
            continue
        if not known and all(k in _COMMON for k in keys):
            continue
        yield m.start("name"), m.end("name")


_LIST_SEP_RE: Final = re.compile(
    r"^(?:,[ \t]*|[ \t]+(?:and|&|or)[ \t]+|,[ \t]+(?:and|&|or)[ \t]+)$"
)


# Words after which "Victor Miller" (a first name and a surname that are also words) is a name.
_NAME_LEADS: Final[frozenset[str]] = _words(
    "to with from by for and or cc call called ask asked tell told contact contacted email emailed "
    "thank thanks met meet named per attn dear hi hello hey colleague agent manager customer "
    "mr mrs ms dr is was"
)
_PARTICLES: Final[frozenset[str]] = _words(
    "van von de der den da di del della la le du dos das ter ten bin ibn al el mac st"
)


def _extend_name(text: str, toks: list[_Tok], i: int, *, lowercase: bool, limit: int = 2) -> int:
    """Index of the last token of a name that starts at token ``i``."""
    j = i
    while j + 1 < len(toks) and j - i < limit + 1 and _adjacent(text, toks[j], toks[j + 1]):
        nxt = toks[j + 1]
        if (
            not lowercase
            and nxt.word in _PARTICLES
            and j + 2 < len(toks)
            and _adjacent(text, nxt, toks[j + 2])
            and toks[j + 2].title
            and not toks[j + 2].blocked
        ):
            j += 2  # "Jacob van Gameren", "Gary de Vaan"
            continue
        if j - i >= limit or not _surname_like(nxt, lowercase=lowercase):
            break
        j += 1
    return j


def _name_follows(text: str, toks: list[_Tok], i: int) -> bool:
    """Whether a capitalised word, or a particle and one ("van Dijk"), follows token ``i``."""
    j = i + 1
    if j < len(toks) and toks[j].word in _PARTICLES and _adjacent(text, toks[i], toks[j]):
        j += 1
        while j < len(toks) and toks[j].word in _PARTICLES:
            j += 1
    return j < len(toks) and _adjacent(text, toks[j - 1], toks[j]) and toks[j].title


# A name the scan found at token i (first token, last token, start offset; None if none there)
# and the token it looks at next.
_Step = tuple[tuple[int, int, int] | None, int]


def _name_token_runs(text: str, toks: list[_Tok]) -> list[tuple[int, int, int]]:
    """Names as (first token, last token, start offset); the offset may precede the first token."""
    ctx_ends: dict[int, str] = {}
    for m in _NAME_CTX_FIND_RE.finditer(text):
        after = m.end()
        while after < len(text) and text[after] in " \t":
            after += 1
        ctx_ends[after] = re.sub(r"[ \t]+", " ", re.sub(r"[,:\s]+$", "", m.group(0).lower()))
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < len(toks):
        run, i = _name_at(text, toks, i, ctx_ends)
        if run is not None:
            runs.append(run)
    return runs


def _name_at(text: str, toks: list[_Tok], i: int, ctx_ends: dict[int, str]) -> _Step:
    """The name the scan finds at token ``i``, by the first rule that takes it."""
    n = len(toks)
    t = toks[i]
    prev = toks[i - 1] if i > 0 and _adjacent(text, toks[i - 1], t) else None
    nxt = toks[i + 1] if i + 1 < n and _adjacent(text, t, toks[i + 1]) else None
    step = _after_honorific(text, toks, i)
    if step is None:
        step = _after_cue(text, toks, i, ctx_ends.get(t.start), nxt)
    if step is not None:
        return step
    brand_before = prev is not None and prev.title and prev.word.casefold() in _BRANDS
    if t.blocked or brand_before:
        return None, i + 1
    if t.title:
        return _capitalised_name(text, toks, i, prev, nxt)
    if t.lower and t.first:
        return _lowercase_name(toks, i, nxt)
    return None, i + 1


def _after_honorific(text: str, toks: list[_Tok], i: int) -> _Step | None:
    """Honorific + name: "Mr. Smith", "ms. Wijtze", "Dr. Kent Jaworski"."""
    t = toks[i]
    if t.word.casefold() in _HONORIFICS and i + 1 < len(toks):
        cand = toks[i + 1]
        gap = text[t.end : cand.start]
        if re.fullmatch(r"\.?[ \t]+", gap) and (
            cand.title
            or (cand.lower and (cand.first or cand.last or not cand.common) and not cand.blocked)
        ):
            j = _extend_name(text, toks, i + 1, lowercase=cand.lower)
            return (i, j, t.start), j + 1
    return None


def _after_cue(
    text: str, toks: list[_Tok], i: int, ctx: str | None, nxt: _Tok | None
) -> _Step | None:
    """A name after a cue that ends just before token ``i`` ("my name is", "hi", "thanks")."""
    t = toks[i]
    if ctx is None or t.blocked or (t.word.isupper() and len(t.word) > 1):
        return None
    weak = ctx in _WEAK_CTX
    if t.title:
        # After "hi", "this is", "thanks": a name-like word, or a first name that is
        # also a word ("Hi Mark,") when punctuation or a surname follows.
        follow = text[t.end : t.end + 1]
        ok = (
            not t.common or (t.first and (follow in ",.!?;:\n" or _name_follows(text, toks, i)))
            if weak
            else (t.first or t.last or not t.common)
        )
    else:
        ok = t.lower and (
            ((t.first or t.last) and not t.common)
            or (t.first and nxt is not None and nxt.lower and nxt.last and not nxt.blocked)
            if weak
            else (not t.common or ((t.first or t.last) and "name" in ctx))
        )
        if ok and weak and t.common and nxt is not None:
            # "this is john smith": both words, but a first name and a surname.
            return (i, i + 1, t.start), i + 2
    if ok:
        j = _extend_name(text, toks, i, lowercase=t.lower)
        return (i, j, t.start), j + 1
    return None


def _capitalised_name(
    text: str, toks: list[_Tok], i: int, prev: _Tok | None, nxt: _Tok | None
) -> _Step:
    """A capitalised word from the name lexicon, judged by its neighbours."""
    t = toks[i]
    mid = not _sentence_start(text, t.start)
    prev_title = prev is not None and prev.title
    if t.first and not t.common:
        j = _extend_name(text, toks, i, lowercase=False)
        return (i, j, t.start), j + 1
    if t.first and nxt is not None and nxt.title and not nxt.blocked and not nxt.common:
        # "Mark Roseby": a first name that is also a word, then a surname.
        j = _extend_name(text, toks, i + 1, lowercase=False, limit=1)
        return (i, j, t.start), j + 1
    lead = toks[i - 1].word.casefold() if i > 0 else ""
    if (
        t.first
        and mid
        and nxt is not None
        and nxt.title
        and nxt.last
        and not nxt.blocked
        and not prev_title
        and lead in _NAME_LEADS
    ):
        # "call Victor Miller": first name + surname, both also words, mid-sentence.
        return (i, i + 1, t.start), i + 2
    if (
        t.first
        and prev is not None
        and prev.lower
        and not t.place
        and (nxt is None or not nxt.title)
    ):
        # A first name that is also a word ("Mark", "Rose"), capitalised mid-sentence.
        return (i, i, t.start), i + 1
    if t.last and not t.common and not prev_title and (nxt is None or not nxt.title):
        # A surname alone, mid-sentence, or opening a list ("Lang and Fleischer").
        listed = (
            i + 1 < len(toks)
            and toks[i + 1].title
            and _LIST_SEP_RE.match(text[t.end : toks[i + 1].start])
        )
        if mid or listed:
            return (i, i, t.start), i + 1
    return None, i + 1


def _lowercase_name(toks: list[_Tok], i: int, nxt: _Tok | None) -> _Step:
    """A lower-case given name: with a surname after it, or alone when it is no English word."""
    t = toks[i]
    if (
        nxt is not None
        and nxt.lower
        and not nxt.blocked
        and not nxt.common
        and (not t.common or (nxt.last and not nxt.first))
    ):
        return (i, i + 1, t.start), i + 2
    if not t.common:
        return (i, i, t.start), i + 1
    return None, i + 1


def _name_spans(text: str) -> Iterable[tuple[int, int]]:
    """Person names from honorifics, phrases (``my name is``, sign-offs) and the name lexicon."""
    toks = _tokens(text)
    if not toks:
        return
    runs = _name_token_runs(text, toks)
    named = [t.label == "[NAME]" for t in toks]
    for i, j, _ in runs:
        for k in range(i, j + 1):
            named[k] = True
    # Lists: "Malon, Darin and Michelle": a capitalised uncommon word listed with a name is one.
    changed = True
    while changed:
        changed = False
        for k, t in enumerate(toks):
            if named[k] or not t.title or t.blocked or (t.common and not (t.first or t.last)):
                continue
            for nb in (k - 1, k + 1):
                if 0 <= nb < len(toks) and named[nb]:
                    a, b = (toks[nb], t) if nb < k else (t, toks[nb])
                    if _LIST_SEP_RE.match(text[a.end : b.start]):
                        named[k] = True
                        runs.append((k, k, t.start))
                        changed = True
                        break
    for i, j, start in runs:
        if i < j and _fold(" ".join(t.word for t in toks[i : j + 1])) in _PLACES:
            continue  # "São Paulo", "Santa Cruz"
        end = toks[j].end
        suffix = _NAME_SUFFIX_RE.match(text, end)
        yield start, suffix.end() if suffix else end
    yield from _field_name_spans(text)
    for m in _NAME_BEFORE_EMAIL_RE.finditer(text):
        yield m.start("name"), m.end("name")
    for m in _VOCATIVE_RE.finditer(text):
        word = m.group("name")
        if (
            word[0].isupper()
            and word.casefold() not in _COMMON
            and word.casefold() not in _NOT_NAMES
        ):
            yield m.start("name"), m.end("name")
    for m in _NAME_LINE_RE.finditer(text):
        words = m.group("name").split()
        first, last = words[0].casefold(), words[-1].casefold()
        if (
            (first in _FIRST or _fold(first) in _FIRST)
            and (last in _LAST or _fold(last) in _LAST or last not in _COMMON)
            and not any(w.casefold() in _NOT_NAMES or _fold(w) in _PLACES for w in words)
        ):
            yield m.start("name"), m.end("name")
