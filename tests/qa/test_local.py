"""The local engine (an OpenAI-compatible server) drafting QA reviews, through the real `openai`
client against the loopback fake: structured output and its tool fallback, checks, retries,
the offline fallback, and only redacted text sent."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import select

from bot.ai.engines import engine_for, summarizer_for
from bot.ai.fallback import FallbackEngine
from bot.ai.local import LocalEngine, unfenced
from bot.ai.qa_drafts import ANSWER_BY_JSON, ANSWER_BY_TOOL, TOOL_NAME
from bot.app.services import Services
from bot.cli import main
from bot.core.db import session_scope
from bot.qa.draft import MAX_SUMMARY
from models import QaDraft
from tests import factories as f
from tests.fake_anthropic import FakeAnthropic
from tests.fake_openai import FakeOpenAI, draft_reply, refused_url, tool_calls
from tests.qa.conftest import CARD, CLEAN_QUOTE, EMAIL, NOW, SECRETS, run_file, smart_draft

MODEL = "llama3.1"
NAME = f"local:{MODEL}"


def smart(request: dict[str, Any]) -> dict[str, Any]:
    return smart_draft(request["messages"][-1]["content"])


def engine(url: str, *, max_retries: int = 1, timeout: float = 10.0) -> FallbackEngine:
    return FallbackEngine(
        LocalEngine(base_url=url, model=MODEL, max_retries=max_retries, timeout=timeout)
    )


def assert_nothing_private_sent(fake: FakeOpenAI) -> None:
    assert fake.requests
    assert not any(secret in fake.sent for secret in SECRETS)
    assert "[CARD]" in fake.sent and "[EMAIL]" in fake.sent  # what was there, redacted


def structures(fake: FakeOpenAI) -> list[str]:
    return ["json_schema" if "response_format" in r else "tools" for r in fake.requests]


def test_the_local_model_drafts_with_structured_output_checked_and_named(
    fake_openai, factory, qa_settings, tickets, approved
):
    fake_openai.reply = draft_reply(smart)
    local = qa_settings.model_copy(update={"llm_base_url": fake_openai.url, "llm_model": MODEL})
    report = run_file(factory, qa_settings, tickets, engine_for(local))
    assert report.engine == NAME and {d.engine for d in report.drafts} == {NAME}
    routed = {
        (d.external_id, d.route, d.policy_exception, d.customer_risk, d.confidence)
        for d in report.drafts
    }
    assert routed == {
        ("9001", "lead_review", True, ("legal_threat", "chargeback"), 0.9),  # the risk, its lead
        ("9002", "ready", False, (), 0.9),
    }
    clean = next(d for d in report.drafts if d.external_id == "9002")
    assert [p.evidence for p in clean.points] == [(CLEAN_QUOTE,)]
    assert [d.dropped_points for d in report.drafts] == [1, 1]  # the invented quote, each
    assert structures(fake_openai) == ["json_schema", "json_schema"]  # one call a draft
    first = fake_openai.requests[0]
    assert first["model"] == MODEL and "tools" not in first
    spec = first["response_format"]["json_schema"]
    assert spec["name"] == TOOL_NAME and spec["strict"] is True
    assert spec["schema"]["required"][0] == "summary"
    system, user = first["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    assert ANSWER_BY_JSON in system["content"] and "greeting_ownership" in system["content"]
    assert "<transcript>" in user["content"]
    assert_nothing_private_sent(fake_openai)
    with session_scope(qa_settings.database_url) as s:
        stored = s.scalars(select(QaDraft).order_by(QaDraft.external_id)).all()
        assert [(d.engine, d.dropped_points) for d in stored] == [(NAME, 1), (NAME, 1)]


def test_a_server_refusing_json_schema_is_asked_through_the_tool_and_remembered(
    fake_openai, factory, qa_settings, tickets, approved, caplog
):
    fake_openai.refuse_json_schema = True  # as a server without structured output answers
    fake_openai.reply = draft_reply(smart)
    local = qa_settings.model_copy(update={"llm_base_url": fake_openai.url, "llm_model": MODEL})
    services = Services(local)
    with caplog.at_level(logging.WARNING, logger="bot.ai.local"):
        report = run_file(factory, qa_settings, tickets, services.qa_engine)
    assert {d.engine for d in report.drafts} == {NAME} and len(report.drafts) == 2
    assert all(d.dropped_points == 1 for d in report.drafts)
    assert structures(fake_openai) == ["json_schema", "tools", "tools"]  # refused once only
    asked = fake_openai.requests[1]
    assert asked["tool_choice"] == {"type": "function", "function": {"name": TOOL_NAME}}
    assert asked["tools"][0]["function"]["name"] == TOOL_NAME
    assert asked["messages"][0]["content"].count(ANSWER_BY_TOOL) == 1
    assert [r.getMessage() for r in caplog.records if r.name == "bot.ai.local"] == [
        f"{NAME} refused response_format json_schema: drafting through the draft tool from now on"
    ]
    assert services.qa_engine.primary.structure == "tools"  # type: ignore[attr-defined]
    assert_nothing_private_sent(fake_openai)


def test_an_answer_without_json_is_asked_again_through_the_tool(
    fake_openai, factory, qa_settings, tickets, approved
):
    def ignores_response_format(request: dict[str, Any]) -> dict[str, Any]:
        if request.get("tools"):
            return tool_calls(TOOL_NAME, json.dumps(smart(request)))
        return {"content": "Here is my review: the agent did well."}

    fake_openai.reply = ignores_response_format
    report = run_file(factory, qa_settings, tickets, engine(fake_openai.url))
    assert {d.engine for d in report.drafts} == {NAME} and len(report.drafts) == 2
    assert structures(fake_openai) == ["json_schema", "tools", "tools"]


@pytest.mark.parametrize(
    ("refuse_json_schema", "answer", "why"),
    [
        (False, {"content": json.dumps({**smart_draft(""), "confidence": "high"})},
         "confidence is not a number"),
        (False, {"content": json.dumps({**smart_draft(""), "summary": ""})},
         "the draft has no summary"),
        (True, tool_calls(TOOL_NAME, '{"summary": "cut off'), "arguments are not JSON"),
        (True, {"content": "I can't use tools."}, "without calling the draft tool"),
        (False, {"content": '{"summary": "cut', "finish_reason": "length"}, "cut off"),
        # wrong JSON types: Python's json reads NaN and Infinity; a dict or string is no list
        (False, {"content": json.dumps({**smart_draft(""), "confidence": float("nan")})},
         "confidence is not a number"),
        (False, {"content": json.dumps({**smart_draft(""), "scores": [
            {"criterion": "resolution", "score": float("inf"), "max": 4}]})},
         "score of resolution is not a number"),
        (True, tool_calls(TOOL_NAME, json.dumps({**smart_draft(""), "scores": {"a": 1}})),
         "scores is not a list"),
        (True, tool_calls(TOOL_NAME, json.dumps({**smart_draft(""), "points": "none"})),
         "points is not a list"),
    ],
)  # fmt: skip
def test_an_answer_that_fails_the_checks_falls_back_offline_and_says_why(
    fake_openai, factory, qa_settings, tickets, approved, caplog, refuse_json_schema, answer, why
):
    fake_openai.refuse_json_schema = refuse_json_schema
    fake_openai.reply = lambda _request: answer
    with caplog.at_level(logging.WARNING, logger="bot.qa.engines"):
        report = run_file(factory, qa_settings, tickets, engine(fake_openai.url))
    assert len(report.drafts) == 2  # nothing lost: each draft still reaches the lead
    for draft in report.drafts:
        assert draft.engine == f"offline (fallback from {NAME})"
        assert draft.route == "lead_review" and draft.confidence <= 0.3
        assert "the AI engine failed: ValueError" in draft.summary
        assert draft.note and why in draft.note
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.qa.engines"]
    assert len(logged) == 2 and all(f"QA draft by {NAME} failed" in m and why in m for m in logged)
    with session_scope(qa_settings.database_url) as s:
        assert len(s.scalars(select(QaDraft)).all()) == 2


@pytest.mark.parametrize(
    ("body", "content_type", "why"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", "text/html",
         "ValueError: the server answered without a chat completion"),
        (b'{"id": "chatcmpl-1", "choices": [', "application/json", "JSONDecodeError"),
        (b'{"choices": [{"message": {"content": "\xff\xfe"}}]}', "application/json",
         "UnicodeDecodeError"),
    ],
)  # fmt: skip
def test_a_200_that_is_no_chat_completion_falls_back_offline_and_says_why(
    fake_openai, factory, qa_settings, tickets, approved, body, content_type, why
):
    for _ in range(2):
        fake_openai.body_next(body, content_type)
    report = run_file(factory, qa_settings, tickets, engine(fake_openai.url))
    assert len(report.drafts) == 2
    for draft in report.drafts:
        assert draft.engine == f"offline (fallback from {NAME})" and draft.confidence <= 0.3
        assert why in f"{draft.summary} {draft.note}"
    assert structures(fake_openai) == ["json_schema", "json_schema"]  # not taken for no support


def test_a_huge_answer_is_clipped_to_what_a_draft_holds(
    fake_openai, factory, qa_settings, tickets, approved
):
    fake_openai.reply = draft_reply(lambda r: {**smart(r), "summary": "Long. " * 400_000})
    report = run_file(factory, qa_settings, tickets, engine(fake_openai.url))
    assert {d.engine for d in report.drafts} == {NAME}
    assert all(len(d.summary) <= MAX_SUMMARY for d in report.drafts)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_or_failing_server_is_retried_then_drafts(
    fake_openai, factory, qa_settings, tickets, approved, status
):
    fake_openai.reply = draft_reply(smart)
    fake_openai.fail_next(status, times=1, retry_after="0")
    report = run_file(factory, qa_settings, tickets, engine(fake_openai.url, max_retries=2))
    assert {d.engine for d in report.drafts} == {NAME} and len(report.drafts) == 2
    assert [h["x-stainless-retry-count"] for h in fake_openai.headers] == ["0", "1", "0"]
    assert fake_openai.requests[0] == fake_openai.requests[1]  # the same request again
    assert_nothing_private_sent(fake_openai)


def test_a_server_that_is_down_falls_back_offline_and_nothing_is_lost(
    factory, qa_settings, tickets, approved
):
    with refused_url() as url:
        report = run_file(factory, qa_settings, tickets, engine(url, max_retries=1))
    assert len(report.drafts) == 2
    for draft in report.drafts:
        assert draft.engine == f"offline (fallback from {NAME})" and draft.points
        assert "the AI engine failed: APIConnectionError" in draft.summary
    with session_scope(qa_settings.database_url) as s:
        assert len(s.scalars(select(QaDraft)).all()) == 2


def test_a_server_that_never_answers_times_out_and_falls_back(
    fake_openai, factory, qa_settings, tickets, approved
):
    fake_openai.hang_next(times=1000)  # it holds every request until the test ends
    report = run_file(factory, qa_settings, tickets, engine(fake_openai.url, timeout=0.5))
    assert len(report.drafts) == 2
    assert all("APITimeoutError" in (d.note or "") for d in report.drafts)
    assert len(fake_openai.requests) == 4  # each tried twice (max_retries=1)
    assert_nothing_private_sent(fake_openai)


def test_a_base_url_picks_the_local_model_even_with_a_claude_key(qa_settings):
    assert engine_for(qa_settings).name == summarizer_for(qa_settings).name == "offline"
    claude = qa_settings.model_copy(update={"anthropic_api_key": "sk-x", "model": "m"})
    assert engine_for(claude).name == summarizer_for(claude).name == "claude:m"
    local = claude.model_copy(
        update={"llm_base_url": "http://localhost:11434/v1", "llm_model": "q"}
    )
    assert engine_for(local).name == summarizer_for(local).name == "local:q"
    long = local.model_copy(update={"llm_model": "m" * 100})
    assert engine_for(long).name == ("local:" + "m" * 100)[:64]  # what the engine column holds


# ---------------------------------------------------------------- the CLI


@freeze_time(NOW, ignore=["openai", "httpx", "httpcore"])  # rows are dated from NOW
def test_debrief_qa_run_drafts_with_the_local_model_and_claude_gets_nothing(
    fake_openai, db, tickets, monkeypatch, tmp_path
):
    fake_openai.reply = draft_reply(smart)
    claude = FakeAnthropic().start()
    try:
        monkeypatch.chdir(tmp_path)
        for name, value in {
            "DATABASE_URL": db, "DEBRIEF_LLM_BASE_URL": fake_openai.url,
            "DEBRIEF_LLM_MODEL": MODEL, "ANTHROPIC_API_KEY": "sk-test",
            "ANTHROPIC_BASE_URL": claude.url,
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        with session_scope(db) as s:
            f.member(s, "UOWNER", "owner")
        runner = CliRunner()
        approve = runner.invoke(main, ["rubric", "approve", "--by", "UOWNER"])
        assert approve.exit_code == 0, approve.output
        result = runner.invoke(main, ["qa", "run", "--file", str(tickets), "--json"])
        assert result.exit_code == 0, result.stderr
        assert claude.requests == []  # the data stayed home
    finally:
        claude.stop()
    drafts = [json.loads(line) for line in result.stdout.splitlines()]
    assert {d["externalId"] for d in drafts} == {"9001", "9002"}
    assert f"rubric v1, {NAME}: sampled" in result.stderr
    assert "offline" not in result.stderr
    assert not any(secret in result.stdout for secret in (CARD, EMAIL))
    assert_nothing_private_sent(fake_openai)
    with session_scope(db) as s:
        assert set(s.scalars(select(QaDraft.engine))) == {NAME}


@pytest.mark.parametrize(
    "fence", ["```json\n{}\n```", "```\n{}\n```\n", "  ```JSON  \n{}\n  ```  "]
)
def test_json_in_a_markdown_fence_is_read_and_json_schema_kept(
    fake_openai, factory, qa_settings, tickets, approved, fence
):
    def fenced(request: dict[str, Any]) -> dict[str, Any]:
        return {"content": fence.replace("{}", json.dumps(smart(request)))}

    fake_openai.reply = fenced
    report = run_file(factory, qa_settings, tickets, engine(fake_openai.url))
    assert {d.engine for d in report.drafts} == {NAME} and len(report.drafts) == 2
    assert structures(fake_openai) == ["json_schema", "json_schema"]  # no switch to the tool


def test_unfenced_leaves_anything_but_one_whole_fence_alone():
    assert unfenced('{"a": 1}') == '{"a": 1}'
    assert unfenced('Here:\n```json\n{"a": 1}\n```') == 'Here:\n```json\n{"a": 1}\n```'
    assert unfenced("```json\n{}") == "```json\n{}"
