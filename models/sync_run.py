"""One pull of new ratings from a helpdesk, so the next one knows where to start."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class SyncRun(Base):
    """When a helpdesk sync started, how many ratings it brought and how it ended."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_helpdesk_started", "helpdesk", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    helpdesk: Mapped[str] = mapped_column(String(32))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ratings: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    # the newest rating time kept so far, for an ordered connector: where a failed run resumes
    reached: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
