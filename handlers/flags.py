"""The flag DM's Dismiss button: ask why, keep the reason, update the DM."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from blocks.flag_dm import dismiss_modal, dismissed_message, flag_message
from blocks.ids import ActionId, BlockId, CallbackId
from bot.core.db import DatabaseUnavailable
from bot.core.errors import DebriefError
from bot.core.scope import viewer_for
from bot.flags.dms import flag_view, load_flag_view
from bot.flags.records import dismiss_flag
from handlers.deps import Deps
from handlers.forms import id_value, metadata
from handlers.replies import ephemeral, explained, form_errors
from handlers.views import open_view


def _chart_id(message: dict[str, Any]) -> str | None:
    for block in message.get("blocks", []):
        if block.get("type") == "image" and block.get("slack_file", {}).get("id"):
            return str(block["slack_file"]["id"])
    return None


def register(app: App, deps: Deps) -> None:
    """Attach the dismiss listeners."""

    @app.action(ActionId.FLAG_DISMISS)
    def open_dismiss(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Any
    ) -> None:
        ack()
        with explained(ephemeral(respond)):
            with deps.read_session() as session:
                view = load_flag_view(
                    session=session,
                    viewer=viewer_for(session=session, slack_user_id=body["user"]["id"]),
                    flag_id=id_value(action.get("value")),
                    window_days=deps.settings.window_days,
                )
            container = body.get("container", {})
            modal = dismiss_modal(
                flag_id=view.flag_id,
                agent_name=view.agent_name,
                channel=container.get("channel_id"),
                ts=container.get("message_ts"),
                chart_file_id=_chart_id(body.get("message") or {}),
            )
            open_view(
                client, trigger_id=body["trigger_id"], view=modal, timeout=deps.trigger_timeout
            )

    @app.view(CallbackId.FLAG_DISMISS)
    def save_dismissal(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        meta = metadata(view)
        values = view["state"]["values"]
        reason = (
            (values.get(BlockId.DISMISS_REASON, {}).get(ActionId.DISMISS_REASON) or {}).get(
                "selected_option"
            )
            or {}
        ).get("value", "")
        note = (values.get(BlockId.DISMISS_NOTE, {}).get(ActionId.DISMISS_NOTE) or {}).get(
            "value"
        ) or ""
        try:
            with deps.session() as session:
                viewer = viewer_for(session=session, slack_user_id=body["user"]["id"])
                flag = dismiss_flag(
                    session=session,
                    actor=viewer,
                    flag_id=id_value(meta.get("flag_id")),
                    reason=reason,
                    note=note,
                )
                shown = flag_view(session, flag, deps.settings.window_days)
                label, by = flag.dismiss_reason or "", flag.dismissed_by or viewer.slack_user_id
        except (DebriefError, DatabaseUnavailable) as exc:
            blocks = {"note": BlockId.DISMISS_NOTE}
            ack(
                response_action="errors",
                errors=form_errors(
                    exc, lambda field: blocks.get(field or "", BlockId.DISMISS_REASON)
                ),
            )
            return
        ack()
        if meta.get("channel") and meta.get("ts"):
            original = flag_message(shown, chart_file_id=meta.get("chart"))
            updated = dismissed_message(original, by=by, reason=label)
            client.chat_update(channel=meta["channel"], ts=meta["ts"], **updated)
