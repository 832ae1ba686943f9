"""An agent's record taken out (export), wiped (erase), and aged out (retention).

Retention rule (`DEBRIEF_RETENTION_MONTHS` = N, 0 keeps everything): a note created more than N
calendar months ago is archived; notes and samples created more than N + 1 months ago are
deleted, with their own audit entries (which quote the notes), leaving one audit entry that
says how many went. Erase does the same for one agent's notes, samples and flags at once.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from bot.coaching.agent_side import replies_of
from bot.coaching.notes import note_snapshot
from bot.core.api_schemas import note_out, sample_out, to_ms
from bot.core.audit import record
from bot.core.errors import OutOfScope
from bot.followups.reminders import cancel_for_notes
from bot.people.agents import find_agent
from models import (
    AuditEntry,
    Delivery,
    DeliveryKind,
    Flag,
    Member,
    Note,
    NoteReply,
    Reminder,
    Role,
    Sample,
)
from models.base import utcnow

RETENTION_ACTOR = "retention"


def _about(agent_id: int) -> Any:
    """Audit entries about the agent, its notes, its samples and its flags."""
    return or_(
        (AuditEntry.entity == "agent") & (AuditEntry.entity_id == agent_id),
        (AuditEntry.entity == "note")
        & AuditEntry.entity_id.in_(select(Note.id).where(Note.agent_id == agent_id)),
        (AuditEntry.entity == "sample")
        & AuditEntry.entity_id.in_(select(Sample.id).where(Sample.agent_id == agent_id)),
        (AuditEntry.entity == "flag")
        & AuditEntry.entity_id.in_(select(Flag.id).where(Flag.agent_id == agent_id)),
    )


def _flag(flag: Flag) -> dict[str, Any]:
    return {
        "id": flag.id,
        "raisedAt": to_ms(flag.raised_at),
        "clearedAt": to_ms(flag.cleared_at),
        "dismissedAt": to_ms(flag.dismissed_at),
        "dismissedBy": flag.dismissed_by,
        "dismissReason": flag.dismiss_reason,
        "baseline": flag.baseline,
        "current": flag.current,
        "slope": flag.slope,
        "tau": flag.tau,
        "pValue": flag.p_value,
        "ratings": flag.ratings,
        "reviewStart": to_ms(flag.review_start),
        "reviewEnd": to_ms(flag.review_end),
        "windows": flag.windows,
    }


def _audit(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": to_ms(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "entity": entry.entity,
        "entityId": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
    }


def export_agent(*, session: Session, name: str) -> dict[str, Any]:
    """Everything kept about an agent: notes (archived ones too), samples, flags and audit.

    Shapes follow the REST API (camelCase, epoch milliseconds).
    """
    agent = find_agent(session=session, name=name)
    lead = None
    if agent.lead_member_id is not None:
        lead = session.scalar(select(Member.slack_user_id).where(Member.id == agent.lead_member_id))
    notes = list(
        session.scalars(
            select(Note).where(Note.agent_id == agent.id).order_by(Note.created_at, Note.id)
        )
    )
    replies = replies_of(session, [n.id for n in notes])
    samples = session.scalars(
        select(Sample).where(Sample.agent_id == agent.id).order_by(Sample.created_at, Sample.id)
    )
    flags = session.scalars(
        select(Flag).where(Flag.agent_id == agent.id).order_by(Flag.raised_at, Flag.id)
    )
    audit = session.scalars(select(AuditEntry).where(_about(agent.id)).order_by(AuditEntry.id))
    return {
        "exportedAt": to_ms(utcnow()),
        "agent": {
            "id": agent.id,
            "name": agent.name,
            "email": agent.email,
            "slackUserId": agent.slack_user_id,
            "lead": lead,
            "active": agent.active,
            "createdAt": to_ms(agent.created_at),
        },
        "notes": [
            {
                **note_out(n, agent.name, replies.get(n.id, [])).model_dump(),
                "archivedAt": to_ms(n.archived_at),
            }
            for n in notes
        ],
        "samples": [
            {**sample_out(s, agent.name).model_dump(), "createdAt": to_ms(s.created_at)}
            for s in samples
        ],
        "flags": [_flag(f) for f in flags],
        "audit": [_audit(e) for e in audit],
    }


@dataclass(frozen=True)
class Erased:
    """What erasing an agent's record removed."""

    agent: str
    notes: int
    samples: int
    flags: int


def _count(session: Session, model: Any, agent_id: int) -> int:
    return int(
        session.scalar(select(func.count()).select_from(model).where(model.agent_id == agent_id))
        or 0
    )


def erase_agent(*, session: Session, name: str, by: str) -> Erased:
    """Remove an agent's notes, samples and flags (and the audit entries quoting them).

    Only an owner may; one audit entry records that it happened. The agent and its ratings stay.
    """
    owner = session.scalar(select(Member).where(Member.slack_user_id == by))
    if owner is None or owner.role is not Role.OWNER:
        raise OutOfScope(f"only an owner can erase a record, and {by} is not one")
    agent = find_agent(session=session, name=name)
    counts = Erased(
        agent=agent.name,
        notes=_count(session, Note, agent.id),
        samples=_count(session, Sample, agent.id),
        flags=_count(session, Flag, agent.id),
    )
    session.execute(
        delete(AuditEntry)
        .where(_about(agent.id), AuditEntry.entity != "agent")
        .execution_options(synchronize_session=False)
    )
    flags = select(cast(Flag.id, String(64))).where(Flag.agent_id == agent.id)
    reminders = (
        select(cast(Reminder.id, String(64)))
        .join(Note, Note.id == Reminder.note_id)
        .where(Note.agent_id == agent.id)
    )
    notes = select(cast(Note.id, String(64))).where(Note.agent_id == agent.id)
    replies = (
        select(cast(NoteReply.id, String(64)))
        .join(Note, Note.id == NoteReply.note_id)
        .where(Note.agent_id == agent.id)
    )
    for statement in (
        delete(Delivery).where(
            Delivery.kind == DeliveryKind.REMINDER.value, Delivery.subject.in_(reminders)
        ),
        delete(Delivery).where(
            Delivery.kind == DeliveryKind.SHARED_NOTE.value, Delivery.subject.in_(notes)
        ),
        delete(Delivery).where(
            Delivery.kind == DeliveryKind.NOTE_REPLY.value, Delivery.subject.in_(replies)
        ),
        delete(Note).where(Note.agent_id == agent.id),
        delete(Sample).where(Sample.agent_id == agent.id),
        delete(Delivery).where(
            Delivery.kind == DeliveryKind.FLAG.value, Delivery.subject.in_(flags)
        ),
        delete(Flag).where(Flag.agent_id == agent.id),
    ):
        session.execute(statement.execution_options(synchronize_session=False))
    record(
        session=session,
        actor=by,
        action="agent.erase",
        entity="agent",
        entity_id=agent.id,
        after={"notes": counts.notes, "samples": counts.samples, "flags": counts.flags},
    )
    return counts


def months_before(when: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's end)."""
    index = when.year * 12 + when.month - 1 - months
    year, month = divmod(index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class RetentionReport:
    """What one retention pass archived and deleted."""

    archived: int = 0
    erased_notes: int = 0
    erased_samples: int = 0


def apply_retention(
    *, session: Session, months: int, now: datetime | None = None
) -> RetentionReport:
    """Archive notes older than `months`; delete notes and samples older than `months` + 1."""
    if months <= 0:
        return RetentionReport()
    now = now or utcnow()
    erase_before = months_before(now, months + 1)
    old_notes = select(Note.id).where(Note.created_at < erase_before)
    old_samples = select(Sample.id).where(Sample.created_at < erase_before)
    erased_notes = int(session.scalar(select(func.count()).select_from(old_notes.subquery())) or 0)
    erased_samples = int(
        session.scalar(select(func.count()).select_from(old_samples.subquery())) or 0
    )
    if erased_notes or erased_samples:
        session.execute(
            delete(AuditEntry)
            .where(
                or_(
                    (AuditEntry.entity == "note") & AuditEntry.entity_id.in_(old_notes),
                    (AuditEntry.entity == "sample") & AuditEntry.entity_id.in_(old_samples),
                )
            )
            .execution_options(synchronize_session=False)
        )
        session.execute(
            delete(Note)
            .where(Note.created_at < erase_before)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            delete(Sample)
            .where(Sample.created_at < erase_before)
            .execution_options(synchronize_session=False)
        )
        record(
            session=session,
            actor=RETENTION_ACTOR,
            action="retention.erase",
            entity="retention",
            entity_id=None,
            after={
                "notes": erased_notes,
                "samples": erased_samples,
                "created_before": to_ms(erase_before),
            },
        )
    stale = session.scalars(
        select(Note).where(Note.archived_at.is_(None), Note.created_at < months_before(now, months))
    ).all()
    for note in stale:
        before = note_snapshot(note)
        note.archived_at = now
        record(
            session=session,
            actor=RETENTION_ACTOR,
            action="note.archive",
            entity="note",
            entity_id=note.id,
            before=before,
            after=note_snapshot(note),
        )
    cancel_for_notes(session=session, note_ids=[note.id for note in stale])
    return RetentionReport(len(stale), erased_notes, erased_samples)
