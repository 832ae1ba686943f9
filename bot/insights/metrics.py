"""The measurement plan's figures (SPEC §5c), from stored events and rows, never re-guessed.

The window is `since` (inclusive; None: everything stored) to `now`. What each figure counts:

* ``ticketsReviewed``: distinct conversations (helpdesk, external id) with a ``ticket_reviewed``
  event: every sampled conversation a QA run looked at, drafted or skipped by a stop rule.
* ``notesDrafted``: coaching notes the AI drafted: the ``agent_behavior`` points of the drafts
  created in the window (``draft_created`` events; the points are read from the draft rows).
  Non-agent points are process issues, never notes, so they are not counted here.
* ``notesApproved``: coaching notes that reached an agent's record from a draft a lead approved
  or edited in the window (the ``notes`` count of ``draft_approved`` / ``draft_edited``).
* ``leadOverrideRate``: (edited + rejected) / decided drafts, from the decision events in the
  window, rounded to 3 places; ``null`` while no draft was decided.
* ``repeatThemes``: `bot.insights.themes.repeat_themes` (themes seen on two or more conversations).
* ``documentationGaps`` and ``escalationsUnclearPolicy``: both ``documentation_gap`` and
  ``policy_escalation`` are written twice in a draft's life, suggested when it is drafted and
  confirmed (``stage: "approved"``) when a lead approves it. Each draft counts **once, at the
  stage it reached**: a decided draft by its confirmed events only, a pending draft by its
  suggested ones, a rejected draft not at all (the lead overrode it). A gap's topic is the one
  the drafting run took from the conversation's tags (its KB article) when there is one, else
  the lead-confirmed point's topic. Gaps count drafts per topic; escalations count drafts.
* ``csatRecovery``: `bot.team.recovery.csat_recovery` for agents first coached in the window.
* ``flagsRaised``: flags raised in the window (dismissed ones too: they were raised).
* ``pilotCoverage``: of the conversations counted in ``ticketsReviewed``, the share whose draft a
  lead approved or edited and that left an evidence-backed coaching point (a note) or a
  non-agent root cause (a process issue, or the draft's policy-exception flag); ``null`` while
  nothing was sampled. The pilot's threshold is ``PILOT_THRESHOLD`` (85%).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.insights.themes import final_points, repeat_themes
from bot.qa import events
from bot.qa.review import AGENT_BEHAVIOR
from bot.qa.review import root_cause_of as cause_of
from bot.team.recovery import csat_recovery
from models import DraftStatus, Flag, MeasurementEvent, QaDraft

PILOT_THRESHOLD = 0.85
KEYS = (
    "ticketsReviewed",
    "notesDrafted",
    "notesApproved",
    "leadOverrideRate",
    "repeatThemes",
    "documentationGaps",
    "csatRecovery",
    "escalationsUnclearPolicy",
    "flagsRaised",
    "pilotCoverage",
)
DECISIONS = {
    events.APPROVED: DraftStatus.APPROVED,
    events.EDITED: DraftStatus.EDITED,
    events.REJECTED: DraftStatus.REJECTED,
}
DECIDED = (DraftStatus.APPROVED, DraftStatus.EDITED)


def _events(
    session: Session, kinds: tuple[str, ...], since: datetime | None, now: datetime
) -> list[MeasurementEvent]:
    query = select(MeasurementEvent).where(
        MeasurementEvent.kind.in_(kinds), MeasurementEvent.at <= now
    )
    if since is not None:
        query = query.where(MeasurementEvent.at >= since)
    return list(session.scalars(query.order_by(MeasurementEvent.at, MeasurementEvent.id)))


def _drafts(session: Session, ids: set[int]) -> dict[int, QaDraft]:
    found: dict[int, QaDraft] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), 500):
        for draft in session.scalars(select(QaDraft).where(QaDraft.id.in_(ordered[i : i + 500]))):
            found[draft.id] = draft
    return found


def _key(event: MeasurementEvent) -> str:
    payload = event.payload or {}
    return f"{payload.get('helpdesk')}:{payload.get('externalId')}"


def _at_their_stage(
    events: list[MeasurementEvent], drafts: dict[int, QaDraft]
) -> list[MeasurementEvent]:
    """Each draft's process-issue events at the stage it reached (see the module docstring)."""
    by_draft: dict[int, list[MeasurementEvent]] = defaultdict(list)
    for event in events:
        by_draft[event.draft_id if event.draft_id is not None else -event.id].append(event)
    kept: list[MeasurementEvent] = []
    for draft_id, group in by_draft.items():
        draft = drafts.get(draft_id)
        confirmed = [e for e in group if (e.payload or {}).get("stage") == "approved"]
        if draft is not None and draft.status == DraftStatus.REJECTED:
            continue
        if draft is not None and draft.status == DraftStatus.PENDING:
            kept.extend(e for e in group if e not in confirmed)
        elif draft is not None or confirmed:
            kept.extend(confirmed)
        else:  # the draft row is gone and nothing was confirmed: the suggestion is all there is
            kept.extend(group)
    return kept


def _covered(draft: QaDraft) -> bool:
    """Approved or edited, with an evidence-backed coaching point or a non-agent cause."""
    if draft.status not in DECIDED:
        return False
    if draft.policy_exception:
        return True
    for point in final_points(draft):
        if cause_of(point) != AGENT_BEHAVIOR:
            return True
        if any(str(e).strip() for e in point.get("evidence") or []):
            return True
    return False


def compute_metrics(*, session: Session, since: datetime | None, now: datetime) -> dict[str, Any]:
    """The §5c object, keys in the SPEC's order."""
    reviewed = _events(session, (events.REVIEWED,), since, now)
    created = _events(session, (events.CREATED,), since, now)
    decisions = _events(session, tuple(DECISIONS), since, now)
    issues = _events(session, (events.DOC_GAP, events.POLICY), since, now)
    ids = {e.draft_id for e in (*reviewed, *created, *issues) if e.draft_id is not None}
    drafts = _drafts(session, ids)
    conversations, covered = _coverage(reviewed, drafts)
    drafted_points = _notes_drafted(created, drafts)
    approved_notes, override_rate = _decided(decisions)
    gap_counts, escalations = _process_issues(issues, drafts)

    flags = select(Flag.id).where(Flag.raised_at <= now)
    if since is not None:
        flags = flags.where(Flag.raised_at >= since)

    return {
        "ticketsReviewed": conversations,
        "notesDrafted": drafted_points,
        "notesApproved": approved_notes,
        "leadOverrideRate": override_rate,
        "repeatThemes": repeat_themes(session=session, since=since, now=now),
        "documentationGaps": [
            {"topic": topic, "count": count}
            for topic, count in sorted(gap_counts.items(), key=lambda item: (-item[1], item[0]))
        ],
        "csatRecovery": [
            {
                "agent": r.agent,
                "before": r.before,
                "after": r.after,
                "beforeCount": r.before_count,
                "afterCount": r.after_count,
            }
            for r in csat_recovery(session=session, now=now, since=since)
        ],
        "escalationsUnclearPolicy": escalations,
        "flagsRaised": len(list(session.scalars(flags))),
        "pilotCoverage": round(covered / conversations, 3) if conversations else None,
    }


def _coverage(reviewed: list[MeasurementEvent], drafts: dict[int, QaDraft]) -> tuple[int, int]:
    """Conversations reviewed, and how many of them are covered (see `_covered`)."""
    conversations: dict[str, set[int]] = defaultdict(set)
    for event in reviewed:
        drafted = conversations[_key(event)]
        if event.draft_id is not None:
            drafted.add(event.draft_id)
    covered = sum(
        1
        for draft_ids in conversations.values()
        if any(d in drafts and _covered(drafts[d]) for d in draft_ids)
    )
    return len(conversations), covered


def _notes_drafted(created: list[MeasurementEvent], drafts: dict[int, QaDraft]) -> int:
    """The agent-behaviour points of the drafts created."""
    drafted_points = 0
    for draft_id in {e.draft_id for e in created if e.draft_id is not None}:
        draft = drafts.get(draft_id)
        if draft is not None:
            drafted_points += sum(1 for p in draft.points or [] if cause_of(p) == AGENT_BEHAVIOR)
    return drafted_points


def _decided(decisions: list[MeasurementEvent]) -> tuple[int, float | None]:
    """Notes approved, and the lead override rate (None while nothing was decided)."""
    decided: dict[int, DraftStatus] = {}
    approved_notes = 0
    for event in decisions:
        status = DECISIONS[event.kind]
        if status in DECIDED:
            approved_notes += int((event.payload or {}).get("notes") or 0)
        decided[event.draft_id if event.draft_id is not None else -event.id] = status
    overrides = sum(1 for s in decided.values() if s != DraftStatus.APPROVED)
    return approved_notes, round(overrides / len(decided), 3) if decided else None


def _process_issues(
    issues: list[MeasurementEvent], drafts: dict[int, QaDraft]
) -> tuple[Counter[str], int]:
    """Documentation gaps (drafts per topic) and policy escalations (drafts), each at its stage."""
    staged = _at_their_stage(issues, drafts)
    suggested_topic = {
        e.draft_id: str(e.payload.get("topic"))
        for e in issues
        if e.kind == events.DOC_GAP
        and e.draft_id is not None
        and (e.payload or {}).get("stage") != "approved"
        and (e.payload or {}).get("topic")
    }
    gaps: dict[str, set[int]] = defaultdict(set)
    escalations: set[int] = set()
    for event in staged:
        unit = event.draft_id if event.draft_id is not None else -event.id
        if event.kind == events.POLICY:
            escalations.add(unit)
            continue
        topic = suggested_topic.get(unit) or (event.payload or {}).get("topic")
        gaps[str(topic or "unspecified")].add(unit)
    return Counter({topic: len(units) for topic, units in gaps.items()}), len(escalations)


def percent(value: float | None) -> str:
    """A share as a whole percentage (`50%`); `–` when there is none."""
    return "–" if value is None else f"{value * 100:.0f}%"


def report_lines(figures: dict[str, Any], *, since: datetime | None, now: datetime) -> list[str]:
    """The figures as a short, readable report (the threshold comparison included)."""
    span = f"since {since:%Y-%m-%d}" if since else "all stored history"
    lines = [f"Debrief metrics, {span} (to {now:%Y-%m-%d %H:%M} UTC)", ""]
    lines.append(f"tickets reviewed          {figures['ticketsReviewed']}")
    lines.append(f"coaching notes drafted    {figures['notesDrafted']}")
    lines.append(f"coaching notes approved   {figures['notesApproved']}")
    rate = figures["leadOverrideRate"]
    lines.append(
        "lead override rate        "
        + ("no drafts decided yet" if rate is None else f"{percent(rate)} (edited or rejected)")
    )
    lines.append(f"unclear-policy escalations {figures['escalationsUnclearPolicy']}")
    lines.append(f"flags raised              {figures['flagsRaised']}")
    coverage = figures["pilotCoverage"]
    if coverage is None:
        lines.append(f"pilot coverage: nothing sampled yet (threshold {percent(PILOT_THRESHOLD)})")
    else:
        verdict = "met" if coverage >= PILOT_THRESHOLD else "not met"
        lines.append(
            f"pilot coverage {percent(coverage)} (threshold {percent(PILOT_THRESHOLD)}: {verdict})"
        )
    lines.append("")
    lines.append("repeat themes:" if figures["repeatThemes"] else "repeat themes: none yet")
    lines.extend(f"  {t['count']:>4}  {t['theme']}" for t in figures["repeatThemes"])
    gaps = figures["documentationGaps"]
    lines.append("documentation gaps:" if gaps else "documentation gaps: none")
    lines.extend(f"  {g['count']:>4}  {g['topic']}" for g in gaps)
    recovery = figures["csatRecovery"]
    lines.append("CSAT recovery (4 weeks before / after the first note):" if recovery else "")
    for r in recovery:
        before = "–" if r["before"] is None else f"{r['before']:.2f}"
        after = "–" if r["after"] is None else f"{r['after']:.2f}"
        lines.append(
            f"  {r['agent']}: {before} ({r['beforeCount']} ratings) -> "
            f"{after} ({r['afterCount']} ratings)"
        )
    if not recovery:
        lines[-1] = "CSAT recovery: no coached agents yet"
    return lines
