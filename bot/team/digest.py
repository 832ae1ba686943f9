"""The weekly digest: a DM to each lead on Monday at 09:00 in their own time zone, once a week.

The job runs hourly. A lead (owner or admin) is due when it is Monday between 09:00 and
`GRACE` later in their Slack time zone (cached on their member row for a week, as for
follow-ups; UTC when unknown) and they have had no digest this ISO week (of their own
calendar). The grace lets a run that failed at 09:xx be made up later that morning.

Exactly once per lead and week, across repeated runs, several processes and crashes: the send
is a delivery (`bot/core/deliveries.py`, subject the ISO week), **claimed before sending**,
confirmed after, and then recorded as a ``digest_sent`` MeasurementEvent (payload ``{lead,
week, claimedAt, sentAt, channel, ts}``). A claim older than `LEASE` belongs to a sender that
died mid-send: the next run takes it over and first looks for the digest in the DM's history
(the week is in the message metadata) before posting.

What it says covers the 7 days before the send: flags raised and cleared, notes written,
follow-ups done and overdue (now), the QA review queue (pending drafts), the criterion the AI
scores differ most on from the lead's over the QA drafts decided in those 7 days (`ai_miss`), the
CSAT recovery of coached agents, and a chart of weekly CSAT (of the agents flagged now, or the
team).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core import deliveries
from bot.core.deliveries import Outcome
from bot.flags.charts import weekly_lines_png
from bot.flags.records import OPEN_FLAG
from bot.followups.dates import member_zone
from bot.insights.agreement import ai_agreement
from bot.people.members import leads
from bot.qa.review import PENDING_DRAFTS
from bot.team.recovery import Recovery, csat_recovery
from models import (
    Agent,
    Conversation,
    DeliveryKind,
    Flag,
    MeasurementEvent,
    Note,
)

log = logging.getLogger("bot.digest")

EVENT = "digest_sent"
SEND_HOUR = 9
GRACE = timedelta(hours=3)
LEASE = timedelta(minutes=10)
WEEK = timedelta(days=7)
CHART_WEEKS = 8
MAX_CHART_AGENTS = 5
KIND = DeliveryKind.DIGEST.value


@dataclass(frozen=True)
class AiMiss:
    """The criterion whose AI scores differed most from the lead's final ones: the mean
    |suggested - final| score over `drafts` approved or edited drafts."""

    criterion: str
    mean: float
    drafts: int


@dataclass(frozen=True)
class DigestView:
    """Everything a lead's weekly digest shows."""

    lead: str
    week: str
    week_key: int
    start: datetime
    end: datetime
    flags_raised: list[str]
    flags_cleared: list[str]
    notes_written: int
    follow_ups_done: int
    follow_ups_overdue: int
    queue: int
    recovery: list[Recovery]
    chart_title: str | None = None
    chart_series: dict[str, list[tuple[datetime, float, int]]] = field(default_factory=dict)
    ai_scored: int = 0  # final scores compared in the week (0: no line about AI scores)
    ai_miss: AiMiss | None = None  # None with ai_scored: the AI matched on every criterion


class DigestNotifier(Protocol):
    """Where digests go (Slack in production)."""

    def open_dm(self, user_id: str) -> str:
        """The DM channel with a user."""
        ...

    def find_digest_message(self, channel: str, week_key: int) -> str | None:
        """The ts of this week's digest in the channel, if one was sent."""
        ...

    def post_digest(self, channel: str, view: DigestView, chart_png: bytes | None) -> str:
        """Send the digest (the week in its metadata); returns its ts."""
        ...


def iso_week(local: datetime) -> tuple[str, int]:
    """("2026-W48", 202648) for a local moment."""
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}", year * 100 + week


def is_due(local: datetime) -> bool:
    """Monday, from 09:00 to 09:00 + GRACE, local time."""
    start = local.replace(hour=SEND_HOUR, minute=0, second=0, microsecond=0)
    return local.weekday() == 0 and start <= local < start + GRACE


def due_leads(
    *, session: Session, now: datetime, zone_of: Callable[[str], str | None], every: bool = False
) -> list[tuple[str, str, int]]:
    """(lead, week, week key) of the leads whose Monday 09:00 has come (with `every`, of every
    lead, whatever their day and hour: their own current week); zones cached a week."""
    due = []
    for lead in leads(session):
        user = lead.slack_user_id
        zone = member_zone(member=lead, slack_user_id=user, lookup=zone_of, now=now)
        local = now.astimezone(ZoneInfo(zone or "UTC"))
        if every or is_due(local):
            week, key = iso_week(local)
            due.append((user, week, key))
    return due


@dataclass(frozen=True)
class Claim:
    """A try at one lead's week: `claim` when it is ours to send, else why not."""

    claim: deliveries.Claim | None
    already_sent: bool = False
    busy_until: datetime | None = None  # another try holds it until then


def claim(session: Session, lead: str, week: str, now: datetime) -> Claim:
    """Claim this lead's week, unless it was sent or another try holds it within its lease."""
    taken = deliveries.claim(session, kind=KIND, subject=week, recipient=lead, now=now, lease=LEASE)
    if taken is not None:
        return Claim(taken)
    row = deliveries.find(session, kind=KIND, subject=week, recipient=lead)
    if row is None or row.sent_at is not None:
        return Claim(None, already_sent=True)
    held = row.claimed_at or now
    return Claim(None, busy_until=held + LEASE)


def _recorder(taken: deliveries.Claim, now: datetime) -> Any:
    """The measurement event of a digest sent, written as its delivery is confirmed (the pass
    claims and sends at one `now`)."""

    def record_sent(session: Session, channel: str, ts: str) -> None:
        session.add(
            MeasurementEvent(
                kind=EVENT,
                at=now,
                payload={
                    "lead": taken.recipient,
                    "week": taken.subject,
                    "claimedAt": now.isoformat(),
                    "sentAt": now.isoformat(),
                    "channel": channel,
                    "ts": ts,
                },
            )
        )

    return record_sent


def _names(session: Session, ids: list[int]) -> list[str]:
    if not ids:
        return []
    by_id = dict(session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(ids))).all())
    return [str(by_id[i]) for i in ids if i in by_id]


def _weekly(
    session: Session, agent_ids: list[int] | None, start: datetime, end: datetime
) -> list[tuple[datetime, float, int]]:
    """(week start, mean CSAT, ratings) for weeks ending at `end`, of some agents or everyone."""
    query = select(Conversation.closed_at, Conversation.csat).where(
        Conversation.closed_at >= start, Conversation.closed_at < end
    )
    if agent_ids is not None:
        query = query.where(Conversation.agent_id.in_(agent_ids))
    sums: dict[int, list[float]] = {}
    for closed_at, csat in session.execute(query):
        index = int((closed_at - start) / WEEK)
        sums.setdefault(index, []).append(float(csat))
    return [
        (start + index * WEEK, round(sum(v) / len(v), 2), len(v))
        for index, v in sorted(sums.items())
    ]


def ai_miss(session: Session, start: datetime, now: datetime) -> tuple[int, AiMiss | None]:
    """Over the drafts decided from `start` to just before `now` (as the digest's other
    figures, so back-to-back weeks never count a draft twice): how many final scores were
    compared, and the criterion with the highest mean |suggested - final| score (ties: the most
    drafts, then the name); None when every difference is 0."""
    criteria = ai_agreement(session=session, since=start, now=now, before_now=True)["criteria"]
    scored = sum(c["finalScores"] for c in criteria)
    missed = [c for c in criteria if c["meanAbsScoreDifference"]]
    if not missed:
        return scored, None
    worst = min(
        missed, key=lambda c: (-c["meanAbsScoreDifference"], -c["finalScores"], c["criterion"])
    )
    return scored, AiMiss(worst["criterion"], worst["meanAbsScoreDifference"], worst["finalScores"])


def digest_view(
    *, session: Session, lead: str, week: str, week_key: int, now: datetime
) -> DigestView:
    """The digest's figures for the 7 days before `now`."""
    start = now - WEEK
    raised = list(
        session.scalars(
            select(Flag.agent_id)
            .where(Flag.raised_at >= start, Flag.raised_at < now)
            .order_by(Flag.raised_at)
        )
    )
    cleared = list(
        session.scalars(
            select(Flag.agent_id)
            .where(Flag.cleared_at >= start, Flag.cleared_at < now)
            .order_by(Flag.cleared_at)
        )
    )
    notes = session.scalar(
        select(func.count(Note.id)).where(
            Note.created_at >= start, Note.created_at < now, Note.archived_at.is_(None)
        )
    )
    done = session.scalar(
        select(func.count(Note.id)).where(
            Note.follow_up_done_at >= start, Note.follow_up_done_at < now
        )
    )
    overdue = session.scalar(
        select(func.count(Note.id)).where(
            Note.follow_up_at < now, Note.follow_up_done_at.is_(None), Note.archived_at.is_(None)
        )
    )
    queue = session.scalar(PENDING_DRAFTS)
    recovery = [r for r in csat_recovery(session=session, now=now) if r.after_count]
    title, series = _chart_series(session, now)
    scored, miss = ai_miss(session, start, now)
    return DigestView(
        lead=lead,
        week=week,
        week_key=week_key,
        start=start,
        end=now,
        flags_raised=_names(session, raised),
        flags_cleared=_names(session, cleared),
        notes_written=int(notes or 0),
        follow_ups_done=int(done or 0),
        follow_ups_overdue=int(overdue or 0),
        queue=int(queue or 0),
        recovery=recovery,
        chart_title=title if series else None,
        chart_series=series,
        ai_scored=scored,
        ai_miss=miss,
    )


def _chart_series(
    session: Session, now: datetime
) -> tuple[str, dict[str, list[tuple[datetime, float, int]]]]:
    """Weekly CSAT of the agents flagged longest (as the Home tab lists them, active ones
    only), or of the team when none is flagged: its title and its lines."""
    flagged = list(
        session.scalars(
            select(Flag.agent_id)
            .join(Agent, Agent.id == Flag.agent_id)
            .where(
                Agent.active.is_(True),
                *OPEN_FLAG,
                Flag.raised_at < now,
            )
            .group_by(Flag.agent_id)
            .order_by(func.min(Flag.raised_at), Flag.agent_id)
            .limit(MAX_CHART_AGENTS)
        )
    )
    chart_start = now - CHART_WEEKS * WEEK
    series: dict[str, list[tuple[datetime, float, int]]] = {}
    if not flagged:
        team = _weekly(session, None, chart_start, now)
        if len(team) >= 2:
            series["team"] = team
        return "Weekly CSAT of the team", series
    by_id = dict(session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(flagged))).all())
    for agent_id in flagged:
        points = _weekly(session, [agent_id], chart_start, now)
        if len(points) >= 2:
            series[str(by_id[agent_id])] = points
    return "Weekly CSAT of the agents flagged now", series


def digest_chart_png(view: DigestView) -> bytes | None:
    """Weekly mean CSAT lines (one per flagged agent, or the team), or None with under 2 weeks."""
    if not view.chart_series:
        return None
    lines = {
        name: [(when, mean) for when, mean, _count in points]
        for name, points in view.chart_series.items()
    }
    return weekly_lines_png(view.chart_title or "Weekly CSAT", lines)


@dataclass
class DigestReport:
    """What one digest pass did."""

    due: int = 0
    sent: int = 0
    found_sent: int = 0
    failed: int = 0
    leads: list[str] = field(default_factory=list)  # sent (or found sent) this pass
    already_sent: list[str] = field(default_factory=list)  # by an earlier pass this week
    busy: dict[str, datetime] = field(default_factory=dict)  # another try's, until its lease ends
    failures: dict[str, str] = field(default_factory=dict)  # lead -> what went wrong


def _reason(exc: Exception) -> str:
    """What went wrong, in one line: Slack's error code when Slack answered."""
    response: Any = getattr(exc, "response", None)
    error = response.get("error") if response is not None and hasattr(response, "get") else None
    return str(error) if error else (str(exc).splitlines() or [type(exc).__name__])[0]


def _post(notifier: DigestNotifier, channel: str, view: DigestView) -> str:
    return notifier.post_digest(channel, view, digest_chart_png(view))


def send_digests(
    *,
    session_factory: Callable[[], Any],
    notifier: DigestNotifier,
    zone_of: Callable[[str], str | None],
    now: datetime,
    every: bool = False,
) -> DigestReport:
    """DM this week's digest to every lead whose Monday 09:00 has come (with `every`, to every
    lead now), once each per week."""
    report = DigestReport()
    with session_factory() as session:
        due = due_leads(session=session, now=now, zone_of=zone_of, every=every)
    report.due = len(due)
    for lead, week, key in due:
        with session_factory() as session:
            taken = claim(session, lead, week, now)
        if taken.claim is None:
            if taken.already_sent:
                report.already_sent.append(lead)
            elif taken.busy_until is not None:
                report.busy[lead] = taken.busy_until
            continue
        try:
            with session_factory() as session:
                view = digest_view(session=session, lead=lead, week=week, week_key=key, now=now)
            channel = notifier.open_dm(lead)
            outcome = deliveries.send(
                session_factory=session_factory,
                claim=taken.claim,
                channel=channel,
                find=partial(notifier.find_digest_message, channel, key),
                post=partial(_post, notifier, channel, view),
                now=lambda: now,
                on_sent=_recorder(taken.claim, now),
            )
        except Exception as exc:  # the claim stays: after the lease, a later run checks history
            log.exception("could not send the weekly digest to %s; it will be retried", lead)
            report.failed += 1
            report.failures[lead] = _reason(exc)
            continue
        if outcome is Outcome.SENT:
            report.sent += 1
        elif outcome is Outcome.FOUND:
            report.found_sent += 1
        else:
            continue
        report.leads.append(lead)
    return report
