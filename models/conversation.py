"""A resolved, rated conversation: metadata only, never its body."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Conversation(Base):
    """One rated conversation: who handled it, when it closed, its CSAT, where it came from.

    The transcript is not kept: capture reads it again from its source (the import file at
    `source_offset`, or the helpdesk's API).
    """

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("helpdesk", "external_id", name="uq_conversations_source"),
        Index("ix_conversations_agent_closed", "agent_id", "closed_at"),
        Index("ix_conversations_closed", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    helpdesk: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    csat: Mapped[float] = mapped_column(Float)
    queue: Mapped[str | None] = mapped_column(String(200), default=None)
    tags: Mapped[str | None] = mapped_column(String(2000), default=None)
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    # where an import's transcript is: a pointer, not a foreign key (a check per row would
    # cost a third of a bulk import; a missing import reads as "no transcript")
    import_id: Mapped[int | None] = mapped_column(Integer, default=None)
    source_offset: Mapped[int | None] = mapped_column(BigInteger, default=None)
    source_line: Mapped[int | None] = mapped_column(Integer, default=None)
    has_transcript: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
