"""What the fakes of remote HTTP APIs share: a server on 127.0.0.1 (a free port), each request
handled on its own daemon thread by a handler class that reaches the fake as `self.fake`, and
a quiet handler that answers JSON (or any body)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

JSON_TYPE = {"Content-Type": "application/json"}


class JsonHandler(BaseHTTPRequestHandler):
    """Logs nothing; answers JSON."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_json(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        """Answer `status` with `payload` as JSON."""
        self.send_body(status, json.dumps(payload).encode(), {**headers, **JSON_TYPE})

    def send_body(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        """Answer `status` with `data` as it is (`headers` name its Content-Type); a client that
        already gave up is let go."""
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Loopback:
    """Serves `handler` on 127.0.0.1 once started, until stopped."""

    handler: type[BaseHTTPRequestHandler]
    _server: ThreadingHTTPServer | None = None

    def start(self) -> Self:
        bound = type("_Bound", (self.handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:<port>`."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"
