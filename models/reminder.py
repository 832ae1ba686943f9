"""A follow-up reminder: one row per due time of a note's follow-up; the rows are the truth."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class ReminderStatus(enum.StrEnum):
    """Waiting to be sent, sent once, or no longer wanted."""

    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"


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
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    claim_token: Mapped[str | None] = mapped_column(String(40), default=None)
    maybe_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    check_history: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    channel: Mapped[str | None] = mapped_column(String(32), default=None)
    ts: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
