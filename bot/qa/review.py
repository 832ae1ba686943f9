"""The lead's review of QA drafts: approve, edit or reject, and the DMs that ask for it.

A draft is a suggestion until a lead decides (SPEC §5b). Approving (or editing, which is an
approval of the lead's own version) turns each `agent_behavior` point into **one coaching note**
on the agent's record (one note a point: each is its own piece of feedback, with its own
evidence, that the lead can later edit, share or archive on its own), and every other root cause
into a ProcessIssue for the lead, never on the agent's record. Every decision is audited and
writes measurement events: `draft_approved` / `draft_edited` / `draft_rejected`, plus a
`documentation_gap` per documentation issue and a `policy_escalation` per policy issue that
the lead confirmed (payload `stage: "approved"`; the drafting run writes its own, suggested ones).

The DMs that ask a lead to review a draft are sent by `bot/qa/dms.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.coaching.notes import MAX_BODY, create_note
from bot.core.audit import record
from bot.core.errors import DebriefError, InvalidInput, NotFound
from bot.core.scope import Viewer, require_write
from bot.core.settings import Settings
from bot.core.text import checked_text, clip
from bot.ingest.deeplinks import deep_link
from bot.qa import events
from bot.qa.scores import lead_scores, score_changes
from models import (
    Agent,
    DraftStatus,
    MeasurementEvent,
    ProcessIssue,
    QaDraft,
    Rubric,
    Sample,
)
from models.base import utcnow

# labels for draft.ROOT_CAUSES and draft.RISKS (the same keys: tests/qa/test_drafting.py)
ROOT_CAUSES = {
    "agent_behavior": "Agent behaviour",
    "policy": "Policy",
    "product": "Product",
    "staffing": "Staffing",
    "documentation": "Documentation gap",
}
AGENT_BEHAVIOR = "agent_behavior"
QA_NOTE_PREFIX = "qa-draft-"  # idempotency keys of notes made from approved drafts
RISK_LABELS = {
    "legal_threat": "Legal threat",
    "chargeback": "Chargeback",
    "safety": "Safety",
    "churn_threat": "Churn threat",
    "refund_demand": "Refund demand",
}
MAX_POINT_TEXT = 1000
MAX_REASON = 500
# drafts waiting for a lead: the QA queue the Home tab and the weekly digest count
PENDING_DRAFTS = (
    select(func.count()).select_from(QaDraft).where(QaDraft.status == DraftStatus.PENDING)
)


class AlreadyDecided(DebriefError):
    """Someone decided this draft already; `status` and `decided_by` say how and who."""

    def __init__(self, draft_id: int, status: DraftStatus, decided_by: str | None) -> None:
        who = f" by {decided_by}" if decided_by else ""
        super().__init__(f"This QA draft was already {status.value}{who}: nothing changed.")
        self.draft_id = draft_id
        self.status = status
        self.decided_by = decided_by


# -- reading a draft ------------------------------------------------------------------------


def root_cause_of(point: dict[str, Any]) -> str:
    """A point's root cause, as stored (`rootCause`, SPEC's spelling)."""
    cause = point.get("rootCause")
    return str(cause) if cause in ROOT_CAUSES else AGENT_BEHAVIOR


def evidence_of(point: dict[str, Any]) -> list[str]:
    """A point's verbatim (redacted) evidence excerpts."""
    return [str(e) for e in point.get("evidence") or [] if str(e).strip()]


@dataclass(frozen=True)
class DraftView:
    """Everything the DM and the modals show about one draft."""

    draft_id: int
    agent_id: int
    agent_name: str
    helpdesk: str
    external_id: str
    link: str | None
    rubric_version: int | None
    engine: str
    summary: str
    scores: list[dict[str, Any]]
    points: list[dict[str, Any]]
    dropped_points: int
    policy_exception: bool
    customer_risk: list[str]
    confidence: float
    route: str
    note: str | None
    status: DraftStatus
    decided_by: str | None
    reject_reason: str | None
    applied_points: list[dict[str, Any]]
    final_scores: list[dict[str, Any]] | None = None


def draft_view(session: Session, draft: QaDraft, settings: Settings) -> DraftView:
    """The DM's data for a draft (with the points as decided, once it is decided)."""
    agent = session.get(Agent, draft.agent_id)
    rubric = session.get(Rubric, draft.rubric_id)
    applied = draft.edited_points if draft.status == DraftStatus.EDITED else draft.points
    return DraftView(
        draft_id=draft.id,
        agent_id=draft.agent_id,
        agent_name=agent.name if agent is not None else f"agent {draft.agent_id}",
        helpdesk=draft.helpdesk,
        external_id=draft.external_id,
        link=deep_link(settings, draft.helpdesk, draft.external_id),
        rubric_version=rubric.version if rubric is not None else None,
        engine=draft.engine,
        summary=draft.summary,
        scores=list(draft.scores or []),
        points=list(draft.points or []),
        dropped_points=draft.dropped_points,
        policy_exception=draft.policy_exception,
        customer_risk=list(draft.customer_risk or []),
        confidence=draft.confidence,
        route=draft.route,
        note=draft.note,
        status=draft.status,
        decided_by=draft.decided_by,
        reject_reason=draft.reject_reason,
        applied_points=list(applied or []),
        final_scores=list(draft.final_scores) if draft.final_scores else None,
    )


def load_draft_view(
    *, session: Session, viewer: Viewer, draft_id: int, settings: Settings
) -> DraftView:
    """A draft for a lead (the edit and reject modals), or OutOfScope / NotFound."""
    require_write(viewer)
    draft = session.get(QaDraft, draft_id)
    if draft is None:
        raise NotFound("That QA draft no longer exists.")
    return draft_view(session, draft, settings)


def pending_draft_view(
    *, session: Session, viewer: Viewer, draft_id: int, settings: Settings
) -> DraftView:
    """A draft a lead may still edit or reject; AlreadyDecided once someone has decided it."""
    view = load_draft_view(session=session, viewer=viewer, draft_id=draft_id, settings=settings)
    if view.status != DraftStatus.PENDING:
        raise AlreadyDecided(view.draft_id, view.status, view.decided_by)
    return view


def settled_draft(
    *, session: Session, draft_id: int, settings: Settings
) -> tuple[DraftView, tuple[str | None, str | None]] | None:
    """A decided draft and the DM it was delivered in (channel, ts), to show the decision
    there; None while it is pending or when it is gone."""
    draft = session.get(QaDraft, draft_id)
    if draft is None or draft.status == DraftStatus.PENDING:
        return None
    sent = draft.dm_channel is not None
    return draft_view(session, draft, settings), (
        (draft.dm_channel, draft.dm_ts) if sent else (None, None)
    )


# -- deciding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointEdit:
    """The lead's version of one of the draft's points (by its index in `QaDraft.points`)."""

    index: int
    text: str
    root_cause: str
    keep: bool = True


@dataclass
class ReviewOutcome:
    """What a decision did."""

    draft_id: int
    status: DraftStatus
    decided_by: str
    note_ids: list[int] = field(default_factory=list)
    process_issue_ids: list[int] = field(default_factory=list)
    dropped: int = 0
    reason: str | None = None


def _decide(
    session: Session, actor: Viewer, draft_id: int, status: DraftStatus, **values: Any
) -> QaDraft:
    """Take the decision atomically: only a pending draft changes, so two leads can't both win."""
    require_write(actor)
    draft = session.get(QaDraft, draft_id)
    if draft is None:
        raise NotFound("That QA draft no longer exists.")
    taken = session.execute(
        update(QaDraft)
        .where(QaDraft.id == draft_id, QaDraft.status == DraftStatus.PENDING)
        .values(status=status, decided_by=actor.slack_user_id, decided_at=utcnow(), **values)
        .returning(QaDraft.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.refresh(draft)
    if taken is None:
        raise AlreadyDecided(draft.id, draft.status, draft.decided_by)
    return draft


def _record_decision(
    session: Session,
    actor: Viewer,
    draft: QaDraft,
    kind: str,
    payload: dict[str, Any],
    *,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """A decision's measurement event and its audit entry (status from pending to the decision)."""
    _event(session, kind, draft, payload)
    record(
        session=session,
        actor=actor.slack_user_id,
        action=action,
        entity="qa_draft",
        entity_id=draft.id,
        before={"status": DraftStatus.PENDING.value, **(before or {})},
        after={"status": draft.status.value, **(after or {})},
    )


def _event(session: Session, kind: str, draft: QaDraft, payload: dict[str, Any]) -> None:
    session.add(
        MeasurementEvent(kind=kind, agent_id=draft.agent_id, draft_id=draft.id, payload=payload)
    )


def note_body(point: dict[str, Any], *, draft: QaDraft, link: str | None) -> str:
    """A coaching note for one point: the point, its evidence quoted, and the conversation."""
    where = f"{draft.helpdesk} conversation {draft.external_id}"
    tail = f"\n\nConversation: {link}" if link else f"\n\nConversation: {where}"
    head = f"QA coaching point ({where}): {str(point.get('text', '')).strip()}"
    quotes = "".join(f'\n> "{e}"' for e in evidence_of(point))
    body = head + ("\n\nEvidence:" + quotes if quotes else "")
    room = MAX_BODY - len(tail)
    return clip(body, room) + tail


def _topic(point: dict[str, Any]) -> str | None:
    topic = point.get("topic") or point.get("criterion")
    if topic:
        return str(topic)[:200]
    text = str(point.get("text", "")).strip()
    return text[:80] or None


def _apply(
    session: Session,
    actor: Viewer,
    draft: QaDraft,
    points: Sequence[dict[str, Any]],
    settings: Settings,
    outcome: ReviewOutcome,
) -> None:
    """Agent-behaviour points become notes; every other cause a process issue (never a note)."""
    link = deep_link(settings, draft.helpdesk, draft.external_id)
    sample_id = session.scalar(
        select(Sample.id).where(
            Sample.helpdesk == draft.helpdesk,
            Sample.external_id == draft.external_id,
            Sample.agent_id == draft.agent_id,
        )
    )
    for index, point in enumerate(points):
        cause = root_cause_of(point)
        if cause == AGENT_BEHAVIOR:
            note = create_note(
                session=session,
                actor=actor,
                agent_id=draft.agent_id,
                body=note_body(point, draft=draft, link=link),
                sample_id=sample_id,
                idempotency_key=f"{QA_NOTE_PREFIX}{draft.id}-point-{index}",
            )
            outcome.note_ids.append(note.id)
            continue
        issue = ProcessIssue(
            draft_id=draft.id,
            kind=cause,
            text=str(point.get("text", "")).strip(),
            evidence=evidence_of(point),
            topic=_topic(point),
        )
        session.add(issue)
        session.flush()
        outcome.process_issue_ids.append(issue.id)
        if cause == "documentation":
            _event(
                session,
                events.DOC_GAP,
                draft,
                {"stage": "approved", "processIssueId": issue.id, "topic": issue.topic},
            )
        elif cause == "policy":
            _event(
                session,
                events.POLICY,
                draft,
                {
                    "stage": "approved",
                    "processIssueId": issue.id,
                    "policyException": draft.policy_exception,
                },
            )


def _decision_payload(draft: QaDraft, outcome: ReviewOutcome) -> dict[str, Any]:
    return {
        "route": draft.route,
        "confidence": draft.confidence,
        "engine": draft.engine,
        "notes": len(outcome.note_ids),
        "processIssues": len(outcome.process_issue_ids),
        "suggestedPoints": len(draft.points or []),
    }


def approve_draft(
    *, session: Session, actor: Viewer, draft_id: int, settings: Settings
) -> ReviewOutcome:
    """A lead approves the draft as suggested."""
    draft = _decide(session, actor, draft_id, DraftStatus.APPROVED)
    outcome = ReviewOutcome(draft.id, DraftStatus.APPROVED, actor.slack_user_id)
    _apply(session, actor, draft, list(draft.points or []), settings, outcome)
    _record_decision(
        session,
        actor,
        draft,
        events.APPROVED,
        _decision_payload(draft, outcome),
        action="qa_draft.approve",
        after={"note_ids": outcome.note_ids, "process_issue_ids": outcome.process_issue_ids},
    )
    return outcome


def _edited_points(draft: QaDraft, edits: Sequence[PointEdit]) -> tuple[list[dict[str, Any]], int]:
    """The lead's points (evidence stays the draft's verbatim quotes) and how many were dropped."""
    original = list(draft.points or [])
    by_index = {edit.index: edit for edit in edits}
    kept: list[dict[str, Any]] = []
    dropped = 0
    for index, point in enumerate(original):
        edit = by_index.get(index)
        if edit is None:  # not shown in the modal (past its size): kept as suggested
            kept.append({**point, "index": index})
            continue
        if not edit.keep:
            dropped += 1
            continue
        text = checked_text(
            edit.text,
            field=f"text.{index}",
            what="A point",
            max_length=MAX_POINT_TEXT,
            multiline=True,
            empty="Write the point, or untick Keep to drop it.",
        )
        if edit.root_cause not in ROOT_CAUSES:
            raise InvalidInput(f"cause.{index}", "Pick a root cause.")
        kept.append(
            {
                "text": text,
                "rootCause": edit.root_cause,
                "evidence": evidence_of(point),
                "index": index,
            }
        )
    return kept, dropped


def _unchanged(draft: QaDraft, points: list[dict[str, Any]], dropped: int) -> bool:
    original = list(draft.points or [])
    return dropped == 0 and all(
        str(p.get("text", "")).strip() == str(original[p["index"]].get("text", "")).strip()
        and root_cause_of(p) == root_cause_of(original[p["index"]])
        for p in points
    )


def edit_draft(
    *,
    session: Session,
    actor: Viewer,
    draft_id: int,
    points: Sequence[PointEdit],
    settings: Settings,
    scores: Mapping[str, object] | None = None,
) -> ReviewOutcome:
    """A lead approves their own version: texts and root causes changed, points dropped, scores
    changed (`scores`: criterion -> the lead's score, a whole number from 0 to its max; criteria
    left out keep the suggested score).

    The edited points are kept on the draft (`edited_points`), and the lead's scores
    (`final_scores`) when any differs, next to the suggestion, so the override is measurable.
    Submitting the suggestion unchanged counts as an approval. Nothing is stored when a point
    or a score is refused (InvalidInput).
    """
    require_write(actor)
    draft = session.get(QaDraft, draft_id)
    if draft is None:
        raise NotFound("That QA draft no longer exists.")
    if draft.status != DraftStatus.PENDING:
        raise AlreadyDecided(draft.id, draft.status, draft.decided_by)
    final, dropped = _edited_points(draft, points)  # validate before taking the decision
    final_scores = lead_scores(list(draft.scores or []), scores or {})
    if _unchanged(draft, final, dropped) and final_scores is None:
        return approve_draft(session=session, actor=actor, draft_id=draft_id, settings=settings)
    draft = _decide(
        session, actor, draft_id, DraftStatus.EDITED, edited_points=final, final_scores=final_scores
    )
    outcome = ReviewOutcome(draft.id, DraftStatus.EDITED, actor.slack_user_id, dropped=dropped)
    _apply(session, actor, draft, final, settings, outcome)
    original = list(draft.points or [])
    changes = score_changes(list(draft.scores or []), final_scores)
    payload = _decision_payload(draft, outcome)
    payload.update(
        dropped=dropped,
        textChanged=sum(
            str(p["text"]) != str(original[p["index"]].get("text", "")).strip() for p in final
        ),
        rootCauseChanged=sum(
            root_cause_of(p) != root_cause_of(original[p["index"]]) for p in final
        ),
        scoreChanged=len(changes),
        scoreChanges=changes,
    )
    _record_decision(
        session,
        actor,
        draft,
        events.EDITED,
        payload,
        action="qa_draft.edit",
        before={"points": original, "scores": list(draft.scores or [])},
        after={
            "points": final,
            "scores": final_scores,
            "note_ids": outcome.note_ids,
            "process_issue_ids": outcome.process_issue_ids,
        },
    )
    return outcome


def reject_draft(*, session: Session, actor: Viewer, draft_id: int, reason: str) -> ReviewOutcome:
    """A lead rejects the draft, saying why; nothing reaches the agent's record."""
    require_write(actor)
    text = checked_text(
        reason,
        field="reason",
        what="The reason",
        max_length=MAX_REASON,
        multiline=True,
        empty="Say why the draft is rejected.",
    )
    draft = _decide(session, actor, draft_id, DraftStatus.REJECTED, reject_reason=text)
    outcome = ReviewOutcome(draft.id, DraftStatus.REJECTED, actor.slack_user_id, reason=text)
    payload = _decision_payload(draft, outcome)
    payload["reason"] = text
    _record_decision(
        session,
        actor,
        draft,
        events.REJECTED,
        payload,
        action="qa_draft.reject",
        after={"reason": text},
    )
    return outcome


def process_issues(
    *, session: Session, viewer: Viewer, open_only: bool = True
) -> list[ProcessIssue]:
    """The process issues approved drafts raised, newest first: a lead's list, no agent's record."""
    require_write(viewer)
    query = select(ProcessIssue).order_by(ProcessIssue.created_at.desc(), ProcessIssue.id.desc())
    if open_only:
        query = query.where(ProcessIssue.resolved_at.is_(None))
    return list(session.scalars(query))
