"""The gate in front of Bolt on `POST /slack/events`: size, signature, then parsing.

Slack signs the raw bytes of every request (`v0:<timestamp>:<body>`, HMAC-SHA256 with the
signing secret). The gate checks that on the bytes before anything is decoded or parsed, so an
unsigned request, whatever it holds, costs an HMAC and one log line: 401. A body over
`MAX_BODY` is refused before it is read whole (413). A signed body that is not UTF-8, not the
JSON or form Slack sends, or nested past reason is a 400. Only then does Bolt see it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from threading import Lock
from typing import Any
from urllib.parse import parse_qsl

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # Slack's largest payloads (a view submission) are a few hundred KB
MAX_AGE = 5 * 60  # Slack's advice: refuse a timestamp more than five minutes off
MAX_DEPTH = 64  # Slack's payloads nest about ten deep
QUIET = 60.0  # seconds between two log lines about the same kind of refusal


class Refused(Exception):
    """A request the gate turns away: its HTTP status and why (for the log, not the caller)."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status, self.why = status, why


@dataclass
class RefusalLog:
    """One log line per kind of refusal at most every QUIET seconds, with how many were
    refused since: a flood of garbage can't flood the log."""

    clock: Callable[[], float] = time.monotonic
    _last: dict[int, float] = field(default_factory=dict)
    _since: dict[int, int] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def note(self, refused: Refused, client: str) -> None:
        """Count a refusal; log it unless one of its kind was logged in the last QUIET s."""
        kind = refused.status
        now = self.clock()
        with self._lock:
            self._since[kind] = self._since.get(kind, 0) + 1
            last = self._last.get(kind)
            if last is not None and now - last < QUIET:
                return
            count, self._since[kind], self._last[kind] = self._since[kind], 0, now
        more = f" ({count - 1} more like it in the last {QUIET:.0f} s)" if count > 1 else ""
        log.warning(
            "refused a request to /slack/events from %s: %s (%d)%s",
            client,
            refused.why,
            refused.status,
            more,
        )


def check_size(declared: str | None) -> None:
    """Refuse a body whose declared length is missing a number or over MAX_BODY."""
    if declared is None:
        return
    if not declared.isdigit():
        raise Refused(400, "a Content-Length that is not a number")
    if int(declared) > MAX_BODY:
        raise Refused(413, f"a body of {int(declared):,} bytes (at most {MAX_BODY:,})")


def check_signature(secret: str, raw: bytes, headers: Mapping[str, str], now: float) -> None:
    """Refuse (401) a request not signed by Slack with this secret, or signed too long ago."""
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    if not timestamp or not signature:
        raise Refused(401, "no Slack signature")
    if not timestamp.isdigit():
        raise Refused(401, "a timestamp that is not a number")
    if abs(now - int(timestamp)) > MAX_AGE:
        raise Refused(401, "a timestamp more than five minutes off")
    base = b"v0:" + timestamp.encode() + b":" + raw
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Refused(401, "a signature that does not match")


def _depth(value: Any) -> int:
    """How deep JSON nests (iteratively: a hostile document can't exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return deepest


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can follow
        raise Refused(400, f"{what} that is not JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, f"{what} that is not a JSON object")
    if _depth(value) > MAX_DEPTH:
        raise Refused(400, f"{what} nested more than {MAX_DEPTH} deep")
    return value


def parsed(raw: bytes, content_type: str | None) -> str:
    """The body as text Bolt can take, once it is known to parse as Slack's JSON or form."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "a body that is not UTF-8") from None
    if not text:
        return text
    if (content_type or "").split(";")[0].strip() == "application/json" or text.startswith("{"):
        _json_object(text, "a JSON body")
        return text
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in fields:  # Bolt reads a form with a payload field as that JSON
        _json_object(fields["payload"], "a payload")
    return text
