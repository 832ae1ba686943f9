"""The HTTP side of the fake: one request handler, bound to a ``FakeSlack`` by its ``start``."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from tests.fake_slack.state import DROP, JSON

if TYPE_CHECKING:
    from tests.fake_slack.fake import FakeSlack


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
