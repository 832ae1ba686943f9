"""The `debrief` command line: what it prints, and one clear line on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.core.db import session_scope
from models import Agent, AuditEntry


@pytest.fixture()
def run(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def one_line_error(result, *words: str) -> None:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_db_upgrade_is_safe_twice(run):
    assert run("db", "upgrade").exit_code == 0
    assert run("db", "upgrade").exit_code == 0


def test_members_and_agents_round_trip(run, db):
    assert "added U0LEAD as owner" in run("members", "add", "U0LEAD", "--role", "owner").output
    out = run(
        "agents", "add", "Sarah Connor", "--email", "Sarah@Example.com", "--lead", "U0LEAD"
    ).output
    assert "added agent Sarah Connor" in out
    assert (
        "updated agent Sarah Connor"
        in run("agents", "add", "sarah connor", "--slack-user", "U0SARAH").output
    )
    run("members", "add", "U0SARAH", "--role", "member", "--agent", "Sarah Connor")
    listed = run("agents", "list").output
    assert "sarah@example.com" in listed and "lead U0LEAD" in listed and "slack U0SARAH" in listed
    members = run("members", "list").output.splitlines()
    assert members[0].startswith("U0LEAD") and "agent: Sarah Connor" in members[1]
    assert "deactivated" in run("agents", "deactivate", "Sarah Connor").output
    assert run("agents", "list").output.strip().startswith("no agents yet")
    assert "deactivated" in run("agents", "list", "--all").output
    assert "removed" in run("members", "remove", "U0SARAH").output
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Agent)) == 1
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [
        "member.create",
        "agent.create",
        "agent.update",
        "member.create",
        "agent.deactivate",
        "member.remove",
    ]


def test_bad_input_is_one_line_and_changes_nothing(run, db):
    run("members", "add", "U0MEMBER", "--role", "member")
    one_line_error(run("agents", "add", "Sam", "--lead", "U0MEMBER"), "owner or admin")
    one_line_error(run("agents", "add", "Sam", "--email", "not-an-email"), "not an email")
    one_line_error(run("members", "add", "sarah", "--role", "owner"), "not a Slack user id")
    one_line_error(run("members", "add", "U0X", "--role", "member", "--agent", "Nobody"), "Nobody")
    one_line_error(run("members", "remove", "U0NOBODY"), "not a member")
    one_line_error(run("agents", "deactivate", "Nobody"), "Nobody")
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Agent)) == 0


def test_a_fresh_database_asks_for_db_upgrade(run, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    one_line_error(run("agents", "list"), "debrief db upgrade")


def test_a_malformed_setting_names_the_variable(run, monkeypatch, db):
    monkeypatch.setenv("DATABASE_URL", "mysql://nope")
    one_line_error(run("agents", "list"), "DATABASE_URL")
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setenv("DEBRIEF_NOTES_PAGE_SIZE", "lots")
    one_line_error(run("agents", "list"), "DEBRIEF_NOTES_PAGE_SIZE")


@pytest.mark.parametrize(
    "variable",
    [
        "DEBRIEF_ZENDESK_BASE_URL",
        "DEBRIEF_INTERCOM_BASE_URL",
        "DEBRIEF_FRESHDESK_BASE_URL",
        "DEBRIEF_HELPSCOUT_BASE_URL",
        "DEBRIEF_GORGIAS_BASE_URL",
        "DEBRIEF_HUBSPOT_BASE_URL",
    ],
)
@pytest.mark.parametrize("value", ["acme.example.com", "ftp://acme.example.com", "https://"])
def test_a_malformed_helpdesk_base_url_is_one_line_naming_it(run, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    for command in (("sync",), ("members", "list")):
        one_line_error(run(*command), f"setting {variable}", "http(s) URL")


def test_serve_without_slack_credentials_names_them(run):
    one_line_error(run("serve"), "SLACK_BOT_TOKEN")


def test_unreachable_database_is_one_line(run, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    one_line_error(run("agents", "list"), "can't reach the database")


def test_demo_flags_the_two_declining_agents_and_shows_dm_modal_and_chart(run, tmp_path):
    result = run("demo", "--db", str(tmp_path / "demo.db"))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "8 agents assessed, 2 flagged" in out
    assert "• Becky Ortiz: CSAT" in out and "• Stewart Adeyemi: CSAT" in out
    assert "BECKY ORTIZ'S CSAT IS SLIDING" in out and "[ Coach ]  [ Dismiss… ]" in out
    charts = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Chart (")]
    assert charts and all(Path(c).read_bytes().startswith(b"\x89PNG") for c in charts)
    assert "Coach Becky Ortiz" in out and "https://app.slack.com/block-kit-builder/#" in out
    assert "Offline summary (no AI engine configured)" in out
    assert "https://example.zendesk.com/agent/tickets/" in out
    assert "QA run against the approved default rubric (v1, offline)" in out
    assert "QA DRAFT:" in out and "Suggested, not a final score" in out
    assert "The shared note reaches Becky Ortiz as a DM, to U0DEMOAGENT:" in out
    assert "[ Acknowledge ]  [ Reply ]" in out
    assert "The reply reaches the note's author as a DM, to U0DEMOLEAD:" in out
    assert ":white_check_mark: acknowledged" in out and "• @U0DEMOAGENT" in out
    assert (
        "AI agreement (QA drafts a lead decided):" in out and "AI AGREEMENT (LAST 30 DAYS)" in out
    )
    assert "root causes changed       1" in out and "points removed by leads   1 of" in out
    assert "  overall  " in out and "Mean |diff|" in out


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"DEBRIEF_LLM_BASE_URL": "localhost:11434/v1", "DEBRIEF_LLM_MODEL": "llama3.1"},
         ("setting DEBRIEF_LLM_BASE_URL", "http(s) URL")),
        ({"DEBRIEF_LLM_BASE_URL": "ftp://models.internal/v1", "DEBRIEF_LLM_MODEL": "llama3.1"},
         ("setting DEBRIEF_LLM_BASE_URL", "http(s) URL")),
        ({"DEBRIEF_LLM_BASE_URL": "http://localhost:11434/v1"},
         ("setting DEBRIEF_LLM_MODEL", "must be set when DEBRIEF_LLM_BASE_URL is")),
    ],
)  # fmt: skip
def test_a_local_model_needs_an_http_url_and_a_model(run, monkeypatch, env, words):
    monkeypatch.delenv("DEBRIEF_LLM_MODEL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for command in (("qa", "run"), ("scan",), ("members", "list")):
        one_line_error(run(*command), *words)
