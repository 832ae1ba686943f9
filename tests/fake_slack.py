"""A small, strict fake of Slack's Web API served over loopback HTTP.

Use the real client against it: ``WebClient(token="xoxb-test", base_url=fake.url)``. Errors look
like Slack's: HTTP 200 ``{"ok": false, "error": ...}`` (validation failures add
``response_metadata.messages``), or HTTP 429 + ``Retry-After`` when scheduled by ``fail_next``
or when ``channel_rate`` limits ``chat.postMessage`` per channel (off by default).
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import math
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from tests.slack_conformance import argument_problems, message_problems, view_problems

JSON = dict[str, Any]
_CONTENT = ("text", "blocks", "attachments", "metadata")  # what message_problems checks
DROP = 0  # fail_after: hang up instead of answering
_JSON_ARGS = ("view", "blocks", "attachments", "metadata", "files")  # may arrive as JSON strings


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


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true")


def _err(pointer: str, message: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"


def _message_surface(method: str, args: JSON) -> str:
    """A name for what a message is, for HEADROOM: its metadata's event type, else the first
    action or block id in it, else its text's first words."""
    meta = args.get("metadata")
    if isinstance(meta, dict) and meta.get("event_type"):
        return f"{method} {meta['event_type']}"
    for block in args.get("blocks") or []:
        if not isinstance(block, dict):
            continue
        elements = [block.get("accessory"), *(block.get("elements") or [])]
        for element in elements:
            if isinstance(element, dict) and element.get("action_id"):
                return f"{method} {element['action_id'].split('.')[0]}"
    words = " ".join(str(args.get("text") or "").split()[:3])
    return f"{method} “{words[:24]}…”"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack  # set on a per-server subclass by FakeSlack.start()
    protocol_version = (
        "HTTP/1.1"  # keep-alive, as Slack; a client sending Connection: close gets it
    )

    def setup(self) -> None:
        super().setup()
        self.fake._connected(self.connection)

    def finish(self) -> None:
        self.fake._disconnected(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        arrived = time.monotonic()
        url = urlsplit(self.path)
        if not url.path.startswith(("/api/", "/hooks/", "/upload/")):
            return self.send_error(404)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path.startswith("/upload/"):  # files.getUploadURLExternal's URL gets the bytes
            ok = self.fake.receive_upload(url.path.removeprefix("/upload/"), raw)
            return self._reply(200 if ok else 404, {}, {"ok": ok})
        args: JSON = dict(parse_qsl(url.query))
        is_json = "json" in self.headers.get("Content-Type", "")
        try:
            args.update((json.loads(raw) if is_json else parse_qsl(raw.decode())) if raw else {})
        except (ValueError, TypeError):
            return self._reply(200, {}, {"ok": False, "error": "invalid_json"})
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        args.pop("token", None)
        self.fake._wait_if_held(url.path.removeprefix("/api/"))
        status, headers, payload = self.fake._dispatch(url.path, token, args, arrived)
        if status == DROP:  # acted, then the connection is lost before the answer
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._reply(status, headers, payload)

    def _reply(self, status: int, headers: dict[str, str], payload: JSON) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json; charset=utf-8"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeSlack:
    """Strict stand-in for the Slack Web API; every public helper is thread-safe."""

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

    # ------------------------------------------------------------------------- views
    def _view_arg(self, args: JSON, kind: str | None) -> JSON:
        self._require(args, "view")
        view = args["view"]
        named = view.get("callback_id") or view.get("type") if isinstance(view, dict) else "?"
        if self.strict and (problems := view_problems(view, surface=f"{self._method} {named}")):
            self._refuse(self._method, "invalid_arguments", problems)
        if kind and args["view"]["type"] != kind:
            raise SlackError("invalid_arguments", _err("/view/type", f"must be {kind}"))
        return dict(args["view"])

    def _exchange_trigger(self, args: JSON) -> str | None:
        trigger = args.get("trigger_id") or args.get("interactivity_pointer")
        if trigger not in self._triggers:
            raise SlackError("invalid_trigger_id")
        issued, self._triggers[trigger] = self._triggers[trigger], None
        if issued is None:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - issued[0] > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        return issued[1]

    def _store_view(self, view: JSON, view_id: str, root: str, previous: str | None) -> JSON:
        old = self.views.get(view_id, {})
        external_id = view.get("external_id") or old.get("external_id") or ""
        if self._external.get(external_id, view_id) != view_id:
            raise SlackError("duplicate_external_id")
        self.views[view_id] = stored = {
            "private_metadata": "", "callback_id": "", "state": {"values": {}},
            "clear_on_close": False, "notify_on_close": False, **view,
            "id": view_id, "team_id": self.team_id, "external_id": external_id,
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}", "root_view_id": root,
            "previous_view_id": old.get("previous_view_id", previous),
            "app_id": self.app_id, "bot_id": self.bot_id,
        }  # fmt: skip
        if external_id:
            self._external[external_id] = view_id
        return {"view": copy.deepcopy(stored)}

    def _api_views_open(self, args: JSON) -> JSON:
        view = self._view_arg(args, "modal")
        self._exchange_trigger(args)
        view_id = self._new_id("V")
        response = self._store_view(view, view_id, view_id, None)
        self._stacks[view_id] = [view_id]
        return response

    def _api_views_push(self, args: JSON) -> JSON:
        view = self._view_arg(args, "modal")
        source = self._exchange_trigger(args)
        # a trigger from inside a modal pushes onto that modal, otherwise onto the newest one
        root = self.views.get(source, {}).get("root_view_id") if source else None
        root = root or next(reversed(self._stacks), None)
        if root not in self._stacks:
            raise SlackError("not_found", "no open modal to push onto")
        stack = self._stacks[root]
        if len(stack) >= 3:
            raise SlackError("push_limit_reached")
        view_id = self._new_id("V")
        response = self._store_view(view, view_id, root, stack[-1])
        stack.append(view_id)
        return response

    def _api_views_update(self, args: JSON) -> JSON:
        view = self._view_arg(args, None)
        if not args.get("view_id") and not args.get("external_id"):
            raise SlackError("invalid_arguments", "missing required field: view_id or external_id")
        view_id = args.get("view_id") or self._external.get(args["external_id"], "")
        current = self.views.get(view_id)
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        return self._store_view(view, view_id, current["root_view_id"], None)

    def _api_views_publish(self, args: JSON) -> JSON:
        self._require(args, "user_id")
        view = self._view_arg(args, "home")
        self._user(args["user_id"])
        view_id = f"VH{args['user_id'][1:]}"  # one home view per user
        current = self.views.get(view_id)
        if current and args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        return self._store_view(view, view_id, view_id, None)

    # ---------------------------------------------------------------------- messages
    def _dm_for(self, user_id: str) -> str:
        self._user(user_id)
        return f"D{user_id[1:]}"  # stable per user

    def _channel(self, args: JSON) -> str:
        channel = str(args.get("channel") or "")
        if not channel:
            raise SlackError("channel_not_found")
        return self._dm_for(channel) if channel[0] in "UW" else channel  # user id: their DM

    def _content(self, args: JSON) -> JSON:
        if not any(args.get(k) for k in ("text", "blocks", "attachments")):
            raise SlackError("no_text")
        content = {k: v for k, v in args.items() if k in _CONTENT}
        surface = _message_surface(self._method, args)
        if self.strict and (problems := message_problems(content, surface=surface)):
            blocky = any(p.startswith("/blocks") for p in problems)
            self._refuse(
                self._method, "invalid_blocks" if blocky else "invalid_arguments", problems
            )
        for block in args.get("blocks") or []:
            file_id = (block.get("slack_file") or {}).get("id") if isinstance(block, dict) else None
            if file_id and not self.files.get(file_id, {}).get("completed"):
                raise SlackError("invalid_blocks", f"[ERROR] unknown or unfinished file {file_id}")
        meta = args.get("metadata", {"event_type": "", "event_payload": {}})
        if not isinstance(meta, dict) or not isinstance(meta.get("event_payload"), dict):
            raise SlackError("invalid_metadata_format")
        keys = ("text", "blocks", "attachments", "metadata", "thread_ts")
        return {k: copy.deepcopy(args[k]) for k in keys if k in args}

    def receive_upload(self, file_id: str, data: bytes) -> bool:
        """Bytes posted to an upload URL; False when no upload URL was handed out for it."""
        with self._cond:
            entry = self.files.get(file_id)
            if entry is None:
                return False
            entry["content"] = data
            return True

    def _api_files_getUploadURLExternal(self, args: JSON) -> JSON:
        self._require(args, "filename", "length")
        file_id = self._new_id("F")
        self.files[file_id] = {"id": file_id, "name": args["filename"], "length": int(args["length"]),
                               "content": None, "completed": False}  # fmt: skip
        return {
            "upload_url": self.url.removesuffix("/api/") + f"/upload/{file_id}",
            "file_id": file_id,
        }

    def _api_files_completeUploadExternal(self, args: JSON) -> JSON:
        self._require(args, "files")
        done = []
        for item in args["files"]:
            entry = self.files.get(item.get("id", ""))
            if (
                entry is None
                or entry["content"] is None
                or len(entry["content"]) != entry["length"]
            ):
                raise SlackError("invalid_arguments", f"file {item.get('id')} was not uploaded")
            entry.update(completed=True, title=item.get("title") or entry["name"])
            done.append({k: v for k, v in entry.items() if k != "content"})
        if args.get("channel_id"):
            self.messages.setdefault(args["channel_id"], []).append(
                {
                    "type": "message",
                    "ts": self._ts(),
                    "files": done,
                    "text": args.get("initial_comment", ""),
                }
            )
        return {"files": done}

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._ids):06d}"

    def _api_chat_postMessage(self, args: JSON) -> JSON:
        channel, content = self._channel(args), self._content(args)
        message: JSON = {
            "type": "message", "ts": self._ts(), "user": self.bot_user_id, "bot_id": self.bot_id,
            "app_id": self.app_id, "team": self.team_id, "text": "", **content,
        }  # fmt: skip
        self.messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _api_chat_postEphemeral(self, args: JSON) -> JSON:
        self._require(args, "user")
        self._channel(args)
        self._content(args)
        return {"message_ts": self._ts()}

    def _api_chat_update(self, args: JSON) -> JSON:
        self._require(args, "ts")
        channel, content = self._channel(args), self._content(args)
        found = [m for m in self.messages.get(channel, []) if m["ts"] == args["ts"]]
        if not found:
            raise SlackError("message_not_found")
        found[0].update(content, edited={"user": self.bot_user_id, "ts": self._ts()})
        message = copy.deepcopy(found[0])
        return {"channel": channel, "ts": args["ts"], "text": message["text"], "message": message}

    def _api_conversations_open(self, args: JSON) -> JSON:
        self._require(args, "users")
        users = [u.strip() for u in str(args["users"]).split(",") if u.strip()]
        if len(users) != 1:
            raise SlackError("invalid_arguments", "this fake only opens 1:1 DMs")
        return {"channel": {"id": self._dm_for(users[0])}}

    def _api_conversations_history(self, args: JSON) -> JSON:
        channel = self._channel(args)
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or "inf")
        inclusive, limit = _truthy(args.get("inclusive")), int(args.get("limit") or 100)
        with_meta = _truthy(args.get("include_all_metadata"))
        found = [
            {k: v for k, v in m.items() if with_meta or k != "metadata"}
            for m in reversed(self.messages.get(channel, []))
            if (oldest <= float(m["ts"]) <= latest if inclusive else oldest < float(m["ts"]) < latest)
        ]  # fmt: skip
        return {"messages": copy.deepcopy(found[:limit]), "has_more": len(found) > limit}

    def _api_response_url(self, args: JSON) -> JSON:
        if not _truthy(args.get("delete_original")):
            self._content(args)
        return {}

    # ------------------------------------------------------------------ users / auth
    def _api_users_info(self, args: JSON) -> JSON:
        self._require(args, "user")
        user = copy.deepcopy(self._user(args["user"]))
        if _truthy(args.get("include_locale")):
            user.setdefault("locale", "en-US")
        return {"user": user}

    def _api_apps_connections_open(self, args: JSON) -> JSON:
        """Socket Mode's WebSocket URL: ``socket_url`` (set it to a FakeSocketMode's ``url``)."""
        if not self.socket_url:
            raise SlackError("invalid_auth")
        return {"url": self.socket_url}

    def _api_auth_test(self, args: JSON) -> JSON:
        return {
            "url": "https://fake-team.slack.com/", "team": "Fake Team", "user": "debrief",
            "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }  # fmt: skip
