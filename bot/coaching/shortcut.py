"""The "Coach on this" message shortcut: the conversation a message links to, and whose it is."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from queue import Empty, SimpleQueue
from threading import Thread
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ai.summaries import Summarizer
from bot.coaching.pins import PinResult, pin_sample
from bot.core.errors import DebriefError, InvalidInput, NotFound, OutOfScope
from bot.core.scope import viewer_for
from bot.core.settings import Settings
from bot.ingest.helpdesks import HelpdeskNotFound, KnowsAssignee, helpdesk_for
from bot.ingest.helpdesks.http_client import RetryPolicy
from bot.ingest.links import ConversationLink, find_links
from models import Agent, Conversation, Sample
from models.agent import fold_name

# asking a helpdesk whose a conversation is while a lead looks at a "looking it up" modal
LOOKUP = RetryPolicy(max_retries=1, backoff=0.5, max_rate_limit_waits=1, max_retry_after=3.0,
                     timeout=5.0)  # fmt: skip
T = TypeVar("T")
LOOKUP_DEADLINE = 15.0  # seconds, however the helpdesk answers (a byte at a time, 429s, pages)
NO_LINK = (
    "That message has no helpdesk conversation link Debrief recognises (Zendesk, Intercom, "
    "Freshdesk, Help Scout, Gorgias, HubSpot or Front, or a DEBRIEF_DEEPLINK_* pattern)."
)
PIN_DEADLINE = 60.0  # reading the conversation from its helpdesk, then summarizing it
LEADS_ONLY = "Only Debrief owners and admins can coach on a message."


@dataclass(frozen=True)
class ShortcutTarget:
    """The linked conversation and the agent it belongs to (None, with `why`, when unknown)."""

    link: ConversationLink
    agent_id: int | None = None
    agent_name: str | None = None
    csat: float | None = None
    pinned: bool = False  # already a sample on the agent's record
    others: int = 0  # further conversations the message links to, not chosen
    why: str | None = None


def shortcut_link(
    *, session: Session, slack_user_id: str, texts: Iterable[str], settings: Settings
) -> tuple[ConversationLink, int]:
    """The first conversation the message links to and how many others it links to, for a lead."""
    if not viewer_for(session=session, slack_user_id=slack_user_id).is_lead:
        raise OutOfScope(LEADS_ONLY)
    links = find_links(texts=texts, settings=settings)
    if not links:
        raise NotFound(NO_LINK)
    return links[0], len(links) - 1


def _known(session: Session, link: ConversationLink) -> tuple[int, float | None, bool] | None:
    """(agent id, CSAT, pinned) from the imported conversations, else from a pinned sample."""
    where = (link.helpdesk, link.external_id)
    sample = session.execute(
        select(Sample.agent_id, Sample.csat).where(
            Sample.helpdesk == where[0], Sample.external_id == where[1]
        )
    ).first()
    row = session.execute(
        select(Conversation.agent_id, Conversation.csat).where(
            Conversation.helpdesk == where[0], Conversation.external_id == where[1]
        )
    ).first()
    if row is not None:  # pinned on their record (a sample on another's can't be pinned again)
        return row.agent_id, row.csat, sample is not None and sample.agent_id == row.agent_id
    if sample is not None:
        return sample.agent_id, sample.csat, True
    return None


def _matching_agent(session: Session, name: str, email: str | None) -> Agent | None:
    """The one agent with this email, else the one with this exact name (no new agent)."""
    if email:
        found = session.scalar(select(Agent).where(Agent.email == email.strip().lower()))
        if found is not None:
            return found
    named = list(session.scalars(select(Agent).where(Agent.name_key == fold_name(name)).limit(2)))
    return named[0] if len(named) == 1 else None


Asked = tuple[str, str | None] | str | None
AssigneeLookup = Callable[..., Asked]  # called as ask(link=...), like ask_assignee


def ask_assignee(*, settings: Settings, link: ConversationLink) -> Asked:
    """(name, email) of the conversation's assignee in its helpdesk, None when unassigned, or a
    sentence saying why the helpdesk can't be asked; HelpdeskError when asking it fails."""
    helpdesk, external_id = link.helpdesk, link.external_id
    connector = helpdesk_for(settings, helpdesk, policy=LOOKUP)
    if connector is None:
        return f"no {helpdesk} connector is configured"
    try:
        if not isinstance(connector, KnowsAssignee):
            return f"Debrief's {helpdesk} connector can't say whose a conversation is"
        return connector.assignee(external_id)
    except HelpdeskNotFound:
        raise NotFound(f"{helpdesk} has no conversation {external_id}.") from None
    finally:
        connector.close()


class TooSlow(DebriefError):
    """Work that didn't finish in the time a lead looking at a modal is given."""


def in_time(work: Callable[[], T], seconds: float, late: str) -> T:
    """`work()`, or TooSlow(late) after `seconds`: a helpdesk's per-request timeouts bound no
    single answer's whole length (one byte at a time), nor retries and Retry-After waits. The
    work carries on in a daemon thread; what it returns late is dropped."""
    answers: SimpleQueue[tuple[bool, Any]] = SimpleQueue()

    def run() -> None:
        try:
            answers.put((True, work()))
        except Exception as exc:  # handed to the caller, which explains or logs it
            answers.put((False, exc))

    Thread(target=run, name="coach-on-this", daemon=True).start()
    try:
        ok, value = answers.get(timeout=seconds)
    except Empty:
        raise TooSlow(late) from None
    if not ok:
        raise value
    return cast(T, value)


def shortcut_target(
    *,
    session_factory: Callable[[], Any],
    link: ConversationLink,
    others: int,
    ask: AssigneeLookup,
) -> ShortcutTarget:
    """Whose the linked conversation is: the imported conversations first, else its helpdesk
    (`ask`, which may raise HelpdeskError or NotFound)."""
    with session_factory() as session:
        known = _known(session, link)
        if known is not None:
            agent = session.get(Agent, known[0])
            assert agent is not None  # conversations and samples cascade with their agent
            return ShortcutTarget(link, agent.id, agent.name, known[1], known[2], others)
    late = f"{link.helpdesk} didn't answer within {LOOKUP_DEADLINE:g} seconds"
    asked = in_time(partial(ask, link=link), LOOKUP_DEADLINE, late)
    name = f"{link.helpdesk} #{link.external_id}"
    if isinstance(asked, str):
        why = f"{name} isn't among the imported conversations and {asked}."
        return ShortcutTarget(link, others=others, why=why)
    if asked is None:
        why = f"{name} isn't assigned to anyone in {link.helpdesk}."
        return ShortcutTarget(link, others=others, why=why)
    with session_factory() as session:
        agent = _matching_agent(session, *asked)
        if agent is None:
            why = f"{name} is assigned to {asked[0]} in {link.helpdesk}, who isn't a Debrief agent."
            return ShortcutTarget(link, others=others, why=why)
        return ShortcutTarget(link, agent.id, agent.name, None, False, others)


@dataclass(frozen=True)
class LinkPin:
    """A conversation pinned from its link: the sample, whether this call created it, and the
    agent it was pinned for."""

    result: PinResult
    agent_name: str


def pin_by_link(
    *,
    session_factory: Callable[[], Any],
    settings: Settings,
    slack_user_id: str,
    link: str,
    summarizer: Summarizer,
    ask: AssigneeLookup,
    csat: float | None = None,
) -> LinkPin:
    """Coach on this over the API: pin the conversation a helpdesk link points at on the record
    of the agent it belongs to (InvalidInput: no link Debrief recognises; NotFound: whose it is
    can't be told; OutOfScope: not a lead)."""
    with session_factory() as session:
        actor = viewer_for(session=session, slack_user_id=slack_user_id)
        try:
            found, _others = shortcut_link(
                session=session, slack_user_id=slack_user_id, texts=[link], settings=settings
            )
        except NotFound:
            raise InvalidInput("link", NO_LINK) from None
    target = shortcut_target(session_factory=session_factory, link=found, others=0, ask=ask)
    if target.agent_id is None or target.agent_name is None:
        raise NotFound(
            target.why or f"Debrief can't tell whose {found.helpdesk} conversation that is."
        )
    late = f"{found.helpdesk} didn't answer within {PIN_DEADLINE:g} seconds"
    result = in_time(
        partial(
            pin_sample,
            session_factory=session_factory,
            settings=settings,
            actor=actor,
            agent_id=target.agent_id,
            helpdesk=found.helpdesk,
            external_id=found.external_id,
            summarizer=summarizer,
            csat=csat if csat is not None else target.csat,
        ),
        PIN_DEADLINE,
        late,
    )
    return LinkPin(result=result, agent_name=target.agent_name)
