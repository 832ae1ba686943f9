"""Sustained-falling CSAT flags, one per episode (their DMs are deliveries)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Flag(Base):
    """One episode of a sustained fall: raised once, cleared on recovery, maybe dismissed."""

    __tablename__ = "flags"
    __table_args__ = (Index("ix_flags_agent_cleared", "agent_id", "cleared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    dismissed_by: Mapped[str | None] = mapped_column(String(32), default=None)
    dismiss_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    baseline: Mapped[float] = mapped_column(Float)
    current: Mapped[float] = mapped_column(Float)
    slope: Mapped[float] = mapped_column(Float)
    tau: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    ratings: Mapped[int] = mapped_column(Integer)
    review_start: Mapped[datetime] = mapped_column(UTCDateTime())
    review_end: Mapped[datetime] = mapped_column(UTCDateTime())
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
