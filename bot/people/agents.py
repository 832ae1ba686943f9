"""Agents: create, update, list, deactivate, and find one by what a person typed."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from bot.core.audit import record
from bot.core.errors import Ambiguous, InvalidInput, NotFound, OutOfScope, UnknownAgent
from bot.core.scope import Viewer
from bot.core.text import checked_text, unstorable
from models import Agent, Member
from models.agent import NAME_MAX, fold_name

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX = 320  # the column's length, and the most an address can be


@dataclass(frozen=True)
class AgentChoice:
    """An agent as offered in a picker."""

    id: int
    name: str


class AmbiguousAgent(Ambiguous):
    """Several agents matched what was typed; `choices` lets the caller offer them."""

    def __init__(self, query: str, choices: list[AgentChoice]) -> None:
        super().__init__(query, [c.name for c in choices])
        self.choices = choices


def agent_snapshot(agent: Agent) -> dict[str, object]:
    """The agent's fields as kept in the audit trail."""
    return {
        "name": agent.name,
        "email": agent.email,
        "slack_user_id": agent.slack_user_id,
        "lead_member_id": agent.lead_member_id,
        "active": agent.active,
    }


def _find_by_exact_name(session: Session, name: str) -> list[Agent]:
    return list(session.scalars(select(Agent).where(Agent.name_key == fold_name(typed_name(name)))))


def typed_name(name: str) -> str:
    """A name someone typed to look an agent up, or InvalidInput if no name could hold it."""
    why = unstorable(name)
    if why is not None:
        raise InvalidInput("agent", f"That name {why}.")
    return name


def checked_name(name: str) -> str:
    """An agent's name as kept: visible, at most NAME_MAX characters, spaces made single."""
    name = checked_text(name, field="name", what="An agent's name", max_length=NAME_MAX)
    return " ".join(name.split())


def checked_email(email: str) -> str:
    """An email as kept (lowercase), or InvalidInput."""
    email = checked_text(email, field="email", what="An email", max_length=EMAIL_MAX)
    if not _EMAIL.match(email):
        raise InvalidInput("email", f"{email!r} is not an email address")
    return email.lower()


def find_agent(*, session: Session, name: str) -> Agent:
    """The agent with exactly this name (any case or spacing, deactivated ones too), or
    NotFound or Ambiguous."""
    matches = _find_by_exact_name(session, " ".join(name.split()))
    if not matches:
        raise NotFound(f"no agent is named {name!r} (give the full name)")
    if len(matches) > 1:
        raise Ambiguous(name, [a.name for a in matches])
    return matches[0]


def upsert_agent(
    *,
    session: Session,
    actor: str,
    name: str,
    email: str | None = None,
    slack_user: str | None = None,
    lead: str | None = None,
) -> tuple[Agent, bool]:
    """Create an agent, or update the one with this exact name; returns (agent, created)."""
    name = checked_name(name)
    if email is not None:
        email = checked_email(email)
    if slack_user is not None and not re.fullmatch(r"[UW][A-Z0-9]{2,}", slack_user):
        raise InvalidInput("slack_user", f"{slack_user!r} is not a Slack user id (like U012ABC)")
    lead_member: Member | None = None
    if lead is not None:
        lead_member = session.scalar(select(Member).where(Member.slack_user_id == lead))
        if lead_member is None or not lead_member.is_lead:
            raise InvalidInput("lead", f"lead {lead} must be an owner or admin member")
    matches = _find_by_exact_name(session, name)
    if len(matches) > 1:
        raise Ambiguous(name, [a.name for a in matches])
    agent = matches[0] if matches else None
    created = agent is None
    before = None if agent is None else agent_snapshot(agent)
    if email is not None:
        other = session.scalar(select(Agent).where(func.lower(Agent.email) == email))
        if other is not None and other is not agent:
            raise InvalidInput("email", f"{email} already belongs to agent {other.name}")
    if slack_user is not None:
        other = session.scalar(select(Agent).where(Agent.slack_user_id == slack_user))
        if other is not None and other is not agent:
            raise InvalidInput("slack_user", f"{slack_user} already belongs to agent {other.name}")
    if agent is None:
        agent = Agent(name=name, active=True)
        session.add(agent)
    if email is not None:
        agent.email = email
    if slack_user is not None:
        agent.slack_user_id = slack_user
    if lead_member is not None:
        agent.lead_member_id = lead_member.id
    agent.active = True
    session.flush()
    record(
        session=session,
        actor=actor,
        action="agent.create" if created else "agent.update",
        entity="agent",
        entity_id=agent.id,
        before=before,
        after=agent_snapshot(agent),
    )
    return agent, created


def agent_name(*, session: Session, agent_id: int) -> str:
    """An agent's name (NotFound when there is no such agent)."""
    name = session.scalar(select(Agent.name).where(Agent.id == agent_id))
    if name is None:
        raise NotFound("no such agent")
    return name


def list_agents(*, session: Session, include_inactive: bool = False) -> list[Agent]:
    """Agents by name; deactivated ones only when asked."""
    query = select(Agent).order_by(Agent.name_key, Agent.id)
    if not include_inactive:
        query = query.where(Agent.active.is_(True))
    return list(session.scalars(query))


def deactivate_agent(*, session: Session, actor: str, name: str) -> Agent:
    """Stop scanning and listing an agent; the record stays."""
    agent = find_agent(session=session, name=name)
    before = agent_snapshot(agent)
    agent.active = False
    record(
        session=session,
        actor=actor,
        action="agent.deactivate",
        entity="agent",
        entity_id=agent.id,
        before=before,
        after=agent_snapshot(agent),
    )
    return agent


def normalized_name(query: str) -> str:
    """A typed name as SPEC §5 compares it: Unicode case-folded, single spaces, no ends (the
    form of `Agent.name_key`)."""
    return fold_name(query)


def like_escaped(text: str) -> str:
    """Text for a LIKE pattern with `\\` as the escape character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def match_agents(query: str, agents: list[AgentChoice]) -> list[AgentChoice]:
    """SPEC §5 matching: exact full name, else exact first name, else prefix; first tier wins."""
    q = normalized_name(query)
    if not q:
        return []
    keys = [(a, fold_name(a.name)) for a in agents]
    tiers = (
        [a for a, key in keys if key == q],
        [a for a, key in keys if key.split(" ")[0] == q],
        [a for a, key in keys if key.startswith(q)],
    )
    for tier in tiers:
        if tier:
            return tier
    return []


def suggest(query: str, agents: list[AgentChoice], limit: int = 3) -> list[str]:
    """Names close to what was typed, for an 'unknown agent' message."""
    q = fold_name(query)
    by_key: dict[str, str] = {}
    for agent in agents:
        key = fold_name(agent.name)
        by_key.setdefault(key, agent.name)
        by_key.setdefault(key.split(" ")[0], agent.name)
    found: list[str] = []
    for key in difflib.get_close_matches(q, list(by_key), n=limit * 2, cutoff=0.6):
        if by_key[key] not in found:
            found.append(by_key[key])
    return found[:limit]


def mentioned_user(text: str) -> str | None:
    """The Slack user id in an escaped mention like `<@U123|sarah>`, if that is all the text is."""
    match = _MENTION.match(text.strip())
    return match.group(1) if match else None


def active_choices(*, session: Session) -> list[AgentChoice]:
    """Every active agent as (id, name), by name."""
    rows = session.execute(
        select(Agent.id, Agent.name)
        .where(Agent.active.is_(True))
        .order_by(Agent.name_key, Agent.id)
    )
    return [AgentChoice(id=row.id, name=row.name) for row in rows]


def agents_in_scope(*, session: Session, viewer: Viewer) -> list[AgentChoice]:
    """The agents this viewer may open: all active ones for a lead, their own for a member."""
    if viewer.is_lead:
        return active_choices(session=session)
    if viewer.agent_id is None:
        return []
    agent = session.get(Agent, viewer.agent_id)
    return [] if agent is None else [AgentChoice(id=agent.id, name=agent.name)]


def search_in_scope(*, session: Session, viewer: Viewer, query: str) -> list[AgentChoice]:
    """The agents a picker offers for what was typed: SPEC §5 matches, else names containing
    it; every agent in scope when nothing was typed."""
    choices = agents_in_scope(session=session, viewer=viewer)
    query = query.strip()
    if not query:
        return choices
    found = match_agents(query, choices)
    q = fold_name(query)
    return found or [c for c in choices if q in fold_name(c.name)]


_PREFIX = (
    select(Agent.id, Agent.name)
    .where(Agent.active.is_(True), Agent.name_key.like(bindparam("prefix"), escape="\\"))
    .order_by(Agent.name_key, Agent.id)
)


def _prefix_candidates(session: Session, query: str) -> list[AgentChoice]:
    """Active agents whose name starts with the query: every tier of SPEC §5 is among them."""
    q = normalized_name(query)
    session.flush()
    rows = session.connection().execute(_PREFIX, {"prefix": like_escaped(q) + "%"})
    return [AgentChoice(id=row.id, name=row.name) for row in rows]


def resolve_agent(*, session: Session, viewer: Viewer, query: str) -> AgentChoice:
    """The one agent a viewer means by a name or `<@mention>`, within their scope.

    A member never learns other agents' names: anything but their own record is OutOfScope.
    """
    user_id = mentioned_user(typed_name(query))
    if user_id is not None:
        agent = session.scalar(
            select(Agent).where(Agent.slack_user_id == user_id, Agent.active.is_(True))
        )
        if agent is None:
            if not viewer.is_lead:
                raise OutOfScope()
            raise UnknownAgent(query, [])
        if not viewer.is_lead and agent.id != viewer.agent_id:
            raise OutOfScope()
        return AgentChoice(id=agent.id, name=agent.name)
    matches = match_agents(query, _prefix_candidates(session, query))
    if not viewer.is_lead:
        if len(matches) == 1 and matches[0].id == viewer.agent_id:
            return matches[0]
        raise OutOfScope()
    if not matches:
        raise UnknownAgent(query, suggest(query, active_choices(session=session)))
    if len(matches) > 1:
        raise AmbiguousAgent(query, matches)
    return matches[0]
