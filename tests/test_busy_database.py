"""A busy database is explained, not waited on: a locked table (PostgreSQL) or a held write lock
(SQLite) makes a request answer "can't reach its database, nothing was lost" within its deadline,
with the typed note left in the form and nothing saved."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from blocks.ids import BlockId
from blocks.messages import DB_DOWN
from bot.core.settings import Settings
from models import Note
from tests import factories as f


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"db_request_timeout_ms": 300})


@pytest.fixture()
def team(session, fake_slack):
    f.member(session, "ULEAD", "owner")
    f.agent(session, "Sarah Connor", lead="ULEAD")
    fake_slack.add_user("ULEAD")
    session.commit()


@contextmanager
def locked(db_url: str, table: str) -> Iterator[None]:
    """Another process's transaction holding `table` (PostgreSQL) or the write lock (SQLite)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        other = sqlite3.connect(url.database or "", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.rollback()
            other.close()
        return
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as holder:
        holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
        holder.rollback()


def notes(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Note)) or 0


def test_a_note_saved_while_the_database_is_busy_is_refused_inline_and_kept_in_the_form(
    slack, fake_slack, session, team, db
):
    slack.command("ULEAD", "Sarah Connor")
    view = fake_slack.views[fake_slack.calls_to("views.open")[0].response["view"]["id"]]
    with locked(db, "notes"):
        answer = slack.submit("ULEAD", view, body="Let's role-play the refund call.")
    assert answer.status_code == 200
    assert answer.json()["response_action"] == "errors"  # the form stays open, text and all
    [(block_id, message)] = answer.json()["errors"].items()
    assert block_id.startswith(BlockId.BODY) and message == DB_DOWN
    assert notes(session) == 0
    again = slack.submit("ULEAD", view, body="Let's role-play the refund call.")
    assert again.json()["response_action"] == "update" and notes(session) == 1


def test_coach_while_the_database_is_busy_says_so(slack, fake_slack, session, team, db):
    if make_url(db).get_backend_name() == "sqlite":
        pytest.skip("SQLite readers aren't blocked by a writer (WAL)")
    with locked(db, "agents"):
        slack.command("ULEAD", "Sarah Connor")
    [reply] = [c.args for c in fake_slack.calls_to("response_url")]
    assert reply["text"] == DB_DOWN
    assert fake_slack.calls_to("views.open") == []
