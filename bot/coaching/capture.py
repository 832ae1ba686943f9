"""Capture: summaries of an agent's worst conversations become samples (never the bodies)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.ai.summaries import Summarizer, SummaryRequest
from bot.coaching.transcripts import Redacted, SourceText, redacted, transcript_for
from bot.core.audit import SCAN_ACTOR, record
from bot.core.settings import Settings
from bot.ingest.deeplinks import deep_link
from models import Conversation, Flag, Sample
from models.sample import SampleSource

log = logging.getLogger("bot.capture")

MAX_CAPTURE = 20


@dataclass(frozen=True)
class Captured:
    """One conversation ready to summarize: its metadata and the redacted transcript."""

    agent_id: int
    helpdesk: str
    external_id: str
    csat: float | None
    closed_at: datetime | None
    url: str | None
    request: SummaryRequest
    source: Redacted


def captured(
    *,
    source: SourceText,
    agent_id: int,
    helpdesk: str,
    external_id: str,
    csat: float | None,
    closed_at: datetime | None,
    url: str | None,
    queue: str | None,
    tags: str | None,
) -> Captured:
    """A conversation ready to summarize, its transcript redacted before anything else sees it."""
    clean = redacted(source)
    return Captured(
        agent_id=agent_id,
        helpdesk=helpdesk,
        external_id=external_id,
        csat=csat,
        closed_at=closed_at,
        url=url,
        request=SummaryRequest(
            helpdesk=helpdesk,
            external_id=external_id,
            csat=csat,
            queue=queue,
            tags=tags,
            transcript=clean.text,
        ),
        source=clean,
    )


def _prepare(session: Session, settings: Settings, conversation: Conversation) -> Captured:
    return captured(
        source=transcript_for(session=session, settings=settings, conversation=conversation),
        agent_id=conversation.agent_id,
        helpdesk=conversation.helpdesk,
        external_id=conversation.external_id,
        csat=conversation.csat,
        closed_at=conversation.closed_at,
        url=conversation.url
        or deep_link(settings, conversation.helpdesk, conversation.external_id),
        queue=conversation.queue,
        tags=conversation.tags,
    )


def summarize_all(
    items: list[Captured], summarizer: Summarizer, concurrency: int
) -> list[tuple[Captured, str]]:
    """Summaries written concurrently (bounded), each redacted again before it is kept."""

    def one(item: Captured) -> tuple[Captured, str]:
        summary = summarizer.summarize(item.request)
        return item, item.source.clean(summary)

    if not items:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(items)))) as pool:
        return list(pool.map(one, items))


def store_samples(
    session: Session,
    written: list[tuple[Captured, str]],
    *,
    source: SampleSource,
    engine: str,
    actor: str,
    action: str,
    flag_id: int | None = None,
) -> list[int]:
    """Insert samples, each with an audit entry (ids, CSAT, source, summarizer; never the
    summary); a conversation that already has one keeps it (never summarized twice). Returns
    the ids of the samples this call inserted."""
    if not written:
        return []
    insert: Any = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Sample)
        .on_conflict_do_nothing(index_elements=["helpdesk", "external_id"])
        .returning(Sample.id, Sample.agent_id, Sample.helpdesk, Sample.external_id, Sample.csat)
    )
    rows = session.execute(
        statement,
        [
            {
                "agent_id": item.agent_id,
                "helpdesk": item.helpdesk,
                "external_id": item.external_id,
                "url": item.url,
                "csat": item.csat,
                "closed_at": item.closed_at,
                "summary": summary,
                "source": source,
                "flag_id": flag_id,
                "engine": engine,
            }
            for item, summary in written
        ],
    ).all()
    for row in rows:
        record(
            session=session,
            actor=actor,
            action=action,
            entity="sample",
            entity_id=row.id,
            after={
                "agent_id": row.agent_id,
                "helpdesk": row.helpdesk,
                "external_id": row.external_id,
                "csat": row.csat,
                "source": source.value,
                "flag_id": flag_id,
                "summarizer": engine,
            },
        )
    return [row.id for row in rows]


def worst_unsampled(
    session: Session, agent_id: int, start: datetime, end: datetime, limit: int = MAX_CAPTURE
) -> list[Conversation]:
    """The agent's worst-CSAT conversations closed in [start, end) that have no sample yet."""
    sampled = select(Sample.helpdesk, Sample.external_id)  # unique across agents: never twice
    return list(
        session.scalars(
            select(Conversation)
            .where(
                Conversation.agent_id == agent_id,
                Conversation.closed_at >= start,
                Conversation.closed_at < end,
                tuple_(Conversation.helpdesk, Conversation.external_id).not_in(sampled),
            )
            .order_by(
                Conversation.csat.asc(), Conversation.closed_at.desc(), Conversation.id.desc()
            )
            .limit(limit)
        )
    )


def capture_for_flag(
    *,
    session_factory: Callable[[], Any],
    settings: Settings,
    flag_id: int,
    summarizer: Summarizer,
) -> int:
    """Samples from the worst conversations of the review window before the flag; returns how many."""
    with session_factory() as session:
        flag = session.get(Flag, flag_id)
        if flag is None:
            return 0
        end = flag.review_end
        start = end - timedelta(days=settings.window_days)
        items = [
            _prepare(session, settings, conversation)
            for conversation in worst_unsampled(session, flag.agent_id, start, end)
        ]
    written = summarize_all(items, summarizer, settings.summary_concurrency)
    with session_factory() as session:
        store_samples(
            session,
            written,
            source=SampleSource.AUTO,
            engine=summarizer.name,
            actor=SCAN_ACTOR,
            action="sample.capture",
            flag_id=flag_id,
        )
    log.info("captured %d samples for flag %d", len(written), flag_id)
    return len(written)
