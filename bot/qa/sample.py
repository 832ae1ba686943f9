"""The weekly QA sample: per queue, every agent represented, the worst CSAT, and a random share.

Candidates come from the `conversations` table (imported or synced, closed since a date) or
straight from an import-format file (nothing is stored for them; their transcripts are read
again from the file for the sampled few only).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ingest.importer import RowError, file_format, parse_row, read_records
from models import Agent, Conversation

WORST_SHARE = 0.5  # of the sample size: the worst-rated conversations; the rest is random
NO_QUEUE = "(no queue)"


@dataclass(frozen=True)
class Candidate:
    """A resolved, rated conversation that may be sampled (metadata only)."""

    helpdesk: str
    external_id: str
    agent_name: str
    agent_email: str | None
    closed_at: datetime
    csat: float
    queue: str | None
    tags: str | None
    agent_id: int | None = None  # known for conversations in the database
    conversation_id: int | None = None
    source_offset: int | None = None  # where the record starts in the --file

    @property
    def key(self) -> str:
        """Unique per conversation: helpdesk and external id."""
        return f"{self.helpdesk}:{self.external_id}"


def from_database(session: Session, *, since: datetime) -> list[Candidate]:
    """Conversations of active agents closed at or after `since`."""
    rows = session.execute(
        select(Conversation, Agent.name, Agent.email)
        .join(Agent, Agent.id == Conversation.agent_id)
        .where(Conversation.closed_at >= since, Agent.active.is_(True))
    )
    return [
        Candidate(
            helpdesk=c.helpdesk,
            external_id=c.external_id,
            agent_name=name,
            agent_email=email,
            closed_at=c.closed_at,
            csat=c.csat,
            queue=c.queue,
            tags=c.tags,
            agent_id=c.agent_id,
            conversation_id=c.id,
        )
        for c, name, email in rows
    ]


def from_file(
    path: Path, *, now: datetime, since: datetime | None = None
) -> tuple[list[Candidate], list[tuple[int, str]]]:
    """The file's valid records (closed at or after `since`) and its bad rows with reasons."""
    candidates: list[Candidate] = []
    bad: list[tuple[int, str]] = []
    with path.open("rb") as handle:
        for item in read_records(handle, file_format(path)):
            if isinstance(item, tuple):
                bad.append(item)
                continue
            try:
                row = parse_row(item, now)
            except RowError as exc:
                bad.append((item.line, str(exc)))
                continue
            if since is not None and row.closed_at < since:
                continue
            candidates.append(
                Candidate(
                    helpdesk=row.helpdesk,
                    external_id=row.external_id,
                    agent_name=row.agent_name,
                    agent_email=row.agent_email,
                    closed_at=row.closed_at,
                    csat=row.csat,
                    queue=row.queue,
                    tags=row.tags,
                    source_offset=item.offset,
                )
            )
    return _last_per_key(candidates), bad


def _last_per_key(candidates: Iterable[Candidate]) -> list[Candidate]:
    """A conversation listed twice counts once (the later record wins, as in an import)."""
    return list({c.key: c for c in candidates}.values())


def _agent_key(c: Candidate) -> str:
    return c.agent_email or " ".join(c.agent_name.split()).lower()


def _worst_first(candidates: Iterable[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (c.csat, -c.closed_at.timestamp(), c.key))


def _by_queue(candidates: Iterable[Candidate]) -> Iterator[tuple[str, list[Candidate]]]:
    queues: dict[str, list[Candidate]] = {}
    for c in candidates:
        queues.setdefault(c.queue or NO_QUEUE, []).append(c)
    yield from sorted(queues.items())


def choose_sample(candidates: Iterable[Candidate], *, size: int, seed: str) -> list[Candidate]:
    """Per queue, up to `size` conversations: first each agent's worst-rated one (so every
    agent is represented, even when that takes more than `size`), then the worst CSAT up to
    half the size, then a random share (seeded by `seed` and the queue, so a rerun of the same
    week picks the same conversations)."""
    chosen: list[Candidate] = []
    for queue, pool in _by_queue(candidates):
        ordered = _worst_first(pool)
        picked: dict[str, Candidate] = {}
        agents: set[str] = set()
        for c in ordered:  # every agent: their worst conversation
            if _agent_key(c) not in agents:
                agents.add(_agent_key(c))
                picked[c.key] = c
        worst_quota = max(len(picked), math.ceil(size * WORST_SHARE))
        for c in ordered:  # the worst CSAT
            if len(picked) >= min(worst_quota, size):
                break
            picked.setdefault(c.key, c)
        rest = [c for c in ordered if c.key not in picked]
        random.Random(f"{seed}:{queue}").shuffle(rest)
        for c in rest:  # a random share
            if len(picked) >= size:
                break
            picked[c.key] = c
        chosen.extend(_worst_first(picked.values()))
    return chosen
