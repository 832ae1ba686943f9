"""The App Home tab: the agents a person may coach, each with a Coach button."""

from __future__ import annotations

from typing import Any

from blocks.kit import Block, context, divider, escape, header, section
from blocks.messages import coach_button
from bot.agents import AgentChoice

MAX_AGENTS = 90


def home_view(*, is_lead: bool, known: bool, agents: list[AgentChoice]) -> dict[str, Any]:
    """The home tab for a lead (every agent), a member (their own record) or a stranger."""
    blocks: list[Block] = [header("Debrief coaching")]
    if not known:
        blocks.append(
            section("You're not set up in Debrief yet. Ask a Debrief owner to add you as a member.")
        )
        return {"type": "home", "blocks": blocks}
    if is_lead:
        blocks.append(context("Type `/coach NAME` anywhere, or pick an agent below."))
    else:
        blocks.append(context("Your own coaching record: notes your lead shared with you."))
    blocks.append(divider())
    if not agents:
        blocks.append(section("No agents yet."))
    for agent in agents[:MAX_AGENTS]:
        blocks.append(section(f"*{escape(agent.name)}*", accessory=coach_button(agent.id, "Open")))
    if len(agents) > MAX_AGENTS:
        blocks.append(context(f"{len(agents) - MAX_AGENTS} more: use `/coach NAME`."))
    return {"type": "home", "blocks": blocks}
