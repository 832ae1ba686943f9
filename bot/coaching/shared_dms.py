"""The agent's side of a shared note, sent on its own: the note DMed to the agent, and the
agent's reply DMed to the note's author, each exactly once (`bot/core/deliveries.py`).

A shared-note DM (`shared_note`: subject the note, recipient a member linked to its agent) goes
to every member (role member) linked to the note's agent, while the note is live and shared.
Only notes saved or edited in the last `RECENT` (7 days) are sent: turning this on (an upgrade,
or `DEBRIEF_SHARED_NOTE_DMS` back to true) does not DM the whole backlog of older shared notes,
which the member's App Home shows anyway. A note unshared or archived, or a member unlinked,
before the DM is posted gets no DM (checked again just before posting).

A reply DM (`note_reply`: subject the reply, recipient the note's author) goes for each reply
of the last `RECENT` on a live note whose author is still a Debrief lead (owner or admin: an
author since made a member may no longer read that agent), whatever the setting.
Each DM carries its note or reply id in the message metadata, so a claim taken over after a
sender died looks in the DM's history before posting again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Integer, String, and_, cast, exists, func, select
from sqlalchemy.orm import Session

from bot.core import deliveries
from bot.core.deliveries import Claim, Outcome
from bot.core.errors import NotFound, OutOfScope
from bot.core.scope import Viewer, require_read
from bot.followups.reminders import excerpt
from bot.privacy.redaction import redact
from models import Agent, Delivery, DeliveryKind, Member, Note, NoteReply, Role, Sample
from models.base import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
RECENT = timedelta(days=7)
SHARED = DeliveryKind.SHARED_NOTE.value
REPLY = DeliveryKind.NOTE_REPLY.value
NOTE_EXCERPT = 300
LIMIT = 200


@dataclass(frozen=True)
class SharedNoteDm:
    """What the DM of a shared note shows its agent."""

    note_id: int
    agent_id: int
    agent_name: str
    author: str
    body: str
    created_at: datetime
    follow_up_at: datetime | None
    sample_label: str | None
    sample_url: str | None
    acknowledged_at: datetime | None
    replies: int


@dataclass(frozen=True)
class ReplyDm:
    """What the DM of an agent's reply shows the note's author."""

    reply_id: int
    note_id: int
    agent_id: int
    agent_name: str
    replier: str
    body: str
    note_excerpt: str
    created_at: datetime


class AgentSideNotifier(Protocol):
    """Where the shared-note and reply DMs go (Slack in production)."""

    def open_dm(self, user_id: str) -> str:
        """The DM channel with a user."""
        ...

    def find_shared_note_message(self, channel: str, note_id: int) -> str | None:
        """The ts of an earlier DM of this note in the channel, if one was sent."""
        ...

    def post_shared_note(self, channel: str, view: SharedNoteDm) -> str:
        """Send the shared note's DM (its id in the metadata); returns its ts."""
        ...

    def find_reply_message(self, channel: str, reply_id: int) -> str | None:
        """The ts of an earlier DM of this reply in the channel, if one was sent."""
        ...

    def post_reply(self, channel: str, view: ReplyDm) -> str:
        """Send the reply's DM (its id in the metadata); returns its ts."""
        ...


@dataclass
class AgentSideReport:
    """What one pass did."""

    notes_sent: int = 0
    replies_sent: int = 0
    found_sent: int = 0
    failed: int = 0
    skipped: int = 0  # claimed, then unshared, archived or unlinked before posting
    outcomes: list[Outcome] = field(default_factory=list)


def _subject(column: Any) -> Any:
    return cast(column, String(64))


def _shareable(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """A live note shared with its agent, saved or edited within RECENT."""
    return (
        Note.shared_with_agent.is_(True),
        Note.archived_at.is_(None),
        Note.updated_at >= now - RECENT,
    )


def _linked_member() -> ColumnElement[bool]:
    """A member (not a lead) linked to the note's agent: who the shared-note DM goes to."""
    return and_(Member.agent_id == Note.agent_id, Member.role == Role.MEMBER)


def _delivery_of(kind: str, subject_id: Any) -> ColumnElement[bool]:
    """Deliveries of `kind` about a row, joinable by either side's index (see reminders)."""
    return and_(
        Delivery.kind == kind,
        Delivery.subject == _subject(subject_id),
        subject_id == cast(Delivery.subject, Integer),
    )


def claim_shared_notes(
    session: Session,
    *,
    now: datetime,
    lease: timedelta = LEASE,
    limit: int = LIMIT,
    agent_id: int | None = None,
) -> list[Claim]:
    """Add the missing shared-note deliveries and claim up to `limit` of those to send."""
    live = [*_shareable(now)]
    if agent_id is not None:
        live.append(Note.agent_id == agent_id)
    deliveries.add_missing(
        session,
        kind=SHARED,
        wanted=select(_subject(Note.id), Member.slack_user_id)
        .join(Member, _linked_member())
        .where(*live)
        .where(
            ~exists().where(
                _delivery_of(SHARED, Note.id), Delivery.recipient == Member.slack_user_id
            )
        ),
    )
    ids = (
        select(Delivery.id)
        .join(Note, _delivery_of(SHARED, Note.id))
        .join(Member, and_(Member.slack_user_id == Delivery.recipient, _linked_member()))
        .where(*live, *deliveries.claimable(now, lease))
        .order_by(Note.id, Delivery.id)
        .limit(limit)
    )
    return _claim_ids(session, ids, now)


def claim_replies(
    session: Session,
    *,
    now: datetime,
    lease: timedelta = LEASE,
    limit: int = LIMIT,
    agent_id: int | None = None,
) -> list[Claim]:
    """Add the missing reply deliveries and claim up to `limit` of those to send."""
    live = [
        NoteReply.created_at >= now - RECENT,
        Note.archived_at.is_(None),
        Member.slack_user_id == Note.author,
        Member.role.in_((Role.OWNER, Role.ADMIN)),  # an author since made a member can't read it
    ]
    if agent_id is not None:
        live.append(Note.agent_id == agent_id)
    deliveries.add_missing(
        session,
        kind=REPLY,
        wanted=select(_subject(NoteReply.id), Note.author)
        .join(Note, Note.id == NoteReply.note_id)
        .join(Member, Member.slack_user_id == Note.author)
        .where(*live)
        .where(~exists().where(_delivery_of(REPLY, NoteReply.id))),
    )
    ids = (
        select(Delivery.id)
        .join(NoteReply, _delivery_of(REPLY, NoteReply.id))
        .join(Note, Note.id == NoteReply.note_id)
        .join(Member, Member.slack_user_id == Delivery.recipient)
        .where(*live, *deliveries.claimable(now, lease))
        .order_by(NoteReply.id, Delivery.id)
        .limit(limit)
    )
    return _claim_ids(session, ids, now)


def _claim_ids(session: Session, ids: Any, now: datetime) -> list[Claim]:
    if session.get_bind().dialect.name == "postgresql":
        ids = ids.with_for_update(skip_locked=True, of=Delivery)
    return deliveries.claim_rows(session, ids=ids, now=now)


def shared_note_dm(session: Session, note_id: int) -> SharedNoteDm | None:
    """The DM of a live shared note, or None when it is archived, private or gone."""
    row = session.execute(
        select(Note, Agent.name, Sample.helpdesk, Sample.external_id, Sample.url)
        .join(Agent, Agent.id == Note.agent_id)
        .outerjoin(Sample, Sample.id == Note.sample_id)
        .where(Note.id == note_id, Note.archived_at.is_(None), Note.shared_with_agent.is_(True))
    ).first()
    if row is None:
        return None
    note, agent_name, helpdesk, external_id, url = row
    replies = session.scalar(
        select(func.count()).select_from(NoteReply).where(NoteReply.note_id == note.id)
    )
    return SharedNoteDm(
        note_id=note.id,
        agent_id=note.agent_id,
        agent_name=agent_name,
        author=note.author,
        body=redact(note.body),
        created_at=note.created_at,
        follow_up_at=note.follow_up_at,
        sample_label=None if helpdesk is None else f"{helpdesk} #{external_id}",
        sample_url=url,
        acknowledged_at=note.acknowledged_at,
        replies=int(replies or 0),
    )


def load_shared_note(*, session: Session, viewer: Viewer, note_id: int) -> SharedNoteDm:
    """A shared note as its agent sees it: only a member linked to the note's agent, on a
    live shared note (OutOfScope or NotFound otherwise). Nothing is written."""
    if viewer.is_lead:
        raise OutOfScope("Only the agent a note is shared with can acknowledge or answer it.")
    note = session.get(Note, note_id)
    if note is None or note.archived_at is not None:
        raise NotFound("That note was archived or no longer exists.")
    require_read(viewer, note.agent_id)  # another agent's note: out of scope
    view = shared_note_dm(session, note_id)
    if view is None:
        raise NotFound("That note was archived or no longer exists.")
    return view


def note_dms(session: Session, note_id: int) -> list[tuple[str, str]]:
    """The (channel, ts) of every DM of this note sent to a member still linked to its agent:
    what to refresh after one of them acknowledged or answered it."""
    rows = session.execute(
        select(Delivery.channel, Delivery.ts)
        .join(Note, _delivery_of(SHARED, Note.id))
        .join(Member, and_(Member.slack_user_id == Delivery.recipient, _linked_member()))
        .where(
            Note.id == note_id,
            Delivery.sent_at.is_not(None),
            Delivery.channel.is_not(None),
            Delivery.ts.is_not(None),
        )
        .order_by(Delivery.id)
    )
    return [(str(channel), str(ts)) for channel, ts in rows]


def reply_dm(session: Session, reply_id: int) -> ReplyDm | None:
    """The DM of a reply to a live note, or None."""
    row = session.execute(
        select(NoteReply, Note.body, Note.agent_id, Agent.name)
        .join(Note, Note.id == NoteReply.note_id)
        .join(Agent, Agent.id == Note.agent_id)
        .where(NoteReply.id == reply_id, Note.archived_at.is_(None))
    ).first()
    if row is None:
        return None
    reply, note_body, agent_id, agent_name = row
    return ReplyDm(
        reply_id=reply.id,
        note_id=reply.note_id,
        agent_id=agent_id,
        agent_name=agent_name,
        replier=reply.author,
        body=redact(reply.body),
        note_excerpt=excerpt(note_body, NOTE_EXCERPT),
        created_at=reply.created_at,
    )


def _still_shared(session_factory: Callable[[], Any], claim: Claim, now: datetime) -> bool:
    """Renew the claim just before posting; False when it was taken over, or the note was
    unshared or archived, or the member unlinked, meanwhile."""
    with session_factory() as session:
        if not deliveries.renew(session, claim, now):
            return False
        return (
            session.scalar(
                select(Note.id)
                .join(Member, _linked_member())
                .where(
                    Note.id == int(claim.subject),
                    Note.shared_with_agent.is_(True),
                    Note.archived_at.is_(None),
                    Member.slack_user_id == claim.recipient,
                )
            )
            is not None
        )


def _still_replied(session_factory: Callable[[], Any], claim: Claim, now: datetime) -> bool:
    with session_factory() as session:
        if not deliveries.renew(session, claim, now):
            return False
        return reply_dm(session, int(claim.subject)) is not None


@dataclass
class _Sender:
    session_factory: Callable[[], Any]
    notifier: AgentSideNotifier
    now: Callable[[], datetime]
    is_definite_failure: Callable[[Exception], bool]
    report: AgentSideReport

    def shared(self, claim: Claim) -> None:
        with self.session_factory() as session:
            view = shared_note_dm(session, int(claim.subject))
        if view is None:
            self._skip(claim)
            return
        self._send(
            claim,
            lambda channel: partial(self.notifier.find_shared_note_message, channel, view.note_id),
            lambda channel: partial(self.notifier.post_shared_note, channel, view),
            lambda: _still_shared(self.session_factory, claim, self.now()),
        )

    def reply(self, claim: Claim) -> None:
        with self.session_factory() as session:
            view = reply_dm(session, int(claim.subject))
        if view is None:
            self._skip(claim)
            return
        self._send(
            claim,
            lambda channel: partial(self.notifier.find_reply_message, channel, view.reply_id),
            lambda channel: partial(self.notifier.post_reply, channel, view),
            lambda: _still_replied(self.session_factory, claim, self.now()),
        )

    def _skip(self, claim: Claim) -> None:
        with self.session_factory() as session:
            deliveries.release(session, claim)
        self.report.skipped += 1

    def _send(
        self,
        claim: Claim,
        find: Callable[[str], Callable[[], str | None]],
        post: Callable[[str], Callable[[], str]],
        still_ours: Callable[[], bool],
    ) -> None:
        try:
            channel = self.notifier.open_dm(claim.recipient)
            outcome = deliveries.send(
                session_factory=self.session_factory,
                claim=claim,
                channel=channel,
                find=find(channel),
                post=post(channel),
                now=self.now,
                still_ours=still_ours,
            )
        except Exception as exc:
            log.warning(
                "%s DM %s to %s not sent: %s", claim.kind, claim.subject, claim.recipient, exc
            )
            with self.session_factory() as session:
                definite = self.is_definite_failure(exc)
                deliveries.fail(session, claim, exc, definite=definite, now=self.now())
            self.report.failed += 1
            return
        self.report.outcomes.append(outcome)
        if outcome is Outcome.SENT:
            if claim.kind == SHARED:
                self.report.notes_sent += 1
            else:
                self.report.replies_sent += 1
        elif outcome is Outcome.FOUND:
            self.report.found_sent += 1
        elif outcome is Outcome.LOST:
            self.report.skipped += 1


def send_agent_side(
    *,
    session_factory: Callable[[], Any],
    notifier: AgentSideNotifier,
    shared_note_dms: bool = True,
    now: Callable[[], datetime] = utcnow,
    lease: timedelta = LEASE,
    limit: int = LIMIT,
    agent_id: int | None = None,
    is_definite_failure: Callable[[Exception], bool] = lambda _exc: False,
) -> AgentSideReport:
    """One pass: claim and send the shared-note DMs (unless `shared_note_dms` is off) and the
    reply DMs, each once; `agent_id` keeps to one agent's notes (the try right after a save)."""
    report = AgentSideReport()
    with session_factory() as session:
        notes: Sequence[Claim] = (
            claim_shared_notes(session, now=now(), lease=lease, limit=limit, agent_id=agent_id)
            if shared_note_dms
            else ()
        )
        replies = claim_replies(session, now=now(), lease=lease, limit=limit, agent_id=agent_id)
    sender = _Sender(session_factory, notifier, now, is_definite_failure, report)
    for claim in notes:
        sender.shared(claim)
    for claim in replies:
        sender.reply(claim)
    return report
