"""The weekly digest DM (pure: figures in, Block Kit out, well within 50 blocks)."""

from __future__ import annotations

import re
from typing import Any

from blocks.kit import (
    MESSAGE_MAX_BLOCKS,
    Block,
    clip,
    context,
    divider,
    escape,
    header,
    image,
    message,
    section,
)
from blocks.messages import recovery_figures
from bot.team.digest import DigestView
from bot.team.recovery import Recovery

DIGEST_EVENT = "debrief_digest"
MAX_NAMES = 10
MAX_RECOVERY = 10
MAX_CRITERION = 80
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _one_line(name: str) -> str:
    """A criterion's name on one line: control characters and runs of spaces made one space."""
    return " ".join(_CONTROL.sub(" ", name).split())


def _names(names: list[str]) -> str:
    if not names:
        return ""
    unique = list(dict.fromkeys(names))
    shown = ", ".join(escape(n) for n in unique[:MAX_NAMES])
    more = len(unique) - MAX_NAMES
    return f": {shown}" + (f" and {more} more" if more > 0 else "")


def _recovery_line(row: Recovery) -> str:
    """One coached agent: CSAT before → after their first note, with the ratings behind each."""
    change = "" if row.change is None else f" ({row.change:+.2f})"
    return f"• *{escape(row.agent)}*: {recovery_figures(row)}{change}"


def _points(mean: float) -> str:
    shown = f"{mean:.2f}".rstrip("0").rstrip(".")
    return f"{shown} point{'' if shown == '1' else 's'}"


def ai_line(view: DigestView) -> str | None:
    """The criterion the AI's QA scores differ most on from the lead's, this week; None when no
    decided draft had a final score to compare."""
    if not view.ai_scored:
        return None
    if view.ai_miss is None:
        return "*AI scores* matched yours on every criterion."
    miss = view.ai_miss
    drafts = f"{miss.drafts} draft{'s' * (miss.drafts != 1)}"
    return (
        f"*AI scores* differ most on *{escape(clip(_one_line(miss.criterion), MAX_CRITERION))}* "
        f"(mean {_points(miss.mean)} over {drafts})"
    )


def digest_message(view: DigestView, *, chart_file_id: str | None = None) -> dict[str, Any]:
    """The digest: flags, notes, follow-ups, the QA queue, CSAT recovery and a chart."""
    span = f"{view.start:%d %b} – {view.end:%d %b}"
    blocks: list[Block] = [
        header(f"Your coaching week ({view.week})"),
        context(f"The 7 days {span}, across the team."),
        section(
            f"*Flags raised:* {len(view.flags_raised)}{_names(view.flags_raised)}\n"
            f"*Flags cleared:* {len(view.flags_cleared)}{_names(view.flags_cleared)}\n"
            f"*Notes written:* {view.notes_written}\n"
            f"*Follow-ups done:* {view.follow_ups_done}   "
            f"*Overdue now:* {view.follow_ups_overdue}\n"
            f"*QA drafts waiting for review:* {view.queue}"
            + (f"\n{line}" if (line := ai_line(view)) else "")
        ),
    ]
    if view.recovery:
        lines = [_recovery_line(r) for r in view.recovery[:MAX_RECOVERY]]
        more = len(view.recovery) - MAX_RECOVERY
        if more > 0:
            lines.append(f"…and {more} more in `debrief metrics`.")
        blocks += [
            divider(),
            section("*CSAT recovery* (4 weeks before → after the first note)\n" + "\n".join(lines)),
        ]
    if chart_file_id is not None:
        blocks.append(image(chart_file_id, view.chart_title or "Weekly CSAT"))
    assert len(blocks) <= MESSAGE_MAX_BLOCKS
    return message(
        f"Your coaching week: {len(view.flags_raised)} flags raised, "
        f"{view.notes_written} notes, {view.queue} QA drafts waiting",
        blocks,
        metadata={"event_type": DIGEST_EVENT, "event_payload": {"week_key": view.week_key}},
    )
