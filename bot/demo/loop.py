"""The demo's closing loops (issue 17): the agent answers a shared note, and the leads' QA
decisions add up to an AI-agreement table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from blocks.coach_modal import coach_modal
from blocks.home import agreement_section
from bot.app.services import Services
from bot.coaching.agent_side import acknowledge_note, reply_to_note
from bot.coaching.record import load_coach_record
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


def agent_answers(
    *, services: Services, echo: Echo, lead: str, note_id: int, agent_id: int
) -> None:
    """The agent, linked as a member, acknowledges the shared note and answers it; the lead's
    Coach modal then shows both."""
    with services.sessions() as session:
        name = session.scalar(select(Agent.name).where(Agent.id == agent_id)) or ""
        set_member(
            session=session, actor="demo", slack_user_id=AGENT_USER, role="member", agent_name=name
        )
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
    with services.sessions() as session:
        record = load_coach_record(
            session=session,
            viewer=viewer_for(session=session, slack_user_id=lead),
            agent_id=agent_id,
        )
    modal = coach_modal(record)
    echo(f"{name} ({AGENT_USER}) acknowledges the shared note and replies; {lead} sees, in Coach:")
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
