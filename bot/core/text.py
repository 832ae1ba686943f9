"""Text as Debrief keeps it: the one check every way in uses, and the one rule for cutting it."""

from __future__ import annotations

import re
import unicodedata

from bot.core.errors import InvalidInput

# Format characters and fillers that show nothing: a text made only of these (and spaces) is empty
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})
_EMPTY = ("is empty", "has nothing visible in it")


def clip(text: str, limit: int) -> str:
    """Text cut to at most `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return "" if limit < 1 else text[: limit - 1].rstrip() + "…"


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode's Cc: C0, DEL and C1
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # \t \n \r pass


def unstorable(value: object, *, multiline: bool = False) -> str | None:
    """Why no column can hold `value`, or None: not a string, a broken character (a lone
    surrogate), or a control character (newlines and tabs are fine in multi-line text)."""
    if not isinstance(value, str):
        return "must be text"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"holds a broken character at position {exc.start + 1} (not valid Unicode)"
    found = (_CONTROL_BUT_LINES if multiline else _CONTROL).search(value)
    if found is not None:
        char = found.group(0)
        return f"holds a control character (U+{ord(char):04X}) at position {found.start() + 1}"
    return None


def refusal(value: object, *, max_length: int, multiline: bool = False) -> str | None:
    """Why `value` can't be kept as text, or None: what `unstorable` refuses, nothing visible
    (spaces, zero-width characters, a byte-order mark, fillers), or longer than `max_length`
    once its ends are trimmed."""
    why = unstorable(value, multiline=multiline)
    if why is not None:
        return why
    assert isinstance(value, str)
    text = value.strip()
    if not any(
        unicodedata.category(c) not in _INVISIBLE_CATEGORIES and c not in _FILLERS for c in text
    ):
        return "is empty" if not text else "has nothing visible in it"
    if len(text) > max_length:
        return f"can be at most {max_length} characters ({len(text)} now)"
    return None


def checked_text(
    value: object,
    *,
    field: str,
    what: str,
    max_length: int,
    multiline: bool = False,
    empty: str | None = None,
) -> str:
    """`value` with its ends trimmed (and Windows line ends made plain), or InvalidInput
    saying what is wrong, e.g. "A note holds a control character (U+0000) at position 3."
    (`empty`: the message when there is nothing visible, if not "<what> is empty.")."""
    why = refusal(value, max_length=max_length, multiline=multiline)
    if why is not None:
        if empty is not None and why in _EMPTY:
            raise InvalidInput(field, empty)
        raise InvalidInput(field, f"{what} {why}.")
    assert isinstance(value, str)
    text = value.strip()
    return text.replace("\r\n", "\n").replace("\r", "\n") if multiline else text


def optional_text(
    value: object, *, field: str, what: str, max_length: int, multiline: bool = False
) -> str:
    """Like `checked_text`, but nothing visible is fine: it is kept as ""."""
    if refusal(value, max_length=max_length, multiline=multiline) in _EMPTY:
        return ""
    return checked_text(value, field=field, what=what, max_length=max_length, multiline=multiline)
