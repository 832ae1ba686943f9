"""Slack rich text (styled runs, links, emoji, lists, quotes) as terminal text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.demo.layout import _dict, _hang, _int, _list, _timestamp, _wrap


def _styled(text: str, style: Mapping[str, Any]) -> str:
    """Rich text with its styles shown the way mrkdwn writes them (spaces kept outside)."""
    core = text.strip()
    if not core:
        return text
    if style.get("code"):
        core = f"`{core}`"
    for key, mark in (("strike", "~"), ("italic", "_"), ("bold", "*")):
        if style.get(key):
            core = f"{mark}{core}{mark}"
    start = len(text) - len(text.lstrip())
    return text[:start] + core + text[start + len(text.strip()) :]


def _rich_inline(elements: Any) -> str:
    """The inline elements of a rich text section as one string."""
    out: list[str] = []
    for element in _list(elements):
        element = _dict(element)
        kind = element.get("type")
        style = _dict(element.get("style"))
        if kind == "text":
            out.append(_styled(str(element.get("text") or ""), style))
        elif kind == "link":
            url = str(element.get("url") or "")
            label = str(element.get("text") or "")
            out.append(_styled(f"{label} ({url})" if label and label != url else url, style))
        elif kind == "user":
            out.append("@" + str(element.get("user_id")))
        elif kind == "usergroup":
            out.append("@" + str(element.get("usergroup_id")))
        elif kind == "channel":
            out.append("#" + str(element.get("channel_id")))
        elif kind == "broadcast":
            out.append("@" + str(element.get("range") or "here"))
        elif kind == "emoji":
            out.append(_emoji(element))
        elif kind == "date":
            fallback = element.get("fallback")
            out.append(str(fallback) if fallback else _timestamp(element.get("timestamp"), "%c"))
        elif kind == "color":
            out.append(str(element.get("value") or ""))
        elif kind == "team":
            out.append("+" + str(element.get("team_id")))
    return "".join(out)


def _emoji(element: Mapping[str, Any]) -> str:
    """An emoji element as its character when given, else as `:name:`."""
    code = element.get("unicode")
    if isinstance(code, str) and code:
        try:
            return "".join(chr(int(part, 16)) for part in code.split("-"))
        except ValueError:
            pass
    return f":{element.get('name')}:"


def _rich_text(block: Mapping[str, Any], width: int) -> list[str]:
    """A rich text block: paragraphs, lists, code and quotes."""
    out: list[str] = []
    for element in _list(block.get("elements")):
        element = _dict(element)
        kind = element.get("type")
        if kind == "rich_text_section":
            out += _wrap(_rich_inline(element.get("elements")), width)
        elif kind == "rich_text_list":
            depth, start = _int(element.get("indent")), _int(element.get("offset"))
            ordered = element.get("style") == "ordered"
            for n, item in enumerate(_list(element.get("elements")), start=start + 1):
                lead = "  " * depth + (f"{n}. " if ordered else "•◦▪"[depth % 3] + " ")
                text = _rich_inline(_dict(item).get("elements"))
                out += _hang(_wrap(text, width - len(lead)), lead, " " * len(lead))
        elif kind == "rich_text_preformatted":
            out += ["```", *_rich_inline(element.get("elements")).split("\n"), "```"]
        elif kind == "rich_text_quote":
            text = _rich_inline(element.get("elements"))
            out += _hang(_wrap(text, width - 2), "> ", "> ")
        else:
            out.append(f"[{kind}]")
    return out
