"""`/coach`, the Coach button and the agent picker: each opens the Coach modal."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from blocks.coach_modal import coach_modal
from blocks.ids import ActionId, any_numbered
from blocks.messages import agent_picker, picker_options
from bot.coaching.agent_side import mark_record_seen
from bot.coaching.record import CoachRecord, open_coach_record, open_for_command
from bot.core.db import DatabaseUnavailable
from bot.core.errors import DebriefError
from bot.core.scope import viewer_for
from bot.people.agents import AgentChoice, search_in_scope
from handlers.deps import Deps
from handlers.forms import id_value
from handlers.replies import ephemeral, explained
from handlers.views import open_view

log = logging.getLogger(__name__)


def _show(deps: Deps, client: WebClient, trigger_id: str, record: CoachRecord, user: str) -> None:
    view = coach_modal(record, link_back=deps.link_back)
    open_view(client, trigger_id=trigger_id, view=view, timeout=deps.trigger_timeout)
    if not record.can_write:  # an agent looking at their own record has now seen its notes
        with deps.session() as session:
            mark_record_seen(session=session, slack_user_id=user, record=record)


def register(app: App, deps: Deps) -> None:
    """Attach the listeners that open the Coach modal."""

    @app.command("/coach")
    def coach_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        reply = ephemeral(respond)
        with explained(reply):
            with deps.read_engine() as db:
                found = open_for_command(
                    db=db,
                    slack_user_id=command["user_id"],
                    text=command.get("text") or "",
                    page_size=deps.page_size,
                )
            if isinstance(found, list):
                reply(agent_picker(found))
            else:
                _show(deps, client, command["trigger_id"], found, command["user_id"])

    @app.action(any_numbered(ActionId.COACH_OPEN))
    @app.action(ActionId.PICK_AGENT)
    def coach_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        picked = action.get("value") or (action.get("selected_option") or {}).get("value")
        with explained(ephemeral(respond)):
            with deps.read_engine() as db:
                record = open_coach_record(
                    db=db,
                    slack_user_id=body["user"]["id"],
                    agent_id=id_value(picked),
                    page_size=deps.page_size,
                )
            _show(deps, client, body["trigger_id"], record, body["user"]["id"])

    @app.options(ActionId.PICK_AGENT)
    def search_agents(ack: Ack, body: dict[str, Any]) -> None:
        # Slack shows whatever this answers, within 3 seconds: always answer, with nothing
        # when there is nothing to offer this person (not a member) or the database is away
        found: list[AgentChoice] = []
        try:
            with deps.read_session() as session:
                found = search_in_scope(
                    session=session,
                    viewer=viewer_for(session=session, slack_user_id=body["user"]["id"]),
                    query=body.get("value") or "",
                )
        except DebriefError:
            pass
        except DatabaseUnavailable as exc:
            log.error("database unreachable while searching agents: %s", exc)
        except Exception:
            log.exception("searching agents failed; answered with no options")
        ack(options=picker_options(found))

    @app.action(ActionId.SAMPLE_LINK)
    def sample_link(ack: Ack) -> None:
        ack()  # the link opens in the browser; Slack still tells the app about the click
