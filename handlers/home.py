"""The App Home tab, published when a person opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from blocks.home import own_home, stranger_home, team_home
from bot.team.home import TeamView, load_home
from handlers.deps import Deps
from models.base import utcnow


def home_for(deps: Deps, user_id: str) -> dict[str, Any]:
    """The home view this Slack user may see: the team, their own record, or "not set up"."""
    with deps.read_session() as session:
        home = load_home(session=session, slack_user_id=user_id, now=utcnow())
    if home is None:
        return stranger_home()
    if isinstance(home, TeamView):
        return team_home(home, window_days=deps.settings.window_days)
    return own_home(home)


def register(app: App, deps: Deps) -> None:
    """Attach the app_home_opened listener."""

    @app.event("app_home_opened")
    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = event["user"]
        client.views_publish(user_id=user_id, view=home_for(deps, user_id))
