"""Small helpers shared by connectors: HTML to text, transcript lines, UTC times."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

CUSTOMER = "Customer"
AGENT = "Agent"
BOT = "Bot"

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
    | {"blockquote", "pre", "ul", "ol", "table", "section", "article"}
)
_HTML_TAG = re.compile(r"</?(?:p|div|br|span|a|b|i|u|strong|em|ul|ol|li|table|img|h\d)\b", re.I)
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title"})


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, breaking lines at block elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of an HTML fragment, entities decoded, one paragraph a line."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def one_line(text: str) -> str:
    """The text with every run of whitespace (newlines included) made one space."""
    return " ".join(text.split())


def transcript_text(turns: Iterable[tuple[str, str]]) -> str:
    """ "Speaker: text" lines, one a turn, empty turns dropped."""
    lines = (f"{speaker}: {one_line(body)}\n" for speaker, body in turns if one_line(body))
    return "".join(lines)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_iso(value: Any) -> datetime | None:
    """An ISO 8601 string (such as Zendesk's "2024-05-01T10:00:00Z") as UTC, else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def from_epoch(value: Any) -> datetime | None:
    """Unix seconds (such as Intercom's timestamps) as UTC, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def clean(value: Any) -> str | None:
    """A non-empty stripped string, else None."""
    if not isinstance(value, str):
        return None
    return value.strip() or None


def maybe_html_to_text(text: str) -> str:
    """Plain text as-is; text that carries HTML tags stripped of them."""
    return html_to_text(text) if _HTML_TAG.search(text) else text


def as_object(value: Any) -> dict[str, Any]:
    """The value if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_int(value: Any) -> int | None:
    """An integer id, else None (booleans are not ids)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
