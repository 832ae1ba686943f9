"""The "Coach on this" message shortcut's modal: the conversation found, whose it is, Pin."""

from __future__ import annotations

import json
from typing import Any

from blocks.coach_modal import HELPDESK_NAMES, csat_text
from blocks.ids import ActionId, CallbackId
from blocks.kit import Block, button, context, escape, modal, section
from bot.coaching.shortcut import ShortcutTarget
from bot.ingest.links import ConversationLink

TITLE = "Coach on this"


def _named(link: ConversationLink) -> str:
    desk = HELPDESK_NAMES.get(link.helpdesk, link.helpdesk.title())
    return f"{desk} #{link.external_id}"


def _found(link: ConversationLink) -> Block:
    """The conversation, with a button that opens it in its helpdesk when its URL is known."""
    opener = button("Open", ActionId.SAMPLE_LINK, url=link.url) if link.url else None
    return section(f"*{escape(_named(link))}*", accessory=opener)


def shortcut_looking(link: ConversationLink) -> dict[str, Any]:
    """Shown while Debrief finds whose the conversation is (it may ask the helpdesk)."""
    blocks = [_found(link), context("Finding whose conversation this is…")]
    return modal(title=TITLE, blocks=blocks, callback_id=CallbackId.SHORTCUT_MODAL)


def shortcut_metadata(target: ShortcutTarget) -> str:
    """What the Pin submission needs: the agent and the conversation."""
    link = target.link
    return json.dumps(
        {"agent_id": target.agent_id, "helpdesk": link.helpdesk, "external_id": link.external_id}
    )


def shortcut_modal(target: ShortcutTarget) -> dict[str, Any]:
    """The conversation and its agent with a Pin submit; without an agent, why not."""
    blocks: list[Block] = [_found(target.link)]
    if target.others:
        more = "conversation" if target.others == 1 else "conversations"
        blocks.append(
            context(f"The message links {target.others} other {more}; Debrief took the first.")
        )
    if target.agent_id is None or target.agent_name is None:
        why = target.why or "Debrief can't tell whose conversation this is."
        blocks.append(section(escape(why)))
        blocks.append(
            context(
                "Import or sync it, or pin it from the agent's Coach modal "
                "(`/coach NAME`, then *Pin a conversation*)."
            )
        )
        return modal(title=TITLE, blocks=blocks, callback_id=CallbackId.SHORTCUT_MODAL)
    line = f"Handled by *{escape(target.agent_name)}*"
    if target.csat is not None:
        line += f" · {csat_text(target.csat)}"
    blocks.append(section(line))
    if target.pinned:
        blocks.append(context("Already a sample on their record: Pin opens their Coach modal."))
    else:
        blocks.append(
            context(
                "Pin keeps a short redacted summary and a link on their record (never the "
                "conversation itself), then opens their Coach modal."
            )
        )
    return modal(
        title=TITLE,
        blocks=blocks,
        callback_id=CallbackId.SHORTCUT_MODAL,
        private_metadata=shortcut_metadata(target),
        submit="Pin",
        close="Cancel",
    )


def shortcut_failed(link: ConversationLink, text: str) -> dict[str, Any]:
    """The conversation and why Debrief couldn't look it up or pin it."""
    blocks = [_found(link), section(escape(text))]
    return modal(title=TITLE, blocks=blocks, callback_id=CallbackId.SHORTCUT_MODAL)


def shortcut_pinning(link: ConversationLink) -> dict[str, Any]:
    """Shown while the conversation is summarized and pinned, before the Coach modal."""
    blocks = [_found(link), context("Pinning it… the Coach modal opens here when it's done.")]
    return modal(title=TITLE, blocks=blocks, callback_id=CallbackId.SHORTCUT_MODAL)
