"""What every listener needs: the process's services (a session per request, the engines) and
the settings."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.coaching.transcripts import CustomerLookup
from bot.core.settings import Settings

if TYPE_CHECKING:  # the composition root builds them and imports the listeners
    from bot.app.services import Services


@dataclass(frozen=True)
class Deps:
    """Shared, immutable wiring for the listeners: the process's services."""

    services: Services

    @property
    def settings(self) -> Settings:
        """The process's settings."""
        return self.services.settings

    def session(self) -> AbstractContextManager[Session]:
        """One session for this request: committed on success, DatabaseUnavailable on outage."""
        return self.services.request_session()

    def read_session(self) -> AbstractContextManager[Session]:
        """A read-only session for this request (no transaction round trips)."""
        return self.services.read_session()

    def read_engine(self) -> AbstractContextManager[Engine]:
        """The read engine, for a request whose reads need no ORM session."""
        return self.services.read_engine()

    @property
    def link_back(self) -> str | None:
        """A link that opens Debrief in Slack (for calendar events), when the app id is set."""
        app_id = self.settings.slack_app_id
        return f"https://slack.com/app_redirect?app={app_id}" if app_id else None

    @property
    def ask_helpdesk(self) -> CustomerLookup:
        """Who a conversation's customer is, asked of its helpdesk once and briefly (a lead
        waits in Slack)."""
        return self.services.ask_helpdesk

    @property
    def trigger_timeout(self) -> float:
        """How long a call inside a trigger's window (views.open, views.push) may wait for Slack."""
        return self.settings.slack_trigger_timeout

    @property
    def page_size(self) -> int:
        """Notes per page in the Coach modal."""
        return self.settings.notes_page_size
