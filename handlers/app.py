"""Build the Bolt app: a WebClient on SLACK_API_URL with 429 retries, and every listener."""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.settings import Settings
from handlers import coach, flags, home, notes, pins, qa, reminders
from handlers.deps import Deps


def _web_api_logger() -> logging.Logger:
    # slack_sdk formats every request body for its debug line whenever its logger's own level
    # is unset, whatever the effective level (a 22 KB modal costs ~0.3 ms); pin the level so
    # that only happens when debug logging is on.
    log = logging.getLogger("debrief.slack.web_api")
    if log.level == logging.NOTSET:
        log.setLevel(log.getEffectiveLevel())
    return log


def slack_client(settings: Settings, token: str) -> WebClient:
    """A WebClient that honours Retry-After on 429 and retries dropped connections."""
    client = WebClient(token=token, base_url=settings.slack_api_url, logger=_web_api_logger())
    client.retry_handlers.append(
        RateLimitErrorRetryHandler(max_retry_count=settings.slack_max_retries)
    )
    client.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=2))
    return client


def build_app(settings: Settings, *, listener_executor: Executor | None = None) -> App:
    """The Bolt app with every Debrief listener, verifying Slack's request signatures."""
    token, secret = settings.require_slack()
    app = App(
        signing_secret=secret,
        client=slack_client(settings, token),
        listener_executor=listener_executor,
        logger=logging.getLogger("debrief.slack"),
    )
    deps = Deps(settings=settings)
    coach.register(app, deps)
    notes.register(app, deps)
    home.register(app, deps)
    flags.register(app, deps)
    pins.register(app, deps)
    reminders.register(app, deps)
    qa.register(app, deps)
    return app
