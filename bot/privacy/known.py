"""The ticket's own customer: its names (whole and in parts) and e-mail addresses, found as given."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

from bot.privacy.lexicon import _fold
from bot.privacy.spans import Kind

# Whitespace holding at most one newline (a wrapped line, not a blank line).
_ONE_LINE_GAP: Final = r"(?:[^\S\n]+\n?[^\S\n]*|\n[^\S\n]*)"


def _known_spans(
    text: str, names: Sequence[str], emails: Sequence[str]
) -> Iterable[tuple[int, int, Kind]]:
    """The ticket's customer names (whole and each part of 3+ letters) and e-mail addresses."""
    for email in emails:
        email = email.strip()
        if not email:
            continue
        rx = re.compile(rf"(?<![\w.+-]){re.escape(email)}(?![\w-])", re.IGNORECASE)
        for m in rx.finditer(text):
            yield m.start(), m.end(), "EMAIL"
    variants: set[str] = set()
    for name in names:
        parts = name.split()
        if not parts:
            continue
        variants.add(_ONE_LINE_GAP.join(re.escape(p) for p in parts))
        for part in re.split(r"[\s\-]+", name):
            part = part.strip(".,'’")
            if len(part) >= 3:
                variants.add(re.escape(part))
                folded = _fold(part)
                if folded != part.casefold():
                    variants.add(re.escape(folded))
    if variants:
        alternation = "|".join(sorted(variants, key=len, reverse=True))
        rx = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)
        for m in rx.finditer(text):
            yield m.start(), m.end(), "NAME"
