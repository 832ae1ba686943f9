"""Pooled connections the server closed are replaced at checkout, without a round trip."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.core.db import (
    DatabaseUnavailable,
    _has_gone_away,
    dispose_all,
    is_unreachable,
    read_scope,
    session_scope,
)

POSTGRES = os.environ.get("TEST_DATABASE_URL")


@dataclass
class _Conn:
    sock: socket.socket
    closed: bool = False

    def fileno(self) -> int:
        return self.sock.fileno()


def test_an_idle_connection_is_kept_and_one_the_peer_closed_is_not():
    ours, theirs = socket.socketpair()
    try:
        assert not _has_gone_away(_Conn(ours))
        theirs.sendall(b"E")  # the server's last words before it hangs up
        theirs.close()
        assert _has_gone_away(_Conn(ours))
    finally:
        ours.close()
    idle, peer = socket.socketpair()
    try:  # a driver that knows its connection is closed is believed, socket or not
        assert not _has_gone_away(_Conn(idle))
        assert _has_gone_away(_Conn(idle, closed=True))
    finally:
        idle.close()
        peer.close()


@pytest.mark.skipif(not POSTGRES, reason="needs TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.parametrize("scope", [read_scope, session_scope], ids=["read", "write"])
def test_a_backend_the_server_terminated_is_replaced_on_the_next_request(scope):
    assert POSTGRES is not None
    dispose_all()
    with scope(POSTGRES) as session:
        before = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = make_url(POSTGRES).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as other:
        ended = other.execute("SELECT pg_terminate_backend(%s, 5000)", (before,)).fetchone()
    assert ended == (True,)
    with scope(POSTGRES) as session:  # no error: the dead connection was noticed at checkout
        after = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert after != before
    dispose_all()


def test_a_bad_statement_is_a_bug_not_an_outage(db):
    with pytest.raises(DBAPIError) as raised, read_scope(db) as session:
        session.execute(text("SELECT no_such_column FROM agents"))
    assert not isinstance(raised.value, DatabaseUnavailable)
    assert not is_unreachable(raised.value)
