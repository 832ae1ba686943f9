"""A WebClient that keeps its connection to Slack open between calls, one per thread."""

from __future__ import annotations

import http.client
import io
import select
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.errors import SlackRequestError

# Closed before a server would time it out, so a request never races the server's close.
MAX_IDLE_SECONDS = 30.0


@dataclass
class _Held:
    origin: tuple[str, str]  # scheme, host:port
    connection: http.client.HTTPConnection
    used_at: float


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """An idle connection has nothing to read; one the server closed is readable (EOF)."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class KeepAliveWebClient(WebClient):
    """slack_sdk's WebClient over connections that stay open.

    slack_sdk opens a new connection for every call (and, against slack.com, a new TLS
    handshake: round trips a `views.open` racing its trigger's 3 seconds can't spare). This
    client keeps one connection per thread and reuses it while it is fresh. Everything else is
    slack_sdk's: arguments, retry handlers (a 429 still arrives as urllib's HTTPError, a dropped
    connection as the error its ConnectionErrorRetryHandler retries), responses. A client with
    a proxy uses slack_sdk's own transport.
    """

    def __init__(self, *args: Any, max_idle: float = MAX_IDLE_SECONDS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_idle = max_idle
        self._local = threading.local()
        # weak: a connection whose thread has ended goes with the thread
        self._open: weakref.WeakSet[http.client.HTTPConnection] = weakref.WeakSet()
        self._lock = threading.Lock()

    @contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        """Calls made in this block, on this thread, give up after `seconds` (a trigger is good
        for three seconds: waiting longer for `views.open` opens nothing)."""
        previous = getattr(self._local, "timeout", None)
        self._local.timeout = seconds
        try:
            yield
        finally:
            self._local.timeout = previous

    def close(self) -> None:
        """Close every connection this client holds, on every thread (at shutdown)."""
        with self._lock:
            held, self._open = list(self._open), weakref.WeakSet()
        for connection in held:
            connection.close()

    # slack_sdk calls this once per attempt, inside its retry loop, with the request it built;
    # it is not public API, so tests/test_slack_transport.py pins down what it must keep doing.
    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None:
            return super()._perform_urllib_http_request_internal(url, req)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SlackRequestError(f"Invalid URL detected: {url}")
        connection = self._connection((parts.scheme, parts.netloc))
        timeout = getattr(self._local, "timeout", None) or self.timeout
        connection.timeout = timeout
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            try:
                connection.request(
                    req.get_method(), target, body=req.data, headers=dict(req.header_items())
                )
            except OSError as exc:  # connecting or sending: urllib reports these as URLError
                raise URLError(exc) from exc
            response = connection.getresponse()
            data = response.read()
        except Exception:
            self._drop()  # a retry (slack_sdk's ConnectionErrorRetryHandler) gets a new one
            raise
        if response.will_close:
            self._drop()
        else:
            self._local.held.used_at = time.monotonic()
        if response.status >= 400:  # as urllib reports it, which slack_sdk's handlers expect
            raise HTTPError(
                url, response.status, response.reason, response.headers, io.BytesIO(data)
            )
        headers = response.headers
        if headers.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": headers, "body": data}
        body = data.decode(headers.get_content_charset() or "utf-8")
        return {"status": response.status, "headers": headers, "body": body}

    def _connection(self, origin: tuple[str, str]) -> http.client.HTTPConnection:
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None:
            stale = time.monotonic() - held.used_at > self.max_idle
            if held.origin == origin and not stale and not _closed_by_peer(held.connection):
                return held.connection
            self._drop()
        scheme, netloc = origin
        connection: http.client.HTTPConnection
        if scheme == "https":
            connection = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=self.ssl)
        else:
            connection = http.client.HTTPConnection(netloc, timeout=self.timeout)
        self._local.held = _Held(origin, connection, time.monotonic())
        with self._lock:
            self._open.add(connection)
        return connection

    def _drop(self) -> None:
        held: _Held | None = getattr(self._local, "held", None)
        if held is None:
            return
        self._local.held = None
        with self._lock:
            self._open.discard(held.connection)
        held.connection.close()
