"""``FakeSlack``: starting and stopping it, the helpers tests drive it with, and dispatching
each call to its method handler (``views`` and ``messages``)."""

from __future__ import annotations

import contextlib
import json
import math
import socket
import threading
import time
import uuid
from datetime import datetime
from http.server import ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from tests.fake_slack.messages import _Messages
from tests.fake_slack.server import _Handler
from tests.fake_slack.state import DROP, JSON, Call, SlackError
from tests.fake_slack.views import _Views
from tests.slack_conformance import argument_problems

_JSON_ARGS = ("view", "blocks", "attachments", "metadata", "files")  # may arrive as JSON strings


class FakeSlack(_Views, _Messages):
    """Strict stand-in for the Slack Web API; every public helper is thread-safe."""

    def start(self) -> FakeSlack:
        if self._server is None:
            handler = type("_BoundHandler", (_Handler,), {"fake": self})
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            self._server.daemon_threads = True
            if self.tls is not None:
                self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
            threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ test helpers
    def add_user(self, user_id: str, name: str | None = None, tz: str = "America/New_York",
                 tz_offset: int | None = None, **extra: Any) -> JSON:  # fmt: skip
        """Register a user for users.info; also required for DMs and home tabs."""
        name = name or user_id.lower()
        if tz_offset is None:
            offset = datetime.now(ZoneInfo(tz)).utcoffset()
            tz_offset = int(offset.total_seconds()) if offset is not None else 0
        user: JSON = {
            "id": user_id, "team_id": self.team_id, "name": name, "real_name": name,
            "deleted": False, "is_bot": False, "tz": tz, "tz_label": tz, "tz_offset": tz_offset,
            "profile": {"real_name": name, "display_name": name}, **extra,
        }  # fmt: skip
        with self._cond:
            self.users[user_id] = user
        return user

    def _connected(self, sock: socket.socket) -> None:
        with self._cond:
            self.connections += 1
            self._sockets.add(sock)

    def _disconnected(self, sock: socket.socket) -> None:
        with self._cond:
            self._sockets.discard(sock)

    @property
    def open_connections(self) -> int:
        """Client connections open now."""
        with self._cond:
            return len(self._sockets)

    def close_connections(self) -> None:
        """Hang up every open client connection, as a server ending idle keep-alives does."""
        with self._cond:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def issue_trigger(self, view_id: str | None = None) -> str:
        """New single-use trigger id; pass ``view_id`` if it comes from inside that modal."""
        with self._cond:
            trigger = f"{next(self._ids)}.{int(time.time())}.{uuid.uuid4().hex[:24]}"
            self._triggers[trigger] = (time.monotonic(), view_id)
            return trigger

    def response_url(self) -> str:
        """A fresh response_url; POSTs to it are recorded as calls to ``response_url``."""
        with self._cond:
            path = f"/hooks/{next(self._ids)}/{uuid.uuid4().hex}"
            self._hooks[path] = 0
            return self.url.removesuffix("/api/") + path

    def apply_submission_answer(self, view_id: str, answer: JSON) -> None:
        """Do what Slack does with an app's answer to a view_submission of ``view_id``."""
        action = answer.get("response_action")
        with self._cond:
            self._method = "view_submission answer"
            root = self.views[view_id]["root_view_id"]
            stack = self._stacks.get(root, [])
            if action == "update":
                view = self._view_arg({"view": answer.get("view")}, "modal")
                self._store_view(view, view_id, root, self.views[view_id].get("previous_view_id"))
            elif action == "push":
                view = self._view_arg({"view": answer.get("view")}, "modal")
                pushed = self._new_id("V")
                self._store_view(view, pushed, root, stack[-1])
                stack.append(pushed)
            elif action == "clear" or (action is None and view_id == root):
                self._stacks.pop(root, None)
            elif action is None and view_id in stack:
                stack.remove(view_id)

    def record_violations(self, what: str, problems: list[str]) -> None:
        """Remember what real Slack would refuse in an answer Debrief gave over HTTP."""
        with self._cond:
            self.violations += [f"{what}: {p}" for p in problems]

    def close_view(self, view_id: str) -> None:
        """Simulate the user closing the modal ``view_id`` belongs to (its whole stack)."""
        with self._cond:
            for vid in self._stacks.pop(self.views[view_id]["root_view_id"], [view_id]):
                self._external.pop(self.views.pop(vid).get("external_id") or "", None)

    def fail_next(self, method: str, status: int | None = None, retry_after: int = 1,
                  times: int = 1, *, error: str | None = None) -> None:  # fmt: skip
        """Fail the next ``times`` calls: by default HTTP 429 + Retry-After + ``ratelimited``;
        with only ``error=`` an HTTP 200 ``{"ok": false, "error": error}``."""
        status = status or (200 if error else 429)
        error = error or ("ratelimited" if status == 429 else "internal_error")
        with self._cond:
            queue = self._failures.setdefault(method, [])
            queue += [(status, error, retry_after)] * times

    def hold(self, method: str, times: int = 1) -> threading.Event:
        """Hold the answer to the next ``times`` calls of ``method`` until the returned event is
        set (a Slack that answers slowly, without a clock in the test); ``held`` counts the
        calls waiting now."""
        release = threading.Event()
        with self._cond:
            self._holds.setdefault(method, []).extend([release] * times)
        return release

    def slow(self, method: str, every: int, seconds: float) -> None:
        """Answer every `every`-th call of `method` (the 1st, the `every+1`-th, …) `seconds`
        late: a share of slow calls, the same ones on every run (for load benchmarks)."""
        with self._cond:
            self._slow[method] = (every, seconds)
            self._slow_count[method] = 0

    def _wait_if_held(self, method: str) -> None:
        delay = 0.0
        with self._cond:
            if method in self._slow:
                every, seconds = self._slow[method]
                count = self._slow_count[method]
                self._slow_count[method] = count + 1
                delay = seconds if count % every == 0 else 0.0
            queue = self._holds.get(method)
            release = queue.pop(0) if queue else None
            if release is not None:
                self.held += 1
                self._cond.notify_all()
        if delay:
            time.sleep(delay)
        if release is not None:
            release.wait(timeout=60)  # never forever: a test that forgets to release still ends
            with self._cond:
                self.held -= 1

    def fail_after(self, method: str, status: int = DROP, times: int = 1) -> None:
        """Do the next ``times`` calls of ``method`` (a message is stored, a view opened), then
        answer HTTP ``status`` (e.g. 500, ``internal_error``) or, by default, hang up without
        answering: what a client sees when Slack acted and the answer was lost."""
        with self._cond:
            self._after.setdefault(method, []).extend([status] * times)

    def channel_rate(self, interval: float | None) -> None:
        """Limit ``chat.postMessage`` to one accepted post per channel per ``interval`` seconds
        (None: no limit, the default). A post sooner than that after the last accepted one to
        its channel answers HTTP 429, ``Retry-After: <the rest, rounded up, at least 1>`` and
        ``ratelimited``; ``rate_limited`` counts those answers. ``reset`` turns it off."""
        with self._cond:
            self._channel_interval = interval
            self._last_post.clear()

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for_trigger(self, trigger: str, timeout: float = 10.0) -> Call | None:
        """The call that used this trigger (views.open/push), once it arrives; None if none did
        within `timeout`."""
        with self._cond:
            self._cond.wait_for(lambda: trigger in self._by_trigger, timeout)
            return self._by_trigger.get(trigger)

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until ``count`` calls of ``method`` are recorded; return all such calls."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.calls_to(method)) >= count, timeout):
                raise AssertionError(
                    f"expected {count} call(s) to {method} within {timeout}s, got "
                    f"{len(self.calls_to(method))}; calls so far: {[c.method for c in self.calls]}"
                )
            return self.calls_to(method)

    # ---------------------------------------------------------------------- dispatch
    def _dispatch(
        self, path: str, token: Any, args: JSON, arrived: float | None = None
    ) -> tuple[int, dict[str, str], JSON]:
        status, headers = 200, {}
        method = "response_url" if path.startswith("/hooks/") else path.removeprefix("/api/")
        with self._cond:
            try:
                handler = getattr(self, "_api_" + method.replace(".", "_"), None)
                if handler is None or ("." not in method and method != "response_url"):
                    raise SlackError("unknown_method")
                if method == "response_url":  # no token: the URL itself is the credential
                    args["response_url"] = self.url.removesuffix("/api/") + path
                    if self._hooks.get(path, 5) >= 5:  # unknown, or used 5 times already
                        status = 404
                        raise SlackError("used_url" if path in self._hooks else "no_service")
                    self._hooks[path] += 1
                elif not token:
                    raise SlackError("not_authed")
                elif method == "apps.connections.open":  # the one method for app-level tokens
                    if not str(token).startswith("xapp-"):
                        raise SlackError("not_allowed_token_type")
                elif token != self.token:
                    raise SlackError("invalid_auth")
                if self._failures.get(method):
                    status, error, retry_after = self._failures[method].pop(0)
                    if status == 429:
                        headers["Retry-After"] = str(retry_after)
                    raise SlackError(error)
                if method == "chat.postMessage" and self._channel_interval is not None:
                    last = self._last_post.get(self._channel(args))
                    wait = 0.0 if last is None else last + self._channel_interval - time.monotonic()
                    if wait > 0:
                        status, headers["Retry-After"] = 429, str(max(1, math.ceil(wait)))
                        self.rate_limited += 1
                        raise SlackError("ratelimited")
                for key in (k for k in _JSON_ARGS if isinstance(args.get(k), str)):
                    try:
                        args[key] = json.loads(args[key])
                    except ValueError:
                        self._refuse(method, "invalid_arguments", [f"{key}: invalid JSON"])
                sent = {k: v for k, v in args.items() if k != "response_url"}
                if self.strict and (problems := argument_problems(method, sent)):
                    textless = any(": one of text, blocks" in p for p in problems)
                    self._refuse(method, "no_text" if textless else "invalid_arguments", problems)
                self._method = method
                response: JSON = {"ok": True, **handler(args)}
                if method == "chat.postMessage":
                    self._last_post[response["channel"]] = time.monotonic()
                if self._after.get(method):  # it was done; the answer is what fails
                    fault = self._after[method].pop(0)
                    self.acted_then_failed += 1
                    if fault == DROP:
                        status = DROP
                    else:
                        status, response = fault, {"ok": False, "error": "internal_error"}
            except SlackError as e:
                response = {"ok": False, "error": e.error}
                if e.messages:
                    response["response_metadata"] = {"messages": e.messages}
            call = Call(method, args, response, arrived or time.monotonic(), status)
            self.calls.append(call)
            if isinstance(args.get("trigger_id"), str):
                self._by_trigger[args["trigger_id"]] = call
            self._cond.notify_all()
            return status, headers, response
