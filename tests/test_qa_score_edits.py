"""A lead's score edits on a QA draft: the modal's selects, what is refused, what is kept, and
the AI agreement figures that read them (issue 17)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from blocks.ids import KEEP_VALUE, ActionId, BlockId, CallbackId
from blocks.kit import MODAL_MAX_BLOCKS
from blocks.qa_review import edit_modal
from bot.core.db import session_scope
from bot.core.errors import InvalidInput
from bot.core.settings import Settings
from bot.insights.agreement import ai_agreement
from bot.qa.review import PointEdit, draft_view, edit_draft
from models import AuditEntry, DraftStatus, MeasurementEvent, Note, QaDraft, Rubric
from tests import factories as f
from tests.slack_conformance import view_problems
from tests.test_qa_review import (
    POINTS,
    World,
    click,
    deliver,
    dms,
    opened_modal,
    submit,
    updated_text,
)

DECIDED = datetime(2026, 11, 18, 12, 30, tzinfo=UTC)
LATER = datetime(2026, 11, 20, 9, tzinfo=UTC)


@pytest.fixture()
def world(settings: Settings, session, fake_slack, monkeypatch) -> World:
    monkeypatch.setattr("bot.qa.review.utcnow", lambda: DECIDED)
    f.member(session, "ULEAD", "owner")
    becky = f.agent(session, "Becky Ortiz", lead="ULEAD")
    dan = f.agent(session, "Dan Lee")
    rubric = Rubric(version=1, name="Support basics", criteria=[{"name": "Empathy"}],
                    source_sha256="0" * 64, approved_by="ULEAD")  # fmt: skip
    session.add(rubric)
    session.flush()
    ids = (becky.id, dan.id, rubric.id)
    session.commit()
    fake_slack.add_user("ULEAD")
    return World(settings.model_copy(update={"zendesk_subdomain": "acme"}), *ids)


def state(scores: dict[str, Any]) -> dict[str, Any]:
    """The modal's state with every point as suggested and these score selections (None: no
    option picked; a block id of their own for made-up criteria)."""
    values: dict[str, Any] = {}
    for i, point in enumerate(POINTS):
        values[f"{BlockId.QA_POINT_TEXT}.{i}"] = {
            ActionId.QA_POINT_TEXT: {"type": "plain_text_input", "value": point["text"]}
        }
        values[f"{BlockId.QA_POINT_CAUSE}.{i}"] = {
            ActionId.QA_POINT_CAUSE: {
                "type": "static_select",
                "selected_option": {"value": point["rootCause"]},
            }
        }
        values[f"{BlockId.QA_POINT_KEEP}.{i}"] = {
            ActionId.QA_POINT_KEEP: {
                "type": "checkboxes",
                "selected_options": [{"value": KEEP_VALUE}],
            }
        }
    for criterion, value in scores.items():
        chosen = None if value is None else {"text": {"type": "plain_text", "text": "x"},
                                              "value": value}  # fmt: skip
        values[f"{BlockId.QA_SCORE}.{criterion}"] = {
            ActionId.QA_SCORE: {"type": "static_select", "selected_option": chosen}
        }
    return values


def open_edit(world: World, fake_slack, slack) -> tuple[int, dict[str, Any]]:
    draft_id = world.draft()
    deliver(world, fake_slack)
    [dm] = dms(fake_slack)
    click(slack, fake_slack, "ULEAD", ActionId.QA_EDIT, dm)
    return draft_id, opened_modal(fake_slack)


def row(world: World, draft_id: int) -> QaDraft:
    with session_scope(world.settings.database_url) as s:
        draft = s.get(QaDraft, draft_id)
        assert draft is not None
        s.expunge(draft)
        return draft


def event_kinds(world: World) -> list[str]:
    with session_scope(world.settings.database_url) as s:
        return sorted(s.scalars(select(MeasurementEvent.kind)))


def test_a_score_edited_in_slack_is_kept_and_the_figures_show_it_exactly(world, fake_slack, slack):
    draft_id, modal = open_edit(world, fake_slack, slack)
    inputs = {b["block_id"]: b for b in modal["blocks"] if b["type"] == "input"}
    empathy = inputs[f"{BlockId.QA_SCORE}.Empathy"]
    assert empathy["label"]["text"] == "Empathy score (suggested 2 of 4)"
    assert [o["value"] for o in empathy["element"]["options"]] == ["0", "1", "2", "3", "4"]
    assert empathy["element"]["initial_option"]["value"] == "2"
    assert inputs[f"{BlockId.QA_SCORE}.Resolution"]["element"]["initial_option"]["value"] == "3"

    answer = submit(slack, fake_slack, "ULEAD", modal, state({"Empathy": "4", "Resolution": "3"}))
    assert answer.status_code == 200 and not answer.content
    assert "Empathy: *4/4* (suggested 2)" in updated_text(fake_slack)
    draft = row(world, draft_id)
    assert draft.status == DraftStatus.EDITED
    assert draft.final_scores == [
        {"criterion": "Empathy", "score": 4},
        {"criterion": "Resolution", "score": 3},
    ]
    assert [p["index"] for p in draft.edited_points or []] == [0, 1, 2]  # points as suggested
    with session_scope(world.settings.database_url) as s:
        edited = s.scalars(
            select(MeasurementEvent).where(MeasurementEvent.kind == "draft_edited")
        ).one()
        assert (edited.payload["scoreChanged"], edited.payload["scoreChanges"]) == (
            1, [{"criterion": "Empathy", "from": 2, "to": 4}],
        )  # fmt: skip
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "qa_draft.edit")).one()
        assert audit.after is not None and audit.before is not None
        assert audit.after["scores"] == draft.final_scores
        assert audit.before["scores"][0] == {"criterion": "Empathy", "score": 2, "max": 4}
        figures = ai_agreement(session=s, since=None, now=LATER)
    assert (figures["draftsDecided"], figures["edited"], figures["scoreChanged"]) == (1, 1, 1)
    assert figures["meanAbsScoreDifference"] == 1.0  # (2 + 0) / 2
    assert figures["criteria"] == [
        {"criterion": "Empathy", "drafts": 1, "approvedUnchanged": 0,
         "approvedUnchangedShare": 0.0, "finalScores": 1, "meanAbsScoreDifference": 2.0,
         "scoreChanged": 1},
        {"criterion": "Resolution", "drafts": 1, "approvedUnchanged": 0,
         "approvedUnchangedShare": 0.0, "finalScores": 1, "meanAbsScoreDifference": 0.0,
         "scoreChanged": 0},
    ]  # fmt: skip
    assert (figures["pointsSuggested"], figures["pointsRemoved"]) == (3, 0)


HOSTILE = [
    ("5", "Empathy", "Pick a whole number from 0 to 4 for Empathy."),
    ("-1", "Empathy", "Pick a whole number from 0 to 4 for Empathy."),
    ("1e309", "Empathy", "Pick a whole number from 0 to 4 for Empathy."),
    ("2.5", "Empathy", "Pick a whole number from 0 to 4 for Empathy."),
    ("NaN", "Empathy", "Pick a whole number from 0 to 4 for Empathy."),
    ("٣", "Empathy", "Pick a whole number from 0 to 4 for Empathy."),  # a non-ASCII digit
    ("9" * 400, "Empathy", "Pick a whole number from 0 to 4 for Empathy."),
    ("", "Empathy", "Pick a whole number from 0 to 4 for Empathy."),
    (None, "Empathy", "Pick a whole number from 0 to 4 for Empathy."),
    ("3", "Weather", "“Weather” is not scored in this draft."),
]


@pytest.mark.parametrize(("value", "criterion", "error"), HOSTILE)
def test_a_bad_score_is_refused_in_the_modal_and_nothing_is_kept(
    world, fake_slack, slack, value, criterion, error
):
    draft_id, modal = open_edit(world, fake_slack, slack)
    answer = submit(slack, fake_slack, "ULEAD", modal, state({criterion: value}))
    # an unknown criterion has no block of its own: the error goes under the first input
    assert answer.json() == {
        "response_action": "errors",
        "errors": {f"{BlockId.QA_SCORE}.Empathy": error},
    }
    assert fake_slack.calls_to("chat.update") == []
    draft = row(world, draft_id)
    assert (draft.status, draft.final_scores, draft.edited_points) == (
        DraftStatus.PENDING, None, None,
    )  # fmt: skip
    assert event_kinds(world) == []
    with session_scope(world.settings.database_url) as s:
        assert s.scalars(select(Note)).all() == []


def test_unchanged_scores_and_points_are_an_approval(world, fake_slack, slack):
    draft_id, modal = open_edit(world, fake_slack, slack)
    answer = submit(slack, fake_slack, "ULEAD", modal, state({"Empathy": "2", "Resolution": "3"}))
    assert answer.status_code == 200 and not answer.content
    draft = row(world, draft_id)
    assert (draft.status, draft.final_scores, draft.edited_points) == (
        DraftStatus.APPROVED, None, None,
    )  # fmt: skip
    assert "draft_approved" in event_kinds(world) and "draft_edited" not in event_kinds(world)


def edit(world: World, draft_id: int, scores: dict[str, object]) -> DraftStatus:
    points = [PointEdit(i, p["text"], p["rootCause"]) for i, p in enumerate(POINTS)]
    with session_scope(world.settings.database_url) as s:
        return edit_draft(session=s, actor=world.viewer("ULEAD"), draft_id=draft_id,
                          points=points, settings=world.settings, scores=scores).status  # fmt: skip


@pytest.mark.parametrize(
    "value", [True, 4.5, float("inf"), float("nan"), 10**30, -0.5, "0x3", [3], {"score": 3}]
)
def test_edit_draft_refuses_what_is_not_a_whole_score_in_range(world, value):
    draft_id = world.draft()
    with pytest.raises(InvalidInput) as err:
        edit(world, draft_id, {"Resolution": value})
    assert err.value.field == "score.Resolution"
    assert str(err.value) == "Pick a whole number from 0 to 4 for Resolution."
    assert row(world, draft_id).status == DraftStatus.PENDING


def test_edit_draft_takes_whole_numbers_and_keeps_the_rest_as_suggested(world):
    changed, same = world.draft(), world.draft()
    assert edit(world, changed, {"Resolution": 0.0}) == DraftStatus.EDITED
    assert row(world, changed).final_scores == [
        {"criterion": "Empathy", "score": 2},  # not given: as suggested
        {"criterion": "Resolution", "score": 0},
    ]
    assert edit(world, same, {"Empathy": 2, "Resolution": " 3 "}) == DraftStatus.APPROVED
    assert row(world, same).final_scores is None


def test_the_modal_stays_within_slacks_limits_with_the_most_criteria_and_points(world):
    many = [{"criterion": f"criterion_{i:02d}_" + "x" * 28, "score": i % 11, "max": 10}
            for i in range(30)]  # fmt: skip
    odd = [{"criterion": "no_max", "score": 1}, {"criterion": "huge", "score": 1, "max": 500}]
    long_point = {"text": "x" * 5000, "rootCause": "agent_behavior", "evidence": ["y" * 300] * 20}
    draft_id = world.draft(scores=many + odd, points=[long_point] * 80)
    with session_scope(world.settings.database_url) as s:
        draft = s.get(QaDraft, draft_id)
        assert draft is not None
        modal = edit_modal(draft_view(s, draft, world.settings), channel="D1", ts="1.2")
    blocks = modal["blocks"]
    assert len(blocks) == MODAL_MAX_BLOCKS - 1 and modal["callback_id"] == CallbackId.QA_EDIT
    scores = [b for b in blocks if b.get("block_id", "").startswith(f"{BlockId.QA_SCORE}.")]
    assert len(scores) == 20  # a rubric holds at most 20 criteria
    assert all(len(b["element"]["options"]) == 11 for b in scores)
    shown = json.dumps(blocks)
    assert "12 more scores are kept as suggested." in shown
    assert "61 more points are kept as suggested" in shown  # 19 shown
    assert view_problems(modal) == []


@pytest.mark.parametrize("suffix", ["abc", "", "1e3", "٣", "9" * 40, "-1"])
def test_a_point_block_the_form_never_had_is_ignored_not_a_crash(world, fake_slack, slack, suffix):
    draft_id, modal = open_edit(world, fake_slack, slack)
    values = state({"Empathy": "2", "Resolution": "3"})
    values[f"{BlockId.QA_POINT_TEXT}.{suffix}"] = {
        ActionId.QA_POINT_TEXT: {"type": "plain_text_input", "value": "Forged point"}
    }
    answer = submit(slack, fake_slack, "ULEAD", modal, values)
    assert answer.status_code == 200 and not answer.content
    assert row(world, draft_id).status == DraftStatus.APPROVED  # as suggested: nothing forged kept


@pytest.mark.parametrize(
    "mangled", ["4", ["4"], {ActionId.QA_SCORE: "4"}, {ActionId.QA_SCORE: {"selected_option": "4"}}]
)
def test_a_score_block_of_a_shape_slack_never_sends_is_refused_not_a_crash(
    world, fake_slack, slack, mangled
):
    draft_id, modal = open_edit(world, fake_slack, slack)
    values = state({})
    values[f"{BlockId.QA_SCORE}.Empathy"] = mangled
    answer = submit(slack, fake_slack, "ULEAD", modal, values)
    assert answer.json() == {
        "response_action": "errors",
        "errors": {f"{BlockId.QA_SCORE}.Empathy": "Pick a whole number from 0 to 4 for Empathy."},
    }
    assert row(world, draft_id).status == DraftStatus.PENDING
