"""Flag DMs: exactly one per flag and recipient, across repeats, retries and crashes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.core.errors import NotFound
from bot.core.scope import Viewer, require_write
from bot.flags.charts import flag_chart_png
from bot.flags.records import OPEN_FLAG
from bot.people.members import leads
from models import Agent, Flag, FlagDelivery, Member
from models.base import utcnow

log = logging.getLogger("bot.deliveries")  # its name before bot/flags/

LEASE = timedelta(minutes=5)


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


def _claim(session: Session, flag_id: int, recipient: str, now: datetime) -> tuple[bool, bool]:
    """Claim the delivery; returns (ours to send, an earlier attempt may have sent it)."""
    insert: Any = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = session.execute(
        insert(FlagDelivery)
        .values(flag_id=flag_id, recipient=recipient, claimed_at=now)
        .on_conflict_do_nothing(index_elements=["flag_id", "recipient"])
        .returning(FlagDelivery.id)
    ).scalar()
    if created is not None:
        return True, False
    # An unconfirmed claim older than the lease belonged to a process that died mid-send.
    taken = session.execute(
        update(FlagDelivery)
        .where(
            FlagDelivery.flag_id == flag_id,
            FlagDelivery.recipient == recipient,
            FlagDelivery.sent_at.is_(None),
            FlagDelivery.claimed_at < now - LEASE,
        )
        .values(claimed_at=now)
        .returning(FlagDelivery.id)
    ).scalar()
    return taken is not None, taken is not None


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
    sent = 0
    with session_factory() as session:
        flag = session.get(Flag, flag_id)
        if flag is None or flag.dismissed_at is not None or flag.cleared_at is not None:
            return 0
        view = flag_view(session, flag, window_days)
        agent = session.get(Agent, flag.agent_id)
        assert agent is not None
        people = recipients(session, agent)
    chart = _chart(view, chart_dir)
    for person in people:
        with session_factory() as session:
            ours, maybe_sent = _claim(session, flag_id, person, now or utcnow())
        if not ours:
            continue
        try:
            channel = notifier.open_dm(person)
            ts = notifier.find_flag_message(channel, flag_id) if maybe_sent else None
            if ts is None:
                ts = notifier.post_flag(channel, view, chart)
                sent += 1
        except Exception:  # one lead Slack refuses mustn't stop the others; the claim expires
            log.exception(
                "flag %d: DM to %s failed; it will be retried after the lease", flag_id, person
            )
            continue
        with session_factory() as session:
            session.execute(
                update(FlagDelivery)
                .where(FlagDelivery.flag_id == flag_id, FlagDelivery.recipient == person)
                .values(channel=channel, ts=ts, sent_at=utcnow())
            )
    return sent


def pending_flags(session: Session, now: datetime) -> list[int]:
    """Open flags whose DMs are missing or were left unconfirmed past the lease."""
    unconfirmed = select(FlagDelivery.flag_id).where(
        FlagDelivery.sent_at.is_(None), FlagDelivery.claimed_at < now - LEASE
    )
    delivered = select(FlagDelivery.flag_id)
    return list(
        session.scalars(
            select(Flag.id)
            .where(
                *OPEN_FLAG,
                or_(Flag.id.not_in(delivered), Flag.id.in_(unconfirmed)),
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
