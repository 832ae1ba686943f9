"""The scheduler `debrief serve` runs: the daily scan, the helpdesk sync and retention."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.app.services import Services
from bot.ingest.helpdesks.registry import any_helpdesk_configured
from jobs.work import (
    agent_side_job,
    digest_job,
    qa_review_job,
    qa_run_job,
    reminder_job,
    retention_job,
    scan_job,
    sync_job,
)
from models.base import utcnow


def build_scheduler(services: Services) -> BackgroundScheduler:
    """A scheduler (not started): reminders, the daily scan, the sync when a helpdesk is set up.

    APScheduler keeps its jobs in memory: the database rows (flags, deliveries, sync runs) are
    the truth, so several processes may each run it; a scan takes a lock and DMs go out once.
    """
    settings = services.settings
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        reminder_job,
        IntervalTrigger(seconds=settings.reminder_tick_seconds),
        args=[services],
        id="reminders",
        coalesce=True,
        max_instances=1,
        next_run_time=utcnow(),  # at start-up: send what came due while nothing ran
    )
    scheduler.add_job(
        agent_side_job,
        IntervalTrigger(minutes=1),
        args=[services],
        id="agent_side",
        coalesce=True,
        max_instances=1,
        next_run_time=utcnow(),
    )
    scheduler.add_job(
        qa_review_job,
        IntervalTrigger(minutes=3),
        args=[services],
        id="qa_review",
        coalesce=True,
        max_instances=1,
        next_run_time=utcnow(),
    )
    scheduler.add_job(
        qa_run_job,
        CronTrigger(day_of_week="mon", hour=7, minute=0, timezone="UTC"),
        args=[services],
        id="qa_run",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=12 * 3600,
    )
    scheduler.add_job(
        digest_job,
        CronTrigger(minute=5, timezone="UTC"),  # hourly: each lead's Monday 09:xx, in their zone
        args=[services],
        id="digest",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=1800,
    )
    hour, minute = (int(part) for part in settings.scan_time.split(":"))
    scheduler.add_job(
        scan_job,
        CronTrigger(hour=hour, minute=minute, timezone="UTC"),
        args=[services],
        id="scan",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
    )
    if any_helpdesk_configured(settings):
        scheduler.add_job(
            sync_job,
            IntervalTrigger(minutes=settings.sync_minutes),
            args=[services],
            id="sync",
            coalesce=True,
            max_instances=1,
        )
    if settings.retention_months > 0:
        scheduler.add_job(
            retention_job,
            CronTrigger(hour=3, minute=30, timezone="UTC"),
            args=[services],
            id="retention",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=6 * 3600,
        )
    return scheduler
