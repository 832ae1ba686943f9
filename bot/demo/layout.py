"""The terminal renderer's ground: widths, wrapping, boxes, and Slack text made readable."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

BUILDER_URL = "https://app.slack.com/block-kit-builder/#"
DEFAULT_WIDTH = 88
MIN_WIDTH = 24

_VIEW_TYPES = frozenset({"modal", "home", "workflow_step"})
_RULE = "─"
_DIM = "  · "  # context blocks and hints: the small grey text under things in Slack
_DIM_REST = "    "
_BLANK = "_" * 24  # an empty single-line text field
_BOX_HEIGHT = 3  # a multiline text field is at least this many lines tall
_FIELD_GAP = "   "
_MIN_COLUMN = 16  # narrower than this, section fields are listed instead of side by side
_GLUE = "\ue000"  # stands for a space that wrapping must not break at (inside `[ ... ]`)
_TEXT_INPUTS = frozenset(
    {"plain_text_input", "email_text_input", "url_text_input", "number_text_input"}
)

_TOKEN = re.compile(r"<([^<>\n]+)>")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_LEAD = re.compile(r"\s*(?:(?:[•◦▪\-*]|\d+[.)])\s+|(?:>\s?)+)?")

# -- layout helpers -------------------------------------------------------------------------


def _dict(value: Any) -> Mapping[str, Any]:
    """The value if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Any]:
    """The value if it is a list, else an empty one."""
    return value if isinstance(value, list | tuple) else ()


def _wrap(text: str, width: int) -> list[str]:
    """Text wrapped to `width`, keeping its line breaks and hanging bullets and quotes."""
    out: list[str] = []
    for raw in text.split("\n"):
        line = raw.rstrip()
        if not line.strip():
            out.append("")
            continue
        lead = _LEAD.match(line)
        prefix = lead.group(0) if lead else ""
        rest = prefix if prefix.lstrip().startswith(">") else " " * len(prefix)
        if len(rest) > width // 2:
            rest = ""
        wrapped = textwrap.wrap(
            line,
            max(width, 1),
            subsequent_indent=rest,
            break_long_words=False,
            break_on_hyphens=False,
        )
        out += wrapped or [line]
    return [line.replace(_GLUE, " ") for line in out]


def _int(value: Any) -> int:
    """The value if it is a positive int, else 0."""
    return value if isinstance(value, int) and value > 0 else 0


def _hang(lines: list[str], first: str, rest: str) -> list[str]:
    """Lines with `first` before the first one and `rest` before the others."""
    return [(first if i == 0 else rest) + line for i, line in enumerate(lines)]


def _glue(token: str, width: int | None = None) -> str:
    """The token with its spaces protected from wrapping, unless it is wider than `width`."""
    return token if width is not None and len(token) > width else token.replace(" ", _GLUE)


def _title_box(title: str, width: int) -> list[str]:
    """The title in a small box, like the top of a modal."""
    lines = _wrap(title, width - 4)
    inner = max(len(line) for line in lines)
    return [
        "╭" + "─" * (inner + 2) + "╮",
        *(f"│ {line.ljust(inner)} │" for line in lines),
        "╰" + "─" * (inner + 2) + "╯",
    ]


def _box(lines: list[str], width: int) -> list[str]:
    """Lines in a full-width box at least a few lines tall, like a multiline text field."""
    inner = width - 4
    body = lines + [""] * (_BOX_HEIGHT - len(lines))
    return [
        "┌" + "─" * (width - 2) + "┐",
        *(f"│ {line.ljust(inner)} │" for line in body),
        "└" + "─" * (width - 2) + "┘",
    ]


def _dim(text: str, width: int) -> list[str]:
    """Small grey text (context, hints), wrapped and prefixed."""
    return _hang(_wrap(text, width - len(_DIM)), _DIM, _DIM_REST)


# -- text -----------------------------------------------------------------------------------


def _text(obj: Any) -> str:
    """The readable text of a text object (mrkdwn converted), or of a bare string."""
    if isinstance(obj, str):
        return obj
    value = _dict(obj).get("text")
    if not isinstance(value, str):
        return ""
    return _mrkdwn(value) if _dict(obj).get("type") == "mrkdwn" else value


def _mrkdwn(text: str) -> str:
    """Slack mrkdwn made readable: links, mentions and dates spelled out, entities decoded."""
    converted = _TOKEN.sub(_token, text)
    return converted.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token(match: re.Match[str]) -> str:
    """One `<...>` mrkdwn token as a person reads it."""
    target, _, label = match.group(1).partition("|")
    if target.startswith("@"):
        return "@" + (label.lstrip("@") or target[1:])
    if target.startswith("#"):
        return "#" + (label.lstrip("#") or target[1:])
    if target.startswith("!"):
        command, *args = target[1:].split("^")
        if command == "date":
            return label or _timestamp(args[0] if args else "", "%Y-%m-%d")
        if command == "subteam":
            return label or "@" + (args[0] if args else "group")
        if command in ("here", "channel", "everyone"):
            return "@" + command
        return label or "@" + command
    shown = target.removeprefix("mailto:")
    if not label or label in (target, shown):
        return label or shown
    return f"{label} ({target})"


def _timestamp(value: Any, fmt: str) -> str:
    """A Unix timestamp formatted in UTC, or the value as it came if it is not one."""
    try:
        return datetime.fromtimestamp(int(value), UTC).strftime(fmt)
    except (TypeError, ValueError, OverflowError, OSError):
        return str(value)
