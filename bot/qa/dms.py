"""QA draft DMs: each pending draft to the agent's lead or, with no lead, to every owner and admin.

Exactly once per draft and recipient: one delivery each (`bot/core/deliveries.py`), all claimed
before the first is sent. Once sent, the draft's `dm_channel`/`dm_ts` hold the first recipient's
message, where the decision is shown later. A claim older than the lease belongs to a sender
that died mid-send: the next one takes it over and looks for the DM in the channel history (the
draft id is in the message metadata) before posting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core import deliveries
from bot.core.deliveries import Outcome
from bot.core.settings import Settings
from bot.flags.dms import recipients
from bot.qa.review import DraftView, draft_view
from models import Agent, DeliveryKind, DraftStatus, QaDraft
from models.base import utcnow

log = logging.getLogger("bot.qa.review")  # where these DMs were sent from before bot/qa/dms.py

LEASE = timedelta(minutes=5)
KIND = DeliveryKind.QA_DRAFT.value


class DraftNotifier(Protocol):
    """Where draft DMs go (Slack in production)."""

    def open_dm(self, user_id: str) -> str:
        """The DM channel with a user."""
        ...

    def find_draft_message(self, channel: str, draft_id: int) -> str | None:
        """The ts of an earlier DM about this draft in the channel, if one was sent."""
        ...

    def post_draft(self, channel: str, view: DraftView) -> str:
        """Send the DM (with the draft id in its metadata); returns its ts."""
        ...


def pending_drafts_to_send(session: Session, now: datetime | None = None) -> list[int]:
    """Pending drafts (`lead_review` and `ready` alike) not DMed yet, or left claimed past the lease."""
    moment = now or utcnow()
    return list(
        session.scalars(
            select(QaDraft.id)
            .where(
                QaDraft.status == DraftStatus.PENDING,
                deliveries.to_send(KIND, QaDraft.id, moment, LEASE),
            )
            .order_by(QaDraft.id)
        )
    )


@dataclass
class DraftDeliveryReport:
    """What one delivery pass did."""

    drafts: int = 0
    sent: int = 0
    found_sent: int = 0
    failed: int = 0


def deliver_drafts(
    *,
    session_factory: Callable[[], Any],
    notifier: DraftNotifier,
    settings: Settings,
    now: datetime | None = None,
    draft_ids: Sequence[int] | None = None,
) -> DraftDeliveryReport:
    """DM every pending, unsent draft to its reviewers, once each; a failure is retried later."""
    report = DraftDeliveryReport()
    when = now or utcnow()
    with session_factory() as session:
        ids = pending_drafts_to_send(session, when) if draft_ids is None else list(draft_ids)
    for draft_id in ids:
        with session_factory() as session:
            draft = session.get(QaDraft, draft_id)
            agent = session.get(Agent, draft.agent_id) if draft is not None else None
            if draft is None or agent is None or draft.status != DraftStatus.PENDING:
                continue
            view = draft_view(session, draft, settings)
            people = recipients(session, agent)
            if not people:
                log.warning("QA draft %d: no lead, owner or admin to send it to", draft_id)
                continue
            claims = [
                deliveries.claim(
                    session,
                    kind=KIND,
                    subject=str(draft_id),
                    recipient=person,
                    now=when,
                    lease=LEASE,
                )
                for person in people
            ]
        if any(claims):
            report.drafts += 1
            _send_draft(session_factory, notifier, view, [c for c in claims if c], when, report)
    return report


def _send_draft(
    session_factory: Callable[[], Any],
    notifier: DraftNotifier,
    view: DraftView,
    claims: list[deliveries.Claim],
    when: datetime,
    report: DraftDeliveryReport,
) -> None:
    """Send a draft's claimed DMs; the first one sent is where its decision shows later."""
    draft_id = view.draft_id

    def first_message(session: Session, channel: str, ts: str) -> None:
        session.execute(
            update(QaDraft)
            .where(QaDraft.id == draft_id, QaDraft.dm_channel.is_(None))
            .values(dm_channel=channel, dm_ts=ts)
            .execution_options(synchronize_session=False)
        )

    try:
        for claim in claims:
            channel = notifier.open_dm(claim.recipient)
            outcome = deliveries.send(
                session_factory=session_factory,
                claim=claim,
                channel=channel,
                find=partial(notifier.find_draft_message, channel, draft_id),
                post=partial(notifier.post_draft, channel, view),
                now=lambda: when,
                on_sent=first_message,
            )
            report.sent += outcome is Outcome.SENT
            report.found_sent += outcome is Outcome.FOUND
    except Exception:  # the claim stays: after the lease, the next pass checks history first
        log.exception("could not DM QA draft %d; it will be retried", draft_id)
        report.failed += 1
