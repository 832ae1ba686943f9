"""Turning domain errors into what the user sees: an ephemeral reply or a notice modal."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.coach_modal import notice_modal
from blocks.messages import DB_DOWN, ambiguous_agent, text_reply, unknown_agent
from bot.core.db import DatabaseUnavailable
from bot.core.errors import DebriefError, InvalidInput, UnknownAgent
from bot.people.agents import AmbiguousAgent
from handlers.views import push_view

log = logging.getLogger(__name__)

Reply = Callable[[dict[str, Any]], None]


def message_for(exc: Exception) -> dict[str, Any]:
    """The ephemeral message that explains a domain error or an outage."""
    if isinstance(exc, DatabaseUnavailable):
        return text_reply(DB_DOWN)
    if isinstance(exc, UnknownAgent):
        return unknown_agent(exc.query, exc.suggestions)
    if isinstance(exc, AmbiguousAgent):
        return ambiguous_agent(exc.query, exc.choices)
    return text_reply(str(exc))


@contextmanager
def explained(reply: Reply) -> Iterator[None]:
    """Run a listener body; a domain error or an outage is explained to the user, not raised."""
    try:
        yield
    except DatabaseUnavailable as exc:
        log.error("database unreachable while handling a Slack request: %s", exc)
        reply(message_for(exc))
    except DebriefError as exc:
        reply(message_for(exc))
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown_error")
        log.warning("Slack refused a call while handling a request: %s", error)
        _tell(reply, f"Slack didn't let Debrief open that ({error}). Please try again.")
    except (TimeoutError, URLError, ConnectionError) as exc:
        log.warning("Slack didn't answer in time while handling a request: %s", exc)
        _tell(reply, SLACK_SLOW)


SLACK_SLOW = "Slack didn't answer in time, so Debrief couldn't open that. Nothing was lost: please try again."


def _tell(reply: Reply, text: str) -> None:
    try:
        reply(text_reply(text))
    except (SlackApiError, TimeoutError, URLError, ConnectionError):
        log.warning("could not tell the user either")


def form_errors(exc: Exception, block_for: Callable[[str | None], str]) -> dict[str, str]:
    """`response_action: errors` for a domain error or an outage: the message goes under the
    block of the field it is about (`block_for(None)`: the form's main one); outages are logged."""
    if isinstance(exc, DatabaseUnavailable):
        log.error("database unreachable while saving a form: %s", exc)
        return {block_for(None): DB_DOWN}
    return {block_for(exc.field if isinstance(exc, InvalidInput) else None): str(exc)}


def ephemeral(respond: Callable[..., Any]) -> Reply:
    """Reply through the request's response_url, visible only to the user."""

    def send(message: dict[str, Any]) -> None:
        respond(response_type="ephemeral", replace_original=False, **message)

    return send


def in_modal(client: WebClient, trigger_id: str, timeout: float | None = None) -> Reply:
    """Reply over an open modal by pushing a notice (modal actions have no response_url)."""

    def send(message: dict[str, Any]) -> None:
        notice = notice_modal("Debrief", message["text"])
        push_view(client, trigger_id=trigger_id, view=notice, timeout=timeout)

    return send
