"""Small builders for Block Kit JSON: the one builder style every surface uses."""

from __future__ import annotations

from typing import Any

from bot.core.text import clip

__all__ = ["clip"]  # re-exported: blocks cut text by the same rule as the domain

Block = dict[str, Any]

SECTION_MAX = 3000
TITLE_MAX = 24
OPTION_MAX = 75
MODAL_MAX_BLOCKS = 100
MESSAGE_MAX_BLOCKS = 50


def plain(text: str, limit: int = SECTION_MAX) -> dict[str, Any]:
    """A plain_text object."""
    return {"type": "plain_text", "text": clip(text, limit)}


def mrkdwn(text: str, limit: int = SECTION_MAX) -> dict[str, Any]:
    """A mrkdwn text object."""
    return {"type": "mrkdwn", "text": clip(text, limit)}


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """Text escaped for mrkdwn within `limit` characters, never cutting an entity in two."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    out: list[str] = []
    used = 0
    for char in text:
        piece = escape(char)
        if used + len(piece) > limit - 1:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip() + "…"


NOTIFICATION_MAX = 3000  # a message's top-level text: Slack advises ≤ 4,000, truncates at 40,000


def message(text: str, blocks: list[Block], **extra: Any) -> dict[str, Any]:
    """A message: its blocks and the top-level `text` Slack shows in notifications and reads
    to screen readers. Slack formats that text as mrkdwn too, so it is escaped like the blocks
    are: a name, tag or note can never become @channel, a mention or a disguised link."""
    return {"text": escape(clip(text, NOTIFICATION_MAX)), "blocks": blocks, **extra}


def header(text: str) -> Block:
    """A header block."""
    return {"type": "header", "text": plain(text, 150)}


def section(
    text: str, accessory: dict[str, Any] | None = None, block_id: str | None = None
) -> Block:
    """A mrkdwn section, optionally with an accessory."""
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def context(text: str) -> Block:
    """A context block with one mrkdwn element."""
    return {"type": "context", "elements": [mrkdwn(text)]}


def image(file_id: str, alt_text: str) -> Block:
    """An image block showing a file the app uploaded to Slack."""
    return {"type": "image", "slack_file": {"id": file_id}, "alt_text": clip(alt_text, 2000)}


def divider() -> Block:
    """A divider."""
    return {"type": "divider"}


def actions(elements: list[dict[str, Any]], block_id: str | None = None) -> Block:
    """An actions block."""
    block: Block = {"type": "actions", "elements": elements}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def button(
    text: str,
    action_id: str,
    value: str | None = None,
    *,
    url: str | None = None,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A button element."""
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, OPTION_MAX),
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value
    if url is not None:
        element["url"] = url
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, yes: str, no: str) -> dict[str, Any]:
    """A confirmation dialog for a destructive button."""
    return {
        "title": plain(title, 100),
        "text": plain(text, 300),
        "confirm": plain(yes, 30),
        "deny": plain(no, 30),
        "style": "danger",
    }


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    """An option for selects and checkboxes."""
    opt: dict[str, Any] = {"text": plain(text, OPTION_MAX), "value": value}
    if description is not None:
        opt["description"] = plain(description, OPTION_MAX)
    return opt


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    """An input block."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint is not None:
        block["hint"] = plain(hint, 2000)
    return block


def modal(
    *,
    title: str,
    blocks: list[Block],
    callback_id: str,
    private_metadata: str = "",
    submit: str | None = None,
    close: str = "Close",
) -> dict[str, Any]:
    """A modal view within Slack's limits (title 24 characters, 100 blocks)."""
    if len(blocks) > MODAL_MAX_BLOCKS:
        raise ValueError(f"modal has {len(blocks)} blocks; Slack allows {MODAL_MAX_BLOCKS}")
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, TITLE_MAX),
        "close": plain(close, TITLE_MAX),
        "blocks": blocks,
        "private_metadata": private_metadata,
    }
    if submit is not None:
        view["submit"] = plain(submit, TITLE_MAX)
    return view
