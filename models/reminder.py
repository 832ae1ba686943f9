"""A follow-up reminder: one row per due time of a note's follow-up; the rows are the truth.

Whether and where its DM went is its delivery (kind `reminder`, subject the reminder's id):
the claim, attempts and the sent message are read through from there.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, cast, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.delivery import Delivery, DeliveryKind


class ReminderStatus(enum.StrEnum):
    """Waiting to be sent, sent once, or no longer wanted."""

    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"


def _of_delivery(column: Any, reminder_id: Any, default: Any = None) -> Any:
    """A column of a reminder's delivery, loaded with the reminder (`default` before a try)."""
    value = (
        select(column)
        .where(
            Delivery.kind == DeliveryKind.REMINDER.value,
            Delivery.subject == cast(reminder_id, String(64)),
        )
        .correlate_except(Delivery)
        .scalar_subquery()
    )
    return column_property(value if default is None else func.coalesce(value, default))


class Reminder(Base):
    """A DM to a note's author when its follow-up comes due, claimed before it is sent."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[ReminderStatus] = mapped_column(
        Enum(
            ReminderStatus, name="reminder_status", values_callable=lambda e: [m.value for m in e]
        ),
        default=ReminderStatus.PENDING,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # read through from its delivery, with the reminder
    claim_token: Mapped[str | None] = _of_delivery(Delivery.claim_token, id)
    claimed_at: Mapped[datetime | None] = _of_delivery(Delivery.claimed_at, id)
    maybe_sent: Mapped[bool] = _of_delivery(Delivery.maybe_sent, id, False)
    check_history: Mapped[bool] = _of_delivery(Delivery.check_history, id, False)
    attempts: Mapped[int] = _of_delivery(Delivery.attempts, id, 0)
    next_attempt_at: Mapped[datetime | None] = _of_delivery(Delivery.next_attempt_at, id)
    last_error: Mapped[str | None] = _of_delivery(Delivery.last_error, id)
    sent_at: Mapped[datetime | None] = _of_delivery(Delivery.sent_at, id)
    channel: Mapped[str | None] = _of_delivery(Delivery.channel, id)
    ts: Mapped[str | None] = _of_delivery(Delivery.ts, id)
