"""The agent's side of a shared note: Acknowledge and Reply, from the DM and the App Home, the
Reply form, and the DMs sent right after a save or a reply (the scheduler's tick sends them too)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.error import URLError

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.coach_modal import notice_modal
from blocks.ids import ActionId, BlockId, CallbackId
from blocks.shared_note_dm import reply_metadata, reply_modal, shared_note_message
from bot.coaching.agent_side import acknowledge_note, reply_to_note
from bot.coaching.shared_dms import SharedNoteDm, load_shared_note, note_dms, send_agent_side
from bot.core.db import DatabaseUnavailable
from bot.core.errors import DebriefError
from bot.core.scope import viewer_for
from handlers.deps import Deps
from handlers.forms import id_value, metadata
from handlers.home import home_for
from handlers.notifier import slack_refused
from handlers.replies import Reply, ephemeral, explained, form_errors
from handlers.views import open_view

log = logging.getLogger(__name__)


def send_soon(deps: Deps, agent_id: int | None) -> None:
    """The DMs a save or a reply about this agent calls for, now rather than at the next tick;
    whatever fails here the tick retries."""
    if agent_id is None:
        return
    try:
        send_agent_side(
            session_factory=deps.services.sessions,
            notifier=deps.services.agent_side_notifier,
            shared_note_dms=deps.settings.shared_note_dms,
            agent_id=agent_id,
            is_definite_failure=slack_refused,
        )
    except Exception:  # the scheduler's next tick sends what this didn't
        log.exception("agent %s: sending the shared-note DMs failed; the tick retries", agent_id)


def _in_home(body: dict[str, Any]) -> bool:
    return (body.get("container") or {}).get("type") == "view"


def _notice(client: WebClient, trigger_id: str, timeout: float) -> Reply:
    """Explain over the App Home with a one-message modal (its actions have no response_url)."""

    def send(message: dict[str, Any]) -> None:
        view = notice_modal("Debrief", message["text"])
        open_view(client, trigger_id=trigger_id, view=view, timeout=timeout)

    return send


def _reply_for(deps: Deps, body: dict[str, Any], client: WebClient, respond: Respond) -> Reply:
    if _in_home(body):
        return _notice(client, body["trigger_id"], deps.trigger_timeout)
    return ephemeral(respond)


REFRESH_FAILURES = (
    SlackApiError,
    TimeoutError,
    URLError,
    ConnectionError,
    DebriefError,
    DatabaseUnavailable,
)


def _refresh(deps: Deps, client: WebClient, user_id: str, view: SharedNoteDm, home: bool) -> None:
    """Show the note's new state: in every DM of it sent to a member linked to its agent (all
    of them, not only the one clicked: two members may share an agent, a reply may come from
    the home) and, when acted on there, in the actor's App Home. The DMs are the ones Debrief
    recorded sending, never a channel or ts the request names. What was saved stays saved
    whatever fails here; the next view shows it."""
    try:
        with deps.read_session() as session:
            sent = note_dms(session, view.note_id)
    except REFRESH_FAILURES as exc:
        log.warning("could not look up the DMs of shared note %s: %s", view.note_id, exc)
        sent = []
    message = shared_note_message(view)
    for channel, ts in sent:
        _quietly(partial(client.chat_update, channel=channel, ts=ts, **message))
    if home:
        _quietly(lambda: client.views_publish(user_id=user_id, view=home_for(deps, user_id)))


def _quietly(call: Callable[[], Any]) -> None:
    try:
        call()
    except REFRESH_FAILURES as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else exc
        log.warning("could not refresh a shared note after an action: %s", error)


def register(app: App, deps: Deps) -> None:
    """Attach Acknowledge, Reply and the Reply form."""
    register_acknowledge(app, deps)
    register_reply(app, deps)


def register_acknowledge(app: App, deps: Deps) -> None:
    """Acknowledge, from the DM or the App Home."""

    @app.action(ActionId.NOTE_ACK)
    def acknowledge(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user_id = body["user"]["id"]
        with explained(_reply_for(deps, body, client, respond)):
            note_id = id_value(action.get("value"))
            with deps.session() as session:
                viewer = viewer_for(session=session, slack_user_id=user_id)
                acknowledge_note(session=session, actor=viewer, note_id=note_id)
                view = load_shared_note(session=session, viewer=viewer, note_id=note_id)
            _refresh(deps, client, user_id, view, _in_home(body))


def register_reply(app: App, deps: Deps) -> None:
    """Reply, from the DM or the App Home: the form, and what it sends."""

    @app.action(ActionId.NOTE_REPLY)
    def open_reply(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        with explained(_reply_for(deps, body, client, respond)):
            note_id = id_value(action.get("value"))
            with deps.read_session() as session:
                viewer = viewer_for(session=session, slack_user_id=body["user"]["id"])
                view = load_shared_note(session=session, viewer=viewer, note_id=note_id)
            form = reply_modal(view, metadata=reply_metadata(note_id=note_id, home=_in_home(body)))
            open_view(
                client, trigger_id=body["trigger_id"], view=form, timeout=deps.trigger_timeout
            )

    @app.view(CallbackId.NOTE_REPLY)
    def save_reply(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        meta = metadata(view)
        values = view["state"]["values"]
        text = (values.get(BlockId.REPLY_BODY) or {}).get(ActionId.REPLY_BODY, {}).get("value")
        user_id = body["user"]["id"]
        note_id = id_value(meta.get("note_id"))
        try:
            with deps.session() as session:
                viewer = viewer_for(session=session, slack_user_id=user_id)
                reply_to_note(
                    session=session,
                    actor=viewer,
                    note_id=note_id,
                    body=text or "",
                    idempotency_key=f"slack:{view['id']}:{view['hash']}",
                    ask=deps.ask_helpdesk,
                )
                shown = load_shared_note(session=session, viewer=viewer, note_id=note_id)
        except (DebriefError, DatabaseUnavailable) as exc:
            ack(
                response_action="errors", errors=form_errors(exc, lambda _field: BlockId.REPLY_BODY)
            )
            return
        ack()
        _refresh(deps, client, user_id, shown, meta.get("home") is True)
        send_soon(deps, shown.agent_id)
