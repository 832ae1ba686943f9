"""What a person would see of a Block Kit surface, rendered as plain text."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from bot.demo.render import BUILDER_URL, DEFAULT_WIDTH, builder_url, render_text


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    opt: dict[str, Any] = {"text": plain(text), "value": value}
    if description:
        opt["description"] = plain(description)
    return opt


SHARE = option("Share with agent", "share", "They will see it on their own record")
PIN = option("Pin to top", "pin")
BILLING = option("Billing", "billing")
TICKET_URL = "https://example.zendesk.com/agent/tickets/4412"


def coach_record_blocks() -> list[dict[str, Any]]:
    """The top of the Coach modal: who, a sample with its link, fields, the note's buttons."""
    return [
        {"type": "header", "text": plain("Jo Smith")},
        {"type": "context", "elements": [mrkdwn("<@U123> · lead <@U999>")]},
        {"type": "divider"},
        {
            "type": "section",
            "text": mrkdwn(
                "*CSAT 2* · closed <!date^1700000000^{date_short_pretty}|Tue 14 Nov 2023>"
                " · see <https://wiki.example.com/refunds|the refund guide> &amp; macros"
            ),
            "accessory": {
                "type": "button",
                "text": plain("Open in Zendesk"),
                "action_id": "sample_link",
                "url": TICKET_URL,
            },
        },
        {
            "type": "section",
            "fields": [mrkdwn("*Queue*\nBilling"), mrkdwn("*Status*\nOpen")],
        },
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": plain("Edit"), "action_id": "edit"},
                {
                    "type": "button",
                    "text": plain("Archive"),
                    "action_id": "archive",
                    "style": "danger",
                    "confirm": {
                        "title": plain("Archive this note?"),
                        "text": plain("It leaves the history."),
                        "confirm": plain("Archive"),
                        "deny": plain("Keep it"),
                    },
                },
            ],
        },
    ]


def coach_input_blocks() -> list[dict[str, Any]]:
    """The Coach modal's inputs: a note, dates, visibility, a sample and a queue."""
    return [
        {
            "type": "input",
            "label": plain("Note"),
            "element": {
                "type": "plain_text_input",
                "action_id": "body",
                "multiline": True,
                "placeholder": plain("What do you want them to know?"),
            },
        },
        {
            "type": "input",
            "label": plain("Follow-up date"),
            "optional": True,
            "element": {"type": "datepicker", "action_id": "follow_up"},
        },
        {
            "type": "input",
            "label": plain("Due"),
            "element": {
                "type": "datepicker",
                "action_id": "due",
                "initial_date": "2024-05-01",
            },
            "hint": plain("We remind you that morning."),
        },
        {
            "type": "input",
            "label": plain("Visibility"),
            "optional": True,
            "element": {
                "type": "checkboxes",
                "action_id": "share",
                "options": [SHARE, PIN],
                "initial_options": [SHARE],
            },
        },
        {
            "type": "input",
            "label": plain("About a sample"),
            "element": {
                "type": "static_select",
                "action_id": "sample",
                "placeholder": plain("Which conversation?"),
                "options": [BILLING],
            },
        },
        {
            "type": "input",
            "label": plain("Queue"),
            "element": {
                "type": "static_select",
                "action_id": "queue",
                "placeholder": plain("Pick a queue"),
                "options": [BILLING],
                "initial_option": BILLING,
            },
        },
    ]


def coach_modal() -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "coach",
        "title": plain("Coach Jo Smith"),
        "submit": plain("Save note"),
        "close": plain("Close"),
        "private_metadata": '{"agent_id": 7}',
        "blocks": [
            *coach_record_blocks(),
            *coach_input_blocks(),
            {"type": "image", "image_url": "https://x.example/t.png", "alt_text": "CSAT trend"},
            {"type": "call", "call_id": "R123"},
        ],
    }


@pytest.fixture
def modal_text() -> str:
    return render_text(coach_modal())


def test_modal_title_is_boxed_and_header_is_in_capitals(modal_text: str) -> None:
    lines = modal_text.splitlines()
    assert lines[1] == "│ Coach Jo Smith │"
    assert lines[0].startswith("╭") and lines[2].startswith("╰")
    assert "JO SMITH" in lines


def test_mrkdwn_is_made_readable(modal_text: str) -> None:
    flat = " ".join(modal_text.split())
    assert "see the refund guide (https://wiki.example.com/refunds) & macros" in flat
    assert "@U123" in modal_text and "@U999" in modal_text
    assert "Tue 14 Nov 2023" in modal_text
    assert "*CSAT 2*" in modal_text
    for raw in ("<@", "<!date", "<https", "&amp;", "{date_short_pretty}"):
        assert raw not in modal_text


def test_context_is_dimmed_and_divider_spans_the_width(modal_text: str) -> None:
    lines = modal_text.splitlines()
    assert "  · @U123 · lead @U999" in lines
    assert "─" * DEFAULT_WIDTH in lines


def test_link_button_shows_label_and_url(modal_text: str) -> None:
    assert f"[ Open in Zendesk ↗ {TICKET_URL} ]" in modal_text


def test_fields_sit_in_two_columns(modal_text: str) -> None:
    lines = modal_text.splitlines()
    queue = next(line for line in lines if line.startswith("*Queue*"))
    assert queue.split() == ["*Queue*", "*Status*"]
    value_row = lines[lines.index(queue) + 1]
    assert value_row.split() == ["Billing", "Open"]
    assert value_row.index("Open") == queue.index("*Status*")


def test_actions_row_and_confirm_after_it(modal_text: str) -> None:
    lines = modal_text.splitlines()
    row = lines.index("[ Edit ]  [ Archive ]")
    assert lines[row + 1] == "  ↳ [ Archive ] asks: Archive this note? — It leaves the history."
    assert lines[row + 2] == "    [ Keep it ]  [ Archive ]"


def test_inputs_show_labels_fields_and_initial_values(modal_text: str) -> None:
    lines = modal_text.splitlines()
    note = lines.index("Note")
    assert lines[note + 1].startswith("┌") and lines[note + 1].endswith("┐")
    assert "(What do you want them to know?)" in lines[note + 2]
    assert "Follow-up date (optional): [ date ▾ ]" in lines
    assert "Due: [ 2024-05-01 ▾ ]" in lines
    assert lines[lines.index("Due: [ 2024-05-01 ▾ ]") + 1] == "  · We remind you that morning."
    assert "About a sample: [ Which conversation? ▾ ]" in lines
    assert "Queue: [ Billing ▾ ]" in lines


def test_checkboxes_show_their_state(modal_text: str) -> None:
    lines = modal_text.splitlines()
    assert "Visibility (optional)" in lines
    assert "[x] Share with agent" in lines
    assert "    They will see it on their own record" in lines
    assert "[ ] Pin to top" in lines


def test_image_and_unknown_block(modal_text: str) -> None:
    assert "[image: CSAT trend]" in modal_text.splitlines()
    assert "[call block]" in modal_text.splitlines()


def test_modal_buttons_sit_at_the_bottom_close_then_submit(modal_text: str) -> None:
    lines = modal_text.splitlines()
    assert lines[-1].endswith("[ Close ]  [ Save note ]")
    assert len(lines[-1]) == DEFAULT_WIDTH
    assert lines[-2] == "─" * DEFAULT_WIDTH


def test_modal_without_close_shows_cancel_and_no_submit() -> None:
    text = render_text({"type": "modal", "title": plain("Oops"), "blocks": []})
    assert text.splitlines()[-1].strip() == "[ Cancel ]"


def test_nothing_is_wider_than_the_width() -> None:
    words = "Customer asked about a refund and got a canned reply that missed the point. " * 6
    message = {
        "blocks": [
            {"type": "section", "text": mrkdwn(words)},
            {"type": "context", "elements": [mrkdwn(words)]},
            {
                "type": "section",
                "fields": [mrkdwn(words), mrkdwn(words), mrkdwn(words)],
            },
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": plain(f"Button {n}"), "action_id": str(n)}
                    for n in range(12)
                ],
            },
        ]
    }
    for width in (40, 60, DEFAULT_WIDTH):
        lines = render_text(message, width=width).splitlines()
        assert max(len(line) for line in lines) <= width
    narrow = render_text({"blocks": [{"type": "section", "text": mrkdwn(words)}]}, width=40)
    assert len(narrow.splitlines()) > 1
    assert narrow.split() == words.split()


def test_wrapping_never_splits_a_button() -> None:
    elements = [
        {"type": "button", "text": plain(f"Open note {n}"), "action_id": str(n)} for n in range(8)
    ]
    text = render_text({"blocks": [{"type": "actions", "elements": elements}]}, width=40)
    for line in text.splitlines():
        assert line.count("[") == line.count("]")
    for n in range(8):
        assert f"[ Open note {n} ]" in text


def test_bullets_hang_when_wrapped() -> None:
    text = "• " + "word " * 30
    lines = render_text({"blocks": [{"type": "section", "text": mrkdwn(text)}]}, width=40)
    first, second = lines.splitlines()[:2]
    assert first.startswith("• word")
    assert second.startswith("  word")


def test_short_accessory_sits_right_of_the_text() -> None:
    select = {
        "type": "static_select",
        "action_id": "pick",
        "placeholder": plain("Choose an agent"),
        "options": [option("Jo Smith", "1")],
    }
    message = {
        "text": "Whose record?",
        "blocks": [
            {"type": "section", "text": mrkdwn("Whose record?"), "accessory": select},
            {
                "type": "section",
                "text": mrkdwn("More"),
                "accessory": {
                    "type": "overflow",
                    "action_id": "more",
                    "options": [option("Copy link", "c"), option("Delete", "d")],
                },
            },
        ],
    }
    lines = render_text(message, width=60).splitlines()
    assert lines[0].startswith("Whose record?")
    assert lines[0].endswith("[ Choose an agent ▾ ]")
    assert len(lines[0]) == 60
    assert lines[2].startswith("More") and lines[2].endswith("[ ⋯ ]")
    assert lines[3] == "  ↳ [ ⋯ ] menu: Copy link · Delete"


def test_message_text_without_blocks_is_rendered() -> None:
    text = render_text(
        {"text": "Hi <@U1>, see <https://x.example/a?b=1&amp;c=2|the doc> in <#C1|coaching>"}
    )
    assert text == "Hi @U1, see the doc (https://x.example/a?b=1&c=2) in #coaching"


def test_message_blocks_win_over_fallback_text() -> None:
    message = {"text": "fallback", "blocks": [{"type": "section", "text": mrkdwn("Shown")}]}
    assert render_text(message) == "Shown"


def test_more_mrkdwn_tokens() -> None:
    text = render_text(
        {
            "text": "<!here> <!subteam^S1|@leads> <mailto:jo@example.com|jo@example.com> "
            "<https://example.com> <!date^1700000000^{date}> &lt;3"
        }
    )
    assert text == "@here @leads jo@example.com https://example.com 2023-11-14 <3"


def test_other_inputs() -> None:
    blocks = [
        {
            "type": "input",
            "label": plain("Title"),
            "element": {
                "type": "plain_text_input",
                "action_id": "t",
                "placeholder": plain("Short title"),
            },
        },
        {
            "type": "input",
            "label": plain("Summary"),
            "element": {"type": "plain_text_input", "action_id": "s", "initial_value": "Refunds"},
        },
        {
            "type": "input",
            "label": plain("Tone"),
            "element": {
                "type": "radio_buttons",
                "action_id": "tone",
                "options": [option("Warm", "w"), option("Direct", "d")],
                "initial_option": option("Direct", "d"),
            },
        },
        {
            "type": "input",
            "label": plain("Lead"),
            "element": {"type": "users_select", "action_id": "u", "initial_user": "U9"},
        },
        {
            "type": "input",
            "label": plain("Body"),
            "element": {
                "type": "plain_text_input",
                "action_id": "b",
                "multiline": True,
                "initial_value": "Line one\nLine two",
            },
        },
    ]
    lines = render_text({"blocks": blocks}, width=50).splitlines()
    assert "Title: ________________________  (Short title)" in lines
    assert "Summary: Refunds" in lines
    assert "( ) Warm" in lines and "(•) Direct" in lines
    assert "Lead: [ @U9 ▾ ]" in lines
    assert "│ Line one" in lines[lines.index("Body") + 2]
    assert "│ Line two" in lines[lines.index("Body") + 3]


def test_rich_text() -> None:
    block = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "Well done "},
                    {"type": "user", "user_id": "U1"},
                    {"type": "text", "text": " on this", "style": {"bold": True}},
                ],
            },
            {
                "type": "rich_text_list",
                "style": "ordered",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "a"}]},
                    {
                        "type": "rich_text_section",
                        "elements": [{"type": "link", "url": "https://x.example", "text": "b"}],
                    },
                ],
            },
        ],
    }
    assert render_text({"blocks": [block]}).splitlines() == [
        "Well done @U1 *on this*",
        "1. a",
        "2. b (https://x.example)",
    ]


def test_home_view() -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": mrkdwn("Welcome")}]}
    lines = render_text(home).splitlines()
    assert lines[1] == "│ Home │"
    assert lines[-1] == "Welcome"
    assert "[ Cancel ]" not in lines[-1]


def test_malformed_input_does_not_fail() -> None:
    surface: dict[str, Any] = {
        "blocks": [
            None,
            "text",
            {"type": "section"},
            {"type": "input"},
            {"type": "actions", "elements": [None, {"type": "mystery"}]},
            {"type": "context", "elements": "nope"},
        ]
    }
    text = render_text(surface)
    assert "[unknown block]" in text
    assert "[mystery]" in text
    assert render_text({}) == ""


def test_render_does_not_change_the_surface() -> None:
    view = coach_modal()
    before = copy.deepcopy(view)
    render_text(view, width=30)
    builder_url(view)
    assert view == before


def _payload(url: str) -> Any:
    assert url.startswith(BUILDER_URL)
    fragment = urlsplit(url).fragment
    assert fragment == url[len(BUILDER_URL) :]
    return json.loads(unquote(fragment))


def test_builder_url_round_trips_a_modal() -> None:
    view = coach_modal()
    url = builder_url(view)
    assert " " not in url and "{" not in url
    assert _payload(url) == view


def test_builder_url_round_trips_a_home_view() -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": mrkdwn("Hi <@U1> ✓")}]}
    assert _payload(builder_url(home)) == home


def test_builder_url_of_a_message_holds_its_blocks() -> None:
    blocks = [{"type": "section", "text": mrkdwn("*Hi* & “bye” <https://x.example|x>")}]
    url = builder_url({"text": "fallback", "blocks": blocks, "response_type": "ephemeral"})
    assert _payload(url) == {"blocks": blocks}
