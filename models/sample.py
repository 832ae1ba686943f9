"""A summarized conversation kept as coaching evidence (never the conversation body)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

EXTERNAL_ID_MAX = 200  # a helpdesk's conversation id, as every table keeps it


class SampleSource(enum.StrEnum):
    """Captured when the agent was flagged, or pinned by a lead."""

    AUTO = "auto"
    MANUAL = "manual"


class Sample(Base):
    """One conversation's summary, CSAT, closed time and deep link."""

    __tablename__ = "samples"
    __table_args__ = (UniqueConstraint("helpdesk", "external_id", name="uq_samples_conversation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    helpdesk: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX))
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    csat: Mapped[float | None] = mapped_column(Float, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    summary: Mapped[str] = mapped_column(Text)
    source: Mapped[SampleSource] = mapped_column(
        Enum(SampleSource, name="sample_source", values_callable=lambda e: [m.value for m in e]),
        default=SampleSource.AUTO,
    )
    flag_id: Mapped[int | None] = mapped_column(
        ForeignKey("flags.id", ondelete="SET NULL"), default=None
    )
    engine: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
