"""Agents are found by name case-insensitively in any script, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from functools import partial

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from bot.app.services import Services
from bot.app.web import create_web_app
from bot.cli import main
from bot.coaching.record import open_named_record
from bot.core.db import dispose_all, get_engine, session_scope
from bot.core.migrate import upgrade
from bot.ingest.importer import import_file
from bot.people.agents import find_agent, resolve_agent, search_in_scope
from bot.people.tokens import create_token
from models import Agent, Conversation
from models.agent import fold_name
from tests import factories as f
from tests.test_import import row, write_csv

NAMES = ["Émile Zola", "Ödön Horváth", "Łukasz Nowak", "İpek Yılmaz", "Øystein Berg",
         "Ángel Ruiz", "Zoë 🦄 Park", "Strauß Anna"]  # fmt: skip
# what a lead types → the agent it must find (exact, first-name and prefix tiers)
TYPED = {
    "émile zola": "Émile Zola",
    "ÉMILE": "Émile Zola",
    "ödön": "Ödön Horváth",
    "ÖDÖN HORVÁTH": "Ödön Horváth",
    "łukasz": "Łukasz Nowak",
    "ŁUKASZ NOWAK": "Łukasz Nowak",
    "İPEK": "İpek Yılmaz",
    "ipek": "İpek Yılmaz",
    "ipek yılmaz": "İpek Yılmaz",
    "øystein": "Øystein Berg",
    "ÁNGEL": "Ángel Ruiz",
    "zoë 🦄": "Zoë 🦄 Park",
    "ZOË": "Zoë 🦄 Park",
    "strauss": "Strauß Anna",
    "  STRAUSS   anna ": "Strauß Anna",
    "éMi": "Émile Zola",
}


@pytest.fixture()
def team(session):
    f.member(session, "ULEAD", "owner")
    for name in NAMES:
        f.agent(session, name, lead="ULEAD")
    session.commit()
    return f.viewer(session, "ULEAD")


def test_the_key_folds_case_in_every_script():
    assert fold_name("ÉMILE  Zola ") == fold_name("émile zola") == "émile zola"
    assert fold_name("İSTANBUL") == fold_name("istanbul") == "istanbul"
    assert fold_name("Strauß") == "strauss"
    assert fold_name("Ｓａｍ") == "sam"  # full-width letters, as some IMEs type them
    assert fold_name("Zoë 🦄") == "zoë 🦄"


@pytest.mark.parametrize(("typed", "expected"), list(TYPED.items()))
def test_coach_finds_the_agent_in_one_pick(session, team, typed, expected):
    assert resolve_agent(session=session, viewer=team, query=typed).name == expected
    record = open_named_record(db=session, slack_user_id="ULEAD", query=typed)
    assert record.agent.name == expected


def test_exact_names_in_any_case_for_find_and_search(session, team):
    assert find_agent(session=session, name="ÉMILE ZOLA").name == "Émile Zola"
    assert find_agent(session=session, name="łukasz nowak").name == "Łukasz Nowak"
    found = search_in_scope(session=session, viewer=team, query="HORVÁ")  # a substring
    assert [c.name for c in found] == ["Ödön Horváth"]


def test_a_new_agent_in_another_case_is_the_same_agent(session, team):
    again = f.agent(session, "ÉMILE ZOLA")
    assert again.name == "Émile Zola"
    assert session.scalar(select(Agent.id).where(Agent.name_key == "émile zola")) == again.id


def test_cli_links_a_member_to_a_non_ascii_agent(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db)
    invoke = partial(CliRunner().invoke, main, catch_exceptions=False)
    assert invoke(["agents", "add", "Émile Zola"]).exit_code == 0
    linked = invoke(["members", "add", "U0X", "--role", "member", "--agent", "émile zola"])
    assert linked.exit_code == 0, linked.output
    assert invoke(["agents", "deactivate", "ÉMILE ZOLA"]).exit_code == 0


def test_rest_names_an_agent_in_any_case(settings, session, team):
    token = create_token(session=session, actor="test", slack_user_id="ULEAD").secret
    session.commit()
    with TestClient(create_web_app(Services(settings), None)) as http:
        answer = http.get(
            "/coaching", params={"agent": "ödön"}, headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["agent"]["name"] == "Ödön Horváth"


def test_import_matches_an_agent_in_another_case(db, session, team, tmp_path):
    path = write_csv(
        tmp_path / "a.csv", [row("1", agent="ÉMILE ZOLA"), row("2", agent="łukasz nowak")]
    )
    report = import_file(session_factory=partial(session_scope, db), path=path)
    assert report.loaded == 2
    with session_scope(db) as s:
        owners = s.execute(
            select(Agent.name).join(Conversation, Conversation.agent_id == Agent.id)
        ).scalars()
        assert sorted(owners) == ["Émile Zola", "Łukasz Nowak"]
        assert s.scalar(select(text("count(*)")).select_from(Agent)) == len(NAMES)


def test_the_migration_fills_the_key_of_existing_agents(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, revision="0006")
    with get_engine(url).begin() as conn:
        conn.execute(
            text("INSERT INTO agents (name, active, created_at) VALUES (:n, 1, '2026-01-01')"),
            [{"n": "Émile Zola"}, {"n": "İpek Yılmaz"}],
        )
    upgrade(url)
    with session_scope(url) as s:
        assert find_agent(session=s, name="ÉMILE ZOLA").name == "Émile Zola"
        assert sorted(s.scalars(select(Agent.name_key))) == ["ipek yılmaz", "émile zola"]
    dispose_all()
