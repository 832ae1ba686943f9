"""Debrief's WebClient keeps its connection to Slack open, and still retries as slack_sdk does."""

from __future__ import annotations

import gc
import ssl
import threading
import time
from urllib.error import URLError

import pytest
import trustme
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.app.slack import slack_client
from bot.core.settings import Settings
from handlers.slack_transport import KeepAliveWebClient
from tests.fake_slack import FakeSlack


@pytest.fixture()
def client(fake_slack: FakeSlack):
    made = KeepAliveWebClient(token=fake_slack.token, base_url=fake_slack.url)
    yield made
    made.close()


def test_calls_from_one_thread_share_one_connection(client, fake_slack):
    for _ in range(3):
        assert client.auth_test()["ok"]
    assert fake_slack.connections == 1
    assert len(fake_slack.calls_to("auth.test")) == 3


def test_each_thread_has_its_own_connection(client, fake_slack):
    def call_twice() -> None:
        client.auth_test()
        client.auth_test()

    threads = [threading.Thread(target=call_twice) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake_slack.calls_to("auth.test")) == 6
    assert fake_slack.connections == 3


@pytest.fixture()
def own_fake():
    """A fake of this test's own: other tests' clients may still hold connections to the shared
    one until the garbage collector gets to them."""
    with FakeSlack() as fake:
        yield fake


def wait_until_closed(fake: FakeSlack) -> None:
    deadline = time.monotonic() + 10
    while fake.open_connections and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_threads_connection_closes_when_the_thread_is_gone(own_fake):
    client = KeepAliveWebClient(token=own_fake.token, base_url=own_fake.url)
    thread = threading.Thread(target=client.auth_test)
    thread.start()
    thread.join()
    gc.collect()
    wait_until_closed(own_fake)
    assert own_fake.connections == 1 and own_fake.open_connections == 0


def test_close_ends_every_threads_connection(own_fake):
    client = KeepAliveWebClient(token=own_fake.token, base_url=own_fake.url)
    client.auth_test()
    client.close()
    wait_until_closed(own_fake)
    assert own_fake.open_connections == 0
    assert client.auth_test()["ok"]  # and the client still works, on a new connection
    assert own_fake.connections == 2
    client.close()


def test_a_connection_the_server_hung_up_is_replaced_before_the_next_call(client, fake_slack):
    client.auth_test()
    fake_slack.close_connections()
    client.retry_handlers.clear()  # noticed before sending, not rescued by a retry after
    assert client.auth_test()["ok"]  # no error reaches the caller
    assert fake_slack.connections == 2
    assert len(fake_slack.calls_to("auth.test")) == 2


def test_a_connection_idle_too_long_is_not_reused(fake_slack):
    client = KeepAliveWebClient(token=fake_slack.token, base_url=fake_slack.url, max_idle=0.0)
    client.auth_test()
    client.auth_test()
    client.close()
    assert fake_slack.connections == 2


def test_a_429_is_still_retried_after_retry_after(client, fake_slack):
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    fake_slack.fail_next("chat.postMessage", retry_after=0)
    fake_slack.add_user("UAGENT")
    answer = client.chat_postMessage(channel="UAGENT", text="hello")
    assert answer["ok"]
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429, 200]


@pytest.mark.slack_refusals
def test_slack_errors_arrive_as_slack_sdk_reports_them(client, fake_slack):
    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id="never-issued", view={"type": "modal"})
    assert raised.value.response["error"] in {"invalid_arguments", "invalid_trigger_id"}


def test_a_server_that_closes_after_each_answer_gets_a_new_connection_each_call(fake_slack):
    closing = KeepAliveWebClient(
        token=fake_slack.token, base_url=fake_slack.url, headers={"Connection": "close"}
    )
    closing.auth_test()
    closing.auth_test()
    assert fake_slack.connections == 2
    closing.close()


def test_a_proxied_client_uses_slack_sdks_own_transport(fake_slack):
    # the fake answers absolute-URI requests too, so it can stand in for an HTTP proxy
    proxied = KeepAliveWebClient(
        token=fake_slack.token, base_url=fake_slack.url, proxy=fake_slack.url.removesuffix("/api/")
    )
    proxied.auth_test()
    proxied.auth_test()
    assert fake_slack.connections == 2  # urllib: one connection per call


def test_debriefs_client_is_the_keep_alive_one(fake_slack):
    settings = Settings(
        DATABASE_URL="sqlite://",
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=fake_slack.url,
    )
    client = slack_client(settings, fake_slack.token)
    assert isinstance(client, KeepAliveWebClient)
    client.auth_test()
    client.auth_test()
    assert fake_slack.connections == 1
    client.close()


def test_a_proxy_from_the_environment_is_honoured(fake_slack, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", fake_slack.url.removesuffix("/api/"))
    client = KeepAliveWebClient(token=fake_slack.token, base_url=fake_slack.url)
    client.auth_test()
    client.auth_test()
    assert fake_slack.connections == 2  # through urllib's proxy handler, a connection per call


def test_https_is_verified_and_its_connection_kept_open():
    ca = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(served)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    with FakeSlack(tls=served) as fake:
        assert fake.url.startswith("https://")
        client = KeepAliveWebClient(token=fake.token, base_url=fake.url, ssl=trusting)
        assert client.auth_test()["ok"] and client.auth_test()["ok"]
        assert fake.connections == 1
        client.close()
        stranger = KeepAliveWebClient(token=fake.token, base_url=fake.url)  # system trust only
        with pytest.raises(URLError) as refused:
            stranger.auth_test()
        assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)
        assert fake.calls_to("auth.test") and len(fake.calls_to("auth.test")) == 2
