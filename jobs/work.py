"""What the scheduled jobs run: a scan (with Slack DMs) and a helpdesk sync."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from functools import partial

from slack_sdk import WebClient

from bot.ai.engines import engine_for, summarizer_for
from bot.core.db import session_scope
from bot.core.settings import Settings
from bot.flags.scan import ScanReport, run_scan
from bot.followups.reminders import SendReport, send_all_due, send_due
from bot.ingest.sync import SyncReport, sync_helpdesks
from bot.privacy.export import RetentionReport, apply_retention
from bot.qa.dms import DraftDeliveryReport, deliver_drafts
from bot.qa.run import NoApprovedRubric, QaReport, run_qa
from bot.team.digest import DigestReport, send_digests
from handlers.notifier import (
    SlackDigestNotifier,
    SlackDraftNotifier,
    SlackFlagNotifier,
    SlackReminderNotifier,
    slack_refused,
)
from models.base import utcnow

log = logging.getLogger(__name__)


def scan_job(settings: Settings, client: WebClient) -> ScanReport:
    """Evaluate every agent, capture samples and DM the leads."""
    report = run_scan(
        settings=settings, summarizer=summarizer_for(settings), notifier=SlackFlagNotifier(client)
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


def reminder_job(settings: Settings, client: WebClient) -> SendReport:
    """Send the follow-up reminders that are due, until none is left (or the process stops:
    then those not started are given back for another process to send at once)."""
    notifier = SlackReminderNotifier(client, app_id=settings.slack_app_id)
    factory = partial(session_scope, settings.database_url)
    total = send_all_due(
        partial(
            send_due,
            session_factory=factory,
            notifier=notifier,
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


def qa_review_job(settings: Settings, client: WebClient) -> DraftDeliveryReport:
    """DM the leads every QA draft still waiting for their review (each once)."""
    report = deliver_drafts(
        session_factory=partial(session_scope, settings.database_url),
        notifier=SlackDraftNotifier(client),
        settings=settings,
    )
    if report.drafts:
        log.info(
            "QA drafts: %d DMs sent, %d already sent, %d to retry",
            report.sent,
            report.found_sent,
            report.failed,
        )
    return report


def qa_run_job(settings: Settings) -> QaReport | None:
    """The weekly QA run: draft the week's sample against the approved rubric (none: skip)."""
    try:
        report = run_qa(
            session_factory=partial(session_scope, settings.database_url),
            settings=settings,
            file=None,
            since=None,
            engine=engine_for(settings),
        )
    except NoApprovedRubric:
        log.warning("weekly QA run skipped: no rubric is approved (debrief rubric approve --by U…)")
        return None
    log.info("weekly QA run: %d drafts, %d skipped", len(report.drafts), len(report.skipped))
    return report


def sync_job(settings: Settings) -> SyncReport:
    """Pull new ratings from every configured helpdesk."""
    report = sync_helpdesks(
        session_factory=partial(session_scope, settings.database_url), settings=settings
    )
    log.info(
        "sync: %s%s%s",
        report.pulled,
        f" (read {report.read})" if report.read else "",
        f"; failed {report.failed}" if report.failed else "",
    )
    return report


def digest_job(settings: Settings, client: WebClient) -> DigestReport:
    """Hourly: the weekly digest to each lead whose Monday 09:00 (their zone) has come, once."""
    notifier = SlackDigestNotifier(client)
    report = send_digests(
        session_factory=partial(session_scope, settings.database_url),
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


def retention_job(settings: Settings) -> RetentionReport:
    """The daily retention pass the scheduler runs (nothing when the setting is 0)."""
    with session_scope(settings.database_url) as session:
        report = apply_retention(session=session, months=settings.retention_months)
    log.info(
        "retention: %d notes archived, %d notes and %d samples deleted",
        report.archived,
        report.erased_notes,
        report.erased_samples,
    )
    return report
