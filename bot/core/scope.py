"""Who sees what (SPEC §6), enforced here for Slack and the REST API alike."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.core.errors import NotAMember, OutOfScope
from models import Member, Role


@dataclass(frozen=True)
class Viewer:
    """The person acting: their Slack user, role and (for a member) linked agent."""

    slack_user_id: str
    role: Role
    agent_id: int | None

    @property
    def is_lead(self) -> bool:
        """Owners and admins read and write everything."""
        return self.role in (Role.OWNER, Role.ADMIN)


_MEMBER = select(Member.role, Member.agent_id).where(Member.slack_user_id == bindparam("user"))


def viewer_for(*, session: Session, slack_user_id: str) -> Viewer:
    """The Viewer for a Slack user, or NotAMember."""
    session.flush()
    row = session.connection().execute(_MEMBER, {"user": slack_user_id}).first()
    if row is None:
        raise NotAMember(slack_user_id)
    return Viewer(slack_user_id=slack_user_id, role=row.role, agent_id=row.agent_id)


def can_read_agent(viewer: Viewer, agent_id: int) -> bool:
    """Leads read every agent; a member reads only their linked agent."""
    return viewer.is_lead or viewer.agent_id == agent_id


def require_read(viewer: Viewer, agent_id: int) -> None:
    """Raise OutOfScope unless the viewer may read this agent's record."""
    if not can_read_agent(viewer, agent_id):
        raise OutOfScope()


def require_write(viewer: Viewer) -> None:
    """Raise OutOfScope unless the viewer may write (owners and admins)."""
    if not viewer.is_lead:
        raise OutOfScope("Only owners and admins can write coaching notes.")
