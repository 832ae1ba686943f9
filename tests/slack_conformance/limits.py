"""The limits of Slack's Block Kit reference, and the block and element types Debrief may send."""

from __future__ import annotations

import re
from typing import Any

JSON = dict[str, Any]

# Slack's Block Kit reference: https://docs.slack.dev/reference/block-kit/
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
TEXT_OBJECT = 3000  # any text object not given a tighter limit
BUTTON_TEXT = 75
BUTTON_URL = 3000
BUTTON_VALUE = 2000
ACTION_ID = 255
BLOCK_ID = 255
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTION_DESCRIPTION = 75
SELECT_OPTIONS = 100
CHECKBOX_OPTIONS = 10
OVERFLOW_OPTIONS = (2, 5)
PLACEHOLDER = 150
INPUT_LABEL = 2000
INPUT_HINT = 2000
INPUT_MAX_LENGTH = 3000
IMAGE_URL = 3000
ALT_TEXT = 2000
IMAGE_TITLE = 2000
CONFIRM = {"title": 100, "text": 300, "confirm": 30, "deny": 30}
VIEW_TITLE = 24  # title, submit and close
PRIVATE_METADATA = 3000
CALLBACK_ID = 255
EXTERNAL_ID = 255
MESSAGE_TEXT = 40000  # Slack truncates past this; Debrief never should send it

MESSAGE_BLOCK_TYPES = {"section", "header", "context", "actions", "divider", "image", "rich_text"}
VIEW_BLOCK_TYPES = MESSAGE_BLOCK_TYPES | {"input"}
SELECTS = {
    "static_select", "external_select", "users_select", "conversations_select",
    "channels_select", "multi_static_select", "multi_external_select", "multi_users_select",
    "multi_conversations_select", "multi_channels_select",
}  # fmt: skip
ELEMENT_TYPES = SELECTS | {
    "button", "checkboxes", "radio_buttons", "datepicker", "timepicker", "datetimepicker",
    "plain_text_input", "number_input", "email_input", "url_input", "overflow", "image",
}  # fmt: skip
BROADCASTS = re.compile(r"<!(channel|here|everyone)(\|[^>]*)?>")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
