"""`POST /slack/events` refuses what Slack didn't sign (401), can't be parsed (400) or is too
large (413), before Bolt sees it; one log line, never a traceback or a 500."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator

import pytest

from handlers.slack_http import MAX_BODY, QUIET, RefusalLog, Refused
from tests.conftest import SIGNING_SECRET

NESTED = b"[" * 100_000 + b"]" * 100_000
GARBAGE: dict[str, tuple[bytes, str]] = {
    "malformed JSON": (b'{"type": "block_actions", ', "application/json"),
    "deeply nested JSON": (NESTED, "application/json"),
    "65 levels of valid JSON": (b'{"a":' * 65 + b"1" + b"}" * 65, "application/json"),
    "a JSON array": (b"[1, 2, 3]", "application/json"),
    "invalid UTF-8": (b"payload=\xff\xfe\xfd", "application/x-www-form-urlencoded"),
    "a payload that is not JSON": (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
    "a payload that is a list": (b"payload=%5B1%5D", "application/x-www-form-urlencoded"),
}


def signature(body: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@pytest.fixture()
def send(slack):
    def post(body: bytes, content_type: str, **headers: str):
        sent = {"Content-Type": content_type, **headers}
        return slack.http.post("/slack/events", content=body, headers=sent)

    return post


@pytest.fixture()
def refusals(caplog) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.WARNING)
    yield caplog
    assert all(r.exc_info is None for r in caplog.records), "a traceback reached the log"
    assert all(r.levelno < logging.ERROR for r in caplog.records)


@pytest.mark.parametrize("kind", list(GARBAGE))
def test_unsigned_garbage_is_a_401_and_reaches_nothing(send, fake_slack, refusals, kind):
    body, content_type = GARBAGE[kind]
    answer = send(body, content_type)
    assert answer.status_code == 401 and answer.json() == {"error": "invalid signature"}
    now = str(int(time.time()))
    forged = send(body, content_type, **{"X-Slack-Request-Timestamp": now,
                                         "X-Slack-Signature": signature(body, now, "wrong")})  # fmt: skip
    assert forged.status_code == 401
    assert [c.method for c in fake_slack.calls] == ["auth.test"]  # the app's start, no more
    assert any("refused a request to /slack/events" in r.message for r in refusals.records)


@pytest.mark.parametrize("timestamp", ["abc", "", "1e9", "-5", "stale"])
def test_a_bad_or_stale_timestamp_is_a_401(send, refusals, timestamp):
    if timestamp == "stale":  # taken now, not at collection: the test's id stays the same
        timestamp = str(int(time.time()) - 301)
    body = b"command=%2Fcoach&text=Sarah&user_id=ULEAD"
    headers = {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(body, timestamp),
    }
    assert send(body, "application/x-www-form-urlencoded", **headers).status_code == 401


@pytest.mark.parametrize("kind", list(GARBAGE))
def test_signed_but_unparseable_is_a_400(send, fake_slack, refusals, kind):
    body, content_type = GARBAGE[kind]
    now = str(int(time.time()))
    answer = send(body, content_type, **{"X-Slack-Request-Timestamp": now,
                                         "X-Slack-Signature": signature(body, now)})  # fmt: skip
    assert answer.status_code == 400 and answer.json() == {"error": "bad request"}
    assert [c.method for c in fake_slack.calls] == ["auth.test"]  # the app's start, no more


def test_a_body_over_the_limit_is_refused_before_it_is_read(slack, refusals):
    body = b"x" * (MAX_BODY + 1)
    declared = slack.http.post("/slack/events", content=body,
                               headers={"Content-Type": "application/json"})  # fmt: skip
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: read only until the limit
        for _ in range(MAX_BODY // 65_536 + 2):
            yield b"y" * 65_536

    streamed = slack.http.post("/slack/events", content=chunks())
    assert streamed.status_code == 413
    bogus = slack.http.post("/slack/events", content=b"{}", headers={"Content-Length": "x"})
    assert bogus.status_code in (400, 401)


def test_a_signed_request_still_works(slack, fake_slack):
    fake_slack.add_user("ULEAD")
    answer = slack.command("ULEAD", "nobody")
    assert answer.status_code == 200  # answered (an ephemeral "not set up" reply), not refused


def test_a_flood_of_refusals_is_one_log_line_a_minute(caplog):
    caplog.set_level(logging.WARNING)
    now = [1000.0]
    gate = RefusalLog(clock=lambda: now[0])
    for _ in range(500):
        gate.note(Refused(401, "no Slack signature"), "203.0.113.9")
    now[0] += QUIET
    gate.note(Refused(401, "no Slack signature"), "203.0.113.9")
    gate.note(Refused(400, "a body that is not UTF-8"), "203.0.113.9")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "refused a request to /slack/events from 203.0.113.9: no Slack signature (401)",
        "refused a request to /slack/events from 203.0.113.9: no Slack signature (401) "
        "(499 more like it in the last 60 s)",
        "refused a request to /slack/events from 203.0.113.9: a body that is not UTF-8 (400)",
    ]


def test_a_garbage_payload_is_not_dispatched_even_inside_a_valid_form(send):
    body = ("payload=" + json.dumps({"type": "block_actions"})[:-1]).encode()
    now = str(int(time.time()))
    answer = send(body, "application/x-www-form-urlencoded",
                  **{"X-Slack-Request-Timestamp": now, "X-Slack-Signature": signature(body, now)})  # fmt: skip
    assert answer.status_code == 400
