"""The QA draft of one conversation (SPEC §5b), what an engine answers, and routing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from bot.qa.rubric import RubricSpec

ROOT_CAUSES: Final[tuple[str, ...]] = (
    "agent_behavior",
    "policy",
    "product",
    "staffing",
    "documentation",
)
RISKS: Final[tuple[str, ...]] = (
    "legal_threat",
    "chargeback",
    "safety",
    "churn_threat",
    "refund_demand",
)
Route = Literal["lead_review", "ready"]
MAX_POINTS = 8
MAX_POINT_TEXT = 500
MAX_SUMMARY = 600


@dataclass(frozen=True)
class Point:
    """A coaching point (or a non-agent cause) backed by verbatim evidence."""

    text: str
    root_cause: str
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The §5b shape."""
        return {"text": self.text, "rootCause": self.root_cause, "evidence": list(self.evidence)}


@dataclass(frozen=True)
class Score:
    """A suggested score for one criterion (a suggestion, never a final score)."""

    criterion: str
    score: int
    max: int

    def to_json(self) -> dict[str, Any]:
        """The §5b shape."""
        return {"criterion": self.criterion, "score": self.score, "max": self.max}


@dataclass(frozen=True)
class DraftRequest:
    """One conversation to draft: metadata and its REDACTED transcript (never the raw one)."""

    key: str  # unique within a run: "helpdesk:external_id"
    helpdesk: str
    external_id: str
    agent: str
    closed_at: datetime
    csat: float | None
    queue: str | None
    tags: str | None
    transcript: str
    rubric: RubricSpec


@dataclass(frozen=True)
class Answer:
    """What an engine says about a conversation, before evidence checks and routing."""

    summary: str
    scores: tuple[Score, ...]
    points: tuple[Point, ...]
    policy_exception: bool
    customer_risk: tuple[str, ...]
    confidence: float
    always_review: bool = False  # the offline engine and fallbacks: a lead always looks
    note: str | None = None  # why the draft is degraded (e.g. the model failed)
    engine: str = ""  # who actually wrote it, when not the engine asked (a fallback)


@dataclass(frozen=True)
class Draft:
    """A checked, routed draft, ready to store and print."""

    helpdesk: str
    external_id: str
    agent: str
    rubric_version: int
    summary: str
    scores: tuple[Score, ...]
    points: tuple[Point, ...]
    policy_exception: bool
    customer_risk: tuple[str, ...]
    confidence: float
    route: Route
    engine: str
    dropped_points: int = 0
    note: str | None = None
    draft_id: int | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The SPEC §5b object (camelCase)."""
        return {
            "externalId": self.external_id,
            "agent": self.agent,
            "rubricVersion": self.rubric_version,
            "summary": self.summary,
            "scores": [s.to_json() for s in self.scores],
            "points": [p.to_json() for p in self.points],
            "policyException": self.policy_exception,
            "customerRisk": list(self.customer_risk),
            "confidence": self.confidence,
            "route": self.route,
        }


def route_for(
    *, confidence: float, risks: tuple[str, ...], policy_exception: bool, always_review: bool,
    threshold: float,
) -> Route:  # fmt: skip
    """`lead_review` for low confidence, any customer risk or a policy exception."""
    if always_review or confidence < threshold or risks or policy_exception:
        return "lead_review"
    return "ready"


def clamp_scores(scores: tuple[Score, ...], rubric: RubricSpec) -> tuple[Score, ...]:
    """One score per rubric criterion in rubric order, within 0..scale; unknown ones dropped."""
    given = {s.criterion: s for s in scores}
    out: list[Score] = []
    for criterion in rubric.criteria:
        found = given.get(criterion.key)
        if found is None:
            continue
        out.append(Score(criterion.key, max(0, min(criterion.scale, found.score)), criterion.scale))
    return tuple(out)
