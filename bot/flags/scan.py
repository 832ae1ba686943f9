"""A scan: evaluate every agent, capture samples for new flags, DM the leads; one at a time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text

from bot.ai.summaries import Summarizer
from bot.coaching.capture import capture_for_flag
from bot.core.db import get_engine
from bot.core.settings import Settings
from bot.flags.dms import FlagNotifier, deliver_flag, pending_flags
from bot.flags.records import ScanOutcome, evaluate_agents
from models import Sample
from models.base import utcnow

log = logging.getLogger("bot.scanner")  # its name before bot/flags/

SCAN_LOCK_KEY = 0x0DEB21EF  # PostgreSQL advisory lock: one scan at a time across processes
_local_lock = threading.Lock()


@dataclass
class ScanReport:
    """What a scan did."""

    outcome: ScanOutcome = field(default_factory=ScanOutcome)
    captured: dict[int, int] = field(default_factory=dict)
    dms_sent: int = 0
    locked_out: bool = False


@contextmanager
def scan_lock(url: str) -> Iterator[bool]:
    """Hold the scan lock (a PostgreSQL advisory lock; in-process only on SQLite)."""
    if not _local_lock.acquire(blocking=False):
        yield False
        return
    try:
        if not url.startswith("postgresql"):
            yield True
            return
        with get_engine(url).connect() as connection:
            got = bool(
                connection.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": SCAN_LOCK_KEY}
                ).scalar()
            )
            connection.commit()
            try:
                yield got
            finally:
                if got:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCAN_LOCK_KEY})
                    connection.commit()
    finally:
        _local_lock.release()


def run_scan(
    *,
    session_factory: Callable[[], Any],
    settings: Settings,
    summarizer: Summarizer,
    notifier: FlagNotifier | None,
    now: datetime | None = None,
) -> ScanReport:
    """Evaluate, capture and notify; a scan already running elsewhere makes this one a no-op."""
    url, now = settings.database_url, now or utcnow()
    config = settings.trend_config()
    factory = session_factory
    report = ScanReport()
    with scan_lock(url) as held:
        if not held:
            log.info("another scan is running; skipping this one")
            report.locked_out = True
            return report
        with factory() as session:
            report.outcome = evaluate_agents(session=session, config=config, now=now)
            to_send = pending_flags(session, now)
            uncaptured = set(to_send) - set(
                session.scalars(
                    select(Sample.flag_id)
                    .where(Sample.flag_id.in_(to_send))
                    .group_by(Sample.flag_id)
                    .having(func.count() > 0)
                )
            )
        for flag_id in sorted(uncaptured):  # new flags are among them: no samples yet
            report.captured[flag_id] = capture_for_flag(
                session_factory=factory, settings=settings, flag_id=flag_id, summarizer=summarizer
            )
        if notifier is not None:
            for flag_id in to_send:  # new flags are among them: no DMs yet
                report.dms_sent += deliver_flag(
                    session_factory=factory,
                    notifier=notifier,
                    flag_id=flag_id,
                    window_days=config.window_days,
                    chart_dir=settings.chart_dir,
                    now=now,
                )
    return report
