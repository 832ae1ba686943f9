"""The scheduler `debrief serve` runs: the daily scan, the helpdesk sync and retention."""

from __future__ import annotations

from typing import Any

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
    now = utcnow()  # the ticking jobs run at start-up too: send what came due while nothing ran
    hour, minute = (int(part) for part in settings.scan_time.split(":"))
    jobs: list[tuple[Any, Any, str, dict[str, Any]]] = [
        (reminder_job, IntervalTrigger(seconds=settings.reminder_tick_seconds), "reminders",
         {"next_run_time": now}),
        (agent_side_job, IntervalTrigger(minutes=1), "agent_side", {"next_run_time": now}),
        (qa_review_job, IntervalTrigger(minutes=3), "qa_review", {"next_run_time": now}),
        (qa_run_job, CronTrigger(day_of_week="mon", hour=7, minute=0, timezone="UTC"), "qa_run",
         {"misfire_grace_time": 12 * 3600}),
        # hourly: each lead's Monday 09:xx, in their zone
        (digest_job, CronTrigger(minute=5, timezone="UTC"), "digest",
         {"misfire_grace_time": 1800}),
        (scan_job, CronTrigger(hour=hour, minute=minute, timezone="UTC"), "scan",
         {"misfire_grace_time": 6 * 3600}),
    ]  # fmt: skip
    if any_helpdesk_configured(settings):
        jobs.append((sync_job, IntervalTrigger(minutes=settings.sync_minutes), "sync", {}))
    if settings.retention_months > 0:
        jobs.append(
            (retention_job, CronTrigger(hour=3, minute=30, timezone="UTC"), "retention",
             {"misfire_grace_time": 6 * 3600})
        )  # fmt: skip
    scheduler = BackgroundScheduler(timezone="UTC")
    for job, trigger, job_id, extra in jobs:
        scheduler.add_job(
            job, trigger, args=[services], id=job_id, coalesce=True, max_instances=1, **extra
        )
    return scheduler
