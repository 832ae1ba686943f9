"""Pin a conversation from the Coach modal: a pushed form, then the slow capture after the ack."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks.coach_modal import coach_modal, pin_modal
from blocks.ids import ActionId, BlockId, CallbackId
from blocks.messages import text_reply
from bot.coaching.pins import check_pin, pin_form_agent, pin_in_modal
from bot.core.db import DatabaseUnavailable
from bot.core.errors import DebriefError, InvalidInput
from handlers.deps import Deps
from handlers.forms import count_value, id_value, metadata
from handlers.notes import refresh_view
from handlers.notifier import open_dm
from handlers.replies import explained, in_modal
from handlers.views import push_view

log = logging.getLogger(__name__)

_FIELD_BLOCKS = {
    "helpdesk": BlockId.PIN_HELPDESK,
    "external_id": BlockId.PIN_ID,
    "csat": BlockId.PIN_CSAT,
}


def _form(values: dict[str, Any]) -> tuple[str, str, float | None]:
    desk = (
        values.get(BlockId.PIN_HELPDESK, {}).get(ActionId.PIN_HELPDESK, {}).get("selected_option")
        or {}
    ).get("value", "")
    ext = values.get(BlockId.PIN_ID, {}).get(ActionId.PIN_ID, {}).get("value") or ""
    raw = values.get(BlockId.PIN_CSAT, {}).get(ActionId.PIN_CSAT, {}).get("value")
    try:
        csat = float(raw) if raw not in (None, "") else None
    except ValueError:
        raise InvalidInput("csat", "CSAT is a number from 1 to 5.") from None
    return desk, ext, csat


def _tell(client: WebClient, user: str, text: str) -> None:
    client.chat_postMessage(channel=open_dm(client, user), **text_reply(text))


def register(app: App, deps: Deps) -> None:
    """Attach the pin listeners."""

    @app.action(ActionId.PIN_OPEN)
    def open_pin(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        root = body["view"]
        meta = metadata(root)
        with explained(in_modal(client, body["trigger_id"], deps.trigger_timeout)):
            with deps.read_session() as session:
                name = pin_form_agent(
                    session=session,
                    slack_user_id=body["user"]["id"],
                    agent_id=id_value(meta.get("agent_id")),
                )
            form_meta = json.dumps({**meta, "root": root["id"], "hash": root.get("hash")})
            push_view(
                client,
                trigger_id=body["trigger_id"],
                view=pin_modal(agent_name=name, metadata=form_meta),
                timeout=deps.trigger_timeout,
            )

    @app.view(CallbackId.PIN_FORM)
    def save_pin(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        meta = metadata(view)
        user = body["user"]["id"]
        try:
            desk, ext, csat = _form(view["state"]["values"])
            check_pin(desk, ext, csat)
        except InvalidInput as exc:
            ack(
                response_action="errors",
                errors={_FIELD_BLOCKS.get(exc.field, BlockId.PIN_ID): exc.message},
            )
            return
        ack()  # reading the conversation and summarizing it can take longer than Slack waits
        try:
            record = pin_in_modal(
                session_factory=deps.services.sessions,
                settings=deps.settings,
                slack_user_id=user,
                agent_id=id_value(meta.get("agent_id")),
                helpdesk=desk,
                external_id=ext,
                csat=csat,
                summarizer=deps.services.summarizer,
                page=count_value(meta.get("page")),
                page_size=deps.page_size,
            )
        except (DebriefError, DatabaseUnavailable) as exc:
            _tell(client, user, f"Debrief couldn't pin {desk} #{ext}: {exc}")
            return
        refresh_view(
            client,
            meta["root"],
            meta.get("hash"),
            coach_modal(record, link_back=deps.link_back, generation=count_value(meta.get("gen"))),
        )
