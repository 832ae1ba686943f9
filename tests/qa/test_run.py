"""`run_qa` and the CLI end to end: drafts, skips, events, one draft per rubric version, privacy."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import select

from bot.ai.offline import OfflineEngine
from bot.cli import main
from bot.core.db import session_scope
from bot.ingest.importer import import_file
from bot.privacy.redaction import redact
from bot.qa.evidence import MAX_EXCERPT
from bot.qa.rubric import approve_rubric
from bot.qa.run import NoApprovedRubric, run_qa
from models import Agent, MeasurementEvent, QaDraft, QaSkip
from tests import factories as f
from tests.privacy import leaks, stored_texts
from tests.qa.conftest import CARD, CUSTOMER, EMAIL, NOW, PHONE, SECRETS, standard_rows

WORDS = (CUSTOMER, "Roe", EMAIL, PHONE, "415 555 0134")  # the card: tests.privacy.card_pattern

SKIPS = {
    "9003": "no agent turn",
    "9004": "too short to judge",
    "9005": "no transcript",
    "9006": "stale",
}


def run(factory, settings, **kwargs):
    base = dict(file=None, since=None, engine=OfflineEngine(), now=NOW)
    return run_qa(session_factory=factory, settings=settings, **{**base, **kwargs})


def leaked(db: str) -> list[str]:
    """The customer's data found anywhere Debrief keeps text (nothing may be)."""
    return leaks(stored_texts(db), WORDS, CARD)


def test_without_an_approved_rubric_nothing_runs(factory, qa_settings, tickets):
    with pytest.raises(NoApprovedRubric, match="debrief rubric approve"):
        run(factory, qa_settings, file=tickets)


def test_a_file_run_drafts_skips_measures_and_never_redrafts(
    db, factory, qa_settings, tickets, approved
):
    report = run(factory, qa_settings, file=tickets)
    assert report.sampled == 6 and {d.external_id for d in report.drafts} == {"9001", "9002"}
    reasons = {s.external_id: s.reason for s in report.skipped}
    assert set(reasons) == set(SKIPS) and all(SKIPS[k] in reasons[k] for k in SKIPS)
    risky = next(d for d in report.drafts if d.external_id == "9001")
    assert risky.route == "lead_review" and "legal_threat" in risky.customer_risk
    with session_scope(db) as s:
        drafts = s.scalars(select(QaDraft)).all()
        assert {d.status.value for d in drafts} == {"pending"} and len(drafts) == 2
        assert {d.rubric_id for d in drafts} == {1} and {d.engine for d in drafts} == {"offline"}
        skips = {k.external_id: k.reason for k in s.scalars(select(QaSkip))}
        assert skips == reasons
        kinds = [e.kind for e in s.scalars(select(MeasurementEvent))]
    assert kinds.count("ticket_reviewed") == 6 and kinds.count("draft_created") == 2
    assert kinds.count("draft_skipped") == 4 and "policy_escalation" in kinds
    assert "theme" in kinds
    # a rerun under the same rubric drafts nothing new
    again = run(factory, qa_settings, file=tickets)
    assert again.already_drafted == 2 and again.drafts == [] and again.skipped == []
    assert again.already_skipped == 4
    with session_scope(db) as s:
        assert len(s.scalars(select(QaSkip)).all()) == 4  # not recorded twice
    # a new rubric version drafts them again
    with session_scope(db) as s:
        approve_rubric(session=s, actor=f.viewer(s, "UOWNER"), path=None)
    third = run(factory, qa_settings, file=tickets)
    assert {d.rubric_version for d in third.drafts} == {2} and len(third.drafts) == 2


def test_no_private_data_is_stored(db, factory, qa_settings, tickets, approved):
    run(factory, qa_settings, file=tickets)
    stored = "\n".join(stored_texts(db))
    assert "evidence" in stored and "9001" in stored
    assert leaked(db) == []
    with session_scope(db) as s:
        for draft in s.scalars(select(QaDraft)):
            for point in draft.points:
                assert all(len(e) <= MAX_EXCERPT for e in point["evidence"])


def test_conversations_in_the_database_are_sampled_since_a_date(
    db, factory, qa_settings, tickets, approved
):
    import_file(session_factory=factory, path=tickets)
    report = run(factory, qa_settings, since=NOW - timedelta(days=7))
    assert {d.external_id for d in report.drafts} == {"9001", "9002"}
    assert {s.external_id for s in report.skipped} == {"9003", "9004", "9005"}  # 9006 is older
    assert leaked(db) == []


def test_an_agent_name_two_agents_share_skips_that_row_not_the_run(
    db, factory, qa_settings, tmp_path, approved
):
    from tests.qa.conftest import CLEAN, row, write_csv

    with session_scope(db) as s:  # two agents the name can't tell apart (the CLI won't make them)
        s.add_all([Agent(name="Sam Fox"), Agent(name="sam fox")])
    rows = [row("8001", CLEAN), row("8002", CLEAN, agent="Sam Fox", agent_email="")]
    report = run(factory, qa_settings, file=write_csv(tmp_path / "two.csv", rows))
    assert [d.external_id for d in report.drafts] == ["8001"]
    [skipped] = report.skipped
    assert skipped.external_id == "8002" and "agent_email" in skipped.reason
    with session_scope(db) as s:
        assert s.scalars(select(QaDraft.external_id)).all() == ["8001"]


def test_documentation_gaps_are_measured(db, factory, qa_settings, tmp_path, approved):
    from tests.qa.conftest import row, write_csv

    text = (
        "Customer: The help article about exporting invoices is outdated, the button it "
        "describes is gone from the billing page.\n"
        "Agent: Sorry about that! I'll let the docs team know, and here is how to export now: "
        "open Billing, then History, then Download."
    )
    path = write_csv(tmp_path / "docs.csv", [row("7001", text)])
    run(factory, qa_settings, file=path)
    with session_scope(db) as s:
        gaps = s.scalars(
            select(MeasurementEvent).where(MeasurementEvent.kind == "documentation_gap")
        )
        assert [g.payload["topic"] for g in gaps] == ["kb:refunds"]


# ---------------------------------------------------------------- the CLI


@pytest.fixture()
def cli(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db)
    for name in ("ANTHROPIC_API_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_cli_needs_an_approved_rubric_and_a_lead_to_approve(cli, tickets, db):
    result = cli("qa", "run", "--file", str(tickets), "--json")
    assert result.exit_code != 0 and result.stdout == ""
    assert "debrief rubric approve" in result.stderr and "--by U" in result.stderr
    with session_scope(db) as s:
        f.agent(s, "Becky Ortiz")
        f.member(s, "UMEMBER", "member", agent="Becky Ortiz")
        f.member(s, "UOWNER", "owner")
    refused = cli("rubric", "approve", "--by", "UMEMBER")
    assert refused.exit_code != 0 and "owners and admins" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    bad = cli("rubric", "approve", str(tickets), "--by", "UOWNER")  # a CSV is no rubric
    assert bad.exit_code != 0 and "not valid YAML" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


@freeze_time(NOW)  # the rows are dated from NOW: on the real clock they'd go stale in 90 days
def test_cli_end_to_end(cli, tickets, db):
    with session_scope(db) as s:
        f.member(s, "UOWNER", "owner")
    approved = cli("rubric", "approve", "--by", "UOWNER")
    assert approved.exit_code == 0 and "approved rubric version 1" in approved.stdout
    result = cli("qa", "run", "--file", str(tickets), "--json")
    assert result.exit_code == 0, result.stderr
    drafts = [json.loads(line) for line in result.stdout.splitlines()]
    assert {d["externalId"] for d in drafts} == {"9001", "9002"}
    transcripts = {
        r["external_id"]: redact(
            r["transcript"], customer_names=[CUSTOMER], customer_emails=[EMAIL]
        )
        for r in standard_rows()
    }
    for draft in drafts:
        assert set(draft) == {"externalId", "agent", "rubricVersion", "summary", "scores",
                              "points", "policyException", "customerRisk", "confidence",
                              "route"}  # fmt: skip
        assert draft["rubricVersion"] == 1 and draft["route"] == "lead_review"  # offline
        for point in draft["points"]:
            assert point["evidence"]
            for excerpt in point["evidence"]:
                assert excerpt in transcripts[draft["externalId"]] and len(excerpt) <= 300
    risky = next(d for d in drafts if d["externalId"] == "9001")
    assert {"legal_threat", "chargeback", "refund_demand"} <= set(risky["customerRisk"])
    assert risky["policyException"] is True
    assert not any(secret in result.stdout for secret in SECRETS)
    assert "offline heuristic engine" in result.stderr
    skipped = [json.loads(x) for x in result.stderr.splitlines() if x.startswith("{")]
    assert {s["externalId"] for s in skipped} == set(SKIPS)
    assert all(SKIPS[s["externalId"]] in s["skipped"] for s in skipped)
    plain = cli("qa", "run", "--file", str(tickets))
    assert plain.exit_code == 0 and "already drafted 2" in plain.stdout
