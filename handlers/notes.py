"""Inside the Coach modal: save, edit and archive notes, and page through them."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.coach_modal import coach_modal, edit_metadata, edit_modal
from blocks.ids import ActionId, CallbackId
from bot.coaching.modal_notes import (
    ReviewRedaction,
    ZoneLookup,
    archive_in_modal,
    rewrite_note,
    write_note,
)
from bot.coaching.record import load_note_for_edit, open_coach_record
from bot.core.db import DatabaseUnavailable
from bot.core.errors import DebriefError
from bot.core.scope import viewer_for
from handlers.agent_side import send_soon
from handlers.deps import Deps
from handlers.forms import (
    count_value,
    form_block_ids,
    id_value,
    metadata,
    next_generation,
    parse_note_form,
)
from handlers.notifier import user_zone
from handlers.replies import explained, form_errors, in_modal
from handlers.views import push_view, update_view, within

log = logging.getLogger(__name__)


def refresh_view(
    client: WebClient, view_id: str, view_hash: str | None, view: dict[str, Any]
) -> None:
    """Update an open view, guarded by its hash; on a conflict the fresh data wins anyway."""
    try:
        update_view(client, view_id=view_id, view_hash=view_hash, view=view)
    except SlackApiError as exc:
        if exc.response.get("error") != "hash_conflict":
            raise
        update_view(client, view_id=view_id, view=view)


def _form_errors(values: dict[str, Any], exc: Exception) -> dict[str, str]:
    blocks = form_block_ids(values)
    return form_errors(exc, lambda field: blocks.get(field or "body", blocks["body"]))


ZONE_TIMEOUT = 0.8  # users.info is asked before the form's answer: Slack waits 3 s in all


def _zone_lookup(client: WebClient) -> ZoneLookup:
    """Ask Slack for a user's time zone (users.info), giving up soon: the zone cached on the
    member (or UTC) does then."""

    def lookup(user_id: str) -> str | None:
        with within(client, ZONE_TIMEOUT):
            return user_zone(client, user_id)

    return lookup


def register(app: App, deps: Deps) -> None:
    """Attach the listeners that work inside the Coach modal."""
    register_new_note(app, deps)
    register_edit(app, deps)
    register_archive_and_pages(app, deps)


def register_new_note(app: App, deps: Deps) -> None:
    """Saving a new note from the Coach modal."""

    @app.view(CallbackId.COACH_MODAL)
    def save_note(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        meta = metadata(view)
        values = view["state"]["values"]
        try:
            note = parse_note_form(values)
            with deps.session() as session:
                record = write_note(
                    session=session,
                    slack_user_id=body["user"]["id"],
                    agent_id=id_value(meta.get("agent_id")),
                    note=note,
                    zone_lookup=_zone_lookup(client),
                    ask=deps.ask_helpdesk,
                    idempotency_key=f"slack:{view['id']}:{view['hash']}",
                    page_size=deps.page_size,
                )
        except ReviewRedaction as review:  # nothing saved: shown back redacted, to save again
            assert review.record is not None
            shown = coach_modal(
                review.record,
                link_back=deps.link_back,
                generation=count_value(meta.get("gen")) + 1,
                draft=review.draft,
                notice=str(review),
            )
            ack(response_action="update", view=shown)
            return
        except (DebriefError, DatabaseUnavailable) as exc:
            ack(response_action="errors", errors=_form_errors(values, exc))
            return
        ack(
            response_action="update",
            view=coach_modal(
                record, link_back=deps.link_back, generation=count_value(meta.get("gen")) + 1
            ),
        )
        if note.shared:  # the agent's DM now, not at the next tick
            send_soon(deps, id_value(meta.get("agent_id")))


def register_edit(app: App, deps: Deps) -> None:
    """Editing a note: the edit modal pushed over the Coach modal, and saving it."""

    @app.action(ActionId.NOTE_EDIT)
    def open_edit(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        root = body["view"]
        with explained(in_modal(client, body["trigger_id"], deps.trigger_timeout)):
            with deps.read_session() as session:
                viewer = viewer_for(session=session, slack_user_id=body["user"]["id"])
                note, samples = load_note_for_edit(
                    session=session, viewer=viewer, note_id=id_value(action.get("value"))
                )
            meta = edit_metadata(
                note_id=note.id,
                agent_id=id_value(metadata(root).get("agent_id")),
                root_view_id=root["id"],
                root_hash=root["hash"],
                page=count_value(metadata(root).get("page")),
                generation=count_value(metadata(root).get("gen")),
            )
            push_view(
                client,
                trigger_id=body["trigger_id"],
                view=edit_modal(note, samples, metadata=meta),
                timeout=deps.trigger_timeout,
            )

    @app.view(CallbackId.NOTE_EDIT)
    def save_edit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        meta = metadata(view)
        values = view["state"]["values"]
        try:
            note = parse_note_form(values)
            with deps.session() as session:
                record = rewrite_note(
                    session=session,
                    slack_user_id=body["user"]["id"],
                    note_id=id_value(meta.get("note_id")),
                    agent_id=id_value(meta.get("agent_id")),
                    note=note,
                    zone_lookup=_zone_lookup(client),
                    ask=deps.ask_helpdesk,
                    page=count_value(meta.get("page")),
                    page_size=deps.page_size,
                )
        except ReviewRedaction as review:  # nothing saved: shown back redacted, to save again
            assert review.note is not None
            shown = edit_modal(
                review.note,
                list(review.samples),
                metadata=view["private_metadata"],
                draft=review.draft,
                notice=str(review),
                # new block ids, or Slack would keep what was typed over the redacted text
                generation=next_generation(values),
            )
            ack(response_action="update", view=shown)
            return
        except (DebriefError, DatabaseUnavailable) as exc:
            ack(response_action="errors", errors=_form_errors(values, exc))
            return
        ack()
        # same generation as the open Coach modal, so a half-written new note survives
        view = coach_modal(
            record, link_back=deps.link_back, generation=count_value(meta.get("gen"))
        )
        refresh_view(client, meta["root"], meta.get("hash"), view)
        if note.shared:
            send_soon(deps, id_value(meta.get("agent_id")))


def register_archive_and_pages(app: App, deps: Deps) -> None:
    """Archiving a note, and paging through older and newer ones."""

    @app.action(ActionId.NOTE_ARCHIVE)
    def archive(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        root = body["view"]
        meta = metadata(root)
        with explained(in_modal(client, body["trigger_id"], deps.trigger_timeout)):
            with deps.session() as session:
                record = archive_in_modal(
                    session=session,
                    slack_user_id=body["user"]["id"],
                    note_id=id_value(action.get("value")),
                    agent_id=id_value(meta.get("agent_id")),
                    page=count_value(meta.get("page")),
                    page_size=deps.page_size,
                )
            view = coach_modal(
                record, link_back=deps.link_back, generation=count_value(meta.get("gen"))
            )
            refresh_view(client, root["id"], root.get("hash"), view)

    @app.action(ActionId.NOTES_OLDER)
    @app.action(ActionId.NOTES_NEWER)
    def page_notes(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        root = body["view"]
        meta = metadata(root)
        with explained(in_modal(client, body["trigger_id"], deps.trigger_timeout)):
            with deps.read_engine() as db:
                record = open_coach_record(
                    db=db,
                    slack_user_id=body["user"]["id"],
                    agent_id=id_value(meta.get("agent_id")),
                    page=id_value(action.get("value")),
                    page_size=deps.page_size,
                )
            view = coach_modal(
                record, link_back=deps.link_back, generation=count_value(meta.get("gen"))
            )
            refresh_view(client, root["id"], root.get("hash"), view)
