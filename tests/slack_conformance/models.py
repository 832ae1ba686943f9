"""Layer 1: slack_sdk's own Block Kit models parse a payload and render it again."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, Option
from slack_sdk.models.views import View

from tests.slack_conformance.limits import JSON


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
