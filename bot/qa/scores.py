"""The lead's scores on a QA draft: what the edit modal may submit, validated (issue 17).

A draft suggests one score a rubric criterion (``QaDraft.scores``: ``{criterion, score, max}``).
When a lead edits the draft they may change any of them to a whole number from 0 to the
criterion's ``max``. `lead_scores` checks what was submitted (criterion name -> value, as the
modal or a caller sends it) and answers the lead's full list ``[{criterion, score}]`` when
anything differs from the suggestion, else None ("as suggested"): that is what
``QaDraft.final_scores`` keeps, and what the AI agreement figures compare against.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from bot.core.errors import InvalidInput

MAX_SHOWN_NAME = 80  # of a criterion named in an error message
_WHOLE = re.compile(r"^\s*[0-9]{1,3}\s*$")
_NUMBER = re.compile(r"^\s*-?[0-9]{1,6}(\.[0-9]{1,6})?\s*$")


def score_field(criterion: str) -> str:
    """The InvalidInput field of a criterion's score (`score.<criterion>`)."""
    return f"score.{criterion}"


def scale_of(score: Mapping[str, Any]) -> int | None:
    """A suggested score's maximum when it is a usable whole number (1..99), else None."""
    top = score.get("max")
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 99:
        return None
    return top


def suggested_scores(scores: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The draft's suggested scores by criterion (the first one of a name counts)."""
    out: dict[str, dict[str, Any]] = {}
    for score in scores:
        name = score.get("criterion") if isinstance(score, Mapping) else None
        if isinstance(name, str) and name and name not in out:
            out[name] = score
    return out


def whole_number(value: object) -> int | None:
    """A submitted score as a whole number, or None: ints, integral finite floats and strings
    of at most three digits pass; booleans, fractions, infinities and other text do not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and _WHOLE.match(value):
        return int(value)
    return None


def stored_number(value: object) -> float | None:
    """A stored score as a number, or None: older engines stored some as floats (``3.0``) or
    numeric strings (``"3"``); booleans, non-finite values and other text are no score."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return None


def same_score(suggested: object, final: object) -> bool:
    """Whether a final score is the suggested one, compared as numbers when both are (``"3"``,
    ``3.0`` and ``3`` are the same score), else as stored."""
    a, b = stored_number(suggested), stored_number(final)
    return a == b if a is not None and b is not None else suggested == final


def _shown(name: str) -> str:
    return name if len(name) <= MAX_SHOWN_NAME else name[: MAX_SHOWN_NAME - 1] + "…"


def lead_scores(
    suggested: list[dict[str, Any]], given: Mapping[str, object]
) -> list[dict[str, Any]] | None:
    """The lead's scores when any differs from the suggestion, else None; InvalidInput (field
    `score.<criterion>`) for an unknown criterion or a value that is not a whole number within
    0..max. Criteria not in `given` keep their suggested score."""
    by_name = suggested_scores(suggested)
    chosen: dict[str, int] = {}
    for name, raw in given.items():
        score = by_name.get(name)
        if score is None:
            raise InvalidInput(
                score_field(str(name)), f"“{_shown(str(name))}” is not scored in this draft."
            )
        top = scale_of(score)
        if top is None:
            raise InvalidInput(score_field(name), f"The {_shown(name)} score can't be edited.")
        value = whole_number(raw)
        if value is None or not 0 <= value <= top:
            raise InvalidInput(
                score_field(name), f"Pick a whole number from 0 to {top} for {_shown(name)}."
            )
        chosen[name] = value
    if all(same_score(by_name[name].get("score"), value) for name, value in chosen.items()):
        return None
    return [
        {"criterion": name, "score": chosen.get(name, score.get("score"))}
        for name, score in by_name.items()
    ]


def score_changes(
    suggested: list[dict[str, Any]], final: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """The criteria whose final score differs from the suggestion: ``{criterion, from, to}``."""
    if not final:
        return []
    by_name = suggested_scores(suggested)
    return [
        {
            "criterion": s["criterion"],
            "from": by_name[s["criterion"]].get("score"),
            "to": s["score"],
        }
        for s in final
        if s.get("criterion") in by_name
        and not same_score(by_name[s["criterion"]].get("score"), s.get("score"))
    ]
