"""A person in the Slack workspace with a Debrief role."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from models.agent import Agent


class Role(enum.StrEnum):
    """Owners and admins are leads; members see only their own linked record."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class Member(Base):
    """A Slack user known to Debrief, with a role and (for a member) a linked agent."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="member_role", values_callable=lambda e: [m.value for m in e])
    )
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    tz: Mapped[str | None] = mapped_column(String(64), default=None)
    tz_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agent: Mapped[Agent | None] = relationship(foreign_keys=[agent_id])

    @property
    def is_lead(self) -> bool:
        """Owners and admins lead; they read and write everything."""
        return self.role in (Role.OWNER, Role.ADMIN)
