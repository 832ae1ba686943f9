"""One check of text for every way in: Slack, REST, the command line, rubrics, forms. Control
characters, broken characters, nothing visible and over-long text are refused with a clear
message before the database sees them, so SQLite and PostgreSQL answer alike."""

from __future__ import annotations

import json
from functools import partial

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from blocks.ids import BlockId
from bot.app.services import Services
from bot.app.web import create_web_app
from bot.cli import main
from bot.coaching.pins import check_pin
from bot.core.errors import InvalidInput
from bot.core.text import checked_text, refusal
from bot.flags.records import dismiss_flag
from bot.people.tokens import create_token
from bot.qa.rubric import RubricError, parse_rubric
from models import Agent, Note
from tests import factories as f

HOSTILE = {
    "NUL": ("Role-play\x00 the refund call", "holds a control character (U+0000) at position 10"),
    "bell": ("Role-play\x07 the refund call", "holds a control character (U+0007) at position 10"),
    "escape": ("\x1b[31mred", "holds a control character (U+001B) at position 1"),
    "lone surrogate": ("Role-play \ud800 call", "holds a broken character at position 11"),
    "zero-width only": ("\u200b\u200c\u200d\u2060\ufeff", "has nothing visible in it"),
    "fillers only": ("\u3164 \u2800 \u115f", "has nothing visible in it"),
    "spaces only": (" \n\t ", "is empty"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_the_check_names_what_is_wrong(kind):
    value, why = HOSTILE[kind]
    assert refusal(value, max_length=3000, multiline=True) is not None
    assert why in refusal(value, max_length=3000, multiline=True)  # type: ignore[operator]


def test_what_is_fine_passes_and_is_trimmed():
    assert checked_text("  Tab\there\r\nand there ", field="b", what="A note", max_length=50,
                        multiline=True) == "Tab\there\nand there"  # fmt: skip
    assert checked_text("Zoë 🦄 Park", field="n", what="A name", max_length=200) == "Zoë 🦄 Park"
    with pytest.raises(InvalidInput, match=r"A name holds a control character \(U\+000A\)"):
        checked_text("two\nlines", field="n", what="A name", max_length=200)
    with pytest.raises(InvalidInput, match=r"can be at most 5 characters \(6 now\)"):
        checked_text("abcdef", field="n", what="A name", max_length=5)
    with pytest.raises(InvalidInput, match="must be text"):
        checked_text(["a list"], field="n", what="A name", max_length=5)


@pytest.fixture()
def team(session):
    f.member(session, "ULEAD", "owner")
    sarah = f.agent(session, "Sarah Connor", lead="ULEAD")
    session.commit()
    return sarah


def notes(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Note)) or 0


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_note_typed_in_the_coach_modal_is_refused_inline(slack, fake_slack, session, team, kind):
    fake_slack.add_user("ULEAD")
    slack.command("ULEAD", "Sarah Connor")
    [opened] = fake_slack.calls_to("views.open")
    view = fake_slack.views[opened.response["view"]["id"]]
    answer = slack.submit("ULEAD", view, body=HOSTILE[kind][0])
    assert answer.status_code == 200
    errors = answer.json()["errors"]
    [(block_id, message)] = errors.items()
    assert block_id.startswith(BlockId.BODY)  # under the note field: the typed text stays
    expected = "Write something" if kind.endswith("only") else HOSTILE[kind][1]
    assert expected in message
    assert notes(session) == 0


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_note_over_rest_is_a_422_with_the_same_reason(settings, session, team, kind):
    token = create_token(session=session, actor="t", slack_user_id="ULEAD").secret
    session.commit()
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def sent(body: dict) -> bytes:  # as a client sends it: JSON escapes, ASCII on the wire
        return json.dumps(body).encode()

    with TestClient(create_web_app(Services(settings), None)) as http:
        made = http.post("/coaching/notes", headers=auth,
                         content=sent({"agent": "Sarah Connor", "body": HOSTILE[kind][0]}))  # fmt: skip
        assert made.status_code == 422, made.text
        note = http.post("/coaching/notes", headers=auth,
                         content=sent({"agent": "Sarah Connor", "body": "Fine."})).json()  # fmt: skip
        edited = http.patch(f"/coaching/notes/{note['id']}", headers=auth,
                            content=sent({"body": HOSTILE[kind][0]}))  # fmt: skip
        assert edited.status_code == 422 and "function-after" not in edited.text
    expected = "Write something" if kind.endswith("only") else HOSTILE[kind][1]
    assert expected in made.json()["error"] and expected in edited.json()["error"]
    assert notes(session) == 1


@pytest.fixture()
def cli(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db)
    return partial(CliRunner().invoke, main, catch_exceptions=False)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["agents", "add", "x" * 500], "An agent's name can be at most 200 characters (500 now)"),
        (["agents", "add", "Sam\u200b\u200b"], None),  # visible: fine
        (["agents", "add", "\u200b\u200b"], "An agent's name has nothing visible in it"),
        (["agents", "add", "Sam\x1bBot"], "An agent's name holds a control character (U+001B)"),
        (["agents", "add", "Sam", "--email", "x" * 320 + "@example.com"],
         "An email can be at most 320 characters"),
        (["agents", "add", "Sam", "--email", "sam\x07@example.com"], "holds a control character"),
        (["members", "add", "U0X", "--role", "member", "--agent", "Sar\x1bah"],
         "That name holds a control character (U+001B)"),
    ],
    ids=["500 characters", "visible", "invisible", "escape", "long email", "bell in email",
         "escape in a lookup"],
)  # fmt: skip
def test_the_command_line_refuses_in_one_line_and_changes_nothing(cli, session, args, reason):
    before = session.scalar(select(func.count()).select_from(Agent))
    result = cli(args)
    if reason is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code != 0
    [line] = result.stderr.strip().splitlines()  # no traceback, on either database
    assert reason in line
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Agent)) == before


def test_a_rubric_with_a_control_or_broken_character_is_refused():
    base = "name: Basics\ncriteria:\n  - {key: empathy, name: %s, description: d, good: g, scale: 4, weight: 1}\n"
    assert parse_rubric(base % "Empathy").criteria[0].name == "Empathy"
    with pytest.raises(RubricError, match="holds a control character"):
        parse_rubric(base % '"Emp\\athy"')  # a bell, written as a YAML escape
    with pytest.raises(RubricError, match="holds a broken character"):
        parse_rubric(base % '"Emp\\ud800thy"')


def test_forms_refuse_the_same(session, team):
    lead = f.viewer(session, "ULEAD")
    flag = f.flag(session, team.id)
    with pytest.raises(InvalidInput, match="The note holds a control character"):
        dismiss_flag(session=session, actor=lead, flag_id=flag.id, reason="other", note="a\x00b")
    with pytest.raises(InvalidInput, match="Say why"):
        dismiss_flag(session=session, actor=lead, flag_id=flag.id, reason="other", note="\u200b")
    with pytest.raises(InvalidInput, match="A conversation id holds a control character"):
        check_pin("zendesk", "12\x0034", None)
    with pytest.raises(InvalidInput, match="Give the conversation's id"):
        check_pin("zendesk", "\ufeff", None)


def test_coach_with_a_control_character_is_answered_not_a_500(slack, fake_slack, team):
    fake_slack.add_user("ULEAD")
    answer = slack.command("ULEAD", "Sar\x00ah")
    assert answer.status_code == 200
    [reply] = [c.args for c in fake_slack.calls_to("response_url")]
    assert "holds a control character (U+0000)" in reply["text"]
