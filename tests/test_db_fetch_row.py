"""fetch_row: one read on the DBAPI connection, with SQLAlchemy's errors and outage handling."""

from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.core.db import (
    DatabaseUnavailable,
    dispose_all,
    fetch_row,
    get_read_engine,
    is_unreachable,
    orm_session,
    read_engine_scope,
    read_scope,
)
from tests import factories as f

POSTGRES = os.environ.get("TEST_DATABASE_URL")
BY_NAME = text("SELECT id, name, active FROM agents WHERE lower(name) = :name AND id > :floor")
UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-debrief-dir/sub/debrief.db",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/debrief",
}


def test_a_row_comes_back_as_a_dict_of_its_columns_and_no_row_as_none(db, session):
    sarah = f.agent(session, "Sarah Connor")
    session.commit()
    with read_scope(db) as reading:
        found = fetch_row(
            db=reading, statement=BY_NAME, params={"name": "sarah connor", "floor": 0}
        )
        missing = fetch_row(db=reading, statement=BY_NAME, params={"name": "nobody", "floor": 0})
    assert found is not None and found["id"] == sarah.id and found["name"] == "Sarah Connor"
    assert bool(found["active"]) is True
    assert missing is None


def test_on_the_read_engine_no_session_is_needed(db, session):
    sarah = f.agent(session, "Sarah Connor")
    session.commit()
    with read_engine_scope(db) as engine:
        found = fetch_row(db=engine, statement=BY_NAME, params={"name": "sarah connor", "floor": 0})
    assert found is not None and found["id"] == sarah.id


def test_an_orm_session_on_the_engine_is_closed_after_the_block(db):
    engine = get_read_engine(db)
    with orm_session(engine) as made:
        assert made.get_bind() is engine
        made.execute(text("SELECT 1"))
        assert made.in_transaction()
    assert not made.in_transaction()


def test_an_orm_session_given_is_the_session_itself(session):
    with orm_session(session) as same:
        assert same is session


def test_it_sees_what_the_session_wrote_but_has_not_committed(session):
    kyle = f.agent(session, "Kyle Reese")  # flushed in this session's transaction, not committed
    found = fetch_row(db=session, statement=BY_NAME, params={"name": "kyle reese", "floor": 0})
    assert found is not None and found["id"] == kyle.id
    session.rollback()
    gone = fetch_row(db=session, statement=BY_NAME, params={"name": "kyle reese", "floor": 0})
    assert gone is None


def test_statement_counters_hear_of_it(db, session, count_queries):
    f.agent(session, "Sarah Connor")
    session.commit()
    with count_queries as counted:
        fetch_row(db=session, statement=BY_NAME, params={"name": "sarah connor", "floor": 0})
    assert counted.count == 1


def test_a_bad_statement_is_a_bug_not_an_outage(db):
    bad = text("SELECT no_such_column FROM agents WHERE id = :id")
    with pytest.raises(DBAPIError) as raised, read_scope(db) as reading:
        fetch_row(db=reading, statement=bad, params={"id": 1})
    assert not isinstance(raised.value, DatabaseUnavailable)
    assert not is_unreachable(raised.value)
    assert "no_such_column" in str(raised.value)


@pytest.mark.parametrize("backend", sorted(UNREACHABLE))
def test_a_database_out_of_reach_is_an_outage(backend):
    with pytest.raises(DatabaseUnavailable), read_scope(UNREACHABLE[backend]) as reading:
        fetch_row(db=reading, statement=BY_NAME, params={"name": "x", "floor": 0})
    with pytest.raises(DatabaseUnavailable), read_engine_scope(UNREACHABLE[backend]) as engine:
        fetch_row(db=engine, statement=BY_NAME, params={"name": "x", "floor": 0})
    dispose_all()


@pytest.mark.skipif(not POSTGRES, reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_a_connection_lost_under_the_statement_is_an_outage_and_is_replaced():
    assert POSTGRES is not None
    dispose_all()
    admin = make_url(POSTGRES).set(drivername="postgresql").render_as_string(hide_password=False)
    with pytest.raises(DatabaseUnavailable), read_scope(POSTGRES) as reading:
        pid = reading.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with psycopg.connect(admin, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        fetch_row(db=reading, statement=BY_NAME, params={"name": "x", "floor": 0})
    with read_scope(POSTGRES) as reading:  # the next request gets a live connection
        assert fetch_row(db=reading, statement=BY_NAME, params={"name": "x", "floor": 0}) is None
    dispose_all()


def test_statements_built_on_the_fly_each_run_as_written(db):
    engine = get_read_engine(db)
    for n in range(5):  # each text() is freed before the next, which may reuse its id()
        row = fetch_row(db=engine, statement=text(f"SELECT {n} AS v"), params={})
        assert row == {"v": n}
