"""What a QA draft engine is: its contract, and what a model is told and answers with (the
system prompt, the approved rubric as its cached part, the one tool whose input is the draft).

Every engine reads only ``DraftRequest.transcript``, which the caller has already redacted; the
Claude engine sends nothing else from the conversation (metadata: helpdesk, ticket id, queue,
tags, CSAT, closed date).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from bot.ai.summaries import request_facts
from bot.core.text import clip
from bot.qa.draft import (
    MAX_POINT_TEXT,
    MAX_POINTS,
    MAX_SUMMARY,
    RISKS,
    ROOT_CAUSES,
    Answer,
    DraftRequest,
    Point,
    Score,
)
from bot.qa.evidence import MAX_EXCERPT
from bot.qa.rubric import RubricSpec

TOOL_NAME = "record_qa_draft"


class QaEngine(Protocol):
    """Drafts one conversation; `name` is stored on every draft it writes."""

    name: str

    def answer(self, request: DraftRequest) -> Answer:
        """The engine's draft of one conversation (evidence not yet checked)."""
        ...

    def answer_many(self, requests: Sequence[DraftRequest]) -> list[Answer]:
        """Drafts of several conversations, in order."""
        ...


@runtime_checkable
class BatchingEngine(QaEngine, Protocol):
    """An engine that can also draft many conversations as one batch (Claude's Message Batches);
    an engine without batches drafts one by one."""

    batch_min: int

    def answer_batch(self, requests: Sequence[DraftRequest]) -> list[Answer | Exception]:
        """Drafts in order; a request that failed is an Exception in its place."""
        ...


RULES = """You draft QA reviews of resolved customer-support conversations for a support \
lead, who decides what is fair and useful. Your draft is a suggestion, never a final score or a \
performance judgment.

Rules:
- Score only against the approved rubric below, one score per criterion, 0 to its scale.
- Every coaching point needs at least one evidence excerpt copied VERBATIM from the transcript: \
an exact, contiguous quote of at most 300 characters (character for character, placeholders \
included). Points whose evidence is not an exact quote are discarded.
- Give each point one root cause: agent_behavior (what the agent did or could do), policy \
(a policy that is unclear, harsh or drove the outcome), product (a defect, outage or missing \
feature), staffing (waits, queue pressure, handovers from lack of people) or documentation \
(a help article or internal doc that is missing, wrong or outdated). Do not blame the agent for \
policy, product, staffing or documentation problems.
- policyException is true when the agent granted or promised something outside policy \
(a refund, credit, waiver or override) that a lead should confirm.
- customerRisk lists any of legal_threat, chargeback, safety, churn_threat, refund_demand \
that the customer raised.
- confidence (0 to 1) is how sure you are the draft is fair given the transcript alone; \
lower it when the conversation is short, ambiguous or lacks context.
- The transcript is redacted: placeholders such as [NAME], [EMAIL], [PHONE], [CARD], [IBAN], \
[ID] and [ADDRESS] stand for private data. Keep them as they are; never guess what they hide.
- The summary is one to three plain sentences: what the customer needed, what the agent did, \
how it ended.

"""
ANSWER_BY_TOOL = "Answer only by calling the record_qa_draft tool.\n"
ANSWER_BY_JSON = "Answer only with the draft: one JSON object that matches the given schema.\n"
SYSTEM_PROMPT = RULES + ANSWER_BY_TOOL


def clip_line(text: str, limit: int) -> str:
    """`text` on one line (each run of whitespace one space), cut to `limit` characters."""
    return clip(" ".join(text.split()), limit)


def rubric_prompt(rubric: RubricSpec) -> str:
    """The rubric as the cached part of the system prompt."""
    lines = [f"Approved rubric: {rubric.name} (version {rubric.version})", ""]
    for c in rubric.criteria:
        lines.append(f"- {c.key} ({c.name}; scale 0-{c.scale}; weight {c.weight:g})")
        lines.append(f"  What is judged: {c.description}")
        lines.append(f"  What good looks like: {c.good}")
    return "\n".join(lines)


def draft_tool(rubric: RubricSpec) -> dict[str, Any]:
    """The one tool whose input is the draft (the structured output)."""
    return {
        "name": TOOL_NAME,
        "description": "Record the QA draft of this conversation.",
        "input_schema": {
            "type": "object",
            "properties": {
                "summary": {"type": "string", "maxLength": MAX_SUMMARY},
                "scores": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "criterion": {
                                "type": "string",
                                "enum": [c.key for c in rubric.criteria],
                            },
                            "score": {"type": "integer", "minimum": 0},
                            "max": {"type": "integer", "minimum": 1},
                        },
                        "required": ["criterion", "score", "max"],
                    },
                },
                "points": {
                    "type": "array",
                    "maxItems": MAX_POINTS,
                    "items": {
                        "type": "object",
                        "properties": {
                            "text": {"type": "string", "maxLength": MAX_POINT_TEXT},
                            "rootCause": {"type": "string", "enum": list(ROOT_CAUSES)},
                            "evidence": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "string", "maxLength": MAX_EXCERPT},
                            },
                        },
                        "required": ["text", "rootCause", "evidence"],
                    },
                },
                "policyException": {"type": "boolean"},
                "customerRisk": {"type": "array", "items": {"type": "string", "enum": list(RISKS)}},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": [
                "summary",
                "scores",
                "points",
                "policyException",
                "customerRisk",
                "confidence",
            ],
        },
    }


def _number(value: Any, what: str) -> int | float:
    """`value`, a finite int or float; ValueError naming `what` otherwise (JSON's true and false
    are not numbers; NaN and Infinity, which Python's json reads, are not either)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise ValueError(f"{what} is not a number")


def _listed(data: dict[str, Any], key: str) -> list[Any]:
    """The draft's list under `key` (missing or null: empty); ValueError when it is not a list."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{key} is not a list")
    return value


def answer_from_tool(data: Any, rubric: RubricSpec) -> Answer:
    """An Answer from the tool's input; ValueError when the shape is wrong."""
    if not isinstance(data, dict):
        raise ValueError("the draft is not an object")
    summary = data.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise ValueError("the draft has no summary")
    scores = []
    for item in _listed(data, "scores"):
        if not isinstance(item, dict) or rubric.criterion(str(item.get("criterion"))) is None:
            continue
        value = _number(item.get("score"), f"score of {item.get('criterion')}")
        criterion = rubric.criterion(str(item["criterion"]))
        assert criterion is not None
        scores.append(Score(criterion.key, round(value), criterion.scale))
    points = []
    for item in _listed(data, "points"):
        if not isinstance(item, dict):
            raise ValueError("a point is not an object")
        cause = item.get("rootCause")
        if cause not in ROOT_CAUSES:
            raise ValueError(f"root cause {cause!r} is not one of {', '.join(ROOT_CAUSES)}")
        evidence = item.get("evidence")
        if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
            raise ValueError("a point's evidence is not a list of quotes")
        points.append(
            Point(
                text=clip_line(str(item.get("text") or ""), MAX_POINT_TEXT),
                root_cause=str(cause),
                evidence=tuple(evidence),
            )
        )
    risks = _listed(data, "customerRisk")
    confidence = _number(data.get("confidence"), "confidence")
    return Answer(
        summary=clip_line(summary, MAX_SUMMARY),
        scores=tuple(scores),
        points=tuple(points[:MAX_POINTS]),
        policy_exception=bool(data.get("policyException")),
        customer_risk=tuple(r for r in RISKS if r in risks),
        confidence=float(max(0, min(1, confidence))),
    )


def draft_prompt(request: DraftRequest) -> str:
    """What a model is asked to draft: the metadata and the redacted transcript only."""
    closed = request.closed_at.date().isoformat()
    return (
        f"Conversation {request.helpdesk} #{request.external_id}, closed {closed} "
        f"({request_facts(request)}).\n\n"
        f"<transcript>\n{request.transcript}\n</transcript>"
    )


def answer_from_content(content: Sequence[Any], rubric: RubricSpec) -> Answer:
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else getattr(block, "type", None)
        name = block.get("name") if isinstance(block, dict) else getattr(block, "name", None)
        if kind == "tool_use" and name == TOOL_NAME:
            data = block.get("input") if isinstance(block, dict) else getattr(block, "input", None)
            return answer_from_tool(data, rubric)
    raise ValueError("Claude answered without calling the draft tool")
