"""Members: who has which role, and which agent a member is linked to."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.audit import record
from bot.core.errors import InvalidInput, NotFound
from bot.people.agents import find_agent
from models import Agent, Member, Role


def member_snapshot(member: Member) -> dict[str, object]:
    """The member's fields as kept in the audit trail."""
    return {
        "slack_user_id": member.slack_user_id,
        "role": member.role.value,
        "agent_id": member.agent_id,
    }


def set_member(
    *, session: Session, actor: str, slack_user_id: str, role: str, agent_name: str | None = None
) -> tuple[Member, bool]:
    """Give a Slack user a role (and, for a member, a linked agent); returns (member, created)."""
    if not re.fullmatch(r"[UW][A-Z0-9]{2,}", slack_user_id):
        raise InvalidInput(
            "slack_user_id", f"{slack_user_id!r} is not a Slack user id (like U012ABC)"
        )
    try:
        parsed_role = Role(role)
    except ValueError:
        raise InvalidInput("role", f"role must be owner, admin or member, not {role!r}") from None
    agent: Agent | None = None
    if agent_name is not None:
        if parsed_role is not Role.MEMBER:
            raise InvalidInput("agent", "only a member is linked to an agent record")
        agent = find_agent(session=session, name=agent_name)
    member = session.scalar(select(Member).where(Member.slack_user_id == slack_user_id))
    created = member is None
    before = None if member is None else member_snapshot(member)
    if member is None:
        member = Member(slack_user_id=slack_user_id, role=parsed_role)
        session.add(member)
    member.role = parsed_role
    member.agent_id = agent.id if agent is not None else None
    session.flush()
    record(
        session=session,
        actor=actor,
        action="member.create" if created else "member.update",
        entity="member",
        entity_id=member.id,
        before=before,
        after=member_snapshot(member),
    )
    return member, created


def remove_member(*, session: Session, actor: str, slack_user_id: str) -> None:
    """Take away a person's role; the notes they wrote stay."""
    member = session.scalar(select(Member).where(Member.slack_user_id == slack_user_id))
    if member is None:
        raise NotFound(f"{slack_user_id} is not a member")
    record(
        session=session,
        actor=actor,
        action="member.remove",
        entity="member",
        entity_id=member.id,
        before=member_snapshot(member),
    )
    session.delete(member)


def list_members(*, session: Session) -> list[tuple[Member, str | None]]:
    """Every member with the name of their linked agent, owners first."""
    order = {Role.OWNER: 0, Role.ADMIN: 1, Role.MEMBER: 2}
    rows = session.execute(
        select(Member, Agent.name).outerjoin(Agent, Member.agent_id == Agent.id)
    ).all()
    return sorted(
        ((m, name) for m, name in rows), key=lambda r: (order[r[0].role], r[0].slack_user_id)
    )


def leads(session: Session) -> list[Member]:
    """Every owner and admin, in one query, by Slack user id."""
    return list(
        session.scalars(
            select(Member)
            .where(Member.role.in_([Role.OWNER, Role.ADMIN]))
            .order_by(Member.slack_user_id)
        )
    )
