"""Looking for a customer's data in what Debrief keeps: only where it could be.

Ids, timestamps and hashes are digits too: a microsecond like `.411141` holds `4111` by chance.
So words and digits are looked for in text values only, and a card's digits as a card is
written (its groups, with or without separators) or as a group standing on its own.
"""

from __future__ import annotations

import json
import re

from bot.core.db import session_scope
from models import Base


def stored_texts(db_url: str) -> list[str]:
    """Every text value of every row of every table (JSON columns as JSON text)."""
    texts: list[str] = []
    with session_scope(db_url) as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(table.select()):
                texts += [
                    v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                    for v in row
                    if isinstance(v, str | dict | list)
                ]
    return texts


def card_pattern(card: str) -> re.Pattern[str]:
    """A card number as it may be written (any separators) or its first group on its own."""
    groups = card.split()
    written = r"[ -]?".join(re.escape(g) for g in groups)
    return re.compile(rf"{written}|(?<!\d){re.escape(groups[0])}(?!\d)")


def leaks(texts: list[str], words: tuple[str, ...], card: str) -> list[str]:
    """The customer's words and card found in `texts` (none when nothing leaked)."""
    everything = "\n".join(texts)
    found = [w for w in words if w in everything]
    if match := card_pattern(card).search(everything):
        found.append(match.group(0))
    return found
