"""What every part of the fake shares: the JSON type, Slack's errors, a recorded call, and
``_State``, what the fake remembers and the helpers every method handler uses."""

from __future__ import annotations

import itertools
import socket
import ssl
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

JSON = dict[str, Any]
DROP = 0  # fail_after: hang up instead of answering


class SlackError(Exception):
    """Raised by a method handler; answered as ``{"ok": false, "error": error}``."""

    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(error, *messages)
        self.error, self.messages = error, list(messages)


@dataclass
class Call:
    method: str
    args: JSON
    response: JSON
    at: float  # time.monotonic() when the request arrived
    status: int = 200  # HTTP status answered


class _State:
    """What the fake remembers; ``FakeSlack`` is built on it, from the method handlers."""

    team_id, bot_user_id, bot_id, app_id = "T00FAKE01", "U00BOT001", "B00BOT001", "A00APP001"

    def __init__(
        self,
        token: str = "xoxb-test",
        trigger_ttl: float = 3.0,
        tls: ssl.SSLContext | None = None,
        *,
        strict: bool = True,
    ) -> None:
        self.token, self.trigger_ttl = token, trigger_ttl
        # strict: every payload is held to what real Slack accepts (tests); a load benchmark
        # turns it off, so the checking's CPU doesn't weigh on the apps it measures
        self.strict = strict
        self.tls = tls  # a server context: serve HTTPS, as Slack does
        self.socket_url: str | None = None  # apps.connections.open's answer (a ws:// URL)
        self.users: dict[str, JSON] = {}  # users.info, DMs and home tabs need a user
        self._sockets: set[socket.socket] = set()  # open client connections
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self.reset()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}/api/"

    # ------------------------------------------------------------------ test helpers
    def reset(self) -> None:
        """Forget everything a test left: users, calls, views, triggers, messages, DMs, pending
        failures and the channel rate limit."""
        with self._cond:
            self.users = {}
            self.calls: list[Call] = []
            self.views: dict[str, JSON] = {}  # view id -> current view
            self.messages: dict[str, list[JSON]] = {}  # channel -> messages, oldest first
            self._stacks: dict[str, list[str]] = {}  # root view id -> open modal stack
            self._external: dict[str, str] = {}  # external_id -> view id
            self._triggers: dict[str, tuple[float, str | None] | None] = {}  # None: exchanged
            self._failures: dict[str, list[tuple[int, str, int]]] = {}  # status, error, retry
            self._after: dict[str, list[int]] = {}  # method -> faults after acting (fail_after)
            self._holds: dict[str, list[threading.Event]] = {}  # method -> answers to hold
            self._slow: dict[str, tuple[int, float]] = {}  # method -> (every, seconds late)
            self._slow_count: dict[str, int] = {}
            self._by_trigger: dict[str, Call] = {}  # trigger_id -> the call that used it
            self.held = 0
            self.acted_then_failed = 0
            self._hooks: dict[str, int] = {}  # response_url path -> times used
            self.files: dict[str, JSON] = {}  # file id -> upload state and bytes
            self._ids = itertools.count(1)
            self._channel_interval: float | None = None  # channel_rate(); None: no limit
            self._last_post: dict[str, float] = {}  # channel -> last accepted chat.postMessage
            self.rate_limited = 0  # 429s answered by the channel_rate limit
            self.connections = 0  # TCP connections accepted
            self.violations: list[str] = []  # what real Slack would refuse, as "method: problem"
            self._method = ""  # the method being answered, for violation messages

    def _refuse(self, method: str, error: str, problems: list[str]) -> None:
        """Answer as Slack would (``error`` with its messages) and remember the violation."""
        self.violations += [f"{method}: {p}" for p in problems]
        raise SlackError(error, *(f"[ERROR] {p}" for p in problems))

    @staticmethod
    def _require(args: JSON, *names: str) -> None:
        if missing := [f"missing required field: {n}" for n in names if not args.get(n)]:
            raise SlackError("invalid_arguments", *missing)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    def _user(self, user_id: Any) -> JSON:
        if user_id not in self.users:
            raise SlackError("user_not_found")
        return self.users[user_id]
