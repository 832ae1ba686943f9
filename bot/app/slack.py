"""The Slack client: a WebClient on SLACK_API_URL that keeps its connection and waits out 429s."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.core.settings import Settings
from handlers.slack_transport import KeepAliveWebClient


def pinned_logger(name: str) -> logging.Logger:
    # slack_sdk and Bolt build their debug lines (slack_sdk: the whole request body, ~0.3 ms for
    # a 22 KB modal) whenever their logger's own level is unset, whatever the effective level;
    # pin the level so that only happens when debug logging is on.
    log = logging.getLogger(name)
    if log.level == logging.NOTSET:
        log.setLevel(log.getEffectiveLevel())
    return log


def slack_client(settings: Settings, token: str) -> WebClient:
    """A WebClient that keeps its connection to Slack open and honours Retry-After on 429, and
    retries nothing else: a call whose answer was lost (a dropped connection, a timeout, a 5xx)
    may have been done, so it is the caller's to find out (a DM's history) before doing it
    again. A keep-alive connection Slack closed is noticed before sending, so it costs nothing."""
    return KeepAliveWebClient(
        token=token,
        base_url=settings.slack_api_url,
        logger=pinned_logger("debrief.slack.web_api"),
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=settings.slack_max_retries)],
    )
