"""Sustained-falling flags: one per episode, cleared on recovery, dismissible with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.audit import SCAN_ACTOR, record
from bot.core.errors import InvalidInput, NotFound
from bot.core.scope import Viewer, require_write
from bot.core.text import optional_text
from bot.flags.trend import Assessment, TrendConfig, assess_many
from bot.flags.windows import day_start, last_complete_window, window_histories
from models import Flag
from models.base import utcnow

DISMISS_REASONS = {
    "leave": "On leave",
    "queue_change": "Moved to another queue",
    "outage": "Known outage or incident",
    "other": "Other",
}
DISMISS_REASON_MAX = 500  # the stored "label: note"
# the longest label, ": ", then the note must fit the stored reason
DISMISS_NOTE_MAX = 450
assert max(map(len, DISMISS_REASONS.values())) + 2 + DISMISS_NOTE_MAX <= DISMISS_REASON_MAX


@dataclass
class ScanOutcome:
    """What one evaluation of every agent changed."""

    assessed: int = 0
    raised: list[int] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)


# a flag is open from its raising until a scan clears it or a lead dismisses it
OPEN_FLAG = (Flag.cleared_at.is_(None), Flag.dismissed_at.is_(None))


def evaluate_agents(*, session: Session, config: TrendConfig, now: datetime) -> ScanOutcome:
    """Assess every active agent's trajectory; raise a flag per new episode, clear recovered ones."""
    as_of = last_complete_window(now, config.window_days)
    first = as_of - timedelta(
        days=(config.trend_windows + config.baseline_windows - 1) * config.window_days
    )
    histories = window_histories(
        session=session, first=first, last=as_of, window_days=config.window_days
    )
    open_flags = {
        f.agent_id: f for f in session.scalars(select(Flag).where(Flag.cleared_at.is_(None)))
    }
    for agent_id in open_flags:
        histories.setdefault(agent_id, [])
    outcome = ScanOutcome(assessed=len(histories))
    if not histories:
        return outcome
    baselines = {agent_id: flag.baseline for agent_id, flag in open_flags.items()}
    results = assess_many(histories, config, baselines, as_of=as_of)
    raised: list[tuple[Flag, Assessment]] = []
    for agent_id, result in results.items():
        flag = open_flags.get(agent_id)
        if flag is None and result.falling:
            raised.append((_new_flag(agent_id, result, now), result))
        elif flag is not None and result.recovered:
            flag.cleared_at = now
            record(
                session=session,
                actor=SCAN_ACTOR,
                action="flag.clear",
                entity="flag",
                entity_id=flag.id,
                after={"reason": result.reason, "current": result.current},
            )
            outcome.cleared.append(flag.id)
    if raised:
        session.add_all(flag for flag, _ in raised)
        session.flush()  # one round of inserts for every new flag, then their audit entries
        for flag, result in raised:
            record(
                session=session,
                actor=SCAN_ACTOR,
                action="flag.raise",
                entity="flag",
                entity_id=flag.id,
                after={"agent_id": flag.agent_id, "reason": result.reason},
            )
            outcome.raised.append(flag.id)
    return outcome


def _new_flag(agent_id: int, result: Assessment, now: datetime) -> Flag:
    assert result.baseline is not None and result.current is not None
    return Flag(
        agent_id=agent_id,
        raised_at=now,
        baseline=result.baseline,
        current=result.current,
        slope=result.slope or 0.0,
        tau=result.tau or 0.0,
        p_value=result.p_value if result.p_value is not None else 1.0,
        ratings=result.ratings,
        review_start=day_start(result.span_start),
        review_end=day_start(result.span_end) + timedelta(days=1),
        windows=[
            {"start": w.start.isoformat(), "mean": round(w.mean, 4), "count": w.count}
            for w in result.windows
        ],
    )


def dismiss_flag(
    *, session: Session, actor: Viewer, flag_id: int, reason: str, note: str = ""
) -> Flag:
    """A lead dismisses a flag with a reason; it stays on record and the episode isn't re-flagged."""
    require_write(actor)
    flag = session.get(Flag, flag_id)
    if flag is None:
        raise NotFound("That flag no longer exists.")
    if reason not in DISMISS_REASONS:
        raise InvalidInput("reason", "Pick a reason for dismissing the flag.")
    note = optional_text(
        note, field="note", what="The note", max_length=DISMISS_NOTE_MAX, multiline=True
    )
    if reason == "other" and not note:
        raise InvalidInput("note", "Say why, in a few words.")
    if flag.dismissed_at is None:
        label = DISMISS_REASONS[reason] + (f": {note}" if note else "")
        flag.dismissed_at, flag.dismissed_by, flag.dismiss_reason = (
            utcnow(),
            actor.slack_user_id,
            label,
        )
        record(
            session=session,
            actor=actor.slack_user_id,
            action="flag.dismiss",
            entity="flag",
            entity_id=flag.id,
            after={"reason": label},
        )
    return flag
