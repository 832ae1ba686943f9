"""Flag DMs: exactly one per flag and recipient, across repeats, retries and crashes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core import deliveries
from bot.core.deliveries import Outcome
from bot.core.errors import NotFound
from bot.core.scope import Viewer, require_write
from bot.flags.charts import flag_chart_png
from bot.flags.records import OPEN_FLAG
from bot.people.members import leads
from models import Agent, DeliveryKind, Flag, Member
from models.base import utcnow

log = logging.getLogger("bot.deliveries")  # its name before bot/flags/

LEASE = timedelta(minutes=5)
KIND = DeliveryKind.FLAG.value


@dataclass(frozen=True)
class FlagView:
    """Everything a flag DM shows."""

    flag_id: int
    agent_id: int
    agent_name: str
    baseline: float
    current: float
    slope: float
    tau: float
    p_value: float
    ratings: int
    windows: list[dict[str, Any]]
    window_days: int
    samples: int


class FlagNotifier(Protocol):
    """Where flag DMs go (Slack in production, the terminal in the demo)."""

    def open_dm(self, user_id: str) -> str:
        """The DM channel with a user."""
        ...

    def find_flag_message(self, channel: str, flag_id: int) -> str | None:
        """The ts of an earlier DM about this flag in the channel, if one was sent."""
        ...

    def post_flag(self, channel: str, view: FlagView, chart_png: bytes | None) -> str:
        """Send the DM; returns its ts."""
        ...


def recipients(session: Session, agent: Agent) -> list[str]:
    """The agent's lead, or every owner and admin when the agent has none."""
    if agent.lead_member_id is not None:
        lead = session.get(Member, agent.lead_member_id)
        if lead is not None:
            return [lead.slack_user_id]
    return [member.slack_user_id for member in leads(session)]


def flag_view(session: Session, flag: Flag, window_days: int) -> FlagView:
    """The DM's data for a flag."""
    from models import Sample

    agent = session.get(Agent, flag.agent_id)
    assert agent is not None
    samples = (
        session.scalar(select(func.count()).select_from(Sample).where(Sample.flag_id == flag.id))
        or 0
    )
    return FlagView(
        flag_id=flag.id,
        agent_id=agent.id,
        agent_name=agent.name,
        baseline=flag.baseline,
        current=flag.current,
        slope=flag.slope,
        tau=flag.tau,
        p_value=flag.p_value,
        ratings=flag.ratings,
        windows=list(flag.windows),
        window_days=window_days,
        samples=samples,
    )


def load_flag_view(*, session: Session, viewer: Viewer, flag_id: int, window_days: int) -> FlagView:
    """A flag for a lead (the dismiss modal), or OutOfScope / NotFound."""
    require_write(viewer)
    flag = session.get(Flag, flag_id)
    if flag is None:
        raise NotFound("That flag no longer exists.")
    return flag_view(session, flag, window_days)


def deliver_flag(
    *,
    session_factory: Callable[[], Any],
    notifier: FlagNotifier,
    flag_id: int,
    window_days: int,
    chart_dir: str | None = None,
    now: datetime | None = None,
) -> int:
    """DM every recipient of a flag once; returns how many DMs this call sent."""
    with session_factory() as session:
        flag = session.get(Flag, flag_id)
        if flag is None or flag.dismissed_at is not None or flag.cleared_at is not None:
            return 0
        view = flag_view(session, flag, window_days)
        agent = session.get(Agent, flag.agent_id)
        assert agent is not None
        people = recipients(session, agent)
    when = now or utcnow()
    with session_factory() as session:  # every recipient's claim first: none is forgotten
        claims = [
            deliveries.claim(
                session, kind=KIND, subject=str(flag_id), recipient=person, now=when, lease=LEASE
            )
            for person in people
        ]
    chart = _chart(view, chart_dir) if any(claims) else None
    sent = 0
    for claim in filter(None, claims):
        try:
            channel = notifier.open_dm(claim.recipient)
            outcome = deliveries.send(
                session_factory=session_factory,
                claim=claim,
                channel=channel,
                find=partial(notifier.find_flag_message, channel, flag_id),
                post=partial(notifier.post_flag, channel, view, chart),
                now=lambda: when,
            )
        except Exception:  # one lead Slack refuses mustn't stop the others; the claim expires
            log.exception(
                "flag %d: DM to %s failed; it will be retried after the lease",
                flag_id,
                claim.recipient,
            )
            continue
        sent += outcome is Outcome.SENT
    return sent


def pending_flags(session: Session, now: datetime) -> list[int]:
    """Open flags whose DMs are missing or were left unconfirmed past the lease."""
    return list(
        session.scalars(
            select(Flag.id)
            .where(
                *OPEN_FLAG,
                deliveries.to_send(KIND, Flag.id, now, LEASE),
            )
            .order_by(Flag.id)
        )
    )


def _chart(view: FlagView, chart_dir: str | None) -> bytes | None:
    if not view.windows:
        return None
    try:
        png = flag_chart_png(
            agent=view.agent_name, windows=view.windows, baseline=view.baseline, slope=view.slope
        )
    except Exception:  # a DM without its chart beats no DM
        log.exception("could not draw the chart of flag %d", view.flag_id)
        return None
    if chart_dir:
        from pathlib import Path

        folder = Path(chart_dir)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"flag-{view.flag_id}.png").write_bytes(png)
    return png
