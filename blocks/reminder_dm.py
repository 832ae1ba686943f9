"""The follow-up reminder DM and what it turns into after Done or Snooze."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from blocks.dates import slack_date
from blocks.ids import REMINDER_EVENT, ActionId, BlockId
from blocks.kit import Block, actions, button, context, escape, message, option, section
from bot.followups.reminders import ReminderView


def how_late(late: timedelta) -> str:
    """`3 hours late`, `2 days late`."""
    hours = late.total_seconds() / 3600
    if hours < 1:
        return f"{max(1, round(late.total_seconds() / 60))} minutes late"
    if hours < 48:
        return f"{round(hours)} hours late"
    return f"{round(hours / 24)} days late"


def reminder_message(view: ReminderView, *, calendar_url: str) -> dict[str, Any]:
    """The DM: whose follow-up, a redacted excerpt, when it was written, and what to do."""
    name = escape(view.agent_name)
    late = (
        f" (sent {how_late(view.late_by)}: Debrief wasn't running when it came due)"
        if view.late_by
        else ""
    )
    blocks: list[Block] = [
        section(f":alarm_clock: Time to follow up with *{name}*{late}."),
        section(f"> {escape(view.excerpt)}"),
        context(
            f"Your note from {slack_date(view.written_at)} · follow-up due {slack_date(view.due_at)}"
        ),
        actions(
            [
                button("Open coaching", ActionId.COACH_OPEN, str(view.agent_id), style="primary"),
                button("Done", ActionId.REMINDER_DONE, str(view.reminder_id)),
                {
                    "type": "static_select",
                    "action_id": ActionId.REMINDER_SNOOZE,
                    "placeholder": {"type": "plain_text", "text": "Snooze…"},
                    "options": [
                        option("1 day", f"{view.reminder_id}:1d"),
                        option("1 week", f"{view.reminder_id}:1w"),
                    ],
                },
                button("Add to Google Calendar", ActionId.CALENDAR_LINK, url=calendar_url),
            ],
            block_id=BlockId.REMINDER_ACTIONS,
        ),
    ]
    return message(
        f"Time to follow up with {view.agent_name}",
        blocks,
        metadata={"event_type": REMINDER_EVENT, "event_payload": {"reminder_id": view.reminder_id}},
    )


def done_outcome(user: str) -> str:
    """What the DM says once its author marked the follow-up done."""
    return f":white_check_mark: Followed up, marked done by <@{user}>."


def snoozed_outcome(due: datetime) -> str:
    """What the DM says once its author snoozed it: when it will come back."""
    when = slack_date(due, "{date_short_pretty} at {time}")
    return f":zzz: Snoozed: Debrief will remind you again {when}."


def settled_message(original: dict[str, Any], outcome: str) -> dict[str, Any]:
    """The DM after Done or Snooze: the buttons give way to what happened."""
    blocks = [
        b for b in original.get("blocks", []) if b.get("block_id") != BlockId.REMINDER_ACTIONS
    ]
    blocks.append(context(outcome))
    return {"text": original.get("text", "Follow-up"), "blocks": blocks}
