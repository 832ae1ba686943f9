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
* ``criteria`` (by name): per rubric criterion scored, ``drafts`` (the decided drafts that scored
  it), ``approvedUnchanged`` and its share, ``finalScores`` (the approved and edited drafts among
  them: a rejected draft has no final score), ``meanAbsScoreDifference``, the mean |suggested -
  final| score over those (``null`` when none), and ``scoreChanged``, how many of them the lead
  scored differently. The final score is the lead's (``QaDraft.final_scores``, kept when an edit
  changed a score), else the suggested one. ``scoreEditsCaptured`` is true: the edit modal takes
  scores (it was false before score edits were kept). The overall ``meanAbsScoreDifference`` and
  ``scoreChanged`` are over every criterion's final scores. Points carry no criterion, so points
  removed and root causes changed are counted overall only.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.insights.metrics import percent
from bot.qa.review import root_cause_of
from bot.qa.scores import stored_number
from models import DraftStatus, QaDraft

DECIDED = (DraftStatus.APPROVED, DraftStatus.EDITED, DraftStatus.REJECTED)
SCORE_EDITS_CAPTURED = True


@dataclass
class _Criterion:
    drafts: int = 0
    approved_unchanged: int = 0
    differences: list[float] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(d != 0 for d in self.differences)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _scored(draft: QaDraft) -> dict[str, dict[str, Any]]:
    """A draft's suggested scores by criterion name: the first of a name counts (as in the edit
    form, so a criterion scored twice by an older engine is one score); not a mapping, none."""
    out: dict[str, dict[str, Any]] = {}
    for score in draft.scores or []:
        if isinstance(score, dict):
            out.setdefault(str(score.get("criterion") or "unspecified"), score)
    return out


def _final_score(draft: QaDraft, score: dict[str, Any]) -> float | None:
    """The lead's final score for a criterion: the one their edit set, else the suggested one;
    None for a rejected draft."""
    if draft.status == DraftStatus.REJECTED:
        return None
    name = score.get("criterion")
    for final in draft.final_scores or []:
        if isinstance(final, dict) and final.get("criterion") == name:
            return stored_number(final.get("score"))
    return stored_number(score.get("score"))


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


def ai_agreement(
    *, session: Session, since: datetime | None, now: datetime, before_now: bool = False
) -> dict[str, Any]:
    """The AI-agreement summary (see the module docstring), camelCase keys; `before_now` leaves
    out what was decided at `now` itself (the digest's weeks are [start, now), back to back)."""
    until = QaDraft.decided_at < now if before_now else QaDraft.decided_at <= now
    query = select(QaDraft).where(QaDraft.status.in_(DECIDED), until)
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
        for name, score in _scored(draft).items():
            criterion = criteria.setdefault(name, _Criterion())
            criterion.drafts += 1
            criterion.approved_unchanged += draft.status == DraftStatus.APPROVED
            final, value = _final_score(draft, score), stored_number(score.get("score"))
            if final is not None and value is not None:
                criterion.differences.append(abs(value - final))
    differences = [d for c in criteria.values() for d in c.differences]
    return {
        "draftsDecided": len(drafts),
        "approved": statuses[DraftStatus.APPROVED],
        "edited": statuses[DraftStatus.EDITED],
        "rejected": statuses[DraftStatus.REJECTED],
        "approvedUnchangedShare": _share(statuses[DraftStatus.APPROVED], len(drafts)),
        "scoreEditsCaptured": SCORE_EDITS_CAPTURED,
        "meanAbsScoreDifference": _mean(differences),
        "scoreChanged": sum(c.changed for c in criteria.values()),
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
                "finalScores": len(c.differences),
                "meanAbsScoreDifference": _mean(c.differences),
                "scoreChanged": c.changed,
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
    lines.extend(criteria_table(figures))
    return lines


TABLE_NAME_MAX = 30
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _cell(name: str) -> str:
    """A name on one line (control characters made spaces), clipped to TABLE_NAME_MAX."""
    name = " ".join(_CONTROL.sub(" ", name).split())
    return name if len(name) <= TABLE_NAME_MAX else name[: TABLE_NAME_MAX - 1] + "…"


def criteria_table(figures: dict[str, Any], *, indent: str = "  ") -> list[str]:
    """Per criterion, then overall: drafts decided, approved unchanged, mean |suggested - final|
    score and scores changed, as a fixed-width table (names clipped to TABLE_NAME_MAX)."""
    rows = [
        (
            _cell(c["criterion"]),
            c["drafts"],
            c["approvedUnchangedShare"],
            c["meanAbsScoreDifference"],
            c["scoreChanged"],
        )
        for c in figures["criteria"]
    ]
    rows.append(
        (
            "overall",
            figures["draftsDecided"],
            figures["approvedUnchangedShare"],
            figures["meanAbsScoreDifference"],
            figures["scoreChanged"],
        )
    )
    width = max(len("criterion"), *(len(r[0]) for r in rows))
    head = f"{indent}{'criterion':<{width}}  decided  unchanged  mean |diff|  scores changed"
    return [head] + [
        f"{indent}{name:<{width}}  {decided:>7}  {percent(share):>9}  "
        f"{_difference(mean):>11}  {changed:>14}"
        for name, decided, share, mean, changed in rows
    ]
