"""AI agreement over scores as older engines stored them: floats, numeric strings, a criterion
scored twice, garbage; the edit form and the figures treat ``"2"``, ``2.0`` and ``2`` as one
score (review of issue 17 part 3)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from blocks.qa_review import edit_modal
from bot.core.db import session_scope
from bot.insights.agreement import criteria_table
from bot.qa.review import PointEdit, draft_view
from bot.qa.scores import lead_scores, score_changes, stored_number
from models import DraftStatus, QaDraft
from tests.test_ai_agreement import approve, edit, figures, world  # noqa: F401 (fixture)
from tests.test_qa_review import POINTS

OLD_SCORES = [
    {"criterion": "Empathy", "score": "2", "max": 4},
    {"criterion": "Resolution", "score": 3.0, "max": 4},
]
AS_SUGGESTED = [PointEdit(i, str(p["text"]), str(p["rootCause"])) for i, p in enumerate(POINTS)]


def criteria(result: dict[str, Any]) -> dict[str, tuple[int, int, float | None, int]]:
    return {
        c["criterion"]: (c["drafts"], c["finalScores"], c["meanAbsScoreDifference"],
                         c["scoreChanged"])
        for c in result["criteria"]
    }  # fmt: skip


def test_stored_number_reads_older_engines_scores():
    assert [stored_number(v) for v in (2, 2.0, "2", " 2.5 ", True, "two", None, float("nan"))] == [
        2.0, 2.0, 2.0, 2.5, None, None, None, None,
    ]  # fmt: skip


def test_string_and_float_scores_count_and_resubmitting_them_is_an_approval(world):  # noqa: F811
    approve(world, world.draft(scores=OLD_SCORES))
    same = world.draft(scores=OLD_SCORES)
    edit(world, same, AS_SUGGESTED, scores={"Empathy": "2", "Resolution": "3"})
    changed = world.draft(scores=OLD_SCORES)
    edit(world, changed, AS_SUGGESTED, scores={"Empathy": "4", "Resolution": "3"})
    with session_scope(world.settings.database_url) as s:
        assert s.get_one(QaDraft, same).status == DraftStatus.APPROVED  # nothing changed
        assert s.get_one(QaDraft, changed).status == DraftStatus.EDITED
    result = figures(world)
    assert (result["approved"], result["edited"], result["scoreChanged"]) == (2, 1, 1)
    assert result["meanAbsScoreDifference"] == 0.333  # |2-4| over 6 criterion scores
    assert criteria(result) == {"Empathy": (3, 3, 0.667, 1), "Resolution": (3, 3, 0.0, 0)}


def test_lead_scores_compare_numbers_not_their_spelling():
    assert lead_scores(OLD_SCORES, {"Empathy": 2, "Resolution": "3"}) is None
    final = lead_scores(OLD_SCORES, {"Empathy": 1})
    assert score_changes(OLD_SCORES, final) == [{"criterion": "Empathy", "from": "2", "to": 1}]


def test_the_edit_form_starts_on_a_float_or_string_score(world):  # noqa: F811
    draft_id = world.draft(scores=OLD_SCORES)
    with session_scope(world.settings.database_url) as s:
        view = draft_view(s, s.get_one(QaDraft, draft_id), world.settings)
    selects = [
        b["element"] for b in edit_modal(view, channel="D1", ts="1.1")["blocks"]
        if b.get("type") == "input" and b["element"].get("type") == "static_select"
        and b["block_id"].startswith("qa_score")
    ]  # fmt: skip
    assert [e.get("initial_option", {}).get("value") for e in selects] == ["2", "3"]


def test_a_criterion_scored_twice_counts_once_and_garbage_is_skipped(world):  # noqa: F811
    twice = [
        {"criterion": "Empathy", "score": 2, "max": 4},
        {"criterion": "Empathy", "score": 4, "max": 4},  # an older engine's repeat
        "not a score",
    ]
    draft_id = world.draft(scores=twice)
    edit(world, draft_id, AS_SUGGESTED, scores={"Empathy": "3"})
    result = figures(world)
    assert criteria(result) == {"Empathy": (1, 1, 1.0, 1)}
    assert (result["meanAbsScoreDifference"], result["scoreChanged"]) == (1.0, 1)


def test_the_readme_documents_every_ai_agreement_key_and_no_other(world):  # noqa: F811
    approve(world, world.draft())
    edit(world, world.draft(), [PointEdit(0, "Say sorry first.", "policy")], {"Empathy": "4"})
    result = figures(world)
    keys = set(result) | set(result["criteria"][0]) | set(result["rootCauseChanges"][0])
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("- **aiAgreement**")
    section = readme[start : readme.index("Without `--json` the report ends", start)]
    named = set(re.findall(r"`([a-z][A-Za-z]*)`", section)) - {"null", "true", "false"}
    assert named == keys


def test_the_report_table_keeps_a_criterion_with_control_characters_on_its_row(world):  # noqa: F811
    approve(
        world, world.draft(scores=[{"criterion": "Tone\n\x1b[2Jcare\x00", "score": 1, "max": 4}])
    )
    assert criteria_table(figures(world)) == [
        "  criterion     decided  unchanged  mean |diff|  scores changed",
        "  Tone [2Jcare        1       100%         0.00               0",
        "  overall             1       100%         0.00               0",
    ]
