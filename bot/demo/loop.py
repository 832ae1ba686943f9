"""The demo's closing loops (issue 17): the agent answers a shared note, and the leads' QA
decisions add up to an AI-agreement table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from blocks.coach_modal import coach_modal
from blocks.home import agreement_section
from blocks.shared_note_dm import reply_message, shared_note_message
from bot.app.services import Services
from bot.coaching.agent_side import acknowledge_note, reply_to_note
from bot.coaching.record import load_coach_record
from bot.coaching.shared_dms import ReplyDm, SharedNoteDm, send_agent_side
from bot.core.scope import viewer_for
from bot.demo.render import builder_url, render_text
from bot.insights.agreement import agreement_lines, ai_agreement
from bot.people.members import set_member
from bot.qa.review import PointEdit, approve_draft, edit_draft, reject_draft, root_cause_of
from bot.team.home import load_agreement
from models import Agent, DraftStatus, QaDraft
from models.base import utcnow

AGENT_USER = "U0DEMOAGENT"
Echo = Callable[[str], None]


@dataclass
class TerminalAgentSide:
    """Shared-note and reply DMs kept for printing instead of being sent to Slack."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def open_dm(self, user_id: str) -> str:
        """The user id stands for the DM channel."""
        return user_id

    def find_shared_note_message(self, channel: str, note_id: int) -> str | None:
        """Nothing was posted before the demo."""
        return None

    def post_shared_note(self, channel: str, view: SharedNoteDm) -> str:
        """Keep the DM."""
        self.sent.append((channel, shared_note_message(view)))
        return f"{len(self.sent)}.0"

    def find_reply_message(self, channel: str, reply_id: int) -> str | None:
        """Nothing was posted before the demo."""
        return None

    def post_reply(self, channel: str, view: ReplyDm) -> str:
        """Keep the DM."""
        self.sent.append((channel, reply_message(view)))
        return f"{len(self.sent)}.0"


def _send(services: Services, echo: Echo, say: str) -> None:
    """One pass of the shared-note and reply DMs, each printed as its recipient gets it."""
    notifier = TerminalAgentSide()
    send_agent_side(session_factory=services.sessions, notifier=notifier)
    for recipient, message in notifier.sent:
        echo(f"{say} {recipient}:")
        echo(render_text(message))
        echo(f"Block Kit Builder: {builder_url(message)}")
        echo("")


def agent_answers(
    *, services: Services, echo: Echo, lead: str, note_id: int, agent_id: int
) -> None:
    """The agent, linked as a member, gets the shared note as a DM, acknowledges and answers
    it; the lead gets the reply as a DM, and the Coach modal shows both."""
    with services.sessions() as session:
        name = session.scalar(select(Agent.name).where(Agent.id == agent_id)) or ""
        set_member(
            session=session, actor="demo", slack_user_id=AGENT_USER, role="member", agent_name=name
        )
    _send(services, echo, f"The shared note reaches {name} as a DM, to")
    with services.sessions() as session:
        agent = viewer_for(session=session, slack_user_id=AGENT_USER)
        acknowledge_note(session=session, actor=agent, note_id=note_id)
        reply_to_note(
            session=session,
            actor=agent,
            note_id=note_id,
            body="Thanks, that makes sense. I'll bring the refund call from Tuesday; I wasn't sure "
            "when a billing ticket is needed.",
        )
    echo(f"{name} clicks Acknowledge, then Reply.")
    _send(services, echo, "The reply reaches the note's author as a DM, to")
    with services.sessions() as session:
        record = load_coach_record(
            session=session,
            viewer=viewer_for(session=session, slack_user_id=lead),
            agent_id=agent_id,
        )
    modal = coach_modal(record)
    echo(f"{lead} opens Coach on {name} again; the note's history shows what the agent did:")
    echo(render_text(modal))
    echo(f"Block Kit Builder: {builder_url(modal)}")
    echo("")


def _lead_scores(scores: list[dict[str, object]], position: int) -> dict[str, object]:
    """The lead's view of the scores: the AI is kinder on tone than this lead, and on every
    other edited draft harsher on accuracy."""
    changed: dict[str, object] = {}
    for score in scores:
        name, value, top = score.get("criterion"), score.get("score"), score.get("max")
        if not isinstance(name, str) or not isinstance(value, int) or not isinstance(top, int):
            continue
        if name == "tone_empathy" and value > 0:
            changed[name] = value - 1
        if name == "accuracy_policy" and position % 8 == 1 and value < top:
            changed[name] = value + 1
    return changed


def _moved(cause: str) -> str:
    """Where the lead moves a point: a documentation gap (a policy one when it was already)."""
    return "policy" if cause == "documentation" else "documentation"


def _edit(services: Services, lead: str, draft_id: int, position: int, *, rework: bool) -> bool:
    """Edit one draft: scores as the lead sees them; with `rework`, a draft of several points
    also gets its first point moved to a documentation gap and its last dropped (then True)."""
    with services.sessions() as session:
        actor = viewer_for(session=session, slack_user_id=lead)
        draft = session.get(QaDraft, draft_id)
        points = list(draft.points or []) if draft is not None else []
        scores = list(draft.scores or []) if draft is not None else []
        rework = rework and len(points) > 1
        edits = [
            PointEdit(
                index=i,
                text=str(p.get("text", "")),
                root_cause=_moved(root_cause_of(p)) if rework and i == 0 else root_cause_of(p),
                keep=not rework or i < len(points) - 1,
            )
            for i, p in enumerate(points)
        ]
        edit_draft(
            session=session,
            actor=actor,
            draft_id=draft_id,
            points=edits,
            settings=services.settings,
            scores=_lead_scores(scores, position),
        )
    return rework


def _decide_drafts(services: Services, lead: str) -> None:
    """The lead decides the pending drafts: rejects the least confident, edits every fourth
    (scores; points in the first of several) and approves the rest unchanged."""
    with services.sessions() as session:
        ids = list(
            session.scalars(
                select(QaDraft.id)
                .where(QaDraft.status == DraftStatus.PENDING)
                .order_by(QaDraft.confidence, QaDraft.id)
            )
        )
    reworked = False
    for position, draft_id in enumerate(ids):
        if position % 4 == 1:
            reworked = _edit(services, lead, draft_id, position, rework=not reworked) or reworked
            continue
        with services.sessions() as session:
            actor = viewer_for(session=session, slack_user_id=lead)
            if position == 0:
                reject_draft(
                    session=session,
                    actor=actor,
                    draft_id=draft_id,
                    reason="The customer's refund was handled by billing, not this agent.",
                )
            else:
                approve_draft(
                    session=session, actor=actor, draft_id=draft_id, settings=services.settings
                )


def agreement_table(*, services: Services, echo: Echo, lead: str) -> None:
    """Decide the demo's QA drafts as a lead would, then show how far the lead agreed with the
    AI: the `debrief metrics` table and the App Home section."""
    _decide_drafts(services, lead)
    now = utcnow()
    with services.sessions() as session:
        figures = ai_agreement(session=session, since=now - timedelta(days=30), now=now)
        view = load_agreement(session=session, now=now)
    echo(
        f"{lead} decides the drafts: rejects one, edits every fourth (lower tone scores, some "
        "higher accuracy scores; in one, a point moved to another cause and one dropped) "
        "and approves the rest. `debrief metrics`:"
    )
    for line in agreement_lines(figures):
        echo(line)
    echo("")
    home = {"type": "home", "blocks": agreement_section(view)}
    echo("The same on the lead's App Home:")
    echo(render_text(home))
    echo("")
