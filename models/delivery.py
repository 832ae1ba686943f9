"""Every DM Debrief sends on its own, one row per subject and recipient: the send-once store."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class DeliveryKind(enum.StrEnum):
    """What a DM is about; with the subject's id (or week), it names the DM."""

    FLAG = "flag"
    QA_DRAFT = "qa_draft"
    DIGEST = "digest"
    REMINDER = "reminder"
    SHARED_NOTE = "shared_note"  # a note shared with its agent, to the agent
    NOTE_REPLY = "note_reply"  # the agent's reply, to the note's author


class Delivery(Base):
    """One DM to one person: claimed (token and time) before it is sent, confirmed after."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("kind", "subject", "recipient", name="uq_deliveries_once"),
        Index("ix_deliveries_unsent", "kind", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(64))  # the flag, draft or reminder id; the week
    recipient: Mapped[str] = mapped_column(String(32))
    claim_token: Mapped[str | None] = mapped_column(String(40), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    maybe_sent: Mapped[bool] = mapped_column(Boolean, default=False)  # a try may have posted it
    check_history: Mapped[bool] = mapped_column(Boolean, default=False)  # this claim looks first
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)
    channel: Mapped[str | None] = mapped_column(String(32), default=None)
    ts: Mapped[str | None] = mapped_column(String(32), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
