"""Evidence checks: every excerpt must be a verbatim quote of the redacted transcript.

The only normalisation is whitespace: runs of spaces, tabs and line breaks count as one space on
both sides (a model often re-flows a quote that spans two lines). Nothing else is forgiven: no
case folding, no punctuation or quote-mark changes, no fuzzy matching. A matching excerpt is
stored as the transcript's own text at that place (so the stored excerpt is a real substring),
and it must be at most ``MAX_EXCERPT`` characters and at least ``MIN_EXCERPT`` non-space
characters (a two-letter "quote" proves nothing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.qa.draft import Point

MAX_EXCERPT = 300
MIN_EXCERPT = 8
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Transcript:
    """A redacted transcript with its whitespace-collapsed form and a map back to it."""

    text: str
    flat: str
    origin: tuple[int, ...]  # origin[i] = index in `text` of flat[i]

    @classmethod
    def of(cls, text: str) -> Transcript:
        """Index a redacted transcript for excerpt checks."""
        flat: list[str] = []
        origin: list[int] = []
        for match in re.finditer(r"\S+|\s+", text):
            if match.group().isspace():
                if flat and flat[-1] != " ":
                    flat.append(" ")
                    origin.append(match.start())
            else:
                flat.extend(match.group())
                origin.extend(range(match.start(), match.end()))
        return cls(text=text, flat="".join(flat), origin=tuple(origin))

    def find(self, excerpt: str) -> str | None:
        """The transcript's own text for `excerpt` (whitespace aside), or None if it isn't there."""
        needle = _SPACE.sub(" ", excerpt).strip()
        if len(needle.replace(" ", "")) < MIN_EXCERPT:
            return None
        at = self.flat.find(needle)
        if at < 0:
            return None
        start, end = self.origin[at], self.origin[at + len(needle) - 1] + 1
        found = self.text[start:end]
        return found if len(found) <= MAX_EXCERPT else None


def check_excerpt(excerpt: str, transcript: str) -> str | None:
    """The verbatim transcript text for `excerpt`, or None when it doesn't check out."""
    return Transcript.of(transcript).find(excerpt)


def verify_points(points: Sequence[Point], transcript: str) -> tuple[list[Point], int]:
    """Points whose every excerpt checks out (excerpts replaced by the transcript's own text),
    and how many points were dropped. A point with no evidence, or with any excerpt that isn't
    a verbatim quote of at most 300 characters, is dropped: one fabricated quote makes the
    whole point untrustworthy."""
    index = Transcript.of(transcript)
    kept: list[Point] = []
    dropped = 0
    for point in points:
        found = [index.find(e) for e in point.evidence]
        if not found or any(f is None for f in found):
            dropped += 1
            continue
        unique = list(dict.fromkeys(f for f in found if f is not None))
        kept.append(Point(text=point.text, root_cause=point.root_cause, evidence=tuple(unique)))
    return kept, dropped
