"""A coaching note a lead wrote about an agent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Note(Base):
    """One note: body, author, optional sample and follow-up, shared flag, soft archive."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_agent_live", "agent_id", "archived_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    sample_id: Mapped[int | None] = mapped_column(
        ForeignKey("samples.id", ondelete="SET NULL"), default=None
    )
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    follow_up_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    shared_with_agent: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    # the agent's side of a shared note: first shown to them, and their acknowledgement
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class NoteReply(Base):
    """The agent's short answer to a note shared with them (redacted as a note is)."""

    __tablename__ = "note_replies"
    __table_args__ = (Index("ix_note_replies_note", "note_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
