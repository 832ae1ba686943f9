"""The Bolt app: every listener, verifying Slack's signatures, on the process's one Slack client."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from typing import Any

from slack_bolt import App, BoltContext

from bot.app.services import Services
from bot.app.slack import pinned_logger
from handlers import agent_side, coach, flags, home, notes, pins, qa, reminders, shortcut
from handlers.deps import Deps


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


def build_app(services: Services, *, listener_executor: Executor | None = None) -> App:
    """The Bolt app with every Debrief listener, verifying Slack's request signatures."""
    settings = services.settings
    _token, secret = settings.require_slack()
    if listener_executor is None:  # Bolt's own is 5 threads: five slow calls would stall everyone
        listener_executor = DrainingExecutor(settings.listener_threads)
    app = App(
        signing_secret=secret,
        client=services.slack,
        listener_executor=listener_executor,
        logger=pinned_logger("debrief.slack"),
    )
    share_client(app)
    deps = Deps(services=services)
    coach.register(app, deps)
    notes.register(app, deps)
    home.register(app, deps)
    flags.register(app, deps)
    pins.register(app, deps)
    reminders.register(app, deps)
    qa.register(app, deps)
    agent_side.register(app, deps)
    shortcut.register(app, deps)
    return app
