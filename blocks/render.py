"""Block Kit surfaces as plain terminal text, and as Block Kit Builder links."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import zip_longest
from typing import Any
from urllib.parse import quote

__all__ = ["BUILDER_URL", "DEFAULT_WIDTH", "builder_url", "render_text"]

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
