"""`debrief demo`: a fresh SQLite workspace with agents, samples and notes, shown as a lead sees it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from blocks.coach_modal import coach_modal
from blocks.render import builder_url, render_text
from bot.agents import upsert_agent
from bot.coaching import load_coach_record
from bot.db import dispose_all, session_scope
from bot.members import set_member
from bot.migrate import upgrade
from bot.notes import create_note
from bot.scope import viewer_for
from models import Sample
from models.base import utcnow
from models.sample import SampleSource

LEAD = "U0DEMOLEAD"
AGENTS = ["Becky", "Dan", "Diane", "Greg", "Jim", "Joe", "Martha", "Stewart"]
DEEPLINK = "https://demo.zendesk.com/agent/tickets/{external_id}"

# Summaries as the summarizer writes them: one to three sentences, private data redacted.
BECKY_SAMPLES = [
    (
        1,
        "4812",
        "[NAME] was charged twice after a plan change; the refund was promised "
        "but no ticket was raised for billing, so the customer called back two days later.",
    ),
    (
        1,
        "4790",
        "The customer asked how to export invoices; the answer pointed to a retired "
        "settings page and the call ended without a working path.",
    ),
    (
        2,
        "4777",
        "A password reset loop was escalated after 18 minutes on hold; the customer "
        "was asked to repeat their account details three times.",
    ),
    (
        2,
        "4765",
        "Contract renewal question answered correctly, but the agent closed the call "
        "before confirming the new start date, which the customer had asked about twice.",
    ),
    (
        2,
        "4731",
        "Streaming outage call: the agent read the status-page text verbatim and did "
        "not offer the service credit the customer asked for.",
    ),
    (
        3,
        "4702",
        "Payment failure resolved by updating the card on file; the customer rated "
        "the wait, not the fix.",
    ),
]


def _seed(url: str, now: datetime) -> int:
    with session_scope(url) as session:
        set_member(session=session, actor="demo", slack_user_id=LEAD, role="owner")
        ids = {}
        for name in AGENTS:
            agent, _ = upsert_agent(session=session, actor="demo", name=name, lead=LEAD)
            ids[name] = agent.id
        set_member(
            session=session,
            actor="demo",
            slack_user_id="U0DEMOBECKY",
            role="member",
            agent_name="Becky",
        )
        samples = []
        for days, (csat, external_id, summary) in enumerate(BECKY_SAMPLES, start=1):
            sample = Sample(
                agent_id=ids["Becky"],
                helpdesk="zendesk",
                external_id=external_id,
                url=DEEPLINK.format(external_id=external_id),
                csat=float(csat),
                closed_at=now - timedelta(days=days),
                summary=summary,
                source=SampleSource.AUTO,
            )
            session.add(sample)
            samples.append(sample)
        session.flush()
        lead = viewer_for(session=session, slack_user_id=LEAD)
        create_note(
            session=session,
            actor=lead,
            agent_id=ids["Becky"],
            body="Billing double-charge calls: always raise the billing ticket before promising a refund. "
            "Let's walk through #4812 together in our 1:1.",
            sample_id=samples[0].id,
            follow_up_at=now + timedelta(days=7),
            shared_with_agent=True,
        )
        create_note(
            session=session,
            actor=lead,
            agent_id=ids["Becky"],
            body="Holds over 10 minutes are up this month; check whether the reset runbook is still current "
            "before we treat it as a coaching point.",
        )
        return ids["Becky"]


def run_demo(*, db_path: str, echo: Callable[[str], None]) -> None:
    """Build the demo workspace from scratch and print the Coach modal a lead would open."""
    path = Path(db_path).resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    upgrade(url)
    agent_id = _seed(url, utcnow())
    with session_scope(url) as session:
        viewer = viewer_for(session=session, slack_user_id=LEAD)
        record = load_coach_record(session=session, viewer=viewer, agent_id=agent_id)
        member = viewer_for(session=session, slack_user_id="U0DEMOBECKY")
        own = load_coach_record(session=session, viewer=member, agent_id=agent_id)
    dispose_all()
    view = coach_modal(record)
    echo(f"Demo workspace: {path} ({len(AGENTS)} agents, lead {LEAD})")
    echo("")
    echo("A lead types `/coach Becky` and sees:")
    echo("")
    echo(render_text(view))
    echo("")
    echo(f"Open it in Block Kit Builder: {builder_url(view)}")
    echo("")
    echo("Becky herself (a member) sees only what was shared with her, and no composer:")
    echo("")
    echo(render_text(coach_modal(own)))
    echo("")
    echo(f"Try it yourself: DATABASE_URL=sqlite:///{path} debrief agents list")
