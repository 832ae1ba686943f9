"""Coaching notes: create, edit, archive, each kept in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.coaching.transcripts import CustomerLookup, customer_of
from bot.core.audit import record
from bot.core.errors import InvalidInput, NotFound
from bot.core.scope import Viewer, require_read, require_write
from bot.core.text import checked_text
from bot.followups.reminders import reschedule
from bot.ingest.helpdesks import HelpdeskError
from bot.privacy.redaction import Kind, find_spans, label, redact_spans
from models import Agent, AuditEntry, Note, NoteReply, Sample
from models.agent import fold_name
from models.base import utcnow

MAX_BODY = 3000
# what a note never keeps (SPEC §8): these kinds, and its sample's customer's name and email;
# other person names stay, since a lead writes the agent's name
NOTE_KINDS: Final[tuple[Kind, ...]] = ("EMAIL", "IBAN", "CARD", "ID", "PHONE")


@dataclass(frozen=True)
class CleanNote:
    """A note's text as it is kept, and the labels that replaced what it mustn't keep."""

    text: str
    labels: tuple[str, ...] = ()

    @property
    def redacted(self) -> int:
        """How many details were taken out."""
        return len(self.labels)


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def note_snapshot(note: Note) -> dict[str, object]:
    """The note's fields as kept in the audit trail (its earlier versions live here)."""
    return {
        "body": note.body,
        "sample_id": note.sample_id,
        "follow_up_at": _ms(note.follow_up_at),
        "follow_up_done_at": _ms(note.follow_up_done_at),
        "shared_with_agent": note.shared_with_agent,
        "archived_at": _ms(note.archived_at),
        "acknowledged_at": _ms(note.acknowledged_at),
    }


def audit_note(
    session: Session, actor: Viewer, note: Note, action: str, before: dict[str, object] | None
) -> None:
    """Keep a change of a note in the audit trail, with its state before and after."""
    record(
        session=session,
        actor=actor.slack_user_id,
        action=action,
        entity="note",
        entity_id=note.id,
        before=before,
        after=note_snapshot(note),
    )


def clean_body(body: str) -> str:
    """The body as kept (ends trimmed), or InvalidInput when it is empty, invisible, too long,
    or holds what no column can (a control character, a broken character)."""
    return checked_text(
        body,
        field="body",
        what="A note",
        max_length=MAX_BODY,
        multiline=True,
        empty="Write something before saving the note.",
    )


def clean_note(
    *,
    session: Session,
    agent_id: int,
    body: str,
    sample_id: int | None,
    ask: CustomerLookup | None = None,
) -> CleanNote:
    """The note as it will be kept: checked (clean_body), with emails, phone, card and bank
    numbers, national ids, and the name and email of its sample's customer replaced by their
    labels. A part of the customer's name that is also in the agent's name stays. The customer
    is read from the import the conversation came in, else asked of its helpdesk with `ask`
    (InvalidInput when the helpdesk can't tell: the note isn't kept without that check)."""
    return _redacted(session, agent_id, clean_body(body), sample_id, ask)


def redact_text(
    *,
    session: Session,
    agent_id: int,
    text: str,
    sample_id: int | None,
    ask: CustomerLookup | None = None,
) -> CleanNote:
    """Checked text (a note's, an agent's reply) as it is kept: redacted as clean_note says."""
    return _redacted(session, agent_id, text, sample_id, ask)


def _redacted(
    session: Session,
    agent_id: int,
    text: str,
    sample_id: int | None,
    ask: CustomerLookup | None = None,
) -> CleanNote:
    names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    sample = session.get(Sample, sample_id) if sample_id is not None else None
    if sample is not None:
        try:
            customer = customer_of(session, sample.helpdesk, sample.external_id, ask=ask)
        except HelpdeskError as exc:
            raise InvalidInput(
                "body",
                f"Debrief couldn't ask {sample.helpdesk} who the customer of that conversation is, "
                f"to keep their name out of the note ({exc}). Try again, or leave the sample out.",
            ) from None
        names = tuple(n for n in [customer.customer_name] if n)
        emails = tuple(e for e in [customer.customer_email] if e)
    spans = find_spans(text, customer_names=names, customer_emails=emails, kinds=NOTE_KINDS)
    if names:
        agent = session.scalar(select(Agent.name).where(Agent.id == agent_id)) or ""
        own = {fold_name(part) for part in agent.split()} | {fold_name(agent)}
        spans = [
            s for s in spans if not (s.kind == "NAME" and fold_name(text[s.start : s.end]) in own)
        ]
    return CleanNote(redact_spans(text, spans), tuple(label(s.kind) for s in spans))


@dataclass
class RedactionReport:
    """What `redact_stored_notes` changed: notes, audit entries, and the labels put in."""

    notes: int = 0
    replies: int = 0  # the agents' replies to shared notes
    audit_entries: int = 0
    labels: int = 0
    unchanged: int = 0
    unchecked: int = 0  # their sample's helpdesk couldn't say who the customer is


def redact_stored_notes(
    *, session: Session, actor: str, ask: CustomerLookup | None = None
) -> RedactionReport:
    """Redact every note already kept (archived ones too) and the note bodies in the audit
    trail, as notes are redacted on save; each note changed gets a `note.redact` audit entry
    with how many details went (never the text). Running it again changes nothing."""
    report = RedactionReport()
    for note in session.scalars(select(Note).order_by(Note.id)):
        try:
            clean = _redacted(session, note.agent_id, note.body, note.sample_id, ask)
        except InvalidInput:  # the customer unknown: what can be found without them goes
            report.unchecked += 1
            clean = _redacted(session, note.agent_id, note.body, note.sample_id)
        if not clean.redacted:
            report.unchanged += 1
            continue
        note.body = clean.text
        report.notes += 1
        report.labels += clean.redacted
        record(
            session=session,
            actor=actor,
            action="note.redact",
            entity="note",
            entity_id=note.id,
            after={"redacted": clean.redacted, "labels": sorted(set(clean.labels))},
        )
    _redact_replies(session, report, ask)
    agents = dict(session.execute(select(Note.id, Note.agent_id)).all())
    entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "note"))
    for entry in entries:
        changed = False
        for side in ("before", "after"):
            snapshot = getattr(entry, side)
            body = (snapshot or {}).get("body")
            if not isinstance(body, str) or entry.entity_id not in agents:
                continue
            sample_id = snapshot.get("sample_id")
            clean = _redacted(
                session,
                agents[entry.entity_id],
                body,
                sample_id if isinstance(sample_id, int) else None,
            )
            if clean.redacted:
                setattr(entry, side, {**snapshot, "body": clean.text})
                changed = True
        report.audit_entries += changed
    session.flush()
    return report


def _redact_replies(session: Session, report: RedactionReport, ask: CustomerLookup | None) -> None:
    """Redact the agents' replies as their notes are (counted in the report, not audited
    apart: each reply's audit entry is redacted with the notes')."""
    rows = session.execute(
        select(NoteReply, Note.agent_id, Note.sample_id)
        .join(Note, Note.id == NoteReply.note_id)
        .order_by(NoteReply.id)
    ).all()
    for reply, agent_id, sample_id in rows:
        try:
            clean = _redacted(session, agent_id, reply.body, sample_id, ask)
        except InvalidInput:
            report.unchecked += 1
            clean = _redacted(session, agent_id, reply.body, None)
        if clean.redacted:
            reply.body = clean.text
            report.replies += 1
            report.labels += clean.redacted


def check_follow_up(follow_up_at: datetime | None, not_before: datetime) -> None:
    """Refuse a follow-up earlier than `not_before` (today in Slack, now over the API)."""
    if follow_up_at is not None and follow_up_at < not_before:
        raise InvalidInput("follow_up", "The follow-up date can't be in the past.")


def _check_sample(session: Session, sample_id: int | None, agent_id: int) -> None:
    if sample_id is None:
        return
    owner = session.scalar(select(Sample.agent_id).where(Sample.id == sample_id))
    if owner is None or owner != agent_id:
        raise InvalidInput("sample", "That sample isn't one of this agent's conversations.")


def create_note(
    *,
    session: Session,
    actor: Viewer,
    agent_id: int,
    body: str,
    follow_up_at: datetime | None = None,
    follow_up_not_before: datetime | None = None,
    shared_with_agent: bool = False,
    sample_id: int | None = None,
    idempotency_key: str | None = None,
    ask: CustomerLookup | None = None,
) -> Note:
    """Write a note on an agent's record; a repeated idempotency key returns the first note.
    `ask` finds the customer of the note's sample in its helpdesk (see clean_note)."""
    require_write(actor)
    if idempotency_key is not None:
        existing = session.scalar(select(Note).where(Note.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    if session.get(Agent, agent_id) is None:
        raise NotFound("no such agent")
    check_follow_up(follow_up_at, follow_up_not_before or utcnow())
    _check_sample(session, sample_id, agent_id)
    text = clean_note(
        session=session, agent_id=agent_id, body=body, sample_id=sample_id, ask=ask
    ).text
    now = utcnow()
    note = Note(
        agent_id=agent_id,
        author=actor.slack_user_id,
        body=text,
        sample_id=sample_id,
        follow_up_at=follow_up_at,
        shared_with_agent=shared_with_agent,
        created_at=now,
        updated_at=now,
        idempotency_key=idempotency_key,
    )
    session.add(note)
    session.flush()
    reschedule(session=session, note=note)
    audit_note(session, actor, note, "note.create", None)
    return note


def get_live_note(*, session: Session, viewer: Viewer, note_id: int) -> Note:
    """A live (not archived) note the viewer may read, or NotFound."""
    note = session.get(Note, note_id)
    if note is None or note.archived_at is not None:
        raise NotFound("no such note")
    require_read(viewer, note.agent_id)
    if not viewer.is_lead and not note.shared_with_agent:
        raise NotFound("no such note")
    return note


def edit_note(
    *,
    session: Session,
    actor: Viewer,
    note_id: int,
    body: str | _Unset = UNSET,
    follow_up_at: datetime | _Unset | None = UNSET,
    follow_up_not_before: datetime | None = None,
    shared_with_agent: bool | _Unset = UNSET,
    sample_id: int | _Unset | None = UNSET,
    ask: CustomerLookup | None = None,
) -> Note:
    """Change a live note; the earlier version stays in the audit trail."""
    require_write(actor)
    note = get_live_note(session=session, viewer=actor, note_id=note_id)
    before = note_snapshot(note)
    if not isinstance(body, _Unset):
        note.body = clean_body(body)  # checked here; redacted below, once its sample is known
    if not isinstance(follow_up_at, _Unset):
        if follow_up_at != note.follow_up_at:
            check_follow_up(follow_up_at, follow_up_not_before or utcnow())
            note.follow_up_done_at = None
        note.follow_up_at = follow_up_at
    if not isinstance(shared_with_agent, _Unset):
        note.shared_with_agent = shared_with_agent
    if not isinstance(sample_id, _Unset):
        _check_sample(session, sample_id, note.agent_id)
        note.sample_id = sample_id
    if note.body != before["body"] or note.sample_id != before["sample_id"]:
        note.body = clean_note(
            session=session,
            agent_id=note.agent_id,
            body=note.body,
            sample_id=note.sample_id,
            ask=ask,
        ).text
    after = note_snapshot(note)
    if after == before:
        return note
    note.updated_at = utcnow()
    reschedule(session=session, note=note)
    changed = {key for key in after if after[key] != before[key]}
    audit_note(
        session,
        actor,
        note,
        "note.share" if changed == {"shared_with_agent"} else "note.edit",
        before,
    )
    return note


def archive_note(*, session: Session, actor: Viewer, note_id: int) -> Note:
    """Soft-delete a note: it stays in the database with its archive time."""
    require_write(actor)
    note = get_live_note(session=session, viewer=actor, note_id=note_id)
    before = note_snapshot(note)
    note.archived_at = utcnow()
    reschedule(session=session, note=note)
    audit_note(session, actor, note, "note.archive", before)
    return note
