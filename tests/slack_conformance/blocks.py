"""Layer 2 for blocks and elements: the documented limits, walked over the JSON."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.slack_conformance.limits import (
    _DATE,
    ACTION_ID,
    ACTIONS_ELEMENTS,
    ALT_TEXT,
    BLOCK_ID,
    BUTTON_TEXT,
    BUTTON_URL,
    BUTTON_VALUE,
    CHECKBOX_OPTIONS,
    CONFIRM,
    CONTEXT_ELEMENTS,
    ELEMENT_TYPES,
    FIELD_TEXT,
    HEADER_TEXT,
    IMAGE_TITLE,
    IMAGE_URL,
    INPUT_HINT,
    INPUT_LABEL,
    INPUT_MAX_LENGTH,
    JSON,
    MESSAGE_BLOCK_TYPES,
    OPTION_DESCRIPTION,
    OPTION_TEXT,
    OPTION_VALUE,
    OVERFLOW_OPTIONS,
    PLACEHOLDER,
    SECTION_FIELDS,
    SECTION_TEXT,
    SELECT_OPTIONS,
    TEXT_OBJECT,
    VIEW_BLOCK_TYPES,
)
from tests.slack_conformance.models import _block_model, _model
from tests.slack_conformance.walk import _Walk


def _text(walk: _Walk, obj: Any, pointer: str, limit: int, *, plain_only: bool = False,
          what: str = "text") -> str:  # fmt: skip
    """Check a text object; its text ('' when it is not one)."""
    if not isinstance(obj, dict):
        walk.add(pointer, f"{what} must be a text object, not {type(obj).__name__}")
        return ""
    kind, text = obj.get("type"), obj.get("text")
    if kind not in ("plain_text", "mrkdwn"):
        walk.add(f"{pointer}/type", f"a text object is plain_text or mrkdwn, not {kind!r}")
    elif plain_only and kind != "plain_text":
        walk.add(f"{pointer}/type", f"{what} must be plain_text")
    if not isinstance(text, str) or not text:
        walk.add(f"{pointer}/text", f"{what} must be a non-empty string")
        return ""
    walk.limit(f"{pointer}/text", what, len(text), limit)
    return text


def _options(walk: _Walk, options: Any, pointer: str, most: int, *, plain_only: bool) -> None:
    if not isinstance(options, list) or not options:
        walk.add(pointer, "options must be a non-empty array")
        return
    walk.limit(pointer, "options", len(options), most, "options")
    values: Counter[str] = Counter()
    for i, option in enumerate(options):
        at = f"{pointer}/{i}"
        if not isinstance(option, dict):
            walk.add(at, "an option must be an object")
            continue
        _text(walk, option.get("text"), f"{at}/text", OPTION_TEXT, plain_only=plain_only,
              what="option text")  # fmt: skip
        value = option.get("value")
        if not isinstance(value, str) or not value:
            walk.add(f"{at}/value", "option value must be a non-empty string")
        else:
            walk.limit(f"{at}/value", "option value", len(value), OPTION_VALUE)
            values[value] += 1
        if "description" in option:
            _text(walk, option["description"], f"{at}/description", OPTION_DESCRIPTION,
                  plain_only=plain_only, what="option description")  # fmt: skip
    for value, times in values.items():
        if times > 1:
            walk.add(pointer, f"option value {value!r} appears {times} times")


def _confirm(walk: _Walk, confirm: Any, pointer: str) -> None:
    if not isinstance(confirm, dict):
        walk.add(pointer, "confirm must be an object")
        return
    for key, limit in CONFIRM.items():
        if key in confirm or key in ("title", "text", "confirm", "deny"):
            _text(walk, confirm.get(key), f"{pointer}/{key}", limit,
                  plain_only=key != "text", what=f"confirm {key}")  # fmt: skip
    if confirm.get("style") not in (None, "primary", "danger"):
        walk.add(f"{pointer}/style", "confirm style is primary or danger")


def _element(walk: _Walk, element: Any, pointer: str, *, in_view: bool) -> str | None:
    """Check an interactive element; its action_id."""
    if not isinstance(element, dict):
        walk.add(pointer, "an element must be an object")
        return None
    kind = element.get("type")
    if kind not in ELEMENT_TYPES:
        walk.add(f"{pointer}/type", f"unknown element type {kind!r}")
        return None
    if kind == "image":
        _image(walk, element, pointer)
        return None
    action_id = element.get("action_id")
    if action_id is not None:
        if not isinstance(action_id, str) or not action_id:
            walk.add(f"{pointer}/action_id", "action_id must be a non-empty string")
        else:
            walk.limit(f"{pointer}/action_id", "action_id", len(action_id), ACTION_ID)
    if "placeholder" in element:
        _text(walk, element["placeholder"], f"{pointer}/placeholder", PLACEHOLDER,
              plain_only=True, what="placeholder")  # fmt: skip
    if "confirm" in element:
        _confirm(walk, element["confirm"], f"{pointer}/confirm")
    if kind == "button":
        _button(walk, element, pointer)
    elif kind in ("static_select", "multi_static_select"):
        if "option_groups" in element:
            walk.add(f"{pointer}/option_groups", "Debrief sends options, not option_groups")
        _options(walk, element.get("options"), f"{pointer}/options", SELECT_OPTIONS,
                 plain_only=True)  # fmt: skip
        _initial(walk, element, pointer)
    elif kind in ("external_select", "multi_external_select"):
        if "options" in element:
            walk.add(f"{pointer}/options", "an external_select loads its options; it has none")
        mql = element.get("min_query_length")
        if mql is not None and (not isinstance(mql, int) or mql < 0):
            walk.add(f"{pointer}/min_query_length", "min_query_length is a whole number ≥ 0")
    elif kind in ("checkboxes", "radio_buttons"):
        _options(walk, element.get("options"), f"{pointer}/options", CHECKBOX_OPTIONS,
                 plain_only=False)  # fmt: skip
        _initial(walk, element, pointer)
    elif kind == "overflow":
        options = element.get("options")
        _options(walk, options, f"{pointer}/options", OVERFLOW_OPTIONS[1], plain_only=True)
        if isinstance(options, list) and len(options) < OVERFLOW_OPTIONS[0]:
            walk.add(f"{pointer}/options", f"an overflow needs at least {OVERFLOW_OPTIONS[0]}")
    elif kind == "datepicker":
        date = element.get("initial_date")
        if date is not None and not (isinstance(date, str) and _DATE.match(date)):
            walk.add(f"{pointer}/initial_date", f"initial_date must be YYYY-MM-DD, not {date!r}")
    elif kind == "plain_text_input":
        _plain_text_input(walk, element, pointer, in_view=in_view)
    elif kind == "number_input":
        if not isinstance(element.get("is_decimal_allowed"), bool):
            walk.add(f"{pointer}/is_decimal_allowed", "number_input needs is_decimal_allowed")
        for key in ("min_value", "max_value", "initial_value"):
            if key in element and not isinstance(element[key], str):
                walk.add(f"{pointer}/{key}", f"{key} must be a string")
    return action_id if isinstance(action_id, str) else None


def _button(walk: _Walk, element: JSON, pointer: str) -> None:
    _text(walk, element.get("text"), f"{pointer}/text", BUTTON_TEXT, plain_only=True,
          what="button text")  # fmt: skip
    url, value = element.get("url"), element.get("value")
    if url is not None:
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            walk.add(f"{pointer}/url", f"button url must be an http(s) URL, not {url!r:.60}")
        else:
            walk.limit(f"{pointer}/url", "button url", len(url), BUTTON_URL)
    if value is not None:
        if not isinstance(value, str):
            walk.add(f"{pointer}/value", "button value must be a string")
        else:
            walk.limit(f"{pointer}/value", "button value", len(value), BUTTON_VALUE)
    if element.get("style") not in (None, "primary", "danger"):
        walk.add(f"{pointer}/style", "button style is primary or danger")


def _plain_text_input(walk: _Walk, element: JSON, pointer: str, *, in_view: bool) -> None:
    if not in_view:
        walk.add(pointer, "a plain_text_input belongs in an input block of a view")
    most = element.get("max_length", INPUT_MAX_LENGTH)
    if not isinstance(most, int) or not 1 <= most <= INPUT_MAX_LENGTH:
        walk.add(f"{pointer}/max_length", f"max_length must be 1–{INPUT_MAX_LENGTH}")
        most = INPUT_MAX_LENGTH
    least = element.get("min_length", 0)
    if not isinstance(least, int) or not 0 <= least <= most:
        walk.add(f"{pointer}/min_length", f"min_length must be 0–{most}")
    initial = element.get("initial_value")
    if initial is not None:
        if not isinstance(initial, str):
            walk.add(f"{pointer}/initial_value", "initial_value must be a string")
        else:
            walk.limit(f"{pointer}/initial_value", "initial_value", len(initial), most)


def _initial(walk: _Walk, element: JSON, pointer: str) -> None:
    """An initial option must be one of the element's own options, exactly."""
    options = element.get("options") or []
    chosen = [element["initial_option"]] if "initial_option" in element else []
    chosen += element.get("initial_options") or []
    for option in chosen:
        if option not in options:
            walk.add(f"{pointer}/initial_option", "initial option is not one of the options")


def _image(walk: _Walk, image: JSON, pointer: str) -> None:
    alt = image.get("alt_text")
    if not isinstance(alt, str) or not alt.strip():
        walk.add(f"{pointer}/alt_text", "every image needs alt_text")
    else:
        walk.limit(f"{pointer}/alt_text", "alt_text", len(alt), ALT_TEXT)
    url, slack_file = image.get("image_url"), image.get("slack_file")
    if (url is None) == (slack_file is None):
        walk.add(pointer, "an image has either image_url or slack_file")
    if url is not None:
        walk.limit(f"{pointer}/image_url", "image_url", len(str(url)), IMAGE_URL)
    if slack_file is not None and not (
        isinstance(slack_file, dict) and (slack_file.get("id") or slack_file.get("url"))
    ):
        walk.add(f"{pointer}/slack_file", "slack_file needs an id or a url")
    if "title" in image:
        _text(walk, image["title"], f"{pointer}/title", IMAGE_TITLE, plain_only=True,
              what="image title")  # fmt: skip


def _block(walk: _Walk, block: Any, pointer: str, *, in_view: bool) -> None:
    if not isinstance(block, dict):
        walk.add(pointer, "a block must be an object")
        return
    kind = block.get("type")
    allowed = VIEW_BLOCK_TYPES if in_view else MESSAGE_BLOCK_TYPES
    if kind not in allowed:
        walk.add(f"{pointer}/type", f"block type {kind!r} is not allowed here")
        return
    block_id = block.get("block_id")
    if block_id is not None:
        if not isinstance(block_id, str) or not block_id:
            walk.add(f"{pointer}/block_id", "block_id must be a non-empty string")
        else:
            walk.limit(f"{pointer}/block_id", "block_id", len(block_id), BLOCK_ID)
            walk.block_ids[block_id] += 1
            if walk.block_ids[block_id] == 2:
                walk.add(f"{pointer}/block_id", f"block_id {block_id!r} is not unique")
    action_ids: list[str | None] = []
    if kind == "section":
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            walk.add(pointer, "a section needs text or fields")
        if text is not None:
            _text(walk, text, f"{pointer}/text", SECTION_TEXT, what="section text")
        if fields is not None:
            if not isinstance(fields, list):
                walk.add(f"{pointer}/fields", "fields must be an array")
            else:
                walk.limit(f"{pointer}/fields", "fields", len(fields), SECTION_FIELDS, "items")
                for i, f in enumerate(fields):
                    _text(walk, f, f"{pointer}/fields/{i}", FIELD_TEXT, what="field")
        if "accessory" in block:
            action_ids.append(
                _element(walk, block["accessory"], f"{pointer}/accessory", in_view=in_view)
            )
    elif kind == "header":
        _text(walk, block.get("text"), f"{pointer}/text", HEADER_TEXT, plain_only=True,
              what="header text")  # fmt: skip
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            walk.add(f"{pointer}/elements", "a context block needs elements")
        else:
            walk.limit(f"{pointer}/elements", "context elements", len(elements),
                       CONTEXT_ELEMENTS, "elements")  # fmt: skip
            for i, element in enumerate(elements):
                at = f"{pointer}/elements/{i}"
                if isinstance(element, dict) and element.get("type") == "image":
                    _image(walk, element, at)
                else:
                    _text(walk, element, at, TEXT_OBJECT, what="context text")
    elif kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            walk.add(f"{pointer}/elements", "an actions block needs elements")
        else:
            walk.limit(f"{pointer}/elements", "actions elements", len(elements),
                       ACTIONS_ELEMENTS, "elements")  # fmt: skip
            action_ids += [
                _element(walk, e, f"{pointer}/elements/{i}", in_view=in_view)
                for i, e in enumerate(elements)
            ]
    elif kind == "input":
        _text(walk, block.get("label"), f"{pointer}/label", INPUT_LABEL, plain_only=True,
              what="input label")  # fmt: skip
        if "hint" in block:
            _text(walk, block["hint"], f"{pointer}/hint", INPUT_HINT, plain_only=True,
                  what="input hint")  # fmt: skip
        if "element" not in block:
            walk.add(f"{pointer}/element", "an input block needs an element")
        else:
            action_ids.append(_element(walk, block["element"], f"{pointer}/element", in_view=True))
    elif kind == "image":
        _image(walk, block, pointer)
    for action_id, times in Counter(a for a in action_ids if a).items():
        if times > 1:
            walk.add(pointer, f"action_id {action_id!r} is used by {times} elements of one block")


def _blocks(walk: _Walk, blocks: Any, pointer: str, *, most: int, in_view: bool) -> None:
    if not isinstance(blocks, list):
        walk.add(pointer, "blocks must be an array")
        return
    walk.limit(pointer, "blocks", len(blocks), most, "blocks")
    for i, block in enumerate(blocks):
        _block(walk, block, f"{pointer}/{i}", in_view=in_view)
        walk.problems += _model(_block_model, block, f"{pointer}/{i}")
