"""What real Slack accepts: slack_sdk's Block Kit models plus the documented limits they miss.

Every check returns a list of problems, each naming the field (a JSON pointer), the rule and,
for a limit, the figure and the limit, e.g.
``/view/blocks/3/accessory/url: button url is 3120 characters (limit 3000)``. An empty list
means the payload passes. The fake Slack runs these on everything it is sent, and the test
driver on every answer Debrief gives Slack in the HTTP response (view submissions, options).

Two layers:
1. slack_sdk's own model classes parse the payload and ``to_dict()`` it, which runs every
   ``validate_json()`` validator down the tree; a key the models drop on the way (a field Slack
   does not know, or one in the wrong place) is a problem too.
2. A walk of the JSON enforcing the limits of Slack's Block Kit reference that the models do
   not check (unique ids, url/value/option sizes, alt_text, ...), and every limit the issue
   names again, so a model that loosens a check cannot hide a defect.
"""

from __future__ import annotations

import copy
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, Option
from slack_sdk.models.views import View

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


@dataclass
class _Walk:
    """Problems found so far, and the ids seen on the surface being walked."""

    problems: list[str] = field(default_factory=list)
    block_ids: Counter[str] = field(default_factory=Counter)
    sizes: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # what -> largest seen

    def add(self, pointer: str, message: str) -> None:
        self.problems.append(f"{pointer}: {message}")

    def limit(
        self, pointer: str, what: str, size: int, limit: int, unit: str = "characters"
    ) -> None:
        if size > limit:
            self.add(pointer, f"{what} is {size} {unit} (limit {limit})")
        seen = self.sizes.get(what)
        if seen is None or size / limit > seen[0] / seen[1]:
            self.sizes[what] = (size, limit, pointer)


class Headroom:
    """Per surface: how many payloads were checked and, for each limit, the closest any came
    to it (figure, limit and where). The conformance suite prints it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.kept: list[tuple[str, list[str]]] = []
        self.reset()

    def keep(self, title: str) -> None:
        """Keep the report so far under `title`, for the end of the test run."""
        self.kept.append((title, self.report()))

    def reset(self) -> None:
        with self._lock:
            self.checked: Counter[str] = Counter()
            self.calls: Counter[str] = Counter()  # Web API method -> calls checked
            self.closest: dict[str, dict[str, tuple[int, int, str]]] = {}

    def add(self, surface: str, walk: _Walk) -> None:
        with self._lock:
            self.checked[surface] += 1
            mine = self.closest.setdefault(surface, {})
            for what, (size, limit, pointer) in walk.sizes.items():
                seen = mine.get(what)
                if seen is None or size / limit > seen[0] / seen[1]:
                    mine[what] = (size, limit, pointer)

    def total(self) -> int:
        """Payloads checked so far, every surface together."""
        with self._lock:
            return sum(self.checked.values())

    def call(self, method: str) -> None:
        with self._lock:
            self.calls[method] += 1

    def report(self, top: int = 3) -> list[str]:
        """One line per surface: payloads checked and the `top` limits it came closest to."""
        with self._lock:
            lines = []
            for surface in sorted(self.checked):
                nearest = sorted(
                    self.closest.get(surface, {}).items(),
                    key=lambda item: item[1][0] / item[1][1],
                    reverse=True,
                )[:top]
                figures = "; ".join(
                    f"{what} {size:,}/{limit:,} ({size / limit:.0%})"
                    for what, (size, limit, _) in nearest
                )
                lines.append(f"{surface}: {self.checked[surface]} checked; closest: {figures}")
            calls = ", ".join(f"{m} {n}" for m, n in sorted(self.calls.items()))
            return [*lines, f"Web API calls checked against the method reference: {calls}"]


HEADROOM = Headroom()


# ---------------------------------------------------------------- slack_sdk's own models
def _normalised(value: Any) -> Any:
    """JSON as slack_sdk renders it: None, empty strings and empty lists/dicts left out."""
    if isinstance(value, dict):
        out = {k: _normalised(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    return value


def _dropped(sent: Any, rendered: Any, pointer: str) -> Iterator[str]:
    """Where the model's rendering lost or changed what was sent."""
    if isinstance(sent, dict) and isinstance(rendered, dict):
        for key, value in sent.items():
            at = f"{pointer}/{key}"
            if key not in rendered:
                yield f"{at}: slack_sdk's model does not know this field (or not here)"
            else:
                yield from _dropped(value, rendered[key], at)
    elif isinstance(sent, list) and isinstance(rendered, list):
        if len(sent) != len(rendered):
            yield f"{pointer}: slack_sdk's model kept {len(rendered)} of {len(sent)} items"
        for i, (a, b) in enumerate(zip(sent, rendered, strict=False)):
            yield from _dropped(a, b, f"{pointer}/{i}")
    elif sent != rendered:
        yield f"{pointer}: slack_sdk's model renders {rendered!r} for {sent!r}"


def _model(build: Callable[[Any], Any], value: Any, pointer: str) -> list[str]:
    """Parse ``value`` with a slack_sdk model, run its validators, and compare the rendering."""
    try:
        model = build(copy.deepcopy(value))
        if model is None:
            return [f"{pointer}: slack_sdk's models do not know this type"]
        rendered = model.to_dict()  # runs validate_json() on every object in the tree
    except SlackObjectFormationError as exc:
        return [f"{pointer}: slack_sdk's validate_json() refuses it: {exc}"]
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        return [f"{pointer}: slack_sdk's models cannot parse it: {exc!r}"]
    return list(_dropped(_normalised(value), _normalised(rendered), pointer))


def _view_model(view: JSON) -> View:
    return View(**view)


def _block_model(block: JSON) -> Block | None:
    return Block.parse(block)


def _option_model(option: JSON) -> Option:
    parsed = Option.parse_all([option])
    if not parsed or parsed[0] is None:
        raise ValueError("not an option")
    return parsed[0]


# ------------------------------------------------------------------- the documented limits
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
    elif kind == "number_input":
        if not isinstance(element.get("is_decimal_allowed"), bool):
            walk.add(f"{pointer}/is_decimal_allowed", "number_input needs is_decimal_allowed")
        for key in ("min_value", "max_value", "initial_value"):
            if key in element and not isinstance(element[key], str):
                walk.add(f"{pointer}/{key}", f"{key} must be a string")
    return action_id if isinstance(action_id, str) else None


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


# ---------------------------------------------------------------------------- surfaces
def view_problems(view: Any, pointer: str = "/view", surface: str | None = None) -> list[str]:
    """A modal or home view as views.open/push/update/publish or a submission answer sends it
    (`surface`: the name its sizes are kept under in HEADROOM)."""
    walk = _Walk()
    if not isinstance(view, dict):
        return [f"{pointer}: a view must be an object"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"{pointer}/type: a view is a modal or home, not {kind!r}"]
    blocks = view.get("blocks")
    _blocks(walk, blocks, f"{pointer}/blocks", most=VIEW_BLOCKS, in_view=True)
    if kind == "modal":
        _text(walk, view.get("title"), f"{pointer}/title", VIEW_TITLE, plain_only=True,
              what="modal title")  # fmt: skip
        for key in ("submit", "close"):
            if key in view:
                _text(walk, view[key], f"{pointer}/{key}", VIEW_TITLE, plain_only=True,
                      what=f"modal {key}")  # fmt: skip
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            walk.add(pointer, "a modal with input blocks needs a submit button")
    else:
        for key in ("title", "submit", "close"):
            if key in view:
                walk.add(f"{pointer}/{key}", f"a home view has no {key}")
    for key, limit in (("private_metadata", PRIVATE_METADATA), ("callback_id", CALLBACK_ID),
                       ("external_id", EXTERNAL_ID)):  # fmt: skip
        value = view.get(key)
        if value is not None:
            if not isinstance(value, str):
                walk.add(f"{pointer}/{key}", f"{key} must be a string")
            else:
                walk.limit(f"{pointer}/{key}", key, len(value), limit)
    unknown = set(view) - {
        "type", "title", "submit", "close", "blocks", "private_metadata", "callback_id",
        "external_id", "clear_on_close", "notify_on_close", "submit_disabled",
    }  # fmt: skip
    for key in sorted(unknown):
        walk.add(f"{pointer}/{key}", "not a field of a view payload")
    # blocks were checked one by one above: the view's own fields go through View's model
    # with a stand-in block (View insists on 1–100), its count checked by the walk
    stand_in = {**view, "blocks": [{"type": "divider"}]}
    walk.problems += _model(_view_model, stand_in, pointer)
    if surface is not None:
        HEADROOM.add(surface, walk)
    return walk.problems


def message_problems(message: Any, pointer: str = "", surface: str | None = None) -> list[str]:
    """The content of chat.postMessage / chat.update / chat.postEphemeral / a response_url
    reply: text, blocks, attachments and metadata."""
    walk = _Walk()
    if not isinstance(message, dict):
        return [f"{pointer or '/'}: a message must be an object"]
    text, blocks = message.get("text"), message.get("blocks")
    if text is not None:
        if not isinstance(text, str):
            walk.add(f"{pointer}/text", "text must be a string")
        else:
            walk.limit(f"{pointer}/text", "text", len(text), MESSAGE_TEXT)
            if broadcast := BROADCASTS.search(text):
                walk.add(f"{pointer}/text", f"notifies the whole channel: {broadcast.group(0)}")
    if blocks is not None:
        _blocks(walk, blocks, f"{pointer}/blocks", most=MESSAGE_BLOCKS, in_view=False)
        if not text:
            walk.add(f"{pointer}/text", "a message with blocks needs a text fallback "
                     "(notifications and screen readers use it)")  # fmt: skip
    elif not text and not message.get("attachments"):
        walk.add(pointer or "/", "a message needs text, blocks or attachments")
    if "metadata" in message:
        walk.problems += metadata_problems(message["metadata"], f"{pointer}/metadata")
    if surface is not None:
        HEADROOM.add(surface, walk)
    return walk.problems


def metadata_problems(metadata: Any, pointer: str = "/metadata") -> list[str]:
    """Message metadata: ``{event_type, event_payload}``."""
    if not isinstance(metadata, dict):
        return [f"{pointer}: metadata must be an object"]
    problems = []
    event_type = metadata.get("event_type")
    if not isinstance(event_type, str) or not re.fullmatch(r"[a-z0-9_]{1,64}", event_type):
        problems.append(f"{pointer}/event_type: must be a snake_case name, not {event_type!r}")
    if not isinstance(metadata.get("event_payload"), dict):
        problems.append(f"{pointer}/event_payload: must be an object")
    if unknown := set(metadata) - {"event_type", "event_payload"}:
        problems.append(f"{pointer}: unknown keys {sorted(unknown)}")
    return problems


def options_problems(answer: Any, surface: str | None = None) -> list[str]:
    """An answer to a block_suggestion (an external_select's options load)."""
    walk = _Walk()
    if not isinstance(answer, dict):
        return ["/: an options answer must be an object"]
    if "option_groups" in answer:
        walk.add("/option_groups", "Debrief answers with options, not option_groups")
    options = answer.get("options")
    if not isinstance(options, list):
        walk.add("/options", "an options answer needs an options array")
        return walk.problems
    if options:
        _options(walk, options, "/options", SELECT_OPTIONS, plain_only=True)
        for i, option in enumerate(options):
            walk.problems += _model(_option_model, option, f"/options/{i}")
    if unknown := set(answer) - {"options", "option_groups"}:
        walk.add("/", f"unknown keys {sorted(unknown)}")
    if surface is not None:
        HEADROOM.add(surface, walk)
    return walk.problems


def submission_problems(answer: Any, submitted: JSON, surface: str | None = None) -> list[str]:
    """An answer to a view_submission: empty (close), or a response_action."""
    if answer in (None, {}, ""):
        return []
    if not isinstance(answer, dict):
        return ["/: a view_submission answer must be an object"]
    action = answer.get("response_action")
    if action == "errors":
        errors = answer.get("errors")
        if not isinstance(errors, dict) or not errors:
            return ["/errors: response_action errors needs an errors object"]
        inputs = {
            b.get("block_id") for b in submitted.get("blocks", []) if b.get("type") == "input"
        }
        problems = [
            f"/errors/{k}: not the block_id of an input block of the submitted view"
            for k in errors
            if k not in inputs
        ]
        problems += [
            f"/errors/{k}: the message must be a non-empty string"
            for k, v in errors.items()
            if not isinstance(v, str) or not v
        ]
        return problems
    if action in ("update", "push"):
        return view_problems(answer.get("view"), "/view", surface) + (
            ["/view/type: a submission answer shows a modal"]
            if isinstance(answer.get("view"), dict) and answer["view"].get("type") != "modal"
            else []
        )
    if action == "clear":
        return []
    return [f"/response_action: must be errors, update, push or clear, not {action!r}"]


# ------------------------------------------------------------------- Web API arguments
# Slack's method reference (docs.slack.dev/reference/methods/<method>, its Arguments section;
# `token` travels in the Authorization header): required arguments, then the other known ones.
METHODS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    name: (frozenset(required.split()), frozenset(optional.split()))
    for name, required, optional in [
        ("views.open", "view", "trigger_id interactivity_pointer"),
        ("views.push", "view", "trigger_id interactivity_pointer"),
        ("views.update", "view", "view_id external_id hash"),
        ("views.publish", "user_id view", "hash"),
        ("chat.postMessage", "channel",
         "as_user attachments blocks icon_emoji icon_url link_names markdown_text metadata "
         "mrkdwn parse reply_broadcast text thread_ts unfurl_links unfurl_media username"),
        ("chat.update", "channel ts",
         "as_user attachments blocks markdown_text metadata link_names parse text "
         "reply_broadcast file_ids"),
        ("chat.postEphemeral", "channel user",
         "as_user attachments blocks icon_emoji icon_url link_names markdown_text parse text "
         "thread_ts username"),
        ("conversations.open", "", "channel return_im users prevent_creation"),
        ("conversations.history", "channel",
         "cursor include_all_metadata inclusive latest limit oldest"),
        ("users.info", "user", "include_locale"),
        ("auth.test", "", ""),
        ("files.getUploadURLExternal", "length filename", "snippet_type alt_txt"),
        ("files.completeUploadExternal", "files",
         "channel_id thread_ts channels initial_comment blocks"),
        ("apps.connections.open", "", ""),
        # a response_url takes a message payload (Slack's "Handling user interaction" guide)
        ("response_url", "",
         "text blocks attachments response_type replace_original delete_original thread_ts "
         "mrkdwn unfurl_links unfurl_media metadata"),
    ]
}  # fmt: skip
# "One of these arguments is required" on the method's page
ONE_OF: dict[str, tuple[str, ...]] = {
    "views.open": ("trigger_id", "interactivity_pointer"),
    "views.push": ("trigger_id", "interactivity_pointer"),
    "views.update": ("view_id", "external_id"),
    "chat.postMessage": ("text", "blocks", "attachments", "markdown_text"),
    "chat.postEphemeral": ("text", "blocks", "attachments", "markdown_text"),
    "conversations.open": ("channel", "users"),
}
# slack_sdk adds the workspace's team_id to every call of a client Bolt builds per request (for
# org-wide installs); Slack takes it on every method
SDK_ADDED = frozenset({"team_id"})
HISTORY_LIMIT = 999
ALT_TXT = 1000
CONVERSATION_IDS = re.compile(r"^[CDG][A-Z0-9]+$")


def _whole(value: Any) -> int | None:
    """A whole number sent as JSON or as a form string; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d+", value):
        return int(value)
    return None


def _boolean(value: Any) -> bool:
    return value in (True, False, 0, 1, "true", "false", "0", "1")


def argument_problems(method: str, args: JSON) -> list[str]:
    """The arguments of one Web API call (or response_url post) against Slack's reference."""
    if method not in METHODS:
        return [f"{method}: not a method Debrief is known to call (add it from Slack's reference)"]
    HEADROOM.call(method)
    required, optional = METHODS[method]
    problems = [f"{method}: missing required argument {name}" for name in sorted(required)
                if args.get(name) in (None, "")]  # fmt: skip
    known = required | optional | SDK_ADDED
    problems += [f"{method}: {name} is not an argument of {method} in Slack's method reference"
                 for name in sorted(set(args) - known)]  # fmt: skip
    one_of = ONE_OF.get(method)
    if one_of and not any(args.get(name) not in (None, "") for name in one_of):
        problems.append(f"{method}: one of {', '.join(one_of)} is required")
    channel = str(args.get("channel") or "")
    if method in ("chat.update", "conversations.history") and not CONVERSATION_IDS.match(channel):
        problems.append(f"{method}: channel must be a conversation id (C…, D…, G…), "
                        f"not {channel!r}")  # fmt: skip
    if method == "conversations.history" and "limit" in args:
        limit = _whole(args["limit"])
        if limit is None or not 1 <= limit <= HISTORY_LIMIT:
            problems.append(f"{method}: limit must be 1–{HISTORY_LIMIT}, not {args['limit']!r}")
    if method == "files.getUploadURLExternal":
        length = _whole(args.get("length"))
        if length is None or length < 1:
            problems.append(f"{method}: length must be a whole number ≥ 1")
        if len(str(args.get("alt_txt") or "")) > ALT_TXT:
            problems.append(f"{method}: alt_txt is over {ALT_TXT} characters")
    if method == "files.completeUploadExternal":
        files = args.get("files")
        if (
            not isinstance(files, list)
            or not files
            or not all(
                isinstance(f, dict) and isinstance(f.get("id"), str) and set(f) <= {"id", "title"}
                for f in files
            )
        ):
            problems.append(f"{method}: files must be a JSON array of {{id, title?}}")
    if method == "conversations.open" and args.get("users"):
        users = [u for u in str(args["users"]).split(",") if u.strip()]
        if not 1 <= len(users) <= 8:
            problems.append(f"{method}: users must name 1–8 users")
    if method == "response_url" and args.get("response_type") not in (None, "ephemeral",
                                                                      "in_channel"):  # fmt: skip
        problems.append(f"{method}: response_type is ephemeral or in_channel")
    for name in ("include_all_metadata", "inclusive", "include_locale", "replace_original",
                 "delete_original", "unfurl_links", "unfurl_media", "mrkdwn"):  # fmt: skip
        if name in args and not _boolean(args[name]):
            problems.append(f"{method}: {name} must be a boolean, not {args[name]!r}")
    return problems
