"""The agent's side of a shared note: its DM to the agent, the Reply form, and the reply's DM
to the note's author."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from blocks.coach_modal import note_body
from blocks.dates import slack_date
from blocks.ids import NOTE_REPLY_EVENT, SHARED_NOTE_EVENT, ActionId, BlockId, CallbackId
from blocks.kit import (
    Block,
    actions,
    button,
    clip,
    context,
    escape,
    input_block,
    message,
    modal,
    section,
)
from bot.coaching.shared_dms import ReplyDm, SharedNoteDm

URL_MAX = 3000  # a button's url
LABEL_MAX = 200
REPLY_MAX = 1000
EXCERPT_MAX = 300


def shared_note_buttons(
    note_id: int, *, acknowledged: bool, sample_url: str | None = None
) -> list[dict[str, Any]]:
    """Acknowledge (until it is), Reply and, with a sample link, the conversation."""
    value = str(note_id)
    elements = (
        [] if acknowledged else [button("Acknowledge", ActionId.NOTE_ACK, value, style="primary")]
    )
    elements.append(button("Reply", ActionId.NOTE_REPLY, value))
    if sample_url and len(sample_url) <= URL_MAX:
        elements.append(
            button("Open the conversation", ActionId.SAMPLE_LINK, value, url=sample_url)
        )
    return elements


def acknowledged_line(when: datetime) -> str:
    """What a shared note says once its agent acknowledged it."""
    return f":white_check_mark: Acknowledged {slack_date(when)}"


def shared_note_message(view: SharedNoteDm) -> dict[str, Any]:
    """The DM: who wrote the note, its text, its sample and follow-up, Acknowledge and Reply."""
    facts = [f"Written {slack_date(view.created_at)}"]
    if view.follow_up_at is not None:
        facts.append(f"follow-up {slack_date(view.follow_up_at)}")
    if view.sample_label is not None:
        facts.append(f"about {escape(clip(view.sample_label, LABEL_MAX))}")
    blocks: list[Block] = [
        section(f":memo: <@{view.author}> shared a coaching note with you."),
        note_body(view.body),
        context(" · ".join(facts)),
    ]
    if view.acknowledged_at is not None:
        blocks.append(context(acknowledged_line(view.acknowledged_at)))
    if view.replies:
        blocks.append(
            context(
                f":speech_balloon: You replied ({view.replies}); your lead got each reply "
                "as a DM. Your App Home shows them all."
            )
        )
    blocks.append(
        actions(
            shared_note_buttons(
                view.note_id,
                acknowledged=view.acknowledged_at is not None,
                sample_url=view.sample_url,
            ),
            block_id=BlockId.SHARED_NOTE_ACTIONS,
        )
    )
    return message(
        "Your lead shared a coaching note with you",
        blocks,
        metadata={"event_type": SHARED_NOTE_EVENT, "event_payload": {"note_id": view.note_id}},
    )


def reply_metadata(*, note_id: int, home: bool = False) -> str:
    """The Reply form's private_metadata: the note, and whether it was opened from the App Home
    (to publish again after). The DMs to refresh come from what was sent, never from here."""
    return json.dumps({"note_id": note_id, "home": home})


def reply_modal(view: SharedNoteDm, *, metadata: str) -> dict[str, Any]:
    """The form to reply to a shared note: a short text its author gets as a DM."""
    quoted = escape(clip(" ".join(view.body.split()), EXCERPT_MAX))
    return modal(
        title="Reply to the note",
        blocks=[
            context(f"<@{view.author}>'s note: _{quoted}_"),
            input_block(
                BlockId.REPLY_BODY,
                "Your reply",
                {
                    "type": "plain_text_input",
                    "action_id": ActionId.REPLY_BODY,
                    "multiline": True,
                    "max_length": REPLY_MAX,
                    "placeholder": {"type": "plain_text", "text": "A short answer for your lead"},
                },
                hint="Your lead gets it as a DM and sees it in your record. "
                "Customer details are redacted.",
            ),
        ],
        callback_id=CallbackId.NOTE_REPLY,
        private_metadata=metadata,
        submit="Send reply",
        close="Cancel",
    )


def reply_message(view: ReplyDm) -> dict[str, Any]:
    """The DM to the note's author: the agent's reply, the note it answers, a Coach button."""
    name = escape(clip(view.agent_name, LABEL_MAX))
    blocks: list[Block] = [
        section(f":speech_balloon: *{name}* (<@{view.replier}>) replied to your note:"),
        note_body(view.body),
        context(
            f"Your note: _{escape(view.note_excerpt)}_ · replied {slack_date(view.created_at)}"
        ),
        actions(
            [button("Coach", ActionId.COACH_OPEN, str(view.agent_id), style="primary")],
            block_id=f"note_reply_actions.{view.reply_id}",
        ),
    ]
    return message(
        f"{view.agent_name} replied to your note",
        blocks,
        metadata={"event_type": NOTE_REPLY_EVENT, "event_payload": {"reply_id": view.reply_id}},
    )
