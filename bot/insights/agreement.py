"""How far the leads agree with the AI's QA drafts, from what is already stored (issue 17).

Counted over the drafts a lead decided (approved, edited or rejected) with ``decided_at`` in the
window `since` (inclusive; None: everything stored) to `now`, read from the draft rows:

* ``draftsDecided``, ``approved`` / ``edited`` / ``rejected``; ``approvedUnchangedShare`` is
  approved / decided (an edit that changed nothing is stored as an approval), rounded to 3
  places; ``null`` while nothing was decided.
* ``pointsSuggested`` / ``pointsRemoved``: the suggested points of the edited drafts and those the
  lead's edit dropped (a suggested point whose index is not among ``edited_points``).
* ``rootCausesChanged`` and ``rootCauseChanges`` (``from``, ``to``, ``count``): edited points whose
  root cause differs from the suggested point's.
* ``criteria``: per rubric criterion scored, the decided drafts that scored it, how many of them
  were approved unchanged, and ``meanAbsScoreDifference``, the mean |suggested - final| score over
  the approved and edited drafts (a rejected draft has no final score; ``null`` when none).
  **Score edits are not captured yet** (a lead can change points, not scores), so the final score
  is the suggested one and the difference is 0; ``scoreEditsCaptured`` says so. Points carry no
  criterion, so points removed and root causes changed are counted overall only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.insights.metrics import percent
from bot.qa.review import root_cause_of
from models import DraftStatus, QaDraft

DECIDED = (DraftStatus.APPROVED, DraftStatus.EDITED, DraftStatus.REJECTED)
SCORE_EDITS_CAPTURED = False


@dataclass
class _Criterion:
    drafts: int = 0
    approved_unchanged: int = 0
    differences: list[float] = field(default_factory=list)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _final_score(draft: QaDraft, score: dict[str, Any]) -> float | None:
    """The lead's final score for a criterion: the stored one (score edits are not captured)."""
    if draft.status == DraftStatus.REJECTED:
        return None
    value = score.get("score")
    return float(value) if isinstance(value, int | float) else None


def _removed_and_changed(draft: QaDraft, changes: Counter[tuple[str, str]]) -> tuple[int, int]:
    """An edited draft's suggested points, and how many the lead dropped (root causes counted)."""
    suggested = list(draft.points or [])
    final = list(draft.edited_points or [])
    kept: set[int] = set()
    for point in final:
        index = point.get("index")
        if not isinstance(index, int) or not 0 <= index < len(suggested):
            continue
        kept.add(index)
        before, after = root_cause_of(suggested[index]), root_cause_of(point)
        if before != after:
            changes[(before, after)] += 1
    return len(suggested), len(suggested) - len(kept)


def ai_agreement(*, session: Session, since: datetime | None, now: datetime) -> dict[str, Any]:
    """The AI-agreement summary (see the module docstring), camelCase keys."""
    query = select(QaDraft).where(QaDraft.status.in_(DECIDED), QaDraft.decided_at <= now)
    if since is not None:
        query = query.where(QaDraft.decided_at >= since)
    drafts = list(session.scalars(query.order_by(QaDraft.id)))
    statuses = Counter(d.status for d in drafts)
    changes: Counter[tuple[str, str]] = Counter()
    criteria: dict[str, _Criterion] = {}
    suggested = removed = 0
    for draft in drafts:
        if draft.status == DraftStatus.EDITED:
            points, dropped = _removed_and_changed(draft, changes)
            suggested, removed = suggested + points, removed + dropped
        for score in draft.scores or []:
            name = str(score.get("criterion") or "unspecified")
            criterion = criteria.setdefault(name, _Criterion())
            criterion.drafts += 1
            criterion.approved_unchanged += draft.status == DraftStatus.APPROVED
            final, value = _final_score(draft, score), score.get("score")
            if final is not None and isinstance(value, int | float):
                criterion.differences.append(abs(float(value) - final))
    differences = [d for c in criteria.values() for d in c.differences]
    return {
        "draftsDecided": len(drafts),
        "approved": statuses[DraftStatus.APPROVED],
        "edited": statuses[DraftStatus.EDITED],
        "rejected": statuses[DraftStatus.REJECTED],
        "approvedUnchangedShare": _share(statuses[DraftStatus.APPROVED], len(drafts)),
        "scoreEditsCaptured": SCORE_EDITS_CAPTURED,
        "meanAbsScoreDifference": _mean(differences),
        "pointsSuggested": suggested,
        "pointsRemoved": removed,
        "rootCausesChanged": sum(changes.values()),
        "rootCauseChanges": [
            {"from": before, "to": after, "count": count}
            for (before, after), count in sorted(changes.items(), key=lambda i: (-i[1], i[0]))
        ],
        "criteria": [
            {
                "criterion": name,
                "drafts": c.drafts,
                "approvedUnchanged": c.approved_unchanged,
                "approvedUnchangedShare": _share(c.approved_unchanged, c.drafts),
                "meanAbsScoreDifference": _mean(c.differences),
            }
            for name, c in sorted(criteria.items())
        ],
    }


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _difference(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def agreement_lines(figures: dict[str, Any]) -> list[str]:
    """The summary as a short readable block for `debrief metrics`."""
    decided = figures["draftsDecided"]
    if not decided:
        return ["AI agreement: no QA drafts decided yet"]
    lines = [
        "AI agreement (QA drafts a lead decided):",
        f"  drafts decided            {decided} ({figures['approved']} approved unchanged: "
        f"{percent(figures['approvedUnchangedShare'])}, {figures['edited']} edited, "
        f"{figures['rejected']} rejected)",
        f"  points removed by leads   {figures['pointsRemoved']} of "
        f"{figures['pointsSuggested']} suggested in edited drafts",
        f"  root causes changed       {figures['rootCausesChanged']}",
    ]
    lines.extend(f"    {c['from']} -> {c['to']}: {c['count']}" for c in figures["rootCauseChanges"])
    if not figures["scoreEditsCaptured"]:
        lines.append("  score differences are 0: score edits are not captured yet")
    lines.extend(
        f"  {c['criterion']}: {c['drafts']} drafts, "
        f"{percent(c['approvedUnchangedShare'])} approved unchanged, "
        f"mean score difference {_difference(c['meanAbsScoreDifference'])}"
        for c in figures["criteria"]
    )
    return lines
