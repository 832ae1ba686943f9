"""The App Home tab, published when a person opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from blocks.home import home_view
from bot.agents import agents_in_scope
from bot.errors import NotAMember
from bot.scope import viewer_for
from handlers.deps import Deps


def register(app: App, deps: Deps) -> None:
    """Attach the app_home_opened listener."""

    @app.event("app_home_opened")
    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = event["user"]
        with deps.read_session() as session:
            try:
                viewer = viewer_for(session=session, slack_user_id=user_id)
            except NotAMember:
                view = home_view(is_lead=False, known=False, agents=[])
            else:
                agents = agents_in_scope(session=session, viewer=viewer)
                view = home_view(is_lead=viewer.is_lead, known=True, agents=agents)
        client.views_publish(user_id=user_id, view=view)
