"""Ephemeral replies to /coach and the agent picker."""

from __future__ import annotations

from typing import Any

from blocks.ids import ActionId, BlockId, numbered
from blocks.kit import actions, button, escape, message, option, section
from bot.people.agents import AgentChoice
from bot.team.recovery import Recovery

DB_DOWN = "Debrief can't reach its database right now, nothing was lost. Please try again shortly."
MAX_CHOICE_BUTTONS = 10
MAX_STATIC_OPTIONS = 100


def coach_button(agent_id: int, label: str = "Coach") -> dict[str, Any]:
    """The Coach button that opens an agent's Coach modal from any message."""
    return button(label, ActionId.COACH_OPEN, str(agent_id), style="primary")


def text_reply(text: str) -> dict[str, Any]:
    """A plain ephemeral reply."""
    return message(text, [section(escape(text))])


def unknown_agent(query: str, suggestions: list[str]) -> dict[str, Any]:
    """No agent matched: say what was typed and offer close names."""
    hint = " Type `/coach` on its own to pick from the list."
    if suggestions:
        names = ", ".join(f"*{escape(s)}*" for s in suggestions)
        text = f"I couldn't find an agent matching “{escape(query)}”. Did you mean {names}?{hint}"
        fallback = f"No agent matches “{query}”. Did you mean {', '.join(suggestions)}?"
    else:
        text = f"I couldn't find an agent matching “{escape(query)}”.{hint}"
        fallback = f"No agent matches “{query}”."
    return message(fallback, [section(text)])


def ambiguous_agent(query: str, choices: list[AgentChoice]) -> dict[str, Any]:
    """Several agents matched: offer each as a Coach button."""
    shown = choices[:MAX_CHOICE_BUTTONS]
    text = f"“{escape(query)}” matches {len(choices)} agents. Which one?"
    if len(choices) > len(shown):
        text += f" (showing {len(shown)}; type more of the name to narrow it down)"
    names = ", ".join(c.name for c in shown)
    more = len(choices) - len(shown)
    return message(
        f"“{query}” matches {len(choices)} agents: {names}" + (f" and {more} more" if more else ""),
        [
            section(text),
            actions(
                [
                    button(c.name, numbered(ActionId.COACH_OPEN, i), str(c.id))
                    for i, c in enumerate(shown)
                ]
            ),
        ],
    )


def agent_picker(choices: list[AgentChoice]) -> dict[str, Any]:
    """A select of the agents in scope; past 100 agents it searches as you type."""
    if not choices:
        return text_reply("There are no active agents yet. Add one with `debrief agents add NAME`.")
    element: dict[str, Any]
    if len(choices) <= MAX_STATIC_OPTIONS:
        element = {
            "type": "static_select",
            "action_id": ActionId.PICK_AGENT,
            "placeholder": {"type": "plain_text", "text": "Choose an agent"},
            "options": [option(c.name, str(c.id)) for c in choices],
        }
    else:
        element = {
            "type": "external_select",
            "action_id": ActionId.PICK_AGENT,
            "placeholder": {"type": "plain_text", "text": "Type a name"},
            "min_query_length": 1,
        }
    return message(
        "Whose coaching record do you want to open?",
        [
            section(
                "Whose coaching record do you want to open?",
                accessory=element,
                block_id=BlockId.PICKER,
            )
        ],
    )


def picker_options(choices: list[AgentChoice]) -> list[dict[str, Any]]:
    """Options answering an external_select search (at most 100)."""
    return [option(c.name, str(c.id)) for c in choices[:MAX_STATIC_OPTIONS]]


def recovery_figures(row: Recovery) -> str:
    """`3.00 (4 ratings) → 4.50 (6 ratings)`: CSAT before and after the first note."""

    def figure(value: float | None, count: int) -> str:
        shown = "–" if value is None else f"{value:.2f}"
        return f"{shown} ({count} {'rating' if count == 1 else 'ratings'})"

    return f"{figure(row.before, row.before_count)} → {figure(row.after, row.after_count)}"
