"""What the scheduled jobs run: a scan (with Slack DMs) and a helpdesk sync."""

from __future__ import annotations

import logging
from functools import partial

from slack_sdk import WebClient

from bot.ai.summarizer import summarizer_for
from bot.db import session_scope
from bot.scanner import ScanReport, run_scan
from bot.settings import Settings
from bot.sync import SyncReport, sync_helpdesks
from handlers.notifier import SlackFlagNotifier

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


def sync_job(settings: Settings) -> SyncReport:
    """Pull new ratings from every configured helpdesk."""
    report = sync_helpdesks(
        session_factory=partial(session_scope, settings.database_url), settings=settings
    )
    log.info("sync: %s%s", report.pulled, f"; failed {report.failed}" if report.failed else "")
    return report
