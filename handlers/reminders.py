"""The reminder DM's Done and Snooze buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from blocks.ids import ActionId
from blocks.reminder_dm import done_outcome, settled_message, snoozed_outcome
from bot.core.scope import viewer_for
from bot.followups.done import mark_done, snooze
from handlers.deps import Deps
from handlers.forms import id_value
from handlers.replies import ephemeral, explained


def _reminder_id(value: str | None) -> tuple[int, str]:
    """`<reminder id>:<span>` on a Snooze choice, the id alone on Done."""
    number, _, span = (value or "").partition(":")
    return id_value(number), span


def register(app: App, deps: Deps) -> None:
    """Attach the reminder listeners."""

    @app.action(ActionId.REMINDER_DONE)
    def done(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        with explained(ephemeral(respond)):
            reminder_id, _ = _reminder_id(action.get("value"))
            with deps.session() as session:
                viewer = viewer_for(session=session, slack_user_id=body["user"]["id"])
                mark_done(session=session, actor=viewer, reminder_id=reminder_id)
            outcome = done_outcome(viewer.slack_user_id)
            respond(replace_original=True, **settled_message(body.get("message") or {}, outcome))

    @app.action(ActionId.REMINDER_SNOOZE)
    def snoozed(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        with explained(ephemeral(respond)):
            picked = action.get("value") or (action.get("selected_option") or {}).get("value")
            reminder_id, span = _reminder_id(picked)
            with deps.session() as session:
                viewer = viewer_for(session=session, slack_user_id=body["user"]["id"])
                note = snooze(session=session, actor=viewer, reminder_id=reminder_id, span=span)
                due = note.follow_up_at
            assert due is not None
            outcome = snoozed_outcome(due)
            respond(replace_original=True, **settled_message(body.get("message") or {}, outcome))

    @app.action(ActionId.CALENDAR_LINK)
    def calendar(ack: Ack) -> None:
        ack()  # the link opens in the browser; Slack still tells the app about the click
