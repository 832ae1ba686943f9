"""Drives Debrief's Slack endpoint the way Slack does: signed HTTP requests with real payloads."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from slack_sdk.signature import SignatureVerifier

from blocks.ids import NO_SAMPLE, SHARE_VALUE, ActionId, BlockId
from tests.fake_slack import FakeSlack
from tests.slack_conformance import message_problems, options_problems, submission_problems


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener executor, remembering its work so a test can wait for it to finish."""

    def __init__(self) -> None:
        super().__init__(max_workers=8, thread_name_prefix="listener")
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.append(future)
        return future

    def drain(self) -> None:
        """Wait until every listener started so far has finished (and re-raise nothing)."""
        while True:
            with self._lock:
                pending = [f for f in self._futures if not f.done()]
            if not pending:
                return
            wait(pending)


def _placed(payload: dict[str, Any], view: dict[str, Any] | None) -> dict[str, Any]:
    """The payload as coming from inside `view`, or from a message in a DM when None."""
    if view is not None:
        return {**payload, "view": view, "container": {"type": "view", "view_id": view["id"]}}
    message = {"type": "message", "channel_id": "D1", "message_ts": "1.2"}
    return {**payload, "container": message, "channel": {"id": "D1"}}


class SlackDriver:
    """Sends slash commands, button clicks and form submissions to `POST /slack/events`."""

    def __init__(
        self, http: TestClient, fake: FakeSlack, secret: str, executor: TrackingExecutor
    ) -> None:
        self.http = http
        self.fake = fake
        self.verifier = SignatureVerifier(secret)
        self.executor = executor

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """A signed POST (or one signed as told), waiting for the listeners it started."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sig = signature or self.verifier.generate_signature(timestamp=ts, body=body) or ""
        sent: dict[str, str] = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
            **(headers or {}),
        }
        response = self.http.post("/slack/events", content=body.encode(), headers=sent)
        self.executor.drain()
        return response

    def command(self, user: str, text: str = "", **extra: str) -> Any:
        """`/coach TEXT` typed by `user`."""
        form = {
            "token": "unused",
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": user,
            "command": "/coach",
            "text": text,
            "response_url": self.fake.response_url(),
            "trigger_id": self.fake.issue_trigger(),
            "api_app_id": "A1",
            **extra,
        }
        response = self.post(urlencode(form))
        if response.status_code == 200 and response.content:  # an ack with a message in it
            is_json = "json" in response.headers.get("content-type", "")
            answer = response.json() if is_json else {"text": response.text}
            self.fake.record_violations("/coach answer", message_problems(answer))
        return response

    def payload(self, payload: dict[str, Any], **kwargs: Any) -> Any:
        """An interactivity payload, form-encoded as Slack sends it. What Debrief answers in the
        HTTP response (a view submission's response_action, an options load's options) is held
        to what real Slack accepts, like everything it sends the Web API."""
        response = self.post(urlencode({"payload": json.dumps(payload)}), **kwargs)
        if response.status_code == 200:
            is_json = "json" in response.headers.get("content-type", "")
            answer = response.json() if is_json and response.content else None
            self._check_answer(payload, answer)
        return response

    def _check_answer(self, payload: dict[str, Any], answer: Any) -> None:
        kind = payload.get("type")
        if kind == "view_submission":
            view = payload.get("view") or {}
            surface = f"view_submission answer {view.get('callback_id')}"
            problems = submission_problems(answer or {}, view, surface)
            self.fake.record_violations("view_submission answer", problems)
        elif kind == "block_suggestion":
            surface = f"options answer {payload.get('action_id')}"
            self.fake.record_violations("options answer", options_problems(answer, surface))
        elif answer is not None:  # an ack with a body is a message in the conversation
            self.fake.record_violations(f"{kind} answer", message_problems(answer))

    def click(
        self,
        user: str,
        action_id: str,
        value: str | None = None,
        *,
        view: dict[str, Any] | None = None,
        selected: str | None = None,
    ) -> Any:
        """A button click (or select) in a message, or in `view` when given."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": "b1",
            "type": "static_select" if selected is not None else "button",
            "action_ts": str(time.time()),
        }
        if value is not None:
            action["value"] = value
        if selected is not None:
            action["selected_option"] = {
                "value": selected,
                "text": {"type": "plain_text", "text": "x"},
            }
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "team_id": "T1"},
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "trigger_id": self.fake.issue_trigger(view["id"] if view is not None else None),
            "actions": [action],
        }
        if view is None:
            payload["response_url"] = self.fake.response_url()
        return self.payload(_placed(payload, view))

    def submit(
        self, user: str, view: dict[str, Any], headers: dict[str, str] | None = None, **fields: Any
    ) -> Any:
        """Submit a modal with fields body, follow_up (YYYY-MM-DD), share (bool), sample (id)."""
        values: dict[str, dict[str, Any]] = {}
        for block in view["blocks"]:
            if block.get("type") != "input":
                continue
            block_id = block["block_id"]
            base = block_id.split(".")[0]
            if base == BlockId.BODY:
                values[block_id] = {
                    ActionId.BODY: {"type": "plain_text_input", "value": fields.get("body")}
                }
            elif base == BlockId.FOLLOW_UP:
                values[block_id] = {
                    ActionId.FOLLOW_UP: {
                        "type": "datepicker",
                        "selected_date": fields.get("follow_up"),
                    }
                }
            elif base == BlockId.SHARE:
                chosen = [{"value": SHARE_VALUE}] if fields.get("share") else []
                values[block_id] = {
                    ActionId.SHARE: {"type": "checkboxes", "selected_options": chosen}
                }
            elif base == BlockId.SAMPLE:
                sample = fields.get("sample")
                option = None if sample is None else {"value": str(sample) if sample else NO_SAMPLE}
                values[block_id] = {
                    ActionId.SAMPLE: {"type": "static_select", "selected_option": option}
                }
        submitted = {**view, "state": {"values": values}}
        payload = {
            "type": "view_submission",
            "user": {"id": user, "team_id": "T1"},
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "trigger_id": self.fake.issue_trigger(view["id"]),
            "view": submitted,
        }
        response = self.payload(payload, headers=headers)
        if response.status_code == 200:
            answer = response.json() if response.content else {}
            self.fake.apply_submission_answer(view["id"], answer)
        return response

    def message_shortcut(
        self, user: str, callback_id: str, message: dict[str, Any], channel: str = "C1"
    ) -> Any:
        """A message shortcut picked on `message` (a message_action payload, as Slack documents
        it: the message, its channel, a trigger and a response_url)."""
        ts = message.get("ts") or f"{time.time():.6f}"
        payload: dict[str, Any] = {
            "type": "message_action",
            "token": "unused",
            "action_ts": f"{time.time():.6f}",
            "team": {"id": "T1", "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": "T1", "name": user.lower()},
            "channel": {"id": channel, "name": "support"},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.fake.issue_trigger(),
            "response_url": self.fake.response_url(),
            "message_ts": ts,
            "message": {"type": "message", "user": "UPOSTER", **message, "ts": ts},
        }
        return self.payload(payload)

    def suggest(
        self, user: str, action_id: str, value: str, *, view: dict[str, Any] | None = None
    ) -> Any:
        """Type `value` into an external_select (a block_suggestion, as Slack sends it), in a
        message or in `view`; the answer is checked like everything else Debrief sends Slack."""
        payload: dict[str, Any] = {
            "type": "block_suggestion",
            "user": {"id": user, "team_id": "T1"},
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "action_id": action_id,
            "block_id": "b1",
            "value": value,
            "action_ts": str(time.time()),
        }
        return self.payload(_placed(payload, view))
