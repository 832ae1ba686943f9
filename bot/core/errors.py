"""Domain errors: each carries a message fit to show a user."""

from __future__ import annotations


class DebriefError(Exception):
    """Base of every error a user may see."""


class NotFound(DebriefError):
    """No such agent, note or sample (or not one the caller may know of)."""


class Ambiguous(DebriefError):
    """A name matched several agents; `candidates` holds their names."""

    def __init__(self, query: str, candidates: list[str]) -> None:
        super().__init__(f"{query!r} matches {len(candidates)} agents: {', '.join(candidates)}")
        self.query = query
        self.candidates = candidates


class UnknownAgent(NotFound):
    """No agent matched a name; `suggestions` are close names (leads only)."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        super().__init__(f"no agent matches {query!r}")
        self.query = query
        self.suggestions = suggestions


class OutOfScope(DebriefError):
    """The caller may not see or change this record."""

    def __init__(self, message: str = "You can only see your own coaching record.") -> None:
        super().__init__(message)


class NotAMember(OutOfScope):
    """The Slack user is not set up in Debrief."""

    def __init__(self, slack_user_id: str) -> None:
        super().__init__(
            "You're not set up in Debrief yet: ask a Debrief owner to add you "
            f"(`debrief members add {slack_user_id} --role ...`)."
        )
        self.slack_user_id = slack_user_id


class InvalidInput(DebriefError):
    """Bad input; `field` names what was wrong (for inline form errors)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
