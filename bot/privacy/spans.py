"""Spans of private text and their kinds and labels: the types every detector shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["EMAIL", "PHONE", "CARD", "IBAN", "ID", "NAME", "ADDRESS"]

#: All kinds, highest precedence first.
KINDS: Final[tuple[Kind, ...]] = ("EMAIL", "IBAN", "CARD", "ID", "PHONE", "ADDRESS", "NAME")


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A private span of text: ``text[start:end]`` is replaced by ``[kind]``."""

    start: int
    end: int
    kind: Kind


def label(kind: Kind) -> str:
    """Return the replacement text for a kind, e.g. ``[EMAIL]``."""
    return f"[{kind}]"


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span to exclude surrounding whitespace and separators."""
    while start < end and text[start] in " \t\r\n,;:":
        start += 1
    while end > start and text[end - 1] in " \t\r\n,;:":
        end -= 1
    return start, end
