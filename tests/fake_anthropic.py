"""A loopback fake of Anthropic's Messages API for the real `anthropic` client (ANTHROPIC_BASE_URL)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JSON = dict[str, Any]
Reply = Callable[[JSON], JSON]


def text_reply(text: str) -> Reply:
    """Answer every request with this text."""
    return lambda _request: {"content": [{"type": "text", "text": text}]}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAnthropic

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        status, payload, headers = self.fake.answer(self.path, dict(self.headers), body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeAnthropic:
    """Records requests; answers with `reply`; fails on demand (status codes, e.g. 529 overloaded)."""

    def __init__(self) -> None:
        self.requests: list[JSON] = []
        self.headers: list[dict[str, str]] = []
        self.reply: Reply = text_reply(
            "The customer asked for a refund. The agent explained the policy."
        )
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FakeAnthropic:
        handler = type("_Bound", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, status: int = 529, times: int = 1) -> None:
        """The next `times` requests answer `status` (the SDK retries 429, 5xx and 529)."""
        with self._lock:
            self._failures.extend([status] * times)

    def answer(
        self, path: str, headers: dict[str, str], body: JSON
    ) -> tuple[int, JSON, dict[str, str]]:
        """What the fake sends back for one request."""
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            failure = self._failures.pop(0) if self._failures else None
        if not path.startswith("/v1/messages"):
            return 404, {"type": "error", "error": {"type": "not_found_error", "message": path}}, {}
        if failure is not None:
            kind = "overloaded_error" if failure == 529 else "api_error"
            return (
                failure,
                {"type": "error", "error": {"type": kind, "message": "try later"}},
                {"retry-after": "0"},
            )
        content = self.reply(body)
        return (
            200,
            {
                "id": f"msg_{len(self.requests)}",
                "type": "message",
                "role": "assistant",
                "model": body.get("model", "claude"),
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 100, "output_tokens": 40, "cache_read_input_tokens": 0},
                **content,
            },
            {},
        )
