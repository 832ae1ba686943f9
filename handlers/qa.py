"""The QA review queue in Slack: Approve / Edit / Reject on a draft DM, and the DM's notifier."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.coach_modal import notice_modal
from blocks.ids import KEEP_VALUE, ActionId, BlockId, CallbackId
from blocks.qa_review import edit_modal, reject_modal, settled_message
from bot.core.db import DatabaseUnavailable
from bot.core.errors import DebriefError
from bot.core.scope import viewer_for
from bot.qa.review import (
    AlreadyDecided,
    PointEdit,
    approve_draft,
    edit_draft,
    pending_draft_view,
    reject_draft,
    settled_draft,
)
from handlers.deps import Deps
from handlers.forms import id_value, metadata
from handlers.replies import ephemeral, explained, form_errors
from handlers.views import open_view

log = logging.getLogger(__name__)


def _where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    container = body.get("container") or {}
    return container.get("channel_id"), container.get("message_ts")


def _settle(
    deps: Deps, client: WebClient, draft_id: int, channel: str | None, ts: str | None
) -> None:
    """Show the decision on the DM that was clicked (and on the recorded one, if another)."""
    with deps.read_session() as session:
        settled = settled_draft(session=session, draft_id=draft_id, settings=deps.settings)
    if settled is None:
        return
    view, delivered = settled
    places = {(channel, ts), delivered}
    message = settled_message(view)
    for where, when in places:
        if not where or not when:
            continue
        try:
            client.chat_update(channel=where, ts=when, **message)
        except SlackApiError as exc:
            log.warning("could not update the QA draft DM: %s", exc.response.get("error"))


def _point_edits(values: dict[str, Any]) -> list[PointEdit]:
    """The edit modal's state as one PointEdit per point shown."""
    edits = []
    prefix = f"{BlockId.QA_POINT_TEXT}."
    for block_id, inputs in values.items():
        suffix = block_id.removeprefix(prefix)
        if not block_id.startswith(prefix) or not re.fullmatch(r"[0-9]{1,6}", suffix):
            continue  # not a point of the form Debrief built
        index = int(suffix)
        text = (inputs.get(ActionId.QA_POINT_TEXT) or {}).get("value") or ""
        cause_state = values.get(f"{BlockId.QA_POINT_CAUSE}.{index}", {})
        chosen = (cause_state.get(ActionId.QA_POINT_CAUSE) or {}).get("selected_option") or {}
        keep_state = values.get(f"{BlockId.QA_POINT_KEEP}.{index}", {})
        ticked = (keep_state.get(ActionId.QA_POINT_KEEP) or {}).get("selected_options") or []
        edits.append(
            PointEdit(
                index=index,
                text=text,
                root_cause=str(chosen.get("value") or ""),
                keep=any(o.get("value") == KEEP_VALUE for o in ticked),
            )
        )
    return sorted(edits, key=lambda e: e.index)


def _score_edits(values: dict[str, Any]) -> dict[str, object]:
    """The edit modal's scores: criterion -> the value picked (None when nothing is)."""
    prefix = f"{BlockId.QA_SCORE}."
    scores: dict[str, object] = {}
    for block_id, inputs in values.items():
        if not block_id.startswith(prefix):
            continue
        state = inputs.get(ActionId.QA_SCORE) if isinstance(inputs, dict) else None
        chosen = state.get("selected_option") if isinstance(state, dict) else None
        value = chosen.get("value") if isinstance(chosen, dict) else None
        scores[block_id.removeprefix(prefix)] = value  # a shape Slack never sends: refused
    return scores


def _error_block(field: str, view: dict[str, Any]) -> str:
    """The input block an InvalidInput field names (`text.N`, `cause.N`, `score.<criterion>`),
    else the first one."""
    kind, _, index = field.partition(".")
    named = {
        "text": f"{BlockId.QA_POINT_TEXT}.{index}",
        "cause": f"{BlockId.QA_POINT_CAUSE}.{index}",
        "score": f"{BlockId.QA_SCORE}.{index}",
        "reason": BlockId.QA_REASON,
    }.get(kind)
    inputs = [b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"]
    if named is not None and named in inputs:
        return named
    return str(inputs[0]) if inputs else str(BlockId.QA_REASON)


def register(app: App, deps: Deps) -> None:
    """Attach the review queue's listeners."""
    register_approve(app, deps)
    register_open_modals(app, deps)
    register_submissions(app, deps)


def register_approve(app: App, deps: Deps) -> None:
    """Approve on a draft DM."""

    @app.action(ActionId.QA_APPROVE)
    def approve(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Any
    ) -> None:
        ack()
        draft_id = id_value(action.get("value"))
        channel, ts = _where(body)
        with explained(ephemeral(respond)):
            try:
                with deps.session() as session:
                    viewer = viewer_for(session=session, slack_user_id=body["user"]["id"])
                    approve_draft(
                        session=session, actor=viewer, draft_id=draft_id, settings=deps.settings
                    )
            finally:
                _settle(deps, client, draft_id, channel, ts)


def register_open_modals(app: App, deps: Deps) -> None:
    """Edit and Reject on a draft DM: each opens its modal."""

    @app.action(ActionId.QA_EDIT)
    def open_edit(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Any
    ) -> None:
        ack()
        _open(deps, body, action, client, respond, edit=True)

    @app.action(ActionId.QA_REJECT)
    def open_reject(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Any
    ) -> None:
        ack()
        _open(deps, body, action, client, respond, edit=False)


def register_submissions(app: App, deps: Deps) -> None:
    """The edit and reject modals submitted."""

    @app.view(CallbackId.QA_EDIT)
    def save_edit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        _submitted(deps, ack, body, view, client, edit=True)

    @app.view(CallbackId.QA_REJECT)
    def save_reject(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        _submitted(deps, ack, body, view, client, edit=False)


def _open(
    deps: Deps,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Any,
    *,
    edit: bool,
) -> None:
    draft_id = id_value(action.get("value"))
    channel, ts = _where(body)
    with explained(ephemeral(respond)):
        try:
            with deps.read_session() as session:
                viewer = viewer_for(session=session, slack_user_id=body["user"]["id"])
                view = pending_draft_view(
                    session=session, viewer=viewer, draft_id=draft_id, settings=deps.settings
                )
        except AlreadyDecided:
            _settle(deps, client, draft_id, channel, ts)  # show the decision on this DM
            raise
        build = edit_modal if edit else reject_modal
        open_view(
            client,
            trigger_id=body["trigger_id"],
            view=build(view, channel=channel, ts=ts),
            timeout=deps.trigger_timeout,
        )


def _submitted(
    deps: Deps,
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    *,
    edit: bool,
) -> None:
    meta = metadata(view)
    draft_id = id_value(meta.get("draft_id"))
    values = view.get("state", {}).get("values", {})
    try:
        with deps.session() as session:
            viewer = viewer_for(session=session, slack_user_id=body["user"]["id"])
            if edit:
                edit_draft(
                    session=session,
                    actor=viewer,
                    draft_id=draft_id,
                    points=_point_edits(values),
                    settings=deps.settings,
                    scores=_score_edits(values),
                )
            else:
                reason = (values.get(BlockId.QA_REASON, {}).get(ActionId.QA_REASON) or {}).get(
                    "value"
                ) or ""
                reject_draft(session=session, actor=viewer, draft_id=draft_id, reason=reason)
    except AlreadyDecided as exc:
        ack(response_action="update", view=notice_modal("QA draft", str(exc)))
        _settle(deps, client, draft_id, meta.get("channel"), meta.get("ts"))
        return
    except (DebriefError, DatabaseUnavailable) as exc:
        ack(
            response_action="errors",
            errors=form_errors(exc, lambda field: _error_block(field or "", view)),
        )
        return
    ack()
    _settle(deps, client, draft_id, meta.get("channel"), meta.get("ts"))
