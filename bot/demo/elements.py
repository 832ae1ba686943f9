"""Block Kit elements (buttons, menus, text fields, pickers) as terminal text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.demo.layout import (
    _BLANK,
    _TEXT_INPUTS,
    _box,
    _dict,
    _glue,
    _hang,
    _list,
    _text,
    _timestamp,
    _wrap,
)
from bot.demo.rich_text import _rich_text

# -- elements -------------------------------------------------------------------------------


def _button(label: str) -> str:
    """A button as `[ Label ]`."""
    return f"[ {label} ]"


def _menu(shown: str) -> str:
    """A select or picker as `[ shown ▾ ]`."""
    return f"[ {shown} ▾ ]"


def _same_option(a: Any, b: Any) -> bool:
    """Whether two options are the same one (by value, else by text)."""
    a, b = _dict(a), _dict(b)
    if "value" in a and "value" in b:
        return bool(a["value"] == b["value"])
    return _text(a.get("text")) == _text(b.get("text"))


def _select(element: Mapping[str, Any], kind: str) -> str:
    """A select menu showing its chosen value(s), else its placeholder."""
    chosen: list[str] = []
    if kind.startswith("multi_"):
        chosen += [_text(_dict(o).get("text")) for o in _list(element.get("initial_options"))]
        chosen += ["@" + str(u) for u in _list(element.get("initial_users"))]
        chosen += ["#" + str(c) for c in _list(element.get("initial_conversations"))]
        chosen += ["#" + str(c) for c in _list(element.get("initial_channels"))]
    elif element.get("initial_option"):
        chosen.append(_text(_dict(element.get("initial_option")).get("text")))
    elif element.get("initial_user"):
        chosen.append("@" + str(element["initial_user"]))
    elif element.get("initial_conversation"):
        chosen.append("#" + str(element["initial_conversation"]))
    elif element.get("initial_channel"):
        chosen.append("#" + str(element["initial_channel"]))
    placeholder = _text(element.get("placeholder")) or "Select an item"
    return _menu(", ".join(c for c in chosen if c) or placeholder)


def _text_field(element: Mapping[str, Any]) -> str:
    """A single-line text input: its value, else a blank with the placeholder after it."""
    value = element.get("initial_value")
    if isinstance(value, str) and value:
        return value
    placeholder = _text(element.get("placeholder"))
    return f"{_BLANK}  ({placeholder})" if placeholder else _BLANK


def _inline(element: Mapping[str, Any]) -> str | None:
    """A one-line element as text, or None for one that takes several lines."""
    kind = str(element.get("type") or "unknown")
    if kind in ("button", "workflow_button"):
        label = _text(element.get("text"))
        url = element.get("url")
        return f"[ {label} ↗ {url} ]" if url else _button(label)
    if kind == "overflow":
        return _button("⋯")
    if kind.endswith("_select"):
        return _select(element, kind)
    if kind == "datepicker":
        return _menu(
            str(element.get("initial_date") or _text(element.get("placeholder")) or "date")
        )
    if kind == "timepicker":
        return _menu(
            str(element.get("initial_time") or _text(element.get("placeholder")) or "time")
        )
    if kind == "datetimepicker":
        moment = element.get("initial_date_time")
        if moment is None:
            return f"{_menu('date')}  {_menu('time')}"
        date, time = _timestamp(moment, "%Y-%m-%d"), _timestamp(moment, "%H:%M UTC")
        return f"{_menu(date)}  {_menu(time)}"
    if kind == "image":
        return _image(element)
    if kind == "file_input":
        return _button("⇪ Upload files")
    if kind in _TEXT_INPUTS:
        return None if element.get("multiline") else _text_field(element)
    if kind in ("checkboxes", "radio_buttons", "rich_text_input"):
        return None
    return f"[{kind}]"


def _choices(element: Mapping[str, Any], width: int) -> list[str]:
    """Checkboxes as `[x] option` or radio buttons as `(•) option`, with descriptions."""
    radio = element.get("type") == "radio_buttons"
    chosen = [element.get("initial_option")] if radio else _list(element.get("initial_options"))
    out: list[str] = []
    for opt in _list(element.get("options")):
        on = any(_same_option(opt, c) for c in chosen if c)
        mark = ("(•) " if on else "( ) ") if radio else ("[x] " if on else "[ ] ")
        out += _hang(_wrap(_text(_dict(opt).get("text")), width - 4), mark, "    ")
        description = _text(_dict(opt).get("description"))
        if description:
            out += _hang(_wrap(description, width - 4), "    ", "    ")
    return out


def _element_lines(element: Mapping[str, Any], width: int) -> list[str]:
    """Any element as lines: one-line elements as one line, the rest as tall as they are."""
    token = _inline(element)
    if token is not None:
        return [token]
    kind = element.get("type")
    if kind in ("checkboxes", "radio_buttons"):
        return _choices(element, width)
    if kind == "rich_text_input":
        content = _rich_text(_dict(element.get("initial_value")), width - 4)
    else:
        value = element.get("initial_value")
        content = _wrap(value, width - 4) if isinstance(value, str) and value else []
    if not content and _text(element.get("placeholder")):
        content = _wrap(f"({_text(element.get('placeholder'))})", width - 4)
    return _box(content, width)


def _notes(element: Mapping[str, Any], width: int) -> list[str]:
    """What a click reveals, shown under the element: its confirm dialog or overflow menu."""
    out: list[str] = []
    who = _inline(element) or f"[{element.get('type')}]"
    if element.get("type") == "overflow":
        items = [_text(_dict(o).get("text")) for o in _list(element.get("options"))]
        out += _hang(
            _wrap(f"{_glue(who, width - 4)} menu: " + " · ".join(items), width - 4), "  ↳ ", "    "
        )
    confirm = _dict(element.get("confirm"))
    if confirm:
        title = _text(confirm.get("title")) or "Are you sure?"
        body = _text(confirm.get("text"))
        question = f"{_glue(who, width - 4)} asks: {title}" + (f" — {body}" if body else "")
        deny = _button(_text(confirm.get("deny")) or "Cancel")
        yes = _button(_text(confirm.get("confirm")) or "Yes")
        out += _hang([*_wrap(question, width - 4), f"{deny}  {yes}"], "  ↳ ", "    ")
    return out


def _image(element: Mapping[str, Any]) -> str:
    """An image as `[image: alt text]`."""
    alt = element.get("alt_text")
    return f"[image: {alt}]" if isinstance(alt, str) and alt else "[image]"
