"""The weekly digest names the criterion the AI's QA scores differ most on from the lead's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from blocks.digest import ai_line, digest_message
from bot.core.db import session_scope
from bot.team.digest import AiMiss, DigestView, digest_view
from models import DraftStatus, QaDraft, Rubric
from tests import factories as f
from tests.test_digest import digests, run

NOW = datetime(2026, 11, 23, 9, 10, tzinfo=UTC)  # Monday 09:10 in London
IN_WEEK = NOW - timedelta(days=2)


def view(**kw: Any) -> DigestView:
    figures: dict[str, Any] = dict(
        lead="ULONDON", week="2026-W48", week_key=202648, start=NOW - timedelta(7), end=NOW,
        flags_raised=[], flags_cleared=[], notes_written=0, follow_ups_done=0,
        follow_ups_overdue=0, queue=0, recovery=[],
    )  # fmt: skip
    return DigestView(**{**figures, **kw})


def body(message: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")


def test_the_line_names_the_criterion_or_says_the_ai_matched_or_is_left_out():
    assert ai_line(view()) is None
    assert "AI scores" not in body(digest_message(view()))
    assert ai_line(view(ai_scored=4)) == "*AI scores* matched yours on every criterion."
    missed = view(ai_scored=9, ai_miss=AiMiss("Empathy <&>", 1.4, 6))
    assert ai_line(missed) == (
        "*AI scores* differ most on *Empathy &lt;&amp;&gt;* (mean 1.4 points over 6 drafts)"
    )
    assert body(digest_message(missed)).endswith(
        "*QA drafts waiting for review:* 0\n"
        "*AI scores* differ most on *Empathy &lt;&amp;&gt;* (mean 1.4 points over 6 drafts)"
    )
    one = ai_line(view(ai_scored=1, ai_miss=AiMiss("x" * 300, 1.0, 1)))
    assert one == f"*AI scores* differ most on *{'x' * 79}…* (mean 1 point over 1 draft)"


@pytest.fixture()
def lead(session, fake_slack):
    fake_slack.add_user("ULONDON", tz="Europe/London")
    f.member(session, "ULONDON", "owner")
    agent = f.agent(session, "Omar")
    rubric = Rubric(version=1, name="r", criteria=[], source_sha256="0" * 64, approved_by="x")
    session.add(rubric)
    session.flush()
    ids = agent.id, rubric.id
    session.commit()
    return ids


def decided(
    session,
    ids: tuple[int, int],
    status: DraftStatus,
    suggested: dict[str, int],
    final: dict[str, int] | None = None,
    at: datetime = IN_WEEK,
) -> None:
    session.add(
        QaDraft(
            helpdesk="zendesk", external_id=str(session.query(QaDraft).count()),
            agent_id=ids[0], rubric_id=ids[1], engine="t", summary="s",
            scores=[{"criterion": c, "score": s, "max": 4} for c, s in suggested.items()],
            final_scores=[{"criterion": c, "score": s} for c, s in final.items()] if final else None,
            points=[], customer_risk=[], confidence=0.9, route="ready", status=status,
            decided_by="ULONDON", decided_at=at,
        )
    )  # fmt: skip


def figures(db: str) -> tuple[int, AiMiss | None]:
    with session_scope(db) as s:
        got = digest_view(session=s, lead="ULONDON", week="2026-W48", week_key=202648, now=NOW)
    return got.ai_scored, got.ai_miss


def test_ties_go_to_the_criterion_with_more_drafts_then_to_the_name(db, session, lead):
    edited = DraftStatus.EDITED
    decided(session, lead, edited, {"Empathy": 2, "Tone": 2}, {"Empathy": 4, "Tone": 3})
    decided(session, lead, edited, {"Empathy": 2, "Tone": 2}, {"Empathy": 2, "Tone": 1})
    decided(session, lead, DraftStatus.APPROVED, {"Tone": 2, "Accuracy": 1})
    decided(session, lead, DraftStatus.REJECTED, {"Accuracy": 0})  # no final score
    decided(session, lead, edited, {"Accuracy": 0}, {"Accuracy": 4}, at=NOW - timedelta(days=8))
    session.commit()
    # Empathy: 2 and 0 over 2 drafts; Tone: 1, 1 and 0 over 3; Accuracy: 0 (the 4 is too old)
    assert figures(db) == (6, AiMiss("Empathy", 1.0, 2))
    decided(session, lead, edited, {"Tone": 2}, {"Tone": 4})  # Tone: 1, 1, 0, 2 over 4 -> 1.0
    session.commit()
    assert figures(db) == (7, AiMiss("Tone", 1.0, 4))
    decided(session, lead, edited, {"Empathy": 2}, {"Empathy": 4})  # Empathy: 2, 0, 2 -> 1.333
    decided(session, lead, edited, {"Clarity": 1}, {"Clarity": 4})
    decided(session, lead, DraftStatus.APPROVED, {"Clarity": 1, "Brevity": 0})
    decided(session, lead, edited, {"Brevity": 0}, {"Brevity": 3})  # both 3 and 0 over 2
    session.commit()
    assert figures(db) == (12, AiMiss("Brevity", 1.5, 2))  # Clarity ties: the name decides


def test_matching_scores_say_so_and_a_week_without_decisions_says_nothing(db, session, lead):
    assert figures(db) == (0, None)
    decided(session, lead, DraftStatus.REJECTED, {"Empathy": 1})
    session.commit()
    assert figures(db) == (0, None)  # nothing compared: no line
    decided(session, lead, DraftStatus.APPROVED, {"Empathy": 1})
    decided(session, lead, DraftStatus.EDITED, {"Empathy": 1}, {"Empathy": 1})
    session.commit()
    assert figures(db) == (2, None)


def test_the_sent_digest_carries_the_line_and_is_still_sent_once(
    db, session, lead, settings, fake_slack
):
    decided(session, lead, DraftStatus.EDITED, {"Empathy": 1}, {"Empathy": 4})
    session.commit()
    assert run(settings, fake_slack, NOW).sent == 1
    assert run(settings, fake_slack, NOW + timedelta(hours=1)).sent == 0
    [sent] = digests(fake_slack, "ULONDON")
    assert "*AI scores* differ most on *Empathy* (mean 3 points over 1 draft)" in body(sent)


def test_back_to_back_weeks_count_a_draft_decided_on_the_boundary_once(db, session, lead):
    decided(session, lead, DraftStatus.EDITED, {"Empathy": 1}, {"Empathy": 4}, at=NOW)
    decided(session, lead, DraftStatus.EDITED, {"Tone": 1}, {"Tone": 3}, at=NOW - timedelta(7))
    session.commit()
    assert figures(db) == (1, AiMiss("Tone", 2.0, 1))  # [start, now): the one at NOW is next
    with session_scope(db) as s:
        later = digest_view(session=s, lead="ULONDON", week="2026-W49", week_key=202649,
                            now=NOW + timedelta(7))  # fmt: skip
    assert (later.ai_scored, later.ai_miss) == (1, AiMiss("Empathy", 3.0, 1))


def test_a_criterion_name_with_line_breaks_or_control_characters_stays_on_the_line():
    line = ai_line(view(ai_scored=2, ai_miss=AiMiss("Tone\n*Flags raised:* 99\x00\x07", 2.0, 2)))
    assert line == (
        "*AI scores* differ most on *Tone *Flags raised:* 99* (mean 2 points over 2 drafts)"
    )
