"""The flag DM to a lead, and the dismiss-with-a-reason modal."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Protocol

from blocks.ids import FLAG_EVENT, ActionId, BlockId, CallbackId
from blocks.kit import (
    Block,
    actions,
    button,
    context,
    escape,
    header,
    image,
    input_block,
    message,
    modal,
    option,
    section,
)
from blocks.messages import coach_button
from bot.flags.dms import FlagView
from bot.flags.records import DISMISS_NOTE_MAX, DISMISS_REASONS


class TrendFigures(Protocol):
    """What the figures line reads: an open flag's trajectory (a FlagView or a TeamFlag)."""

    @property
    def baseline(self) -> float: ...
    @property
    def current(self) -> float: ...
    @property
    def slope(self) -> float: ...
    @property
    def tau(self) -> float: ...
    @property
    def p_value(self) -> float: ...
    @property
    def ratings(self) -> int: ...
    @property
    def windows(self) -> list[dict[str, Any]]: ...


def _unit(window_days: int) -> str:
    return "week" if window_days == 7 else f"{window_days}-day window"


def trend_figures(view: TrendFigures, window_days: int) -> str:
    """The trajectory in figures, in words a lead reads at a glance."""
    unit = _unit(window_days)
    drop = view.baseline - view.current
    return (
        f"*CSAT {view.baseline:.2f} → {view.current:.2f}* ({-drop:+.2f} against their own baseline) · "
        f"{view.ratings} ratings over {len(view.windows)} {unit}s · "
        f"trend {view.slope:+.2f} per {unit} (Kendall τ {view.tau:+.2f}, p {view.p_value:.3f})"
    )


def window_line(view: FlagView) -> str:
    """Each window's mean and count: `5 Oct 4.40 (12) · 12 Oct 4.10 (11) · …`."""
    parts = []
    for w in view.windows:
        start = date.fromisoformat(str(w["start"]))
        parts.append(f"{start.day} {start:%b} {float(w['mean']):.2f} ({w['count']})")
    return " · ".join(parts)


def flag_message(view: FlagView, *, chart_file_id: str | None = None) -> dict[str, Any]:
    """The DM: who is flagged, the figures, the chart, and the Coach and Dismiss buttons."""
    name = escape(view.agent_name)
    blocks: list[Block] = [
        header(f"{view.agent_name}'s CSAT is sliding"),
        section(
            f"Debrief flagged *{name}*: their CSAT has been falling for several "
            f"{_unit(view.window_days)}s, not just one bad {_unit(view.window_days)}.\n"
            + trend_figures(view, view.window_days)
        ),
        context(f"Weekly CSAT (ratings): {window_line(view)}"),
    ]
    if chart_file_id is not None:
        blocks.append(image(chart_file_id, f"Weekly CSAT of {view.agent_name} with its trend line"))
    samples = (
        f"{view.samples} of their worst conversations from the last {_unit(view.window_days)} are "
        "summarized in their coaching record."
        if view.samples
        else "No conversation summaries could be captured for the last window."
    )
    blocks.append(context(samples))
    blocks.append(
        actions(
            [
                coach_button(view.agent_id),
                button("Dismiss…", ActionId.FLAG_DISMISS, str(view.flag_id)),
            ],
            block_id=BlockId.FLAG_ACTIONS,
        )
    )
    return message(
        f"{view.agent_name}'s CSAT is sliding: {view.baseline:.2f} → {view.current:.2f}",
        blocks,
        metadata={"event_type": FLAG_EVENT, "event_payload": {"flag_id": view.flag_id}},
    )


def dismissed_message(original: dict[str, Any], *, by: str, reason: str) -> dict[str, Any]:
    """The DM after a dismissal: the figures stay, the buttons give way to who dismissed and why."""
    blocks = [b for b in original.get("blocks", []) if b.get("block_id") != BlockId.FLAG_ACTIONS]
    blocks.append(context(f":white_check_mark: Dismissed by <@{by}>: {escape(reason)}"))
    return {"text": original.get("text", "Flag dismissed"), "blocks": blocks}


def dismiss_modal(
    *,
    flag_id: int,
    agent_name: str,
    channel: str | None,
    ts: str | None,
    chart_file_id: str | None = None,
) -> dict[str, Any]:
    """Ask why a flag is dismissed (leave, queue change, known outage, other)."""
    reasons = {
        "type": "radio_buttons",
        "action_id": ActionId.DISMISS_REASON,
        "options": [option(label, key) for key, label in DISMISS_REASONS.items()],
    }
    note = {
        "type": "plain_text_input",
        "action_id": ActionId.DISMISS_NOTE,
        "max_length": DISMISS_NOTE_MAX,
        "placeholder": {"type": "plain_text", "text": "Anything the team should know"},
    }
    return modal(
        title="Dismiss flag",
        blocks=[
            section(
                f"Dismiss the flag on *{escape(agent_name)}*? The flag stays on record with your "
                "reason, and Debrief won't flag them again until their CSAT recovers and falls anew."
            ),
            input_block(BlockId.DISMISS_REASON, "Why", reasons),
            input_block(BlockId.DISMISS_NOTE, "Note", note, optional=True),
        ],
        callback_id=CallbackId.FLAG_DISMISS,
        private_metadata=json.dumps(
            {"flag_id": flag_id, "channel": channel, "ts": ts, "chart": chart_file_id}
        ),
        submit="Dismiss",
        close="Cancel",
    )
