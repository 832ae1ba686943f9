"""The scheduler `debrief serve` runs: the daily scan and the helpdesk sync."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from bot.helpdesks.registry import intercom_configured, zendesk_configured
from bot.settings import Settings
from jobs.work import scan_job, sync_job


def build_scheduler(settings: Settings, client: WebClient) -> BackgroundScheduler:
    """A scheduler (not started) with the daily scan and, when a helpdesk is set up, the sync.

    APScheduler keeps its jobs in memory: the database rows (flags, deliveries, sync runs) are
    the truth, so several processes may each run it; a scan takes a lock and DMs go out once.
    """
    scheduler = BackgroundScheduler(timezone="UTC")
    hour, minute = (int(part) for part in settings.scan_time.split(":"))
    scheduler.add_job(
        scan_job,
        CronTrigger(hour=hour, minute=minute, timezone="UTC"),
        args=[settings, client],
        id="scan",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
    )
    if zendesk_configured(settings) or intercom_configured(settings):
        scheduler.add_job(
            sync_job,
            IntervalTrigger(minutes=settings.sync_minutes),
            args=[settings],
            id="sync",
            coalesce=True,
            max_instances=1,
        )
    return scheduler
