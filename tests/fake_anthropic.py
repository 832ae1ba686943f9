"""A loopback fake of Anthropic's Messages API for the real `anthropic` client (ANTHROPIC_BASE_URL)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from tests.loopback import JsonHandler, Loopback

JSON = dict[str, Any]
Reply = Callable[[JSON], JSON]


def text_reply(text: str) -> Reply:
    """Answer every request with this text."""
    return lambda _request: {"content": [{"type": "text", "text": text}]}


class _Handler(JsonHandler):
    fake: FakeAnthropic

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.send_json(*self.fake.answer(self.path, dict(self.headers), body))

    def do_GET(self) -> None:
        status, data, content_type = self.fake.answer_get(self.path)
        self.send_body(status, data, {"Content-Type": content_type})


def tool_reply(name: str, tool_input: JSON) -> Reply:
    """Answer every request by calling tool `name` with this input."""
    return lambda _request: {
        "content": [{"type": "tool_use", "id": "toolu_1", "name": name, "input": tool_input}],
        "stop_reason": "tool_use",
    }


class FakeAnthropic(Loopback):
    """Records requests; answers with `reply`; fails on demand (status codes, e.g. 529 overloaded)."""

    handler = _Handler

    def __init__(self) -> None:
        self.requests: list[JSON] = []
        self.headers: list[dict[str, str]] = []
        self.reply: Reply = text_reply(
            "The customer asked for a refund. The agent explained the policy."
        )
        self._failures: list[int] = []
        self._lock = threading.Lock()
        # Message Batches: id -> {"requests": [...], "polls": retrieves so far}
        self.batches: dict[str, JSON] = {}
        self.batch_polls = 1  # retrieves answered "in_progress" before a batch has "ended"
        self.batch_errors: set[str] = set()  # custom_ids whose result is "errored"

    @property
    def url(self) -> str:
        return self.origin

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
        if failure is None and path.startswith("/v1/messages/batches"):
            return self._create_batch(body)
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

    # ---------------------------------------------------------------- Message Batches

    def _message(self, params: JSON, number: int) -> JSON:
        return {
            "id": f"msg_b{number}",
            "type": "message",
            "role": "assistant",
            "model": params.get("model", "claude"),
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 100, "output_tokens": 40},
            **self.reply(params),
        }

    def _batch_object(self, batch_id: str) -> JSON:
        batch = self.batches[batch_id]
        ended = batch["polls"] > self.batch_polls
        total = len(batch["requests"])
        errored = sum(1 for r in batch["requests"] if r["custom_id"] in self.batch_errors)
        return {
            "id": batch_id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": {
                "processing": 0 if ended else total,
                "succeeded": total - errored if ended else 0,
                "errored": errored if ended else 0,
                "canceled": 0,
                "expired": 0,
            },
            "created_at": "2026-11-16T10:00:00Z",
            "expires_at": "2026-11-17T10:00:00Z",
            "ended_at": "2026-11-16T10:05:00Z" if ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"{self.url}/v1/messages/batches/{batch_id}/results" if ended else None,
        }

    def _create_batch(self, body: JSON) -> tuple[int, JSON, dict[str, str]]:
        with self._lock:
            batch_id = f"msgbatch_{len(self.batches) + 1}"
            self.batches[batch_id] = {"requests": list(body.get("requests") or []), "polls": 0}
        return 200, self._batch_object(batch_id), {}

    def answer_get(self, path: str) -> tuple[int, bytes, str]:
        """A batch's status, or its results as JSONL."""
        parts = path.split("?")[0].strip("/").split("/")
        if len(parts) >= 4 and parts[:3] == ["v1", "messages", "batches"]:
            batch_id = parts[3]
            with self._lock:
                batch = self.batches.get(batch_id)
                if batch is not None and len(parts) == 4:
                    batch["polls"] += 1
            if batch is not None and len(parts) == 4:
                return 200, json.dumps(self._batch_object(batch_id)).encode(), "application/json"
            if batch is not None and parts[4:] == ["results"]:
                lines = []
                for number, item in enumerate(batch["requests"], start=1):
                    if item["custom_id"] in self.batch_errors:
                        result: JSON = {
                            "type": "errored",
                            "error": {
                                "type": "error",
                                "error": {"type": "api_error", "message": "batch item failed"},
                            },
                        }
                    else:
                        result = {
                            "type": "succeeded",
                            "message": self._message(item["params"], number),
                        }
                    lines.append(json.dumps({"custom_id": item["custom_id"], "result": result}))
                return 200, ("\n".join(lines) + "\n").encode(), "application/binary"
        error = {"type": "error", "error": {"type": "not_found_error", "message": path}}
        return 404, json.dumps(error).encode(), "application/json"
