"""`debrief sync`: pull new ratings (and their agents) from every configured helpdesk."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.core.errors import InvalidInput
from bot.core.settings import Settings
from bot.ingest.conversations import (
    AgentDirectory,
    ConversationRow,
    check_row,
    upsert_conversations,
)
from bot.ingest.helpdesks import Helpdesk, HelpdeskError, RatingRecord, configured_helpdesks
from bot.ingest.helpdesks.base import SaysWhatItRead
from models import SyncRun
from models.base import utcnow

log = logging.getLogger("bot.sync")  # its name before bot/ingest/

BATCH = 500
FIRST_SYNC = timedelta(weeks=16)  # enough history for a baseline and a trend
OVERLAP = timedelta(days=1)  # ratings can arrive or change late; upserts make re-reads harmless


@dataclass
class SyncReport:
    """Ratings pulled per helpdesk, what each read where its connector says, and the helpdesks
    that failed with why."""

    pulled: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    read: dict[str, str] = field(default_factory=dict)  # e.g. "new CSAT survey responses"


def _row(record: RatingRecord) -> ConversationRow:
    tags = ";".join(t.replace(";", ",") for t in record.tags)[:2000] or None
    return ConversationRow(
        helpdesk=record.helpdesk,
        external_id=record.external_id,
        agent_name=record.agent_name,
        agent_email=record.agent_email.lower() if record.agent_email else None,
        closed_at=record.closed_at,
        csat=record.csat,
        queue=record.queue,
        tags=tags,
        url=record.url,
    )


def _skipped(row: ConversationRow, exc: InvalidInput) -> None:
    log.warning("%s #%s skipped: %s", row.helpdesk, row.external_id, exc.message)


def _since(session_factory: Callable[[], Any], name: str, now: datetime) -> datetime:
    """Where the next sync of a helpdesk starts: what is covered already, less the overlap.
    A good run covers everything up to its start; a failed run of an ordered connector covers
    up to the newest rating it kept (`reached`), so the next one resumes there."""
    with session_factory() as session:
        last = session.scalar(
            select(SyncRun.started_at)
            .where(
                SyncRun.helpdesk == name, SyncRun.error.is_(None), SyncRun.finished_at.is_not(None)
            )
            .order_by(SyncRun.started_at.desc())
            .limit(1)
        )
        later = select(func.max(SyncRun.reached)).where(SyncRun.helpdesk == name)
        if last is not None:
            later = later.where(SyncRun.started_at > last)
        reached = session.scalar(later)
    covered = max((t for t in (last, reached) if t is not None), default=None)
    return (covered - OVERLAP) if covered is not None else now - FIRST_SYNC


def _pull(
    session_factory: Callable[[], Any], helpdesk: Helpdesk, since: datetime, run_id: int
) -> int:
    pulled = 0
    batch: list[ConversationRow] = []
    newest: list[datetime] = []  # the batch's rating times, for an ordered connector

    def flush() -> None:
        with session_factory() as session:
            directory = AgentDirectory(session=session, actor=f"sync:{helpdesk.name}")
            checked = []
            for row in batch:
                try:
                    check_row(row)
                    checked.append(row)
                except InvalidInput as exc:
                    _skipped(row, exc)
            # the batch's agents in one go: new ones are created together, not one by one
            people = [(row.agent_name, row.agent_email) for row in checked]
            rows = []
            for row, found in zip(
                checked, directory.agent_ids(people, session=session), strict=True
            ):
                if isinstance(found, InvalidInput):
                    _skipped(row, found)
                else:
                    rows.append((row, found))
            upsert_conversations(session=session, rows=rows, import_id=None)
            if newest and getattr(helpdesk, "ordered", False):
                # kept with the batch: a failure after this commit resumes from here
                run = session.get(SyncRun, run_id)
                if run is not None:
                    run.reached = max(newest)
        batch.clear()
        newest.clear()

    for record in helpdesk.ratings_since(since):
        batch.append(_row(record))
        if record.rated_at is not None:
            newest.append(record.rated_at)
        pulled += 1
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return pulled


def sync_helpdesks(
    *,
    session_factory: Callable[[], Any],
    settings: Settings,
    since: datetime | None = None,
    helpdesks: list[Helpdesk] | None = None,
) -> SyncReport:
    """Pull ratings since `since` (default: the last good sync, less a day) from each helpdesk."""
    report = SyncReport()
    now = utcnow()
    for helpdesk in helpdesks if helpdesks is not None else configured_helpdesks(settings):
        start = since or _since(session_factory, helpdesk.name, now)
        with session_factory() as session:
            run = SyncRun(helpdesk=helpdesk.name, since=start, started_at=now)
            session.add(run)
            session.flush()
            run_id = run.id
        error: str | None = None
        pulled = 0
        try:
            pulled = _pull(session_factory, helpdesk, start, run_id)
            report.pulled[helpdesk.name] = pulled
            if isinstance(helpdesk, SaysWhatItRead) and (read := helpdesk.what_it_read()):
                report.read[helpdesk.name] = read
        except HelpdeskError as exc:
            error = str(exc)[:500]
            report.failed[helpdesk.name] = error
            log.error("sync of %s failed: %s", helpdesk.name, error)
        except Exception as exc:  # record it as failed, so the next sync doesn't skip this span
            error = f"{type(exc).__name__}: {exc}"[:500]
            raise
        finally:
            helpdesk.close()
            with session_factory() as session:
                stored = session.get(SyncRun, run_id)
                if stored is not None:
                    stored.finished_at, stored.ratings, stored.error = utcnow(), pulled, error
    return report
