"""The fake Slack Web API, driven by the real slack_sdk WebClient."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.fake_slack import FakeSlack


@pytest.fixture()
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user("U1", name="sarah", tz="Europe/Paris", tz_offset=3600)
        yield fake


@pytest.fixture()
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url)


def modal(title: str = "Coach", blocks: int = 1, **extra: Any) -> dict[str, Any]:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": [{**section, "block_id": f"b{i}"} for i in range(blocks)],
        **extra,
    }


def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as info:
        call()
    return dict(info.value.response.data)


def test_open_then_update_with_hash_and_conflict(fake: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(trigger_id=fake.issue_trigger(), view=modal(callback_id="coach"))
    view = opened["view"]
    assert view["id"].startswith("V") and view["root_view_id"] == view["id"]
    assert fake.views[view["id"]]["callback_id"] == "coach"

    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=modal("Saved"))
    assert updated["view"]["id"] == view["id"]
    assert updated["view"]["hash"] != view["hash"]
    assert fake.views[view["id"]]["title"]["text"] == "Saved"

    stale = error_of(
        lambda: client.views_update(view_id=view["id"], hash=view["hash"], view=modal())
    )
    assert stale["error"] == "hash_conflict"
    unknown = error_of(lambda: client.views_update(view_id="VNOPE", view=modal()))
    assert unknown["error"] == "not_found"


def test_update_by_external_id_and_push_onto_open_modal(fake: FakeSlack, client: WebClient) -> None:
    root = client.views_open(trigger_id=fake.issue_trigger(), view=modal(external_id="x1"))["view"]
    client.views_update(external_id="x1", view=modal("Renamed"))
    assert fake.views[root["id"]]["title"]["text"] == "Renamed"

    pushed = client.views_push(trigger_id=fake.issue_trigger(root["id"]), view=modal("Step 2"))
    assert pushed["view"]["root_view_id"] == root["id"]
    assert pushed["view"]["previous_view_id"] == root["id"]

    fake.close_view(root["id"])
    assert fake.views == {}
    nothing_open = error_of(
        lambda: client.views_push(trigger_id=fake.issue_trigger(), view=modal())
    )
    assert nothing_open["error"] == "not_found"


def test_trigger_is_single_use(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.issue_trigger()
    client.views_open(trigger_id=trigger, view=modal())
    again = error_of(lambda: client.views_open(trigger_id=trigger, view=modal()))
    assert again["error"] == "exchanged_trigger_id"
    unknown = error_of(lambda: client.views_open(trigger_id="1.2.nope", view=modal()))
    assert unknown["error"] == "invalid_trigger_id"


def test_trigger_expires() -> None:
    with FakeSlack(trigger_ttl=0.05) as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        trigger = fake.issue_trigger()
        time.sleep(0.08)
        late = error_of(lambda: client.views_open(trigger_id=trigger, view=modal()))
        assert late["error"] == "expired_trigger_id"
        assert fake.views == {}


def test_long_title_is_rejected_with_messages(fake: FakeSlack, client: WebClient) -> None:
    too_long = "x" * 25
    data = error_of(
        lambda: client.views_open(trigger_id=fake.issue_trigger(), view=modal(too_long))
    )
    assert data["error"] == "invalid_arguments"
    assert data["response_metadata"]["messages"][0] == (
        "[ERROR] /view/title/text: modal title is 25 characters (limit 24)"
    )
    assert (
        fake.violations[0]
        == "views.open: /view/title/text: modal title is 25 characters (limit 24)"
    )
    client.views_open(trigger_id=fake.issue_trigger(), view=modal("x" * 24))  # 24 is fine


def test_block_limits_and_ids(fake: FakeSlack, client: WebClient) -> None:
    data = error_of(
        lambda: client.views_open(trigger_id=fake.issue_trigger(), view=modal(blocks=101))
    )
    assert data["error"] == "invalid_arguments"
    assert data["response_metadata"]["messages"][0] == (
        "[ERROR] /view/blocks: blocks is 101 blocks (limit 100)"
    )
    client.views_open(trigger_id=fake.issue_trigger(), view=modal(blocks=100))

    twice = modal()
    twice["blocks"] *= 2
    data = error_of(lambda: client.views_open(trigger_id=fake.issue_trigger(), view=twice))
    assert data["response_metadata"]["messages"][0] == (
        "[ERROR] /view/blocks/1/block_id: block_id 'b0' is not unique"
    )

    blocks = modal(blocks=51)["blocks"]
    data = error_of(lambda: client.chat_postMessage(channel="C1", blocks=blocks, text="x"))
    assert data["error"] == "invalid_blocks"
    with pytest.warns(UserWarning, match="`text` argument is missing"):
        assert error_of(lambda: client.chat_postMessage(channel="C1"))["error"] == "no_text"


def test_form_body_with_json_string_view(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.issue_trigger()
    client.api_call("views.open", params={"trigger_id": trigger, "view": json.dumps(modal())})
    (call,) = fake.calls_to("views.open")
    assert call.args["view"]["type"] == "modal" and call.response["ok"]


def test_rate_limit_is_retried_after_retry_after(fake: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    sent = client.chat_postMessage(channel="C1", text="hello")
    assert sent["ok"] and time.monotonic() - started >= 1
    first, second = fake.calls_to("chat.postMessage")
    assert (first.status, first.response["error"]) == (429, "ratelimited")
    assert second.response["ok"] and second.at - first.at >= 1


def test_fail_next_with_an_error(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("auth.test", error="internal_error", times=2)
    assert error_of(client.auth_test)["error"] == "internal_error"
    assert error_of(client.auth_test)["error"] == "internal_error"
    assert client.auth_test()["user_id"] == fake.bot_user_id


def test_auth_and_unknown_method(fake: FakeSlack) -> None:
    wrong = WebClient(token="xoxb-wrong", base_url=fake.url)
    assert error_of(wrong.auth_test)["error"] == "invalid_auth"
    assert error_of(WebClient(base_url=fake.url).auth_test)["error"] == "not_authed"
    right = WebClient(token="xoxb-test", base_url=fake.url)
    assert error_of(lambda: right.api_call("chat.nope"))["error"] == "unknown_method"
    assert right.auth_test()["team_id"] == fake.team_id


def test_history_with_and_without_metadata(fake: FakeSlack, client: WebClient) -> None:
    dm = client.conversations_open(users="U1")["channel"]["id"]
    assert dm.startswith("D") and client.conversations_open(users=["U1"])["channel"]["id"] == dm
    metadata = {"event_type": "coaching_sent", "event_payload": {"note_id": 7}}
    first = client.chat_postMessage(channel=dm, text="first", metadata=metadata)
    second = client.chat_postMessage(channel="U1", text="second")  # a user id posts to the DM
    assert first["channel"] == second["channel"] == dm

    plain = client.conversations_history(channel=dm)["messages"]
    assert [m["text"] for m in plain] == ["second", "first"]
    assert all("metadata" not in m for m in plain)
    full = client.conversations_history(channel=dm, include_all_metadata=True)["messages"]
    assert full[1]["metadata"] == metadata and "metadata" not in full[0]

    client.chat_update(channel=dm, ts=first["ts"], text="edited")
    assert fake.messages[dm][0]["text"] == "edited"
    gone = error_of(lambda: client.chat_update(channel=dm, ts="1.000001", text="x"))
    assert gone["error"] == "message_not_found"


def test_users_info(fake: FakeSlack, client: WebClient) -> None:
    user = client.users_info(user="U1")["user"]
    assert (user["name"], user["tz"], user["tz_offset"]) == ("sarah", "Europe/Paris", 3600)
    fake.add_user("U2")
    assert client.users_info(user="U2")["user"]["tz"] == "America/New_York"
    assert error_of(lambda: client.users_info(user="U404"))["error"] == "user_not_found"


def test_home_tab_and_ephemeral(fake: FakeSlack, client: WebClient) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Hi"}}],
    }
    first = client.views_publish(user_id="U1", view=home)["view"]
    again = client.views_publish(user_id="U1", view=home, hash=first["hash"])["view"]
    assert again["id"] == first["id"] and again["hash"] != first["hash"]
    stale = error_of(lambda: client.views_publish(user_id="U1", view=home, hash=first["hash"]))
    assert stale["error"] == "hash_conflict"
    assert client.chat_postEphemeral(channel="C1", user="U1", text="psst")["message_ts"]


def test_response_url_is_recorded(fake: FakeSlack) -> None:
    url = fake.response_url()
    hook = WebhookClient(url)
    assert hook.send(text="done", replace_original=True).status_code == 200
    (call,) = fake.calls_to("response_url")
    assert call.args == {"text": "done", "replace_original": True, "response_url": url}
    assert WebhookClient(url + "x").send(text="no").status_code == 404


def test_wait_for_blocks_until_calls_arrive(fake: FakeSlack, client: WebClient) -> None:
    threading.Timer(0.05, lambda: client.chat_postMessage(channel="C1", text="later")).start()
    (call,) = fake.wait_for("chat.postMessage", timeout=5)
    assert call.args["text"] == "later"
    with pytest.raises(AssertionError, match=r"expected 2 call\(s\) to chat.postMessage"):
        fake.wait_for("chat.postMessage", count=2, timeout=0.05)
    fake.reset()
    assert fake.calls == [] and fake.messages == {}
