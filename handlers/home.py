"""The App Home tab, published when a person opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from blocks.home import own_home, stranger_home, team_home
from bot.coaching.agent_side import mark_seen
from bot.core.db import DatabaseUnavailable
from bot.core.errors import DebriefError
from bot.core.scope import viewer_for
from bot.team.home import TeamView, load_home
from handlers.deps import Deps
from models.base import utcnow

log = logging.getLogger(__name__)


def home_for(deps: Deps, user_id: str) -> dict[str, Any]:
    """The home view this Slack user may see: the team, their own record, or "not set up".
    A member's shared notes shown for the first time are marked seen (their lead sees it)."""
    with deps.read_session() as session:
        home = load_home(session=session, slack_user_id=user_id, now=utcnow())
    if home is None:
        return stranger_home()
    if isinstance(home, TeamView):
        return team_home(home, window_days=deps.settings.window_days)
    unseen = [note.note_id for note in home.notes if note.seen_at is None]
    if unseen:
        try:
            with deps.session() as session:
                viewer = viewer_for(session=session, slack_user_id=user_id)
                mark_seen(session=session, viewer=viewer, note_ids=unseen)
        except (DebriefError, DatabaseUnavailable) as exc:  # the home still shows
            log.warning("could not mark %d shared notes seen: %s", len(unseen), exc)
    return own_home(home)


def register(app: App, deps: Deps) -> None:
    """Attach the app_home_opened listener."""

    @app.event("app_home_opened")
    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = event["user"]
        client.views_publish(user_id=user_id, view=home_for(deps, user_id))
