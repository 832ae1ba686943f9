"""A loopback fake of Slack's Socket Mode WebSocket endpoint.

Pair it with FakeSlack: ``fake_slack.socket_url = socket.url`` makes ``apps.connections.open``
hand out this server, so slack_sdk's real Socket Mode client connects here. Like Slack, the server
greets each connection with ``{"type": "hello", ...}``; a test then pushes envelopes with
``send_envelope`` and waits for the app's acknowledgement with ``wait_for_ack``.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

JSON = dict[str, Any]
ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")


class FakeSocketMode:
    """The Socket Mode server on 127.0.0.1; every public helper is thread-safe."""

    app_id = "A00APP001"  # the same app as FakeSlack's

    def __init__(self) -> None:
        self.ticket = uuid.uuid4().hex
        self._cond = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: list[ServerConnection] = []
        self.paths: list[str] = []  # request path of every connection, in order
        self.received: list[JSON] = []  # every JSON text message from the app, in order
        self.acks: dict[str, JSON] = {}  # envelope_id -> the app's answer to that envelope

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeSocketMode:
        if self._server is None:
            self._server = serve(self._handle, "127.0.0.1", 0, close_timeout=2)
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        with self._cond:
            connections = list(self._connections)
        for connection in connections:
            connection.close()
        server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """What ``apps.connections.open`` answers: a ws:// URL with a path and a ticket."""
        if self._server is None:
            raise RuntimeError("FakeSocketMode is not started")
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={self.ticket}&app_id={self.app_id}"

    # ---------------------------------------------------------------- test helpers
    @property
    def connection_count(self) -> int:
        """How many WebSocket connections the app has opened so far."""
        with self._cond:
            return len(self._connections)

    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block until the app has opened ``count`` connections (each already greeted)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._connections) >= count, timeout):
                raise AssertionError(
                    f"expected {count} Socket Mode connection(s) within {timeout}s, "
                    f"got {len(self._connections)}"
                )

    def send_envelope(
        self,
        kind: str,
        payload: JSON,
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool = True,
        **extra: Any,
    ) -> str:
        """Push an envelope to the newest connection; returns its envelope_id."""
        if kind not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {ENVELOPE_TYPES}, not {kind!r}")
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope: JSON = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            **extra,
        }
        with self._cond:
            if not self._connections:
                raise RuntimeError("no Socket Mode connection to send on")
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> JSON:
        """Block until the app answers ``envelope_id``; return its answer."""
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self.acks, timeout):
                raise AssertionError(
                    f"no ack for envelope {envelope_id} within {timeout}s; "
                    f"messages so far: {self.received}"
                )
            return self.acks[envelope_id]

    # ---------------------------------------------------------------------- server
    def _hello(self) -> JSON:
        with self._cond:
            count = len(self._connections) + 1
        return {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": "applink-fake",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _handle(self, connection: ServerConnection) -> None:
        try:
            connection.send(json.dumps(self._hello()))
        except ConnectionClosed:
            return
        with self._cond:
            self._connections.append(connection)
            self.paths.append(connection.request.path if connection.request else "")
            self._cond.notify_all()
        try:
            for message in connection:
                self._record(message)
        except ConnectionClosed:
            pass

    def _record(self, message: str | bytes) -> None:
        try:
            data = json.loads(message)
        except ValueError:
            data = {"unparsed": message if isinstance(message, str) else message.decode()}
        if not isinstance(data, dict):
            data = {"unparsed": data}
        with self._cond:
            self.received.append(data)
            if isinstance(data.get("envelope_id"), str):
                self.acks.setdefault(data["envelope_id"], data)
            self._cond.notify_all()
