"""What the scheduled jobs run, each a thin wrapper around a domain function; what they use
(sessions, engines, notifiers) comes built from the composition root (`bot/app/services.py`)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from bot.coaching.shared_dms import AgentSideReport, send_agent_side
from bot.flags.scan import ScanReport, run_scan
from bot.followups.reminders import SendReport, send_all_due, send_due
from bot.ingest.sync import SyncReport, sync_helpdesks
from bot.privacy.export import RetentionReport, apply_retention
from bot.qa.dms import DraftDeliveryReport, deliver_drafts
from bot.qa.run import NoApprovedRubric, QaReport, run_qa
from bot.team.digest import DigestReport, send_digests
from handlers.notifier import slack_refused
from models.base import utcnow

if TYPE_CHECKING:  # built by the composition root, which imports this module
    from bot.app.services import Services

log = logging.getLogger(__name__)


def scan_job(services: Services) -> ScanReport:
    """Evaluate every agent, capture samples and DM the leads."""
    report = run_scan(
        session_factory=services.sessions,
        settings=services.settings,
        summarizer=services.summarizer,
        notifier=services.flag_notifier,
    )
    log.info(
        "scan: %d agents, %d raised, %d cleared, %d DMs",
        report.outcome.assessed,
        len(report.outcome.raised),
        len(report.outcome.cleared),
        report.dms_sent,
    )
    return report


STOPPING = threading.Event()  # set when `debrief serve` shuts down: jobs give back what they hold


def reminder_job(services: Services) -> SendReport:
    """Send the follow-up reminders that are due, until none is left (or the process stops:
    then those not started are given back for another process to send at once)."""
    settings = services.settings
    total = send_all_due(
        partial(
            send_due,
            session_factory=services.sessions,
            notifier=services.reminder_notifier,
            per_channel_interval=settings.reminder_channel_interval,
            is_definite_failure=slack_refused,
            lease=timedelta(seconds=settings.reminder_lease_seconds),
            stopping=STOPPING.is_set,
        )
    )
    if total.claimed:
        log.info(
            "reminders: %d sent, %d already sent, %d to retry, %d given back",
            total.sent,
            total.found_sent,
            total.failed,
            total.released,
        )
    return total


def agent_side_job(services: Services, agent_id: int | None = None) -> AgentSideReport:
    """DM agents the notes newly shared with them (unless DEBRIEF_SHARED_NOTE_DMS is off) and
    the notes' authors the agents' replies, each once; `agent_id`: that agent's only (the try
    right after a save or a reply, before the next tick)."""
    report = send_agent_side(
        session_factory=services.sessions,
        notifier=services.agent_side_notifier,
        shared_note_dms=services.settings.shared_note_dms,
        agent_id=agent_id,
        is_definite_failure=slack_refused,
    )
    if report.outcomes or report.failed:
        log.info(
            "agent side: %d shared notes and %d replies sent, %d already sent, %d to retry",
            report.notes_sent,
            report.replies_sent,
            report.found_sent,
            report.failed,
        )
    return report


def qa_review_job(services: Services) -> DraftDeliveryReport:
    """DM the leads every QA draft still waiting for their review (each once)."""
    report = deliver_drafts(
        session_factory=services.sessions,
        notifier=services.draft_notifier,
        settings=services.settings,
    )
    if report.drafts:
        log.info(
            "QA drafts: %d DMs sent, %d already sent, %d to retry",
            report.sent,
            report.found_sent,
            report.failed,
        )
    return report


def qa_run_job(services: Services) -> QaReport | None:
    """The weekly QA run: draft the week's sample against the approved rubric (none: skip)."""
    try:
        report = run_qa(
            session_factory=services.sessions,
            settings=services.settings,
            file=None,
            since=None,
            engine=services.qa_engine,
        )
    except NoApprovedRubric:
        log.warning("weekly QA run skipped: no rubric is approved (debrief rubric approve --by U…)")
        return None
    log.info("weekly QA run: %d drafts, %d skipped", len(report.drafts), len(report.skipped))
    return report


def sync_job(services: Services) -> SyncReport:
    """Pull new ratings from every configured helpdesk."""
    report = sync_helpdesks(session_factory=services.sessions, settings=services.settings)
    log.info(
        "sync: %s%s%s",
        report.pulled,
        f" (read {report.read})" if report.read else "",
        f"; failed {report.failed}" if report.failed else "",
    )
    return report


def digest_job(services: Services) -> DigestReport:
    """Hourly: the weekly digest to each lead whose Monday 09:00 (their zone) has come, once."""
    notifier = services.digest_notifier
    report = send_digests(
        session_factory=services.sessions,
        notifier=notifier,
        zone_of=notifier.zone_of,
        now=utcnow(),
    )
    if report.due:
        log.info(
            "weekly digest: %d due, %d sent, %d already sent, %d to retry",
            report.due,
            report.sent,
            report.found_sent,
            report.failed,
        )
    return report


def retention_job(services: Services) -> RetentionReport:
    """The daily retention pass the scheduler runs (nothing when the setting is 0)."""
    with services.sessions() as session:
        report = apply_retention(session=session, months=services.settings.retention_months)
    log.info(
        "retention: %d notes archived, %d notes and %d samples deleted",
        report.archived,
        report.erased_notes,
        report.erased_samples,
    )
    return report
