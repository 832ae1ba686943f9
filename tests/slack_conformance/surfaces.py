"""Whole payloads: a view, a message's content, its metadata, an options answer and a
view_submission answer, each walked (layer 2) and parsed by slack_sdk's models (layer 1)."""

from __future__ import annotations

import re
from typing import Any

from tests.slack_conformance.blocks import _blocks, _options, _text
from tests.slack_conformance.limits import (
    BROADCASTS,
    CALLBACK_ID,
    EXTERNAL_ID,
    JSON,
    MESSAGE_BLOCKS,
    MESSAGE_TEXT,
    PRIVATE_METADATA,
    SELECT_OPTIONS,
    VIEW_BLOCKS,
    VIEW_TITLE,
)
from tests.slack_conformance.models import _model, _option_model, _view_model
from tests.slack_conformance.walk import HEADROOM, _Walk


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
