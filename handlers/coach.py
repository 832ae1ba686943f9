"""`/coach`, the Coach button and the agent picker: each opens the Coach modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from blocks.coach_modal import coach_modal
from blocks.ids import ActionId
from blocks.messages import agent_picker, picker_options
from bot.agents import agents_in_scope, match_agents
from bot.coaching import load_coach_record, open_coach_record, open_named_record
from bot.scope import viewer_for
from handlers.deps import Deps
from handlers.forms import id_value
from handlers.replies import Reply, ephemeral, explained
from handlers.views import open_view


def open_coach_modal(
    *, deps: Deps, client: WebClient, user_id: str, agent_id: int, trigger_id: str
) -> None:
    """Load the record the user may see and open the Coach modal on it."""
    with deps.read_session() as session:
        record = open_coach_record(
            session=session, slack_user_id=user_id, agent_id=agent_id, page_size=deps.page_size
        )
    open_view(client, trigger_id=trigger_id, view=coach_modal(record, link_back=deps.link_back))


def register(app: App, deps: Deps) -> None:
    """Attach the listeners that open the Coach modal."""

    @app.command("/coach")
    def coach_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        reply = ephemeral(respond)
        with explained(reply):
            user_id, text = command["user_id"], (command.get("text") or "").strip()
            with deps.read_session() as session:
                if text:
                    record = open_named_record(
                        session=session,
                        slack_user_id=user_id,
                        query=text,
                        page_size=deps.page_size,
                    )
                else:
                    viewer = viewer_for(session=session, slack_user_id=user_id)
                    choices = agents_in_scope(session=session, viewer=viewer)
                    if viewer.is_lead or len(choices) != 1:
                        _offer_picker(reply, choices)
                        return
                    record = load_coach_record(
                        session=session,
                        viewer=viewer,
                        agent_id=choices[0].id,
                        page_size=deps.page_size,
                    )
            open_view(
                client,
                trigger_id=command["trigger_id"],
                view=coach_modal(record, link_back=deps.link_back),
            )

    @app.action(ActionId.COACH_OPEN)
    @app.action(ActionId.PICK_AGENT)
    def coach_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        picked = action.get("value") or (action.get("selected_option") or {}).get("value")
        with explained(ephemeral(respond)):
            open_coach_modal(
                deps=deps,
                client=client,
                user_id=body["user"]["id"],
                agent_id=id_value(picked),
                trigger_id=body["trigger_id"],
            )

    @app.options(ActionId.PICK_AGENT)
    def search_agents(ack: Ack, body: dict[str, Any]) -> None:
        try:
            with deps.read_session() as session:
                viewer = viewer_for(session=session, slack_user_id=body["user"]["id"])
                choices = agents_in_scope(session=session, viewer=viewer)
        except Exception:
            ack(options=[])
            raise
        query = (body.get("value") or "").strip()
        found = match_agents(query, choices) if query else choices
        if query and not found:
            found = [c for c in choices if query.lower() in c.name.lower()]
        ack(options=picker_options(found))

    @app.action(ActionId.SAMPLE_LINK)
    def sample_link(ack: Ack) -> None:
        ack()  # the link opens in the browser; Slack still tells the app about the click


def _offer_picker(reply: Reply, choices: list[Any]) -> None:
    reply(agent_picker(choices))
