"""Send once: every DM Debrief sends on its own (flag DMs, QA drafts, digests, reminders).

One `deliveries` row per kind, subject and recipient. A sender **claims** the row (a fresh
token and the time), **renews** the claim just before posting, **posts**, and **confirms**
with the message's channel and ts. A claim older than its lease belongs to a sender that died
mid-send: the next one takes it over and, since the dead one may have posted, first **looks
in the DM's history** (the subject is in the message metadata). A failure either leaves the
claim to expire (the next try looks in history) or gives it back with a backoff (`fail`); a
refusal that proves nothing was posted clears the need to look.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models import Delivery
from models.base import utcnow

MAX_BACKOFF = timedelta(hours=1)
Factory = Callable[[], Any]


@dataclass(frozen=True)
class Claim:
    """A DM that is ours to send until the lease ends; `check_history` when a try may have
    posted it already."""

    kind: str
    subject: str
    recipient: str
    token: str
    check_history: bool = False


class Outcome(Enum):
    """What `send` did with a claim."""

    SENT = "sent"
    FOUND = "found"  # an earlier try had posted it: confirmed from the DM's history
    LOST = "lost"  # the claim expired and another sender took it over; nothing posted
    RELEASED = "released"  # given back unsent: the sender is stopping


def _key(kind: str, subject: str, recipient: str) -> ColumnElement[bool]:
    return and_(Delivery.kind == kind, Delivery.subject == subject, Delivery.recipient == recipient)


def find(session: Session, *, kind: str, subject: str, recipient: str) -> Delivery | None:
    """The delivery of one DM, if it was ever claimed."""
    return session.scalar(select(Delivery).where(_key(kind, subject, recipient)))


def claimable(now: datetime, lease: timedelta) -> tuple[ColumnElement[bool], ...]:
    """Unsent, not held by a live claim, and not waiting out a backoff."""
    return (
        Delivery.sent_at.is_(None),
        or_(Delivery.claimed_at.is_(None), Delivery.claimed_at < now - lease),
        or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
    )


def to_send(kind: str, subject_id: Any, now: datetime, lease: timedelta) -> ColumnElement[bool]:
    """A subject (by its integer id) with no DM of `kind` yet, or one left unconfirmed past
    the lease: a sender that died mid-send."""
    subject = cast(subject_id, String(64))
    unconfirmed = select(Delivery.subject).where(
        Delivery.kind == kind, Delivery.sent_at.is_(None), Delivery.claimed_at < now - lease
    )
    delivered = select(Delivery.subject).where(Delivery.kind == kind)
    return or_(subject.not_in(delivered), subject.in_(unconfirmed))


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def claim(
    session: Session, *, kind: str, subject: str, recipient: str, now: datetime, lease: timedelta
) -> Claim | None:
    """Claim one DM: a new row, or one whose claim expired; None when sent or held."""
    token = secrets.token_hex(8)
    created = session.execute(
        _insert(session)(Delivery)
        .values(
            kind=kind,
            subject=subject,
            recipient=recipient,
            claim_token=token,
            claimed_at=now,
            maybe_sent=True,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["kind", "subject", "recipient"])
        .returning(Delivery.id)
    ).scalar()
    if created is not None:
        return Claim(kind, subject, recipient, token)
    taken = session.execute(
        update(Delivery)
        .where(_key(kind, subject, recipient), *claimable(now, lease))
        .values(
            claim_token=token,
            claimed_at=now,
            check_history=Delivery.maybe_sent,  # the old value: an unconfirmed earlier try
            maybe_sent=True,
        )
        .returning(Delivery.check_history)
        .execution_options(synchronize_session=False)
    ).first()
    return None if taken is None else Claim(kind, subject, recipient, token, bool(taken[0]))


def add_missing(session: Session, *, kind: str, wanted: Select[*tuple[Any, ...]]) -> None:
    """Unclaimed rows of `kind` for the (subject, recipient) pairs `wanted` selects that have
    none. `wanted` needs a WHERE clause: SQLite requires one in INSERT … SELECT … ON CONFLICT."""
    session.execute(
        _insert(session)(Delivery)
        .from_select(["subject", "recipient", "kind"], wanted.add_columns(literal(kind)))
        .on_conflict_do_nothing(index_elements=["kind", "subject", "recipient"])
    )


def claim_rows(session: Session, *, ids: Select[*tuple[Any, ...]], now: datetime) -> list[Claim]:
    """Claim the deliveries whose ids `ids` selects (already filtered to claimable ones, and
    locked SKIP LOCKED on PostgreSQL) in one statement, all under one token."""
    token = secrets.token_hex(8)
    rows = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids.scalar_subquery()))
        .values(
            claim_token=token,
            claimed_at=now,
            check_history=Delivery.maybe_sent,
            maybe_sent=True,
        )
        .returning(Delivery.kind, Delivery.subject, Delivery.recipient, Delivery.check_history)
        .execution_options(synchronize_session=False)
    ).all()
    return [Claim(k, s, r, token, bool(h)) for k, s, r, h in rows]


def _mine(claim: Claim) -> ColumnElement[bool]:
    return and_(
        _key(claim.kind, claim.subject, claim.recipient), Delivery.claim_token == claim.token
    )


def renew(session: Session, claim: Claim, now: datetime) -> bool:
    """Renew the claim just before posting; False when it expired and was taken over."""
    renewed = session.execute(
        update(Delivery)
        .where(_mine(claim), Delivery.sent_at.is_(None))
        .values(claimed_at=now)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    return renewed is not None


def confirm(session: Session, claim: Claim, channel: str, ts: str, now: datetime) -> bool:
    """Record the message the DM is; False when the claim was no longer ours."""
    done = session.execute(
        update(Delivery)
        .where(_mine(claim))
        .values(channel=channel, ts=ts, sent_at=now, last_error=None)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    return done is not None


def release(session: Session, claim: Claim) -> None:
    """Give the claim back untouched (shutting down): another sender may take it at once.
    Whether an earlier try may have posted it is kept."""
    session.execute(
        update(Delivery)
        .where(_mine(claim))
        .values(claimed_at=None, claim_token=None, maybe_sent=claim.check_history)
        .execution_options(synchronize_session=False)
    )


def fail(
    session: Session, claim: Claim, error: Exception, *, definite: bool, now: datetime
) -> None:
    """Give the claim back with an exponential backoff; `definite` when Slack's answer proves
    nothing was posted, so the next try need not look in the history first. A claim that had
    to look (`check_history`: an earlier try may have posted) keeps looking: the refusal may
    have been the look itself, or come after it, and says nothing of that earlier try."""
    row = session.scalar(select(Delivery).where(_mine(claim)))
    if row is None:
        return
    row.attempts += 1
    row.next_attempt_at = now + min(
        MAX_BACKOFF, timedelta(seconds=30 * 2 ** min(row.attempts - 1, 10))
    )
    row.claimed_at, row.claim_token = None, None
    if definite and not claim.check_history:
        row.maybe_sent = False
    row.last_error = f"{type(error).__name__}: {error}"[:300]


def send(
    *,
    session_factory: Factory,
    claim: Claim,
    channel: str,
    find: Callable[[], str | None],
    post: Callable[[], str],
    now: Callable[[], datetime] = utcnow,
    ready: Callable[[], bool] = lambda: True,
    still_ours: Callable[[], bool] | None = None,
    on_sent: Callable[[Session, str, str], None] = lambda _session, _channel, _ts: None,
) -> Outcome:
    """Claim → look in history (when a try may have posted) → renew → post → confirm.

    `ready` runs before posting (it may pace; False gives the claim back unsent), then
    `still_ours` (by default: the claim renewed) decides whether to post at all; `on_sent`
    runs in the confirming transaction. Errors from `find` and `post` propagate: the
    caller leaves the claim to expire or calls `fail`.
    """
    ts = find() if claim.check_history else None
    outcome = Outcome.FOUND
    if ts is None:
        if not ready():
            with session_factory() as session:
                release(session, claim)
            return Outcome.RELEASED
        if still_ours is None:
            with session_factory() as session:
                ours = renew(session, claim, now())
        else:
            ours = still_ours()
        if not ours:
            return Outcome.LOST
        ts = post()
        outcome = Outcome.SENT
    with session_factory() as session:
        if confirm(session, claim, channel, ts, now()):
            on_sent(session, channel, ts)
    return outcome
