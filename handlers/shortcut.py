"""The "Coach on this" message shortcut: a modal opened at once with the trigger, filled in
after whose the conversation is is known; Pin pins it and shows the agent's Coach modal."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any
from urllib.error import URLError

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.coach_modal import coach_modal
from blocks.ids import CallbackId
from blocks.shortcut import shortcut_failed, shortcut_looking, shortcut_modal, shortcut_pinning
from bot.coaching.pins import pin_in_modal
from bot.coaching.shortcut import (
    PIN_DEADLINE,
    TooSlow,
    ask_assignee,
    in_time,
    shortcut_link,
    shortcut_target,
)
from bot.core.db import DatabaseUnavailable
from bot.core.errors import DebriefError
from bot.core.settings import SettingsError
from bot.ingest.links import ConversationLink
from handlers.deps import Deps
from handlers.forms import id_value, metadata
from handlers.replies import Reply, ephemeral, explained
from handlers.views import open_view, update_view

log = logging.getLogger(__name__)

STRINGS_MAX = 2_000  # strings read out of one message's blocks and attachments
DEPTH_MAX = 12
STILL_PINNING = (
    "Pinning is taking more than {:g} minute (the helpdesk or the summarizer is slow). Debrief "
    "carries on: the sample shows on the agent's record when it's done, in their Coach modal."
)
UNEXPECTED = "Something went wrong on Debrief's side. Please try again."


def message_texts(message: Any) -> list[str]:
    """Every string of a message where a link may be: its text first, then its blocks (rich
    text, sections) and attachments (unfurls keep the URL in from_url, title_link, fallback).
    Only strings holding a `://` count: a block's types and ids don't use up what is read."""
    found: list[str] = []
    if not isinstance(message, dict):
        return found

    def walk(value: Any, depth: int) -> None:
        if len(found) >= STRINGS_MAX or depth > DEPTH_MAX:
            return
        if isinstance(value, str):
            if "://" in value:
                found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                walk(item, depth + 1)

    for key in ("text", "blocks", "attachments"):
        walk(message.get(key), 0)
    return found


def _answer(body: dict[str, Any], client: WebClient, respond: Respond) -> Reply:
    """An ephemeral answer through the response_url, else in the channel the shortcut was
    picked in, else only the log (a payload without either has nowhere to answer)."""
    if body.get("response_url"):
        return ephemeral(respond)
    channel = (body.get("channel") or {}).get("id")
    user = (body.get("user") or {}).get("id")

    def send(message: dict[str, Any]) -> None:
        try:
            if channel and user:
                client.chat_postEphemeral(channel=channel, user=user, **message)
                return
        except (SlackApiError, TimeoutError, URLError, ConnectionError) as exc:
            log.warning("coach on this: could not answer in %s: %s", channel, exc)
        log.warning("coach on this: nowhere to answer %s: %s", user, message.get("text"))

    return send


def _show(client: WebClient, view_id: str, view: dict[str, Any]) -> None:
    """Show `view` in the open modal; one the lead closed meanwhile stays closed (logged)."""
    try:
        update_view(client, view_id=view_id, view=view)
    except (SlackApiError, TimeoutError, URLError, ConnectionError) as exc:
        log.warning("coach on this: the modal %s wasn't updated: %s", view_id, exc)


def _fill(deps: Deps, client: WebClient, view_id: str, link: ConversationLink, others: int) -> None:
    """Find whose the conversation is (maybe asking its helpdesk) and show it in the modal."""
    try:
        target = shortcut_target(
            session_factory=deps.services.sessions,
            link=link,
            others=others,
            ask=partial(ask_assignee, settings=deps.settings),
        )
        view = shortcut_modal(target)
    except (DebriefError, DatabaseUnavailable, SettingsError) as exc:
        log.warning("coach on this: %s #%s: %s", link.helpdesk, link.external_id, exc)
        view = shortcut_failed(link, f"Debrief couldn't find whose conversation this is: {exc}")
    except Exception:  # the modal must not stay on "finding…"
        log.exception("coach on this: %s #%s", link.helpdesk, link.external_id)
        view = shortcut_failed(link, UNEXPECTED)
    _show(client, view_id, view)


def register(app: App, deps: Deps) -> None:
    """Attach the message shortcut and its modal's submission."""

    @app.shortcut(CallbackId.COACH_SHORTCUT)
    def coach_on_this(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        with explained(_answer(body, client, respond)):
            with deps.read_session() as session:
                link, others = shortcut_link(
                    session=session,
                    slack_user_id=body["user"]["id"],
                    texts=message_texts(body.get("message")),
                    settings=deps.settings,
                )
            opened = open_view(
                client,
                trigger_id=body["trigger_id"],
                view=shortcut_looking(link),
                timeout=deps.trigger_timeout,
            )
            _fill(deps, client, opened["view"]["id"], link, others)

    @app.view(CallbackId.SHORTCUT_MODAL)
    def pin_on_this(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        meta = metadata(view)
        link = ConversationLink(str(meta.get("helpdesk", "")), str(meta.get("external_id", "")), "")
        ack(response_action="update", view=shortcut_pinning(link))  # capture takes a while
        pin = partial(
            pin_in_modal,
            session_factory=deps.services.sessions,
            settings=deps.settings,
            slack_user_id=body["user"]["id"],
            agent_id=id_value(meta.get("agent_id")),
            helpdesk=link.helpdesk,
            external_id=link.external_id,
            csat=None,
            summarizer=deps.services.summarizer,
            page=0,
            page_size=deps.page_size,
        )
        try:
            record = in_time(pin, PIN_DEADLINE, STILL_PINNING.format(PIN_DEADLINE / 60))
            shown = coach_modal(record, link_back=deps.link_back)
        except TooSlow as exc:
            shown = shortcut_failed(link, str(exc))
        except (DebriefError, DatabaseUnavailable, SettingsError) as exc:
            shown = shortcut_failed(link, f"Debrief couldn't pin it: {exc}")
        except Exception:  # the modal must not stay on "pinning…"
            log.exception("coach on this: pinning %s #%s", link.helpdesk, link.external_id)
            shown = shortcut_failed(link, UNEXPECTED)
        _show(client, view["id"], shown)
