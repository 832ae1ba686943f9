"""The shared HTTP helper: retries, backoff, Retry-After, and error mapping."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from pytest_httpserver import HTTPServer

from bot.ingest.helpdesks.base import (
    HelpdeskAuthError,
    HelpdeskError,
    HelpdeskNotFound,
    HelpdeskUnavailable,
)
from bot.ingest.helpdesks.http_client import HelpdeskHttp, RetryPolicy, retry_after_seconds

HINT = "Acme refused the credentials: check DEBRIEF_ACME_TOKEN"


@pytest.fixture()
def http(httpserver: HTTPServer, sleeps: list[float]) -> Iterator[HelpdeskHttp]:
    client = HelpdeskHttp(
        vendor="Acme",
        base_url=httpserver.url_for("/"),
        auth_hint=HINT,
        sleep=sleeps.append,
        policy=RetryPolicy(max_retries=2, backoff=1.0, max_rate_limit_waits=2),
    )
    yield client
    client.close()


def test_429_waits_what_retry_after_says_then_succeeds(httpserver, http, sleeps):
    httpserver.expect_oneshot_request("/things").respond_with_json(
        {"error": "slow down"}, status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_request("/things").respond_with_json({"things": [1]})

    assert http.get("/things") == {"things": [1]}
    assert sleeps == [7.0]


def test_429_without_retry_after_backs_off(httpserver, http, sleeps):
    httpserver.expect_oneshot_request("/things").respond_with_json({}, status=429)
    httpserver.expect_request("/things").respond_with_json({"ok": True})

    assert http.get("/things") == {"ok": True}
    assert sleeps == [1.0]


def test_429_for_too_long_gives_up(httpserver, http, sleeps):
    httpserver.expect_request("/things").respond_with_json(
        {}, status=429, headers={"Retry-After": "3"}
    )

    with pytest.raises(HelpdeskUnavailable, match="rate-limited"):
        http.get("/things")
    assert sleeps == [3.0, 3.0]


def test_retry_after_is_capped(httpserver, sleeps):
    http = HelpdeskHttp(
        vendor="Acme",
        base_url=httpserver.url_for("/"),
        auth_hint=HINT,
        sleep=sleeps.append,
        policy=RetryPolicy(max_retry_after=60),
    )
    httpserver.expect_oneshot_request("/x").respond_with_json(
        {}, status=429, headers={"Retry-After": "3600"}
    )
    httpserver.expect_request("/x").respond_with_json({})
    http.get("/x")
    http.close()
    assert sleeps == [60.0]


def test_5xx_is_retried_with_growing_backoff(httpserver, http, sleeps):
    httpserver.expect_oneshot_request("/things").respond_with_data("boom", status=502)
    httpserver.expect_oneshot_request("/things").respond_with_data("boom", status=503)
    httpserver.expect_request("/things").respond_with_json({"ok": 1})

    assert http.get("/things") == {"ok": 1}
    assert sleeps == [1.0, 2.0]


def test_5xx_that_persists_is_unavailable(httpserver, http, sleeps):
    httpserver.expect_request("/things").respond_with_data("down", status=500)

    with pytest.raises(HelpdeskUnavailable) as caught:
        http.get("/things")
    assert "Acme is unavailable: HTTP 500 on GET /things" in str(caught.value)
    assert len(httpserver.log) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_an_auth_error_without_retry(httpserver, http, sleeps, status):
    httpserver.expect_request("/things").respond_with_json({"error": "no"}, status=status)

    with pytest.raises(HelpdeskAuthError) as caught:
        http.get("/things")
    assert str(caught.value) == HINT
    assert len(httpserver.log) == 1
    assert sleeps == []


def test_404_is_not_found(httpserver, http):
    httpserver.expect_request("/things/9").respond_with_json({}, status=404)
    with pytest.raises(HelpdeskNotFound):
        http.get("/things/9")


def test_other_4xx_carries_the_vendor_reason(httpserver, http):
    httpserver.expect_request("/things").respond_with_json(
        {"errors": [{"code": "parameter_invalid", "message": "per_page is too big"}]}, status=400
    )
    with pytest.raises(HelpdeskError, match="HTTP 400 to GET /things: per_page is too big"):
        http.get("/things")


def test_non_json_answer_names_the_base_url(httpserver, http):
    httpserver.expect_request("/things").respond_with_data("<html>login</html>")
    with pytest.raises(HelpdeskError, match="base URL"):
        http.get("/things")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_errors_are_retried_then_unavailable(sleeps):
    http = HelpdeskHttp(
        vendor="Acme",
        base_url=f"http://127.0.0.1:{_closed_port()}",
        auth_hint=HINT,
        sleep=sleeps.append,
        policy=RetryPolicy(max_retries=3, backoff=0.5),
    )
    with pytest.raises(HelpdeskUnavailable, match="ConnectError"):
        http.get("/things")
    http.close()
    assert sleeps == [0.5, 1.0, 2.0]


def test_timeouts_are_retried(sleeps):
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json={"ok": True})

    http = HelpdeskHttp(
        vendor="Acme",
        base_url="https://acme.test",
        auth_hint=HINT,
        sleep=sleeps.append,
        transport=httpx.MockTransport(handler),
    )
    assert http.get("/things") == {"ok": True}
    assert len(attempts) == 2 and len(sleeps) == 1


def test_retry_after_forms():
    now = 1_700_000_000.0
    assert retry_after_seconds(httpx.Headers({"Retry-After": "12"}), now) == 12.0
    date = httpx.Headers({"Retry-After": "Tue, 14 Nov 2023 22:13:40 GMT"})
    assert retry_after_seconds(date, now) == 20.0
    reset = httpx.Headers({"X-RateLimit-Reset": str(int(now) + 9)})
    assert retry_after_seconds(reset, now) == 9.0
    assert retry_after_seconds(httpx.Headers({}), now) is None


def test_foreign_pagination_links_are_rebased_on_the_base_url(http, httpserver):
    assert http.relative("https://acme.zendesk.com/api/v2/x.json?page=2") == "/api/v2/x.json?page=2"
    own = httpserver.url_for("/api/v2/x.json?page=2")
    assert http.relative(own) == own


def test_5xx_with_retry_after_waits_that_long(httpserver, http, sleeps):
    httpserver.expect_oneshot_request("/things").respond_with_data(
        "maintenance", status=503, headers={"Retry-After": "5"}
    )
    httpserver.expect_request("/things").respond_with_json({"ok": 1})

    assert http.get("/things") == {"ok": 1}
    assert sleeps == [5.0]


def test_follow_reads_every_linked_page_once_and_only_on_its_own_host(httpserver, http):
    elsewhere = "https://elsewhere.example"
    httpserver.expect_request("/list", query_string="page=1").respond_with_json(
        {"n": 1, "next": f"{elsewhere}/list?page=2"}  # a foreign host: its path, on ours
    )
    httpserver.expect_request("/list", query_string="page=2").respond_with_json(
        {"n": 2, "next": httpserver.url_for("/list?page=3")}
    )
    httpserver.expect_request("/list", query_string="page=3").respond_with_json(
        {"n": 3, "next": f"{elsewhere}/list?page=2"}  # a loop: followed already
    )

    pages = http.follow("/list", {"page": 1}, lambda page: page.get("next"))

    assert [page["n"] for page in pages] == [1, 2, 3]
    assert len(httpserver.log) == 3
