"""Reading the note form out of a view's state."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from blocks.ids import NO_SAMPLE, SHARE_VALUE, ActionId, BlockId
from bot.coaching.modal_notes import NoteInput
from bot.core.errors import InvalidInput


def _block(values: dict[str, Any], base: BlockId) -> tuple[str, dict[str, Any]]:
    for block_id, actions in values.items():
        if block_id == base or block_id.startswith(f"{base}."):
            return block_id, actions
    return str(base), {}


def next_generation(values: dict[str, Any]) -> int:
    """The generation after the one a submitted note form's blocks carry (`note_body.N`)."""
    block_id = _block(values, BlockId.BODY)[0]
    _, _, suffix = block_id.partition(".")
    return int(suffix) + 1 if suffix.isdigit() else 1


def form_block_ids(values: dict[str, Any]) -> dict[str, str]:
    """Field name → the block id it lives in, for `response_action: errors`."""
    return {
        "body": _block(values, BlockId.BODY)[0],
        "follow_up": _block(values, BlockId.FOLLOW_UP)[0],
        "sample": _block(values, BlockId.SAMPLE)[0],
        "share": _block(values, BlockId.SHARE)[0],
    }


def parse_note_form(values: dict[str, Any]) -> NoteInput:
    """The note form's values; a malformed date is an InvalidInput on that field."""
    body = _block(values, BlockId.BODY)[1].get(ActionId.BODY, {}).get("value") or ""
    picked = _block(values, BlockId.FOLLOW_UP)[1].get(ActionId.FOLLOW_UP, {}).get("selected_date")
    follow_up = None
    if picked:
        try:
            follow_up = date.fromisoformat(picked)
        except ValueError:
            raise InvalidInput("follow_up", "That isn't a date.") from None
    chosen = _block(values, BlockId.SHARE)[1].get(ActionId.SHARE, {}).get("selected_options") or []
    shared = any(o.get("value") == SHARE_VALUE for o in chosen)
    selected = _block(values, BlockId.SAMPLE)[1].get(ActionId.SAMPLE, {}).get("selected_option")
    sample_id = None
    if selected and selected.get("value") not in (None, NO_SAMPLE):
        try:
            sample_id = int(selected["value"])
        except ValueError:
            raise InvalidInput("sample", "Unknown sample.") from None
    return NoteInput(body=body, follow_up=follow_up, shared=shared, sample_id=sample_id)


MAX_ID = 2**31 - 1  # the largest id a row has (an INTEGER key); SQLite can't bind past 2**63


def id_value(value: Any) -> int:
    """The id a button or metadata carries; 0 (which no row has) when it isn't one, or is out
    of any id's range, so the domain answers with its own NotFound."""
    try:
        found = int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0
    return found if 0 < found <= MAX_ID else 0


def count_value(value: Any) -> int:
    """A page or generation number a view's metadata carries; 0 when it isn't one."""
    try:
        found = int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0
    return found if 0 <= found <= 1_000_000 else 0


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """A view's private_metadata as a dict (empty when missing or not ours)."""
    try:
        parsed = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
