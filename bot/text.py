"""Cutting text to a length: the one rule every stored or shown excerpt follows."""

from __future__ import annotations


def clip(text: str, limit: int) -> str:
    """Text cut to at most `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return "" if limit < 1 else text[: limit - 1].rstrip() + "…"
