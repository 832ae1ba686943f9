"""Rubrics: validation with one-line errors, approval by leads only, versions, the audit trail."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.db import session_scope
from bot.core.errors import OutOfScope
from bot.qa.rubric import (
    RubricError,
    approve_rubric,
    current_rubric,
    default_rubric_path,
    load_rubric_file,
    parse_rubric,
    spec_of,
)
from models import AuditEntry, Rubric
from tests import factories as f

GOOD = """
name: Tiny
criteria:
  - key: tone
    name: Tone
    description: Calm and kind.
    good: Apologises when due.
    scale: 3
    weight: 2
"""


def test_the_default_rubric_is_valid_and_covers_support_basics():
    spec, digest = load_rubric_file(default_rubric_path())
    keys = [c.key for c in spec.criteria]
    assert keys == ["greeting_ownership", "understanding", "accuracy_policy", "resolution",
                    "tone_empathy", "documentation"]  # fmt: skip
    assert all(c.scale == 4 and c.weight > 0 and c.good for c in spec.criteria)
    assert digest == hashlib.sha256(default_rubric_path().read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: [unclosed", "not valid YAML"),
        ("- a\n- b", "mapping"),
        ("criteria: []", "lacks a name"),
        ("name: X\ncriteria: []", "lacks criteria"),
        ("name: X\ncriteria: [1]", "criterion 1 is not a mapping"),
        (GOOD.replace("scale: 3", "scale: 0"), "scale must be a whole number"),
        (GOOD.replace("scale: 3", "scale: 2.5"), "scale must be a whole number"),
        (GOOD.replace("weight: 2", "weight: -1"), "weight must be a number above 0"),
        (GOOD.replace("key: tone", "key: Tone Key"), "key 'Tone Key' must be lowercase"),
        (GOOD.replace("    good: Apologises when due.\n", ""), "lacks good"),
        (GOOD + "    colour: red\n", "unknown field(s) colour"),
        (GOOD + "extra: 1\n", "unknown top-level field(s) extra"),
        (GOOD + GOOD.split("criteria:\n")[1], "key 'tone' is used twice"),
    ],
)
def test_bad_rubrics_fail_with_one_clear_line(text, words):
    with pytest.raises(RubricError) as caught:
        parse_rubric(text)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_owners_and_admins_approve_new_versions_with_sha_and_audit(db, tmp_path: Path):
    custom = tmp_path / "tiny.yaml"
    custom.write_text(GOOD)
    with session_scope(db) as s:
        f.member(s, "UOWNER", "owner")
        f.member(s, "UADMIN", "admin")
        assert current_rubric(s) is None
        first = approve_rubric(session=s, actor=f.viewer(s, "UOWNER"), path=None)
        second = approve_rubric(session=s, actor=f.viewer(s, "UADMIN"), path=custom)
        third = approve_rubric(session=s, actor=f.viewer(s, "UOWNER"), path=None)
    assert (first.version, second.version, third.version) == (1, 2, 3)
    with session_scope(db) as s:
        newest = current_rubric(s)
        assert newest is not None and newest.version == 3
        rows = s.scalars(select(Rubric).order_by(Rubric.version)).all()
        assert rows[1].name == "Tiny" and rows[1].approved_by == "UADMIN"
        assert rows[1].source_sha256 == hashlib.sha256(GOOD.encode()).hexdigest()
        assert spec_of(rows[1]).criteria[0].scale == 3
        audits = s.scalars(select(AuditEntry).where(AuditEntry.action == "rubric.approve")).all()
        assert [a.actor for a in audits] == ["UOWNER", "UADMIN", "UOWNER"]
        assert audits[1].after is not None and audits[1].after["sha256"] == rows[1].source_sha256


def test_a_member_cannot_approve_and_nothing_is_written(db):
    with session_scope(db) as s:
        f.agent(s, "Becky Ortiz")
        f.member(s, "UMEMBER", "member", agent="Becky Ortiz")
    with session_scope(db) as s, pytest.raises(OutOfScope):
        approve_rubric(session=s, actor=f.viewer(s, "UMEMBER"), path=None)
    with session_scope(db) as s:
        assert current_rubric(s) is None


def test_a_bad_file_is_refused_before_anything_is_written(db, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("scale: 3", "scale: eleven"))
    with session_scope(db) as s:
        f.member(s, "UOWNER", "owner")
    with session_scope(db) as s, pytest.raises(RubricError):
        approve_rubric(session=s, actor=f.viewer(s, "UOWNER"), path=bad)
    with session_scope(db) as s, pytest.raises(RubricError, match="can't read"):
        approve_rubric(session=s, actor=f.viewer(s, "UOWNER"), path=tmp_path / "missing.yaml")
    with session_scope(db) as s:
        assert current_rubric(s) is None
