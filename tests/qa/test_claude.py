"""The Claude engine against the loopback fake: tool use, cached rubric, fallback, batches."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.ai.claude import ClaudeEngine
from bot.ai.engines import engine_for
from bot.ai.fallback import FallbackEngine
from bot.ai.qa_drafts import TOOL_NAME
from bot.core.db import session_scope
from models import QaDraft
from tests.fake_anthropic import FakeAnthropic
from tests.qa.conftest import CLEAN_QUOTE, SECRETS, run_file, smart_draft


def smart_reply(request: dict[str, Any]) -> dict[str, Any]:
    """A plausible model: quotes the transcript, invents one quote, flags the risky ticket."""
    draft = smart_draft(request["messages"][0]["content"])
    return {
        "content": [{"type": "tool_use", "id": "toolu_1", "name": TOOL_NAME, "input": draft}],
        "stop_reason": "tool_use",
    }


def engine(batch_min: int = 0) -> FallbackEngine:
    return FallbackEngine(
        ClaudeEngine(
            api_key="sk-test", model="claude-test", max_retries=1, timeout=10,
            poll_seconds=0, batch_min=batch_min, sleep=lambda _s: None,
        )
    )  # fmt: skip


def assert_nothing_private_sent(fake: FakeAnthropic) -> None:
    sent = json.dumps(fake.requests)
    assert fake.requests and not any(secret in sent for secret in SECRETS)


def test_tool_use_answers_are_parsed_checked_and_routed(
    fake, factory, qa_settings, tickets, approved
):
    fake.reply = smart_reply
    report = run_file(factory, qa_settings, tickets, engine())
    by_id = {d.external_id: d for d in report.drafts}
    assert set(by_id) == {"9001", "9002"}
    risky, clean = by_id["9001"], by_id["9002"]
    assert risky.route == "lead_review" and risky.policy_exception
    assert risky.customer_risk == ("legal_threat", "chargeback")
    assert clean.route == "ready" and clean.confidence == 0.9
    assert [p.evidence for p in clean.points] == [(CLEAN_QUOTE,)]
    assert risky.dropped_points == clean.dropped_points == 1  # the invented quote
    assert clean.engine == "claude:claude-test"
    first = fake.requests[0]
    assert first["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "greeting_ownership" in first["system"][-1]["text"]  # the rubric is what is cached
    assert first["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    assert first["tools"][0]["input_schema"]["required"][0] == "summary"
    assert "[NAME]" in first["messages"][0]["content"] or "[CARD]" in json.dumps(fake.requests)
    assert_nothing_private_sent(fake)
    with session_scope(qa_settings.database_url) as s:
        stored = s.scalars(select(QaDraft).order_by(QaDraft.external_id)).all()
        assert [d.dropped_points for d in stored] == [1, 1]
        assert {d.engine for d in stored} == {"claude:claude-test"}


def test_a_failing_model_falls_back_to_an_offline_draft_that_says_why(
    fake, factory, qa_settings, tickets, approved
):
    fake.fail_next(500, times=100)
    report = run_file(factory, qa_settings, tickets, engine())
    assert len(report.drafts) == 2
    for draft in report.drafts:
        assert "the AI engine failed: InternalServerError" in draft.summary
        assert draft.confidence <= 0.3 and draft.route == "lead_review"
        assert draft.engine.startswith("offline (fallback from claude:")
        assert draft.note and "InternalServerError" in draft.note
        assert draft.points  # still useful: evidence-backed heuristic points
    assert len(fake.requests) >= 4  # retried before giving up
    assert_nothing_private_sent(fake)


def test_an_answer_without_the_tool_falls_back(fake, factory, qa_settings, tickets, approved):
    fake.reply = lambda _r: {"content": [{"type": "text", "text": "Looks fine to me."}]}
    report = run_file(factory, qa_settings, tickets, engine())
    assert len(report.drafts) == 2
    assert all("ValueError" in (d.note or "") for d in report.drafts)


def test_batch_mode_uses_the_message_batches_api(fake, factory, qa_settings, tickets, approved):
    fake.reply = smart_reply
    fake.batch_polls = 2
    fake.batch_errors = {"qa-1"}  # the second conversation's request errors in the batch
    report = run_file(factory, qa_settings, tickets, engine(batch_min=2))
    assert len(fake.batches) == 1
    (batch,) = fake.batches.values()
    assert [r["custom_id"] for r in batch["requests"]] == ["qa-0", "qa-1"]
    assert batch["polls"] >= 3  # polled until it ended
    params = batch["requests"][0]["params"]
    assert params["system"][-1]["cache_control"] == {"type": "ephemeral"}
    by_id = {d.external_id: d for d in report.drafts}
    assert by_id["9001"].engine == "claude:claude-test" and by_id["9001"].dropped_points == 1
    assert by_id["9002"].engine.startswith("offline (fallback")  # the errored one
    assert_nothing_private_sent(fake)


def test_a_failed_batch_falls_back_for_every_conversation(
    fake, factory, qa_settings, tickets, approved
):
    fake.fail_next(500, times=100)
    report = run_file(factory, qa_settings, tickets, engine(batch_min=1))
    assert len(report.drafts) == 2 and all(d.engine.startswith("offline") for d in report.drafts)
    assert fake.requests and all(set(r) == {"requests"} for r in fake.requests)  # batches only


def test_engine_for_picks_claude_only_with_a_key(qa_settings):
    assert engine_for(qa_settings).name == "offline"
    keyed = qa_settings.model_copy(update={"anthropic_api_key": "sk-x", "model": "m"})
    assert engine_for(keyed).name == "claude:m"
