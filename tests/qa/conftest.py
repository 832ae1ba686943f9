"""QA fixtures: conversations with planted private data, an approved rubric, settings."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.ai.qa_drafts import QaEngine
from bot.core.db import session_scope
from bot.core.settings import Settings
from bot.qa.rubric import approve_rubric
from bot.qa.run import QaReport, run_qa
from tests import factories as f
from tests.fake_anthropic import FakeAnthropic

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
CUSTOMER = "Jane Roe"
EMAIL = "jane.roe@example.com"
PHONE = "+1 415 555 0134"
CARD = "4111 1111 1111 1111"
SECRETS = (CUSTOMER, "Roe", EMAIL, PHONE, CARD, "415 555 0134", "4111")

RISKY = (
    f"Customer: Hi, this is {CUSTOMER}. My card {CARD} was charged twice for the March plan and "
    "this is ridiculous.\n"
    "Agent: Hello, thanks for reaching out. Can you confirm the order number?\n"
    f"Customer: It's on the invoice sent to {EMAIL}. If I don't get a refund today I will call "
    "my lawyer and file a chargeback with my bank.\n"
    f"Agent: I understand. Our policy is that duplicate charges are refunded within 5 days. "
    f"I'll make an exception and refund it now. You can also call me on {PHONE} if not.\n"
    "Customer: Fine."
)
CLEAN = (
    "Customer: Hello, I can't find where to change the delivery address on my open order, "
    "the page just shows the summary.\n"
    "Agent: Hi there, thanks for getting in touch! I'm sorry that page is confusing. Which "
    "order is it, the one from Monday?\n"
    "Customer: Yes, the one from Monday with the blue lamp.\n"
    "Agent: Thanks. I've updated the address for you and the order is now set to ship "
    "tomorrow. You'll receive a tracking email within 24 hours. Is there anything else?\n"
    "Customer: No, that's perfect, thank you."
)
BOT_ONLY = (
    "Bot: Thanks for contacting us! Your request has been logged and an agent will reply.\n"
    "Customer: I need help resetting my password, the reset link never arrives in my inbox."
)
SHORT = "Customer: Thanks!\nAgent: You're welcome."

EXCEPTION_QUOTE = "I'll make an exception and refund it now."
CLEAN_QUOTE = "I've updated the address for you and the order is now set to ship tomorrow."


def smart_draft(content: str) -> dict[str, Any]:
    """What a plausible model drafts from the conversation it was sent (`content`): it quotes
    the transcript, invents one quote, and flags the risky ticket."""
    risky = "chargeback" in content
    quote = EXCEPTION_QUOTE if risky else CLEAN_QUOTE
    return {
        "summary": "The customer needed help; the agent acted. It ended resolved.",
        "scores": [
            {"criterion": "resolution", "score": 3, "max": 4},
            {"criterion": "tone_empathy", "score": 4, "max": 4},
        ],
        "points": [
            {"text": "Clear action taken.", "rootCause": "agent_behavior", "evidence": [quote]},
            {"text": "Invented", "rootCause": "policy", "evidence": ["We never refund anyone."]},
        ],
        "policyException": risky,
        "customerRisk": ["legal_threat", "chargeback"] if risky else [],
        "confidence": 0.9,
    }


FIELDS = ["helpdesk", "external_id", "agent", "agent_email", "closed_at", "csat", "queue",
          "tags", "transcript", "customer_name", "customer_email"]  # fmt: skip


def row(external_id: str, transcript: str, **extra: Any) -> dict[str, Any]:
    base = {
        "helpdesk": "zendesk",
        "external_id": external_id,
        "agent": "Becky Ortiz",
        "agent_email": "becky@example.com",
        "closed_at": (NOW - timedelta(days=2)).isoformat(),
        "csat": "2",
        "queue": "Billing",
        "tags": "billing;kb:refunds",
        "transcript": transcript,
        "customer_name": CUSTOMER if transcript else "",
        "customer_email": EMAIL if transcript else "",
    }
    return {**base, **extra}


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def standard_rows() -> list[dict[str, Any]]:
    return [
        row("9001", RISKY, csat="1"),
        row("9002", CLEAN, csat="5", agent="Dan Lee", agent_email="dan@example.com"),
        row("9003", BOT_ONLY),
        row("9004", SHORT),
        row("9005", ""),
        row("9006", CLEAN, closed_at=(NOW - timedelta(days=200)).isoformat()),
    ]


def run_file(factory: Any, settings: Settings, tickets: Path, engine: QaEngine) -> QaReport:
    """A QA run of `engine` over the conversations in `tickets`, at NOW."""
    return run_qa(
        session_factory=factory, settings=settings, file=tickets, since=None, engine=engine,
        now=NOW,
    )  # fmt: skip


@pytest.fixture()
def tickets(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "tickets.csv", standard_rows())


@pytest.fixture()
def qa_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"anthropic_api_key": None, "llm_base_url": None})


@pytest.fixture()
def factory(db: str) -> Any:
    return partial(session_scope, db)


@pytest.fixture()
def approved(db: str) -> int:
    """An owner approved the default rubric; returns its version."""
    with session_scope(db) as s:
        f.member(s, "UOWNER", "owner")
        return approve_rubric(session=s, actor=f.viewer(s, "UOWNER"), path=None).version


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    server = FakeAnthropic().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    try:
        yield server
    finally:
        server.stop()
