"""The strict checks behind the fake Slack: each documented limit is caught, naming field and limit."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fake_slack import FakeSlack
from tests.slack_conformance import (
    argument_problems,
    message_problems,
    options_problems,
    submission_problems,
    view_problems,
)

JSON = dict[str, Any]


def _plain(text: str) -> JSON:
    return {"type": "plain_text", "text": text}


def _option(text: str = "One", value: str = "1") -> JSON:
    return {"text": _plain(text), "value": value}


def _button(action_id: str = "go", **extra: Any) -> JSON:
    return {"type": "button", "text": _plain("Go"), "action_id": action_id, **extra}


def _modal_display_blocks() -> list[JSON]:
    """What the modal shows: a header, context, a divider, a section with a button, buttons."""
    return [
        {"type": "header", "text": _plain("Sarah")},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "lead <@U1>"}]},
        {"type": "divider"},
        {
            "type": "section",
            "block_id": "s1",
            "text": {"type": "mrkdwn", "text": "*CSAT 1*"},
            "accessory": _button("sample_link", url="https://x.example/1", value="1"),
        },
        {
            "type": "actions",
            "block_id": "a1",
            "elements": [
                _button("edit", value="1"),
                _button(
                    "archive",
                    value="1",
                    style="danger",
                    confirm={
                        "title": _plain("Archive?"),
                        "text": _plain("Sure?"),
                        "confirm": _plain("Archive"),
                        "deny": _plain("Keep"),
                        "style": "danger",
                    },
                ),
            ],
        },
    ]


def _modal_form_blocks() -> list[JSON]:
    """What a lead fills in: the inputs, and a section with an external select."""
    return [
        {
            "type": "input",
            "block_id": "body",
            "label": _plain("Note"),
            "element": {
                "type": "plain_text_input",
                "action_id": "body",
                "multiline": True,
                "max_length": 3000,
            },
        },
        {
            "type": "input",
            "block_id": "when",
            "optional": True,
            "label": _plain("Follow-up date"),
            "element": {"type": "datepicker", "action_id": "when"},
        },
        {
            "type": "input",
            "block_id": "share",
            "optional": True,
            "label": _plain("Visibility"),
            "element": {
                "type": "checkboxes",
                "action_id": "share",
                "options": [_option("Share", "shared")],
            },
        },
        {
            "type": "input",
            "block_id": "sample",
            "optional": True,
            "label": _plain("About"),
            "element": {
                "type": "static_select",
                "action_id": "sample",
                "options": [_option()],
                "initial_option": _option(),
            },
        },
        {
            "type": "section",
            "block_id": "picker",
            "text": {"type": "mrkdwn", "text": "Anyone:"},
            "accessory": {
                "type": "external_select",
                "action_id": "pick",
                "placeholder": _plain("Type a name"),
                "min_query_length": 1,
            },
        },
    ]


def valid_modal() -> JSON:
    """A modal using every kind of block and element Debrief sends."""
    return {
        "type": "modal",
        "callback_id": "coach_modal",
        "title": _plain("Coach Sarah"),
        "submit": _plain("Save note"),
        "close": _plain("Close"),
        "private_metadata": '{"agent_id": 1}',
        "blocks": [*_modal_display_blocks(), *_modal_form_blocks()],
    }


def valid_message() -> JSON:
    return {
        "text": "Sarah is flagged",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "Sarah"}},
            {"type": "image", "slack_file": {"id": "F1"}, "alt_text": "Weekly CSAT"},
            {"type": "actions", "elements": [_button("coach_open", value="1")]},
        ],
        "metadata": {"event_type": "debrief_flag", "event_payload": {"flag_id": 1}},
    }


def test_valid_surfaces_pass() -> None:
    assert view_problems(valid_modal()) == []
    assert view_problems({"type": "home", "blocks": valid_modal()["blocks"][:5]}) == []
    assert message_problems(valid_message()) == []
    assert options_problems({"options": [_option()]}) == []
    assert options_problems({"options": []}) == []


def _block(view: JSON, block_id: str) -> JSON:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


VIEW_CASES: list[tuple[str, Callable[[JSON], None], str]] = [
    ("modal title", lambda v: v["title"].update(text="x" * 25),
     "/view/title/text: modal title is 25 characters (limit 24)"),
    ("submit", lambda v: v["submit"].update(text="x" * 25),
     "/view/submit/text: modal submit is 25 characters (limit 24)"),
    ("close", lambda v: v["close"].update(text="x" * 25),
     "/view/close/text: modal close is 25 characters (limit 24)"),
    ("private_metadata", lambda v: v.update(private_metadata="x" * 3001),
     "/view/private_metadata: private_metadata is 3001 characters (limit 3000)"),
    ("100 blocks", lambda v: v["blocks"].extend([{"type": "divider"}] * 91),
     "/view/blocks: blocks is 101 blocks (limit 100)"),
    ("header", lambda v: v["blocks"][0]["text"].update(text="x" * 151),
     "/view/blocks/0/text/text: header text is 151 characters (limit 150)"),
    ("section text", lambda v: _block(v, "s1")["text"].update(text="x" * 3001),
     "/view/blocks/3/text/text: section text is 3001 characters (limit 3000)"),
    ("button url", lambda v: _block(v, "s1")["accessory"].update(url="https://x/" + "y" * 2991),
     "/view/blocks/3/accessory/url: button url is 3001 characters (limit 3000)"),
    ("button value", lambda v: _block(v, "a1")["elements"][0].update(value="1" * 2001),
     "/view/blocks/4/elements/0/value: button value is 2001 characters (limit 2000)"),
    ("option text", lambda v: _block(v, "sample")["element"]["options"][0]["text"].update(
        text="x" * 76),
     "/view/blocks/8/element/options/0/text/text: option text is 76 characters (limit 75)"),
    ("option value", lambda v: _block(v, "sample")["element"]["options"][0].update(
        value="1" * 151),
     "/view/blocks/8/element/options/0/value: option value is 151 characters (limit 150)"),
    ("100 options", lambda v: _block(v, "sample")["element"].update(
        options=[_option(str(i), str(i)) for i in range(101)]),
     "/view/blocks/8/element/options: options is 101 options (limit 100)"),
    ("context elements", lambda v: v["blocks"][1]["elements"].extend(
        [{"type": "mrkdwn", "text": "x"}] * 10),
     "/view/blocks/1/elements: context elements is 11 elements (limit 10)"),
    ("action_id unique in a block", lambda v: _block(v, "a1")["elements"][1].update(
        action_id="edit"),
     "/view/blocks/4: action_id 'edit' is used by 2 elements of one block"),
    ("block_id unique in a view", lambda v: _block(v, "a1").update(block_id="s1"),
     "/view/blocks/4/block_id: block_id 's1' is not unique"),
    ("alt_text", lambda v: v["blocks"].append(
        {"type": "image", "image_url": "https://x.example/a.png", "alt_text": ""}),
     "/view/blocks/10/alt_text: every image needs alt_text"),
    ("input needs submit", lambda v: v.pop("submit"),
     "/view: a modal with input blocks needs a submit button"),
    ("initial option", lambda v: _block(v, "sample")["element"].update(
        initial_option=_option("Two", "2")),
     "/view/blocks/8/element/initial_option: initial option is not one of the options"),
    ("unknown field", lambda v: v["blocks"][2].update(text=_plain("x")),
     "/view/blocks/2/text: slack_sdk's model does not know this field (or not here)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "break_it", "problem"), VIEW_CASES, ids=[c[0] for c in VIEW_CASES]
)
def test_each_view_limit_is_refused_naming_field_and_limit(
    label: str, break_it: Callable[[JSON], None], problem: str
) -> None:
    view = copy.deepcopy(valid_modal())
    break_it(view)
    assert problem in view_problems(view)


MESSAGE_CASES: list[tuple[str, Callable[[JSON], None], str]] = [
    ("50 blocks", lambda m: m["blocks"].extend([{"type": "divider"}] * 48),
     "/blocks: blocks is 51 blocks (limit 50)"),
    ("image alt_text", lambda m: m["blocks"][1].pop("alt_text"),
     "/blocks/1/alt_text: every image needs alt_text"),
    ("no fallback text", lambda m: m.pop("text"),
     "/text: a message with blocks needs a text fallback (notifications and screen readers "
     "use it)"),
    ("@channel in the notification", lambda m: m.update(text="hi <!channel>"),
     "/text: notifies the whole channel: <!channel>"),
    ("input block in a message", lambda m: m["blocks"].append(
        {"type": "input", "label": _plain("x"), "element": {"type": "datepicker"}}),
     "/blocks/3/type: block type 'input' is not allowed here"),
    ("metadata", lambda m: m["metadata"].update(event_type="Debrief Flag"),
     "/metadata/event_type: must be a snake_case name, not 'Debrief Flag'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "break_it", "problem"), MESSAGE_CASES, ids=[c[0] for c in MESSAGE_CASES]
)
def test_each_message_limit_is_refused(
    label: str, break_it: Callable[[JSON], None], problem: str
) -> None:
    message = copy.deepcopy(valid_message())
    break_it(message)
    assert problem in message_problems(message)


def test_slack_sdks_own_validators_run_on_every_block() -> None:
    message = valid_message()
    message["blocks"][2]["elements"][0]["accessibility_label"] = "x" * 76  # only slack_sdk checks
    assert message_problems(message) == [
        "/blocks/2: slack_sdk's validate_json() refuses it: accessibility_label attribute cannot "
        "exceed 75 characters"
    ]


def test_options_answers() -> None:
    too_many = {"options": [_option(str(i), str(i)) for i in range(101)]}
    assert "/options: options is 101 options (limit 100)" in options_problems(too_many)
    long = {"options": [_option("x" * 76, "1")]}
    assert "/options/0/text/text: option text is 76 characters (limit 75)" in options_problems(long)
    assert options_problems(None) == ["/: an options answer must be an object"]


def test_submission_answers() -> None:
    submitted = valid_modal()
    assert submission_problems({}, submitted) == []
    assert submission_problems({"response_action": "errors", "errors": {"body": "Empty"}},
                               submitted) == []  # fmt: skip
    assert submission_problems({"response_action": "errors", "errors": {"s1": "x"}}, submitted) == [
        "/errors/s1: not the block_id of an input block of the submitted view"
    ]
    bad = copy.deepcopy(valid_modal())
    bad["title"]["text"] = "x" * 30
    assert "/view/title/text: modal title is 30 characters (limit 24)" in submission_problems(
        {"response_action": "update", "view": bad}, submitted
    )
    assert submission_problems({"response_action": "close"}, submitted) == [
        "/response_action: must be errors, update, push or clear, not 'close'"
    ]


def test_method_arguments_follow_slacks_reference() -> None:
    assert argument_problems("chat.postMessage", {"channel": "D1", "text": "hi"}) == []
    assert argument_problems("chat.postMessage", {"channel": "D1", "text": "x", "colour": 1}) == [
        "chat.postMessage: colour is not an argument of chat.postMessage in Slack's method "
        "reference"
    ]
    assert argument_problems("chat.postMessage", {"channel": "D1"}) == [
        "chat.postMessage: one of text, blocks, attachments, markdown_text is required"
    ]
    assert argument_problems("views.publish", {"view": {}}) == [
        "views.publish: missing required argument user_id"
    ]
    assert argument_problems("views.update", {"view": {}}) == [
        "views.update: one of view_id, external_id is required"
    ]
    assert argument_problems("chat.update", {"channel": "U123", "ts": "1.2", "text": "x"}) == [
        "chat.update: channel must be a conversation id (C…, D…, G…), not 'U123'"
    ]
    assert argument_problems("conversations.history", {"channel": "D1", "limit": 1000}) == [
        "conversations.history: limit must be 1–999, not 1000"
    ]
    assert argument_problems("files.getUploadURLExternal", {"filename": "a", "length": 0}) == [
        "files.getUploadURLExternal: length must be a whole number ≥ 1"
    ]
    assert argument_problems("chat.delete", {}) == [
        "chat.delete: not a method Debrief is known to call (add it from Slack's reference)"
    ]


@pytest.mark.slack_refusals
def test_the_fake_refuses_a_violation_and_remembers_it(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U1")
    client = WebClient(token=fake_slack.token, base_url=fake_slack.url)
    message = valid_message()
    message["blocks"] = message["blocks"][:1] + message["blocks"][2:]  # no unfinished file
    message["blocks"][1]["elements"].append(_button("coach_open", value="2"))
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="U1", **message)
    assert refused.value.response["error"] == "invalid_blocks"
    assert fake_slack.violations == [
        "chat.postMessage: /blocks/1: action_id 'coach_open' is used by 2 elements of one block"
    ]
