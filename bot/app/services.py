"""What a process builds once and hands to everything else: sessions, AI engines, Slack, notifiers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from typing import TypeVar

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.ai.engines import engine_for, summarizer_for
from bot.ai.qa_drafts import QaEngine
from bot.ai.summaries import Summarizer
from bot.app.slack import slack_client
from bot.coaching.transcripts import WHILE_WAITING, CustomerLookup, ask_helpdesk
from bot.core.db import read_engine_scope, read_scope, session_scope
from bot.core.settings import Settings
from handlers.notifier import (
    SlackAgentSideNotifier,
    SlackDigestNotifier,
    SlackDraftNotifier,
    SlackFlagNotifier,
    SlackReminderNotifier,
)

SessionFactory = Callable[[], AbstractContextManager[Session]]
T = TypeVar("T")


class Services:
    """Built once per process (`debrief serve`, a command, the demo): the one place that makes
    session factories, the AI engines, the Slack client and its notifiers. Each is made the
    first time it is asked for, so a command that needs no Slack never requires a token."""

    def __init__(self, settings: Settings, *, slack: WebClient | None = None) -> None:
        self.settings = settings
        self.sessions: SessionFactory = partial(session_scope, settings.database_url)
        self._built: dict[str, object] = {} if slack is None else {"slack": slack}
        self._lock = threading.RLock()  # a notifier is built from the client, also built once

    def request_session(self) -> AbstractContextManager[Session]:
        """A session for one Slack or REST request, its statements capped by the request
        deadline (someone is waiting)."""
        return session_scope(self.settings.database_url, deadline_ms=self._deadline)

    def read_session(self) -> AbstractContextManager[Session]:
        """A read-only session for one request (no transaction round trips)."""
        return read_scope(self.settings.database_url, deadline_ms=self._deadline)

    def read_engine(self) -> AbstractContextManager[Engine]:
        """The read engine, for a request whose reads need no ORM session."""
        return read_engine_scope(self.settings.database_url, deadline_ms=self._deadline)

    @property
    def ask_helpdesk(self) -> CustomerLookup:
        """Who a conversation's customer is, asked of its helpdesk once and briefly (someone
        waits in Slack or on the API)."""
        return self._once("ask", lambda: partial(ask_helpdesk, self.settings, policy=WHILE_WAITING))

    @property
    def _deadline(self) -> int:
        return self.settings.db_request_timeout_ms

    def _once(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            return self._built[name]  # type: ignore[return-value]

    @property
    def summarizer(self) -> Summarizer:
        """The summary engine the settings choose (Claude, else offline)."""
        return self._once("summarizer", lambda: summarizer_for(self.settings))

    @property
    def qa_engine(self) -> QaEngine:
        """The QA draft engine the settings choose (Claude, else offline)."""
        return self._once("qa_engine", lambda: engine_for(self.settings))

    @property
    def slack(self) -> WebClient:
        """The one Slack client (keep-alive, 429s waited out); SettingsError without a token."""
        return self._once(
            "slack", lambda: slack_client(self.settings, self.settings.require_slack()[0])
        )

    @property
    def flag_notifier(self) -> SlackFlagNotifier:
        """Flag DMs, through the Slack client."""
        return self._once("flags", lambda: SlackFlagNotifier(self.slack))

    @property
    def draft_notifier(self) -> SlackDraftNotifier:
        """QA draft DMs, through the Slack client."""
        return self._once("drafts", lambda: SlackDraftNotifier(self.slack))

    @property
    def digest_notifier(self) -> SlackDigestNotifier:
        """Weekly digest DMs, through the Slack client."""
        return self._once("digests", lambda: SlackDigestNotifier(self.slack))

    @property
    def reminder_notifier(self) -> SlackReminderNotifier:
        """Follow-up reminder DMs, through the Slack client."""
        return self._once(
            "reminders",
            lambda: SlackReminderNotifier(self.slack, app_id=self.settings.slack_app_id),
        )

    @property
    def agent_side_notifier(self) -> SlackAgentSideNotifier:
        """Shared-note DMs to agents and reply DMs to note authors, through the Slack client."""
        return self._once("agent_side", lambda: SlackAgentSideNotifier(self.slack))
