"""Factories for test data: members, agents, samples and notes with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.coaching.notes import create_note
from bot.core.scope import Viewer, viewer_for
from bot.people.agents import upsert_agent
from bot.people.members import set_member
from models import Agent, Flag, Member, Note, Sample
from models.base import utcnow
from models.sample import SampleSource

_seq = itertools.count(1)


def restart() -> None:
    """Start the sequence behind external ids and times again (before each test)."""
    global _seq
    _seq = itertools.count(1)


def member(
    session: Session, slack_user_id: str, role: str = "owner", agent: str | None = None
) -> Member:
    created, _ = set_member(
        session=session, actor="test", slack_user_id=slack_user_id, role=role, agent_name=agent
    )
    return created


def viewer(session: Session, slack_user_id: str) -> Viewer:
    return viewer_for(session=session, slack_user_id=slack_user_id)


def agent(
    session: Session,
    name: str,
    *,
    email: str | None = None,
    slack_user: str | None = None,
    lead: str | None = None,
) -> Agent:
    created, _ = upsert_agent(
        session=session, actor="test", name=name, email=email, slack_user=slack_user, lead=lead
    )
    return created


def sample(
    session: Session,
    agent_id: int,
    *,
    csat: float | None = 1.0,
    summary: str = "The customer waited two days for a refund that was promised on the call.",
    helpdesk: str = "zendesk",
    url: str | None = "https://acme.zendesk.com/agent/tickets/{id}",
    closed_at: datetime | None = None,
    source: SampleSource = SampleSource.AUTO,
) -> Sample:
    n = next(_seq)
    external_id = str(4000 + n)
    created = Sample(
        agent_id=agent_id,
        helpdesk=helpdesk,
        external_id=external_id,
        url=None if url is None else url.format(id=external_id),
        csat=csat,
        closed_at=closed_at or utcnow() - timedelta(days=1, minutes=n),
        summary=summary,
        source=source,
    )
    session.add(created)
    session.flush()
    return created


def note(
    session: Session,
    author: Viewer,
    agent_id: int,
    body: str = "Let's role-play the refund call in our 1:1.",
    **kwargs: object,
) -> Note:
    return create_note(session=session, actor=author, agent_id=agent_id, body=body, **kwargs)  # type: ignore[arg-type]


def flag(
    session: Session,
    agent_id: int,
    *,
    raised_at: datetime | None = None,
    baseline: float = 4.6,
    current: float = 3.1,
    p_value: float = 0.012,
    **kwargs: object,
) -> Flag:
    """A flag with plausible figures and six weekly windows, raised a day ago unless said."""
    raised = raised_at or utcnow() - timedelta(days=1)
    created = Flag(
        agent_id=agent_id,
        raised_at=raised,
        baseline=baseline,
        current=current,
        slope=-0.25,
        tau=-0.8,
        p_value=p_value,
        ratings=72,
        review_start=raised - timedelta(weeks=6),
        review_end=raised,
        windows=[{"start": "2026-01-05", "mean": 4.5, "count": 12}] * 6,
        **kwargs,
    )
    session.add(created)
    session.flush()
    return created


def weekly_ratings(
    session: Session,
    agent_id: int,
    means: list[float],
    *,
    last_week: datetime,
    per_week: int = 12,
    helpdesk: str = "zendesk",
) -> None:
    """Ratings whose weekly means are `means` (oldest first), the last week starting `last_week`."""
    from models import Conversation

    for i, mean in enumerate(means):
        week = last_week - timedelta(weeks=len(means) - 1 - i)
        low = int(mean)
        highs = round((mean - low) * per_week)
        for k in range(per_week):
            score = min(5, low + 1) if k < highs else max(1, low)
            n = next(_seq)
            session.add(
                Conversation(
                    helpdesk=helpdesk,
                    external_id=f"c{n}",
                    agent_id=agent_id,
                    closed_at=week + timedelta(hours=2 + k * 9),
                    csat=float(score),
                )
            )
    session.flush()
