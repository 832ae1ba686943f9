"""Block Kit surfaces as plain terminal text, and as Block Kit Builder links."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from itertools import zip_longest
from typing import Any
from urllib.parse import quote

__all__ = ["BUILDER_URL", "DEFAULT_WIDTH", "builder_url", "render_text"]

from bot.demo.elements import _button, _element_lines, _image, _inline, _notes
from bot.demo.layout import (
    _FIELD_GAP,
    _MD_LINK,
    _MIN_COLUMN,
    _RULE,
    _TEXT_INPUTS,
    _VIEW_TYPES,
    BUILDER_URL,
    DEFAULT_WIDTH,
    MIN_WIDTH,
    _dict,
    _dim,
    _glue,
    _list,
    _mrkdwn,
    _text,
    _title_box,
    _wrap,
)
from bot.demo.rich_text import _rich_text

_Renderer = Callable[[Mapping[str, Any], int], list[str]]


def render_text(surface: Mapping[str, Any], width: int = DEFAULT_WIDTH) -> str:
    """The surface (modal, home view or message) as plain text, roughly as Slack shows it."""
    width = max(int(width), MIN_WIDTH)
    kind = surface.get("type")
    is_view = kind in _VIEW_TYPES
    parts: list[list[str]] = []
    if is_view:
        title = _text(surface.get("title")) or ("Home" if kind == "home" else "")
        if title:
            parts.append(_title_box(title, width))
    blocks = _list(surface.get("blocks"))
    if blocks:
        parts.append(_blocks(blocks, width))
    elif not is_view and isinstance(surface.get("text"), str):
        text = surface["text"]
        parts.append(_wrap(_mrkdwn(text) if surface.get("mrkdwn", True) else text, width))
    parts += [_attachment(_dict(a), width) for a in _list(surface.get("attachments"))]
    if kind == "modal":
        buttons = [_button(_text(surface.get("close")) or "Cancel")]
        if _text(surface.get("submit")):
            buttons.append(_button(_text(surface.get("submit"))))
        parts.append([_RULE * width, "  ".join(buttons).rjust(width)])
    out = [line for part in parts if part for line in ["", *part]]
    return "\n".join(line.rstrip() for line in out).strip("\n")


def builder_url(surface: Mapping[str, Any]) -> str:
    """A Block Kit Builder link that opens the surface (a whole view, or a message's blocks)."""
    payload: dict[str, Any]
    if surface.get("type") in _VIEW_TYPES:
        payload = dict(surface)
    else:
        payload = {"blocks": list(_list(surface.get("blocks")))}
        if surface.get("attachments"):
            payload["attachments"] = surface["attachments"]
    return BUILDER_URL + quote(json.dumps(payload, separators=(",", ":")))


# -- blocks ---------------------------------------------------------------------------------


def _blocks(blocks: Sequence[Any], width: int) -> list[str]:
    """Blocks one after another, a blank line between them."""
    out: list[str] = []
    for block in blocks:
        lines = _block(_dict(block), width)
        if lines:
            out += [""] * bool(out) + lines
    return out


def _block(block: Mapping[str, Any], width: int) -> list[str]:
    """One block as lines; a type this does not know shows as `[type block]`."""
    kind = block.get("type")
    renderer = _RENDERERS.get(kind) if isinstance(kind, str) else None
    if renderer is None:
        return [f"[{kind or 'unknown'} block]"]
    return renderer(block, width)


def _header(block: Mapping[str, Any], width: int) -> list[str]:
    """A header in capitals, underlined."""
    lines = _wrap(_text(block.get("text")).upper(), width)
    return [*lines, "━" * max((len(line) for line in lines), default=0)]


def _fields(fields: Sequence[Any], width: int) -> list[str]:
    """Section fields two to a row, or one under another when too narrow."""
    column = (width - len(_FIELD_GAP)) // 2
    if column < _MIN_COLUMN:
        return [line for f in fields for line in _wrap(_text(f), width)]
    out: list[str] = []
    for i in range(0, len(fields), 2):
        left = _wrap(_text(fields[i]), column)
        right = _wrap(_text(fields[i + 1]), column) if i + 1 < len(fields) else []
        if out and max(len(left), len(right)) > 1:
            out.append("")
        for a, b in zip_longest(left, right, fillvalue=""):
            out.append(a.ljust(column) + _FIELD_GAP + b if b else a)
    return out


def _section(block: Mapping[str, Any], width: int) -> list[str]:
    """Section text and fields, with the accessory at the right when it fits there."""
    text = _text(block.get("text"))
    fields = _list(block.get("fields"))

    def body(w: int) -> list[str]:
        return (_wrap(text, w) if text else []) + (_fields(fields, w) if fields else [])

    accessory = _dict(block.get("accessory"))
    if not accessory:
        return body(width)
    token = _inline(accessory)
    notes = _notes(accessory, width)
    if token is not None and len(token) <= width // 2:
        lines = body(width - len(token) - 2) or [""]
        return [lines[0].ljust(width - len(token)) + token, *lines[1:], *notes]
    below = _wrap(token, width) if token is not None else _element_lines(accessory, width)
    return [*body(width), *below, *notes]


def _context(block: Mapping[str, Any], width: int) -> list[str]:
    """Context elements on one dimmed line."""
    parts = []
    for element in _list(block.get("elements")):
        element = _dict(element)
        parts.append(_image(element) if element.get("type") == "image" else _text(element))
    text = "  ".join(p for p in parts if p)
    return _dim(text, width) if text else []


def _divider(block: Mapping[str, Any], width: int) -> list[str]:
    """A full-width line."""
    return [_RULE * width]


def _actions(block: Mapping[str, Any], width: int) -> list[str]:
    """A row of buttons and menus, then what their confirms and menus would show."""
    out: list[str] = []
    row: list[str] = []
    notes: list[str] = []
    for element in _list(block.get("elements")):
        element = _dict(element)
        token = _inline(element)
        if token is not None:
            row.append(_glue(token, width))
        else:
            if row:
                out += _wrap("  ".join(row), width)
                row = []
            out += _element_lines(element, width)
        notes += _notes(element, width)
    if row:
        out += _wrap("  ".join(row), width)
    return out + notes


def _input(block: Mapping[str, Any], width: int) -> list[str]:
    """An input as `Label: field`, or the label over a box or a list of choices."""
    element = _dict(block.get("element"))
    label = _text(block.get("label")) or "Input"
    if block.get("optional"):
        label += " (optional)"
    token = _inline(element)
    if token is None:
        lines = [*_wrap(label, width), *_element_lines(element, width)]
    elif element.get("type") in _TEXT_INPUTS:
        lines = _wrap(f"{label}: {token}", width)
    else:
        lines = _wrap(f"{label}: {_glue(token, width)}", width)
    hint = _text(block.get("hint"))
    return lines + (_dim(hint, width) if hint else []) + _notes(element, width)


def _image_block(block: Mapping[str, Any], width: int) -> list[str]:
    """An image block: its title, then `[image: alt text]`."""
    title = _text(block.get("title"))
    return [*(_wrap(title, width) if title else []), _image(block)]


def _video(block: Mapping[str, Any], width: int) -> list[str]:
    """A video as `[video: title ↗ url]`."""
    title = _text(block.get("title")) or str(block.get("alt_text") or "")
    url = block.get("title_url") or block.get("video_url")
    return _wrap(f"[video: {title}" + (f" ↗ {url}]" if url else "]"), width)


def _file(block: Mapping[str, Any], width: int) -> list[str]:
    """A remote file as `[file: id]`."""
    return [f"[file: {block.get('external_id') or 'remote file'}]"]


def _markdown(block: Mapping[str, Any], width: int) -> list[str]:
    """A markdown block, links spelled out as `label (url)`."""
    text = block.get("text")
    return _wrap(_MD_LINK.sub(r"\1 (\2)", text), width) if isinstance(text, str) else []


def _attachment(attachment: Mapping[str, Any], width: int) -> list[str]:
    """A legacy attachment, behind a bar the way Slack draws its coloured edge."""
    inner: list[str] = []
    title = attachment.get("title")
    if isinstance(title, str) and title:
        link = attachment.get("title_link")
        inner += _wrap(f"{title} ({link})" if link else title, width - 2)
    if isinstance(attachment.get("text"), str):
        inner += _wrap(_mrkdwn(attachment["text"]), width - 2)
    for field in _list(attachment.get("fields")):
        field = _dict(field)
        inner += _wrap(
            f"{field.get('title', '')}: {_mrkdwn(str(field.get('value', '')))}", width - 2
        )
    if _list(attachment.get("blocks")):
        inner += _blocks(_list(attachment.get("blocks")), width - 2)
    if isinstance(attachment.get("footer"), str):
        inner += _wrap(attachment["footer"], width - 2)
    pretext = attachment.get("pretext")
    head = _wrap(_mrkdwn(pretext), width) if isinstance(pretext, str) and pretext else []
    return head + ["▌ " + line for line in inner]


_RENDERERS: dict[str, _Renderer] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "divider": _divider,
    "actions": _actions,
    "input": _input,
    "image": _image_block,
    "rich_text": _rich_text,
    "video": _video,
    "file": _file,
    "markdown": _markdown,
}
