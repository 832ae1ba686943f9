"""Build the Bolt app: a WebClient on SLACK_API_URL with 429 retries, and every listener."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.core.settings import Settings
from handlers import coach, flags, home, notes, pins, qa, reminders
from handlers.deps import Deps
from handlers.slack_transport import KeepAliveWebClient


def _pinned_logger(name: str) -> logging.Logger:
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
        logger=_pinned_logger("debrief.slack.web_api"),
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=settings.slack_max_retries)],
    )


def share_client(app: App) -> None:
    """Hand every listener the app's own client: Bolt would build a plain WebClient per request
    (a new connection per call), so the keep-alive client's connections would never be reused."""
    shared = app.client

    @app.middleware
    def shared_client(context: BoltContext, next: Callable[[], None]) -> None:
        if context.client is None or context.client.token == shared.token:
            context["client"] = shared  # another token (an OAuth install) keeps Bolt's client
        next()


class DrainingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, able to wait for the work it has taken (at shutdown: what was
    acknowledged to Slack is finished, not dropped)."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="debrief-listener")
        self._pending: set[Future[Any]] = set()
        self._pending_lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run `fn` on the pool, remembering it until it is done."""
        future = super().submit(fn, *args, **kwargs)
        with self._pending_lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._pending_lock:
            self._pending.discard(future)

    def drain(self, timeout: float) -> int:
        """Take no more work; wait up to `timeout` seconds for what was taken. Returns how many
        listeners were still running when the time was up."""
        with self._pending_lock:
            pending = list(self._pending)
        self.shutdown(wait=False)
        _done, running = wait(pending, timeout=timeout)
        return len(running)


def build_app(settings: Settings, *, listener_executor: Executor | None = None) -> App:
    """The Bolt app with every Debrief listener, verifying Slack's request signatures."""
    token, secret = settings.require_slack()
    if listener_executor is None:  # Bolt's own is 5 threads: five slow calls would stall everyone
        listener_executor = DrainingExecutor(settings.listener_threads)
    app = App(
        signing_secret=secret,
        client=slack_client(settings, token),
        listener_executor=listener_executor,
        logger=_pinned_logger("debrief.slack"),
    )
    share_client(app)
    deps = Deps(settings=settings)
    coach.register(app, deps)
    notes.register(app, deps)
    home.register(app, deps)
    flags.register(app, deps)
    pins.register(app, deps)
    reminders.register(app, deps)
    qa.register(app, deps)
    return app
