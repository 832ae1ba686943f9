"""`debrief demo`: the whole flow on SQLite with the bundled data, shown as a lead would see it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from blocks.coach_modal import coach_modal
from blocks.flag_dm import flag_message
from bot.app.services import Services
from bot.coaching.notes import create_note
from bot.coaching.record import load_coach_record
from bot.core.db import dispose_all
from bot.core.migrate import upgrade
from bot.core.scope import viewer_for
from bot.core.settings import Settings
from bot.demo.loop import agent_answers, agreement_table
from bot.demo.render import builder_url, render_text
from bot.flags.dms import FlagView
from bot.flags.scan import run_scan
from bot.ingest.importer import import_file
from bot.people.agents import upsert_agent
from bot.people.members import set_member
from models import Agent, Flag

LEAD = "U0DEMOLEAD"
ADMIN = "U0DEMOADMIN"
DEEPLINK = "https://example.zendesk.com/agent/tickets/{external_id}"
Echo = Callable[[str], None]


@dataclass
class TerminalNotifier:
    """Flag DMs kept for printing instead of being sent to Slack."""

    sent: list[tuple[str, FlagView, bytes | None]] = field(default_factory=list)

    def open_dm(self, user_id: str) -> str:
        """The 'channel' is the person."""
        return user_id

    def find_flag_message(self, channel: str, flag_id: int) -> str | None:
        """Nothing was sent before in a fresh demo."""
        return None

    def post_flag(self, channel: str, view: FlagView, chart_png: bytes | None) -> str:
        """Keep the DM to show it."""
        self.sent.append((channel, view, chart_png))
        return f"demo.{len(self.sent)}"


def _build_data(folder: Path) -> Path:
    from data.build_sample import build

    return build(out_dir=folder)


def _people(services: Services) -> None:
    with services.sessions() as session:
        set_member(session=session, actor="demo", slack_user_id=LEAD, role="owner")
        set_member(session=session, actor="demo", slack_user_id=ADMIN, role="admin")
        for (name,) in session.execute(select(Agent.name).order_by(Agent.name)):
            if not name.startswith("Stewart"):  # Stewart has no lead: his flag goes to every lead
                upsert_agent(session=session, actor="demo", name=name, lead=LEAD)


def _qa(services: Services, echo: Echo) -> None:
    """Approve the bundled rubric in the demo workspace, draft QA reviews of the last two weeks,
    and show one draft as its lead would get it."""
    from datetime import timedelta

    from blocks.qa_review import draft_message
    from bot.qa.review import load_draft_view
    from bot.qa.rubric import approve_rubric
    from bot.qa.run import run_qa
    from models import QaDraft
    from models.base import utcnow

    settings = services.settings
    with services.sessions() as session:
        rubric = approve_rubric(
            session=session, actor=viewer_for(session=session, slack_user_id=LEAD), path=None
        )
        version = rubric.version
    report = run_qa(
        session_factory=services.sessions,
        settings=settings,
        file=None,
        since=utcnow() - timedelta(days=14),
        engine=services.qa_engine,
    )
    routed = sum(1 for d in report.drafts if d.route == "lead_review")
    echo(
        f"QA run against the approved default rubric (v{version}, {report.engine}): "
        f"{report.sampled} conversations sampled, {len(report.drafts)} drafts "
        f"({routed} routed to the lead), {len(report.skipped)} skipped with a reason "
        "(most sampled calls have no transcript)."
    )
    with services.sessions() as session:
        lead = viewer_for(session=session, slack_user_id=LEAD)
        first = session.scalar(select(QaDraft.id).order_by(QaDraft.confidence, QaDraft.id).limit(1))
        view = (
            load_draft_view(session=session, viewer=lead, draft_id=first, settings=settings)
            if first
            else None
        )
    if view is not None:
        message = draft_message(view)
        echo("A QA draft DM, as the lead gets it:")
        echo(render_text(message))
        echo(f"Block Kit Builder: {builder_url(message)}")
        echo("")


def run_demo(*, db_path: str, echo: Echo) -> None:
    """Build a fresh SQLite workspace, import the bundled sample, scan, and print what leads see."""
    path = Path(db_path).resolve()
    folder = path.with_suffix("")  # demo files beside the database: data and charts
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    url = f"sqlite:///{path}"
    settings = Settings(
        DATABASE_URL=url,
        DEBRIEF_DEEPLINK_ZENDESK=DEEPLINK,
        DEBRIEF_CHART_DIR=str(folder / "charts"),
        ANTHROPIC_API_KEY=os.environ.get("ANTHROPIC_API_KEY"),
    )
    upgrade(url)
    services = Services(settings)
    csv_path = _build_data(folder)
    report = import_file(session_factory=services.sessions, path=csv_path)
    _people(services)
    notifier = TerminalNotifier()
    scan = run_scan(
        session_factory=services.sessions,
        settings=settings,
        summarizer=services.summarizer,
        notifier=notifier,
    )
    echo(f"Demo workspace: {path}")
    echo(
        f"Imported {report.loaded} rated conversations from {csv_path} ({len(report.bad)} bad rows)."
    )
    engine = "Claude" if settings.anthropic_api_key else "the offline engine (no ANTHROPIC_API_KEY)"
    echo(f"Summaries by {engine}.")
    echo("")
    with services.sessions() as session:
        flags = session.scalars(select(Flag).order_by(Flag.id)).all()
        names = {a.id: a.name for a in session.scalars(select(Agent))}
    echo(f"Scan: {scan.outcome.assessed} agents assessed, {len(flags)} flagged:")
    for flag in flags:
        echo(
            f"  • {names[flag.agent_id]}: CSAT {flag.baseline:.2f} → {flag.current:.2f} "
            f"({flag.ratings} ratings over {len(flag.windows)} weeks, trend {flag.slope:+.2f}/week, "
            f"τ {flag.tau:+.2f}, p {flag.p_value:.3f}); {scan.captured.get(flag.id, 0)} samples captured"
        )
    echo("")
    for recipient, view, _chart in notifier.sent:
        message = flag_message(view, chart_file_id=None)
        echo(f"DM to {recipient}:")
        echo(render_text(message))
        chart = Path(settings.chart_dir) / f"flag-{view.flag_id}.png"
        echo(f"Chart (shown in the DM as an image): {chart}")
        echo(f"Block Kit Builder: {builder_url(message)}")
        echo("")
    if not flags:
        return
    agent_id = flags[0].agent_id
    with services.sessions() as session:
        lead = viewer_for(session=session, slack_user_id=LEAD)
        note = create_note(
            session=session,
            actor=lead,
            agent_id=agent_id,
            body="Refund promises without a billing ticket keep coming up. Let's walk through one "
            "of these calls in our 1:1 and agree the steps.",
            shared_with_agent=True,
        )
        record = load_coach_record(session=session, viewer=lead, agent_id=agent_id)
    dispose_all()
    modal = coach_modal(record)
    echo(f"{LEAD} clicks Coach on {names[agent_id]} and sees:")
    echo(render_text(modal))
    echo(f"Block Kit Builder: {builder_url(modal)}")
    echo("")
    agent_answers(services=services, echo=echo, lead=LEAD, note_id=note.id, agent_id=agent_id)
    _qa(services, echo)
    agreement_table(services=services, echo=echo, lead=LEAD)
    echo(f"Try the CLI on it: DATABASE_URL=sqlite:///{path} debrief agents list")
