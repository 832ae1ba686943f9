"""What every listener needs: a session per request and the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.coaching.transcripts import WHILE_WAITING, CustomerLookup, ask_helpdesk
from bot.core.db import read_engine_scope, read_scope, session_scope
from bot.core.settings import Settings


@dataclass(frozen=True)
class Deps:
    """Shared, immutable wiring for the listeners."""

    settings: Settings

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One session for this request: committed on success, DatabaseUnavailable on outage."""
        with session_scope(self.settings.database_url, deadline_ms=self.deadline_ms) as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only session for this request (no transaction round trips)."""
        with read_scope(self.settings.database_url, deadline_ms=self.deadline_ms) as session:
            yield session

    @contextmanager
    def read_engine(self) -> Iterator[Engine]:
        """The read engine, for a request whose reads need no ORM session."""
        with read_engine_scope(self.settings.database_url, deadline_ms=self.deadline_ms) as engine:
            yield engine

    @property
    def link_back(self) -> str | None:
        """A link that opens Debrief in Slack (for calendar events), when the app id is set."""
        app_id = self.settings.slack_app_id
        return f"https://slack.com/app_redirect?app={app_id}" if app_id else None

    @property
    def ask_helpdesk(self) -> CustomerLookup:
        """Who a conversation's customer is, asked of its helpdesk once and briefly (a lead
        waits in Slack)."""
        return partial(ask_helpdesk, self.settings, policy=WHILE_WAITING)

    @property
    def deadline_ms(self) -> int:
        """How long a statement or lock wait may take while someone waits (Slack: 3 s in all)."""
        return self.settings.db_request_timeout_ms

    @property
    def trigger_timeout(self) -> float:
        """How long a call inside a trigger's window (views.open, views.push) may wait for Slack."""
        return self.settings.slack_trigger_timeout

    @property
    def page_size(self) -> int:
        """Notes per page in the Coach modal."""
        return self.settings.notes_page_size
