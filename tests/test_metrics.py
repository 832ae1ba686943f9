"""`debrief metrics` and repeat themes, on rows and events with known answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.cli import main
from bot.insights.metrics import KEYS, compute_metrics, report_lines
from bot.insights.themes import repeat_themes, tag_theme
from models import Conversation, DraftStatus, MeasurementEvent, Note, QaDraft, Rubric
from tests import factories as f

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
IN_WINDOW = datetime(2026, 11, 10, 9, tzinfo=UTC)
EARLY = datetime(2026, 10, 1, 9, tzinfo=UTC)
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
FIRST_NOTE = datetime(2026, 11, 1, 12, tzinfo=UTC)


def point(cause: str, evidence: bool = True) -> dict[str, Any]:
    return {
        "text": f"a {cause} point",
        "rootCause": cause,
        "evidence": ["Agent: please wait"] if evidence else [],
    }


def event(session: Session, kind: str, at: datetime, draft: QaDraft | None = None, **payload: Any):
    session.add(
        MeasurementEvent(
            kind=kind,
            at=at,
            agent_id=draft.agent_id if draft is not None else None,
            draft_id=draft.id if draft is not None else None,
            payload=payload,
        )
    )


def rubric(session: Session) -> int:
    row = Rubric(
        version=1, name="Support", criteria=[], source_sha256="0" * 64, approved_by="ULEAD"
    )
    session.add(row)
    session.flush()
    return row.id


def drafted(
    session: Session,
    rubric_id: int,
    agent_id: int,
    external_id: str,
    *,
    points: list[dict[str, Any]],
    status: DraftStatus = DraftStatus.PENDING,
    edited: list[dict[str, Any]] | None = None,
    tags: tuple[str, ...] = (),
    policy_exception: bool = False,
    at: datetime = IN_WINDOW,
    notes: int = 0,
) -> QaDraft:
    """A draft row plus the events `debrief qa run` and the lead's decision would write."""
    draft = QaDraft(
        helpdesk="zendesk",
        external_id=external_id,
        agent_id=agent_id,
        rubric_id=rubric_id,
        engine="test",
        summary="s",
        scores=[],
        points=points,
        policy_exception=policy_exception,
        customer_risk=[],
        confidence=0.9,
        route="ready",
        status=status,
        edited_points=edited,
    )
    session.add(draft)
    session.flush()
    base = {"helpdesk": "zendesk", "externalId": external_id, "rubricVersion": 1}
    event(session, "ticket_reviewed", at, draft, outcome="drafted", **base)
    event(session, "draft_created", at, draft, points=len(points), **base)
    for tag in tags:
        event(session, "theme", at, draft, theme=f"tag:{tag}", source="tag", **base)
    causes = list(dict.fromkeys(p["rootCause"] for p in points))
    for cause in causes:
        event(session, "theme", at, draft, theme=f"rootCause:{cause}", source="rootCause", **base)
    if "documentation" in causes:
        event(session, "documentation_gap", at, draft, topic=tags[0] if tags else "none", **base)
    if policy_exception or "policy" in causes:
        event(session, "policy_escalation", at, draft, policyException=policy_exception, **base)
    decided = at + timedelta(hours=1)
    if status != DraftStatus.PENDING:
        event(session, f"draft_{status.value}", decided, draft, notes=notes)
    if status in (DraftStatus.APPROVED, DraftStatus.EDITED):
        final = edited if edited is not None else points
        for p in final:
            if p["rootCause"] == "documentation":
                event(session, "documentation_gap", decided, draft, stage="approved", topic="x")
            if p["rootCause"] == "policy":
                event(session, "policy_escalation", decided, draft, stage="approved")
    return draft


def conversation(session: Session, agent_id: int, ext: str, days: float, csat: float, tags=None):
    session.add(
        Conversation(
            helpdesk="zendesk",
            external_id=ext,
            agent_id=agent_id,
            closed_at=FIRST_NOTE + timedelta(days=days),
            csat=csat,
            tags=tags,
        )
    )


@pytest.fixture()
def world(session: Session) -> Session:
    """Two agents, six drafts at every stage, a skip, two flags, a hand-written note."""
    f.member(session, "ULEAD", "owner")
    lead = f.viewer(session, "ULEAD")
    sarah, omar = f.agent(session, "Sarah"), f.agent(session, "Omar")
    rid = rubric(session)
    agent, doc, policy = "agent_behavior", "documentation", "policy"
    drafted(session, rid, sarah.id, "1", points=[point(agent), point(doc)],
            status=DraftStatus.APPROVED, tags=("kb:refunds", "billing"), notes=1)  # fmt: skip
    drafted(session, rid, sarah.id, "2", points=[point(agent), point(policy)],
            edited=[point(agent)], status=DraftStatus.EDITED, tags=("kb:refunds",), notes=1)  # fmt: skip
    drafted(session, rid, omar.id, "3", points=[point(agent), point(doc)],
            status=DraftStatus.REJECTED, tags=("product:app",))  # fmt: skip
    drafted(session, rid, omar.id, "4", points=[point(policy), point(doc)],
            tags=("kb:refunds",), policy_exception=True)  # fmt: skip
    drafted(session, rid, sarah.id, "5", points=[point(policy)], status=DraftStatus.APPROVED)
    drafted(session, rid, omar.id, "7", points=[point(agent)], status=DraftStatus.APPROVED,
            at=EARLY, notes=1)  # fmt: skip
    skip = {"helpdesk": "zendesk", "externalId": "6", "outcome": "skipped", "reason": "stale"}
    event(session, "ticket_reviewed", IN_WINDOW, None, **skip)
    event(session, "draft_skipped", IN_WINDOW, None, **skip)
    f.flag(session, omar.id, raised_at=datetime(2026, 11, 5, tzinfo=UTC))
    f.flag(
        session,
        sarah.id,
        raised_at=datetime(2026, 9, 1, tzinfo=UTC),
        cleared_at=datetime(2026, 9, 20, tzinfo=UTC),
    )
    conversation(session, sarah.id, "c1", -10, 2.0, "kb:refunds")
    conversation(session, sarah.id, "c2", -3, 1.0, "product:app;Billing")
    conversation(session, sarah.id, "c3", 2, 4.0, "kb:refunds")  # rated well: not an issue
    conversation(session, sarah.id, "c4", 5, 5.0)
    note = f.note(session, lead, sarah.id)
    session.flush()
    session.execute(update(Note).where(Note.id == note.id).values(created_at=FIRST_NOTE))
    session.commit()
    return session


def test_every_figure_has_its_known_answer(world):
    figures = compute_metrics(session=world, since=None, now=NOW)
    assert tuple(figures) == KEYS
    assert figures["ticketsReviewed"] == 7  # six drafted conversations and one skipped
    assert figures["notesDrafted"] == 4  # agent-behaviour points suggested: 1+1+1+0+0+1
    assert figures["repeatThemes"] and figures["repeatThemes"] == repeat_themes(
        session=world, since=None, now=NOW
    )
    assert figures["notesApproved"] == 3  # notes from approved/edited drafts: 1+1+0+1
    assert figures["leadOverrideRate"] == 0.4  # (1 edited + 1 rejected) / 5 decided
    # d1 confirmed (topic from its tags), d4 pending (suggested); d3 rejected doesn't count
    assert figures["documentationGaps"] == [{"topic": "kb:refunds", "count": 2}]
    # d4 pending (suggested), d5 confirmed once; d2's policy point was dropped by the lead
    assert figures["escalationsUnclearPolicy"] == 2
    assert figures["flagsRaised"] == 2
    # covered: d1 (note + gap), d2 (evidence-backed note), d5 (policy issue), d7 (note)
    assert figures["pilotCoverage"] == round(4 / 7, 3)
    assert figures["csatRecovery"] == [
        {"agent": "Sarah", "before": 1.5, "after": 4.5, "beforeCount": 2, "afterCount": 2}
    ]


def test_since_narrows_every_figure(world):
    figures = compute_metrics(session=world, since=SINCE, now=NOW)
    assert figures["ticketsReviewed"] == 6
    assert figures["notesDrafted"] == 3
    assert figures["notesApproved"] == 2
    assert figures["leadOverrideRate"] == 0.5  # 2 of the 4 decided since
    assert figures["flagsRaised"] == 1
    assert figures["pilotCoverage"] == 0.5  # d1, d2, d5 of six
    assert [r["agent"] for r in figures["csatRecovery"]] == ["Sarah"]
    later = compute_metrics(session=world, since=datetime(2026, 11, 15, tzinfo=UTC), now=NOW)
    assert later["leadOverrideRate"] is None and later["pilotCoverage"] is None
    assert later["csatRecovery"] == [] and later["ticketsReviewed"] == 0


def test_repeat_themes_by_agent_product_policy_and_article(world):
    assert repeat_themes(session=world, since=None, now=NOW) == [
        {"theme": "kb:refunds", "count": 4},  # d1, d2, d4 and the badly rated c1
        {"theme": "agent:Sarah", "count": 3},  # d1, d2 and the hand-written note
        {"theme": "rootCause:agent_behavior", "count": 3},  # d1, d2, d7 (d3 was rejected)
        {"theme": "documentation · kb:refunds", "count": 2},
        {"theme": "product:app", "count": 2},  # d3's tag and c2's
        {"theme": "rootCause:documentation", "count": 2},
        {"theme": "rootCause:policy", "count": 2},
        {"theme": "tag:billing", "count": 2},  # "billing" and "Billing" are one
    ]
    assert tag_theme(" Article:Returns ") == "kb:returns"
    assert tag_theme("vip") == "tag:vip" and tag_theme(" ") is None


def test_an_unevidenced_point_does_not_cover_a_conversation(session):
    sarah = f.agent(session, "Sarah")
    rid = rubric(session)
    drafted(session, rid, sarah.id, "1", points=[point("agent_behavior", evidence=False)],
            status=DraftStatus.APPROVED)  # fmt: skip
    drafted(session, rid, sarah.id, "2", points=[point("agent_behavior")],
            status=DraftStatus.APPROVED)  # fmt: skip
    session.commit()
    assert compute_metrics(session=session, since=None, now=NOW)["pilotCoverage"] == 0.5


def test_the_readable_report_compares_coverage_with_the_threshold(world):
    figures = compute_metrics(session=world, since=None, now=NOW)
    text = "\n".join(report_lines({**figures, "pilotCoverage": 0.87}, since=None, now=NOW))
    assert "pilot coverage 87% (threshold 85%: met)" in text
    text = "\n".join(report_lines(figures, since=None, now=NOW))
    assert "pilot coverage 57% (threshold 85%: not met)" in text
    assert "Sarah: 1.50 (2 ratings) -> 4.50 (2 ratings)" in text


@pytest.fixture()
def run(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setattr("models.base.utcnow", lambda: NOW)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_metrics_json_has_exactly_the_spec_keys(world, run):
    result = run("metrics", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {
        "ticketsReviewed", "notesDrafted", "notesApproved", "leadOverrideRate", "repeatThemes",
        "documentationGaps", "csatRecovery", "escalationsUnclearPolicy", "flagsRaised",
        "pilotCoverage", "aiAgreement",
    }  # fmt: skip
    assert all(set(t) == {"theme", "count"} for t in data["repeatThemes"])
    assert all(set(g) == {"topic", "count"} for g in data["documentationGaps"])
    assert all(
        set(r) == {"agent", "before", "after", "beforeCount", "afterCount"}
        for r in data["csatRecovery"]
    )
    data.pop("aiAgreement")  # its figures: tests/test_ai_agreement.py
    assert data == json.loads(json.dumps(compute_metrics(session=world, since=None, now=NOW)))
    since = json.loads(run("metrics", "--since", "2026-11-01", "--json").output)
    assert (since["ticketsReviewed"], since["leadOverrideRate"]) == (6, 0.5)


def test_metrics_report_and_bad_input(world, run):
    result = run("metrics")
    assert result.exit_code == 0
    assert "pilot coverage 57% (threshold 85%: not met)" in result.output
    assert "tickets reviewed          7" in result.output
    bad = run("metrics", "--since", "20-11-2026")
    assert bad.exit_code != 0
    future = run("metrics", "--since", "2027-01-01")
    assert future.exit_code != 0 and len(future.stderr.strip().splitlines()) == 1
    assert "in the future" in future.stderr
