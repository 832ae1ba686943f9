"""AI agreement: drafts decided through the real review functions, with known answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from bot.cli import main
from bot.core.db import session_scope
from bot.core.settings import Settings
from bot.insights.agreement import agreement_lines, ai_agreement
from bot.qa.review import PointEdit, approve_draft, edit_draft, reject_draft
from models import QaDraft, Rubric
from tests import factories as f
from tests.test_qa_review import POINTS, World

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
DECIDED_AT = datetime(2026, 11, 10, 9, tzinfo=UTC)
EARLY = datetime(2026, 10, 1, 9, tzinfo=UTC)
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
EMPATHY_ONLY = [{"criterion": "Empathy", "score": 1, "max": 4}]


@pytest.fixture()
def world(settings: Settings, session) -> World:
    f.member(session, "ULEAD", "owner")
    becky = f.agent(session, "Becky Ortiz", lead="ULEAD")
    dan = f.agent(session, "Dan Lee")
    rubric = Rubric(version=1, name="Support basics", criteria=[{"name": "Empathy"}],
                    source_sha256="0" * 64, approved_by="ULEAD")  # fmt: skip
    session.add(rubric)
    session.flush()
    ids = (becky.id, dan.id, rubric.id)
    session.commit()
    return World(settings, *ids)


def decided_at(world: World, draft_id: int, at: datetime) -> None:
    with session_scope(world.settings.database_url) as s:
        s.execute(update(QaDraft).where(QaDraft.id == draft_id).values(decided_at=at))


def approve(world: World, draft_id: int, at: datetime = DECIDED_AT) -> None:
    with session_scope(world.settings.database_url) as s:
        approve_draft(session=s, actor=world.viewer("ULEAD"), draft_id=draft_id,
                      settings=world.settings)  # fmt: skip
    decided_at(world, draft_id, at)


def edit(
    world: World, draft_id: int, edits: list[PointEdit], scores: dict[str, object] | None = None
) -> None:
    with session_scope(world.settings.database_url) as s:
        edit_draft(session=s, actor=world.viewer("ULEAD"), draft_id=draft_id, points=edits,
                   settings=world.settings, scores=scores)  # fmt: skip
    decided_at(world, draft_id, DECIDED_AT)


def reject(world: World, draft_id: int) -> None:
    with session_scope(world.settings.database_url) as s:
        reject_draft(session=s, actor=world.viewer("ULEAD"), draft_id=draft_id,
                     reason="The customer was never charged twice.")  # fmt: skip
    decided_at(world, draft_id, DECIDED_AT)


@pytest.fixture()
def decided(world: World) -> World:
    """Approved unchanged (twice, once early), edited (Empathy 2 -> 4), rejected, and one still
    pending."""
    approve(world, world.draft())
    edit(
        world,
        world.draft(),
        [
            PointEdit(0, "Say sorry for the double charge first.", "agent_behavior"),
            PointEdit(1, POINTS[1]["text"], "documentation", keep=False),  # removed
            PointEdit(2, POINTS[2]["text"], "product"),  # policy -> product
        ],
        scores={"Empathy": "4", "Resolution": "3"},  # Resolution as suggested
    )
    reject(world, world.draft(scores=EMPATHY_ONLY))
    world.draft()  # pending: not decided, not counted
    approve(world, world.draft(world.dan), at=EARLY)
    return world


def figures(world: World, since: datetime | None = None) -> dict[str, Any]:
    with session_scope(world.settings.database_url) as s:
        return ai_agreement(session=s, since=since, now=NOW)


EXPECTED: dict[str, Any] = {
    "draftsDecided": 4,
    "approved": 2,
    "edited": 1,
    "rejected": 1,
    "approvedUnchangedShare": 0.5,
    "scoreEditsCaptured": True,
    "meanAbsScoreDifference": 0.333,
    "scoreChanged": 1,
    "pointsSuggested": 3,
    "pointsRemoved": 1,
    "rootCausesChanged": 1,
    "rootCauseChanges": [{"from": "policy", "to": "product", "count": 1}],
    "criteria": [
        {"criterion": "Empathy", "drafts": 4, "approvedUnchanged": 2,
         "approvedUnchangedShare": 0.5, "finalScores": 3, "meanAbsScoreDifference": 0.667,
         "scoreChanged": 1},
        {"criterion": "Resolution", "drafts": 3, "approvedUnchanged": 2,
         "approvedUnchangedShare": 0.667, "finalScores": 3, "meanAbsScoreDifference": 0.0,
         "scoreChanged": 0},
    ],
}  # fmt: skip


def test_approved_edited_and_rejected_drafts_have_their_known_answer(decided):
    assert figures(decided) == EXPECTED


def test_since_keeps_to_the_drafts_decided_in_the_window(decided):
    assert figures(decided, SINCE) == {
        **EXPECTED,
        "draftsDecided": 3,
        "approved": 1,
        "approvedUnchangedShare": 0.333,
        "meanAbsScoreDifference": 0.5,
        "criteria": [
            {"criterion": "Empathy", "drafts": 3, "approvedUnchanged": 1,
             "approvedUnchangedShare": 0.333, "finalScores": 2, "meanAbsScoreDifference": 1.0,
             "scoreChanged": 1},
            {"criterion": "Resolution", "drafts": 2, "approvedUnchanged": 1,
             "approvedUnchangedShare": 0.5, "finalScores": 2, "meanAbsScoreDifference": 0.0,
             "scoreChanged": 0},
        ],
    }  # fmt: skip


def test_a_rejected_draft_has_no_final_score(world):
    reject(world, world.draft(scores=EMPATHY_ONLY))
    result = figures(world)
    assert (result["draftsDecided"], result["rejected"], result["approvedUnchangedShare"]) == (
        1, 1, 0.0,
    )  # fmt: skip
    assert result["meanAbsScoreDifference"] is None
    assert result["criteria"] == [
        {"criterion": "Empathy", "drafts": 1, "approvedUnchanged": 0,
         "approvedUnchangedShare": 0.0, "finalScores": 0, "meanAbsScoreDifference": None,
         "scoreChanged": 0},
    ]  # fmt: skip
    assert (result["pointsSuggested"], result["pointsRemoved"], result["rootCausesChanged"]) == (
        0, 0, 0,
    )  # fmt: skip


def test_nothing_decided_is_zeros_and_nulls_not_a_division_by_zero(world):
    world.draft()  # pending only
    assert figures(world) == {
        "draftsDecided": 0, "approved": 0, "edited": 0, "rejected": 0,
        "approvedUnchangedShare": None, "scoreEditsCaptured": True,
        "meanAbsScoreDifference": None, "scoreChanged": 0, "pointsSuggested": 0, "pointsRemoved": 0,
        "rootCausesChanged": 0, "rootCauseChanges": [], "criteria": [],
    }  # fmt: skip
    assert agreement_lines(figures(world)) == ["AI agreement: no QA drafts decided yet"]


@pytest.fixture()
def run(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setattr("models.base.utcnow", lambda: NOW)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_metrics_json_carries_ai_agreement(decided, run):
    result = run("metrics", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data)[-1] == "aiAgreement"
    assert data["aiAgreement"] == EXPECTED
    since = json.loads(run("metrics", "--since", "2026-11-01", "--json").output)
    assert since["aiAgreement"]["draftsDecided"] == 3


def test_metrics_report_ends_with_the_agreement_block(decided, run):
    result = run("metrics")
    assert result.exit_code == 0, result.output
    assert result.output.rstrip("\n").splitlines()[-9:] == [
        "AI agreement (QA drafts a lead decided):",
        "  drafts decided            4 (2 approved unchanged: 50%, 1 edited, 1 rejected)",
        "  points removed by leads   1 of 3 suggested in edited drafts",
        "  root causes changed       1",
        "    policy -> product: 1",
        "  criterion   decided  unchanged  mean |diff|  scores changed",
        "  Empathy           4        50%         0.67               1",
        "  Resolution        3        67%         0.00               0",
        "  overall           4        50%         0.33               1",
    ]


def test_an_empty_database_reports_no_agreement_yet(db, run):
    result = run("metrics", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["aiAgreement"]["draftsDecided"] == 0
    assert run("metrics").output.rstrip("\n").splitlines()[-1] == (
        "AI agreement: no QA drafts decided yet"
    )
