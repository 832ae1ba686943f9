"""API tokens: shown once, stored hashed, acting as their member, revocable, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.core.db import session_scope
from bot.core.errors import NotFound
from bot.people.tokens import BadToken, authenticate, create_token, hash_token, revoke_token
from models import ApiToken, AuditEntry, Role
from models.base import utcnow
from tests import factories as f


@pytest.fixture()
def people(session):
    f.member(session, "UOWNER", "owner")
    f.agent(session, "Becky Jones")
    f.member(session, "UBECKY", "member", agent="Becky Jones")
    session.commit()


def test_a_token_is_stored_only_as_its_hash_and_acts_as_its_member(db, people):
    with session_scope(db) as s:
        made = create_token(session=s, actor="cli", slack_user_id="UBECKY")
    assert made.secret.startswith("dbf_") and len(made.secret) > 40
    with session_scope(db) as s:
        stored = s.get(ApiToken, made.id)
        assert stored is not None
        assert stored.token_hash == hash_token(made.secret) != made.secret
        assert made.secret.startswith(stored.prefix) and len(stored.prefix) == 12
        assert stored.last_used_at is None
        caller = authenticate(session=s, secret=made.secret)
    assert caller.token_id == made.id
    assert caller.viewer.slack_user_id == "UBECKY" and caller.viewer.role is Role.MEMBER
    assert caller.viewer.agent_id is not None
    with session_scope(db) as s:
        stored = s.get(ApiToken, made.id)
        assert stored is not None and stored.last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(db, people):
    with session_scope(db) as s:
        made = create_token(session=s, actor="cli", slack_user_id="UOWNER")
    now = utcnow()
    with session_scope(db) as s:
        authenticate(session=s, secret=made.secret, now=now)
    with session_scope(db) as s:
        authenticate(session=s, secret=made.secret, now=now + timedelta(seconds=30))
        stored = s.get(ApiToken, made.id)
        assert stored is not None and stored.last_used_at == now
    with session_scope(db) as s:
        authenticate(session=s, secret=made.secret, now=now + timedelta(seconds=61))
        stored = s.get(ApiToken, made.id)
        assert stored is not None and stored.last_used_at == now + timedelta(seconds=61)


@pytest.mark.parametrize("secret", [None, "", "dbf_wrong", "x" * 500])
def test_missing_unknown_and_oversized_tokens_are_refused(db, people, secret, count_queries):
    with session_scope(db) as s, pytest.raises(BadToken), count_queries as counted:
        authenticate(session=s, secret=secret)
    assert counted.count == (1 if secret == "dbf_wrong" else 0)  # no lookup for a missing or
    # oversized one


def test_a_revoked_token_stops_working_and_both_writes_are_audited(db, people):
    with session_scope(db) as s:
        made = create_token(session=s, actor="cli", slack_user_id="UOWNER")
    with session_scope(db) as s:
        _token, revoked = revoke_token(session=s, actor="cli", token_id=made.id)
        assert revoked
    with session_scope(db) as s:
        assert revoke_token(session=s, actor="cli", token_id=made.id)[1] is False
        with pytest.raises(BadToken, match="revoked"):
            authenticate(session=s, secret=made.secret)
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "token").order_by(AuditEntry.id)
        ).all()
    assert [(e.action, e.actor) for e in entries] == [
        ("token.create", "cli"),
        ("token.revoke", "cli"),
    ]
    assert entries[0].after == {"member": "UOWNER", "prefix": made.secret[:12], "revoked_at": None}
    assert entries[1].before is not None and entries[1].before["revoked_at"] is None
    assert entries[1].after is not None and entries[1].after["revoked_at"] is not None
    assert made.secret not in str([e.after for e in entries])


def test_only_members_get_tokens(db, people):
    with session_scope(db) as s, pytest.raises(NotFound, match="not a member"):
        create_token(session=s, actor="cli", slack_user_id="USTRANGER")
    with session_scope(db) as s, pytest.raises(NotFound):
        revoke_token(session=s, actor="cli", token_id=999)


@pytest.fixture()
def run(db, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_cli_creates_lists_and_revokes(run, db, people):
    created = run("tokens", "create", "UOWNER")
    assert created.exit_code == 0, created.output
    lines = dict(line.split(": ", 1) for line in created.stdout.strip().splitlines())
    token_id, secret = int(lines["id"]), lines["token"]
    assert "shown" not in created.stdout and "not shown again" in created.stderr
    with session_scope(db) as s:
        assert authenticate(session=s, secret=secret).token_id == token_id
    listed = run("tokens", "list").output
    assert secret[:12] in listed and secret not in listed and "UOWNER" in listed
    assert "active" in listed
    revoked = run("tokens", "revoke", str(token_id))
    assert revoked.exit_code == 0 and f"revoked API token {token_id}" in revoked.output
    assert "already revoked" in run("tokens", "revoke", str(token_id)).output
    assert "revoked" in run("tokens", "list").output
    with session_scope(db) as s, pytest.raises(BadToken):
        authenticate(session=s, secret=secret)


def test_cli_bad_input_is_one_line_and_changes_nothing(run, db, people):
    stranger = run("tokens", "create", "USTRANGER")
    assert stranger.exit_code != 0
    assert len(stranger.stderr.strip().splitlines()) == 1 and "not a member" in stranger.stderr
    missing = run("tokens", "revoke", "42")
    assert missing.exit_code != 0 and "no API token has id 42" in missing.stderr
    assert run("tokens", "revoke", "abc").exit_code != 0
    with session_scope(db) as s:
        assert s.scalars(select(ApiToken)).all() == []
