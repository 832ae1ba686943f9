"""What every helpdesk connector returns and raises."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.core.errors import DebriefError


@dataclass(frozen=True)
class RatingRecord:
    """One rated conversation as a helpdesk reports it, CSAT on a 1-5 scale."""

    helpdesk: str
    external_id: str
    agent_name: str
    agent_email: str | None
    closed_at: datetime
    csat: float
    queue: str | None = None
    tags: tuple[str, ...] = ()
    url: str | None = None
    # when the rating was given, as the helpdesk's `since` filter reads it; an `ordered`
    # connector yields its ratings in this order, so a sync that stops part-way resumes from
    # the last one it kept instead of starting over
    rated_at: datetime | None = None


@dataclass(frozen=True)
class Transcript:
    """A conversation as "Customer: ..." / "Agent: ..." lines, HTML stripped; never stored."""

    text: str
    customer_name: str | None = None
    customer_email: str | None = None


class Helpdesk(Protocol):
    """A helpdesk connector: rated conversations since a time, and one conversation's text."""

    name: str
    ordered: bool  # ratings come oldest first by `rated_at` (see RatingRecord)

    def ratings_since(self, since: datetime) -> Iterator[RatingRecord]:
        """Every rating given at or after `since`, across all pages (oldest first, by
        `rated_at`, when the connector is `ordered`)."""
        ...

    def transcript(self, external_id: str) -> Transcript:
        """The conversation's text and customer; HelpdeskNotFound when it does not exist."""
        ...

    def close(self) -> None:
        """Release the connector's HTTP connections."""
        ...


@runtime_checkable
class SaysWhatItRead(Protocol):
    """A connector that can say what its last `ratings_since` read (optional), e.g. which of a
    helpdesk's rating sources: `debrief sync` shows it after the count."""

    def what_it_read(self) -> str | None:
        """A few words, e.g. "new CSAT survey responses"; None when it has nothing to say."""
        ...


@runtime_checkable
class KnowsAssignee(Protocol):
    """A connector that can say who a conversation is assigned to (optional): the "Coach on
    this" shortcut asks it when the conversation wasn't imported."""

    def assignee(self, external_id: str) -> tuple[str, str | None] | None:
        """The assigned agent's (name, email); None when nobody is; HelpdeskNotFound when the
        conversation does not exist."""
        ...


class HelpdeskError(DebriefError):
    """A helpdesk call failed; the message is one line fit to show a user."""


class HelpdeskAuthError(HelpdeskError):
    """The helpdesk refused the credentials (401/403); the message names the settings."""


class HelpdeskUnavailable(HelpdeskError):
    """The helpdesk kept failing (5xx, timeouts, rate limits) after every retry."""


class HelpdeskNotFound(HelpdeskError):
    """The helpdesk has no such conversation (404)."""


def is_number(text: str) -> bool:
    """Whether a conversation id is a plain number: ASCII digits only (`"²".isdigit()` holds but
    int() refuses it, and `"٣".isdigit()` would be read as ticket 3, another conversation)."""
    return text.isascii() and text.isdigit()
