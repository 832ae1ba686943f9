"""QA review: approved rubrics, drafts against them, skipped conversations, process issues, events."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


def _values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


class Rubric(Base):
    """One approved version of a QA rubric (criteria as YAML-derived JSON)."""

    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    source_sha256: Mapped[str] = mapped_column(String(64))
    approved_by: Mapped[str] = mapped_column(String(32))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DraftStatus(enum.StrEnum):
    """A draft is a suggestion until a lead decides."""

    PENDING = "pending"
    APPROVED = "approved"
    EDITED = "edited"
    REJECTED = "rejected"


class QaDraft(Base):
    """A QA draft of one conversation: scores, evidence-backed points, flags, route, decision."""

    __tablename__ = "qa_drafts"
    __table_args__ = (Index("ix_qa_drafts_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    helpdesk: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id"))
    engine: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    scores: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    points: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    dropped_points: Mapped[int] = mapped_column(Integer, default=0)
    policy_exception: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_risk: Mapped[list[str]] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    route: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    status: Mapped[DraftStatus] = mapped_column(
        Enum(DraftStatus, name="qa_draft_status", values_callable=_values),
        default=DraftStatus.PENDING,
    )
    decided_by: Mapped[str | None] = mapped_column(String(32), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reject_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    edited_points: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    # the lead's scores when an edit changed any: [{criterion, score}], else None (as suggested)
    final_scores: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    dm_channel: Mapped[str | None] = mapped_column(String(32), default=None)
    dm_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QaSkip(Base):
    """A sampled conversation that got no draft, and why (a stop rule)."""

    __tablename__ = "qa_skips"

    id: Mapped[int] = mapped_column(primary_key=True)
    helpdesk: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProcessIssue(Base):
    """A non-agent cause a lead approved: documentation, policy, product or staffing."""

    __tablename__ = "process_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("qa_drafts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[str]] = mapped_column(JSON)
    topic: Mapped[str | None] = mapped_column(String(200), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MeasurementEvent(Base):
    """One event of the measurement plan (reviews, drafts, decisions, themes, gaps, escalations)."""

    __tablename__ = "measurement_events"
    __table_args__ = (Index("ix_measurement_events_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    draft_id: Mapped[int | None] = mapped_column(
        ForeignKey("qa_drafts.id", ondelete="SET NULL"), default=None
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
