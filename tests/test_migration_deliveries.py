"""Migration 0010 carries every claim of the four old send-once stores into `deliveries`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import make_url

from bot.core.db import dispose_all, get_engine, session_scope
from bot.core.migrate import upgrade
from models import Delivery, MeasurementEvent, QaDraft, Reminder

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CLAIMED = T0 + timedelta(minutes=3)


@pytest.fixture(params=["sqlite", "postgresql"])
def old_db(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A database at revision 0009 (the old stores), of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        base = os.environ.get("TEST_DATABASE_URL")
        if not base:
            pytest.skip("TEST_DATABASE_URL is not set")
        name = f"{make_url(base).database}_m0010"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
    upgrade(url, revision="0009")
    yield url
    dispose_all()


# one sent and one in-flight claim in each old store (revision 0009)
OLD_ROWS: dict[str, list[dict[str, Any]]] = {
    "members": [
        {"id": 1, "slack_user_id": "ULEAD", "role": "admin", "created_at": T0},
        {"id": 2, "slack_user_id": "UOWNER", "role": "owner", "created_at": T0},
    ],
    "agents": [
        {
            "id": 1,
            "name": "Becky",
            "name_key": "becky",
            "lead_member_id": 1,
            "active": True,
            "created_at": T0,
        },
        {"id": 2, "name": "Dan", "name_key": "dan", "active": True, "created_at": T0},
    ],
    "flags": [
        {
            "id": n,
            "agent_id": n,
            "raised_at": T0,
            "baseline": 4.5,
            "current": 3.1,
            "slope": -0.1,
            "tau": -0.5,
            "p_value": 0.01,
            "ratings": 40,
            "review_start": T0,
            "review_end": T0,
            "windows": [],
        }
        for n in (1, 2)
    ],
    "flag_deliveries": [
        {
            "flag_id": 1,
            "recipient": "ULEAD",
            "channel": "DLEAD",
            "ts": "1.000100",
            "claimed_at": T0,
            "sent_at": T0,
        },
        {"flag_id": 2, "recipient": "ULEAD", "claimed_at": CLAIMED},
    ],
    "rubrics": [
        {
            "id": 1,
            "version": 1,
            "name": "Basics",
            "criteria": [],
            "source_sha256": "0" * 64,
            "approved_by": "ULEAD",
            "approved_at": T0,
        }
    ],
    "qa_drafts": [
        {
            "id": n,
            "helpdesk": "zendesk",
            "external_id": str(n),
            "agent_id": agent,
            "rubric_id": 1,
            "engine": "offline",
            "summary": "s",
            "scores": [],
            "points": [],
            "dropped_points": 0,
            "policy_exception": False,
            "customer_risk": [],
            "confidence": 0.9,
            "route": "lead_review",
            "status": "pending",
            "dm_channel": channel,
            "dm_ts": ts,
            "created_at": T0,
        }
        for n, agent, channel, ts in (
            (1, 1, "DLEAD", "2.000200"),
            (2, 2, None, f"claim:{CLAIMED.timestamp():.3f}"),
            (3, 1, None, None),
        )
    ],
    "measurement_events": [
        {
            "kind": "digest_sent",
            "at": T0,
            "payload": {
                "lead": "ULEAD",
                "week": "2026-W49",
                "claimedAt": T0.isoformat(),
                "sentAt": T0.isoformat(),
                "channel": "DLEAD",
                "ts": "3.000300",
            },
        },
        {
            "kind": "digest_sent",
            "at": CLAIMED,
            "payload": {
                "lead": "UOWNER",
                "week": "2026-W49",
                "claimedAt": CLAIMED.isoformat(),
                "sentAt": None,
            },
        },
    ],
    "notes": [
        {
            "id": n,
            "agent_id": 1,
            "author": "ULEAD",
            "body": "1:1",
            "shared_with_agent": False,
            "created_at": T0,
            "updated_at": T0,
        }
        for n in (1, 2)
    ],
    "reminders": [
        {
            "id": 1,
            "note_id": 1,
            "author": "ULEAD",
            "due_at": T0,
            "status": "sent",
            "claimed_at": T0,
            "claim_token": "a1",
            "maybe_sent": True,
            "check_history": False,
            "attempts": 0,
            "sent_at": T0,
            "channel": "DLEAD",
            "ts": "4.000400",
            "created_at": T0,
        },
        {
            "id": 2,
            "note_id": 2,
            "author": "ULEAD",
            "due_at": T0,
            "status": "pending",
            "claimed_at": CLAIMED,
            "claim_token": "b2",
            "maybe_sent": True,
            "check_history": True,
            "attempts": 2,
            "next_attempt_at": T0,
            "last_error": "SlackApiError: ratelimited",
            "created_at": T0,
        },
    ],
}


def fill_old_stores(url: str) -> None:
    """One sent and one in-flight claim in each old store."""
    meta = MetaData()
    meta.reflect(get_engine(url))
    t = meta.tables
    with get_engine(url).begin() as conn:
        for table, values in OLD_ROWS.items():
            for row in values:  # one by one: the rows of a table set different columns
                conn.execute(t[table].insert(), row)


def deliveries(url: str) -> dict[tuple[str, str, str], Delivery]:
    with session_scope(url) as s:
        return {(d.kind, d.subject, d.recipient): d for d in s.scalars(select(Delivery))}


def test_every_claim_of_the_old_stores_is_carried_over(old_db):
    fill_old_stores(old_db)
    upgrade(old_db)
    got = deliveries(old_db)
    assert sorted(got) == [
        ("digest", "2026-W49", "ULEAD"),
        ("digest", "2026-W49", "UOWNER"),
        ("flag", "1", "ULEAD"),
        ("flag", "2", "ULEAD"),
        ("qa_draft", "1", "ULEAD"),
        ("qa_draft", "2", "ULEAD"),  # Dan has no lead: every owner and admin
        ("qa_draft", "2", "UOWNER"),
        ("reminder", "1", "ULEAD"),
        ("reminder", "2", "ULEAD"),
    ]
    sent = {k: (d.channel, d.ts) for k, d in got.items() if d.sent_at is not None}
    assert sent == {
        ("digest", "2026-W49", "ULEAD"): ("DLEAD", "3.000300"),
        ("flag", "1", "ULEAD"): ("DLEAD", "1.000100"),
        ("qa_draft", "1", "ULEAD"): ("DLEAD", "2.000200"),
        ("reminder", "1", "ULEAD"): ("DLEAD", "4.000400"),
    }
    in_flight = {
        k: (d.claimed_at, d.maybe_sent) for k, d in got.items() if d.sent_at is None
    }  # each still claimed at its time, and looked for in the DM's history when taken over
    assert in_flight == {
        ("digest", "2026-W49", "UOWNER"): (CLAIMED, True),
        ("flag", "2", "ULEAD"): (CLAIMED, True),
        ("qa_draft", "2", "ULEAD"): (CLAIMED, True),
        ("qa_draft", "2", "UOWNER"): (CLAIMED, True),
        ("reminder", "2", "ULEAD"): (CLAIMED, True),
    }
    retried = got[("reminder", "2", "ULEAD")]
    assert (retried.claim_token, retried.check_history, retried.attempts) == ("b2", True, 2)
    assert (retried.next_attempt_at, retried.last_error) == (T0, "SlackApiError: ratelimited")
    with session_scope(old_db) as s:
        reminder = s.get(Reminder, 2)
        assert reminder is not None and (reminder.claim_token, reminder.attempts) == ("b2", 2)
        drafts = {d.id: (d.dm_channel, d.dm_ts) for d in s.scalars(select(QaDraft))}
        assert drafts == {1: ("DLEAD", "2.000200"), 2: (None, None), 3: (None, None)}
        events = s.scalars(select(MeasurementEvent.payload)).all()
        assert [e["lead"] for e in events] == ["ULEAD"]  # an unsent digest has no event yet


def test_garbled_digest_claims_are_carried_over_or_left_not_fatal(old_db):
    events = [
        {"lead": "UODD", "week": "2026-W49", "claimedAt": "yesterday", "sentAt": None},
        {"lead": "USENT", "week": "2026-W49", "claimedAt": T0.isoformat(), "sentAt": "soon"},
        ["not", "a", "claim"],
        {"lead": "UNOWEEK", "claimedAt": T0.isoformat(), "sentAt": None},
    ]
    with get_engine(old_db).begin() as conn:
        for payload in events:
            conn.execute(
                text("INSERT INTO measurement_events (kind, at, payload) VALUES (:k, :at, :p)"),
                {"k": "digest_sent", "at": T0, "p": json.dumps(payload)},
            )
    upgrade(old_db)
    got = deliveries(old_db)
    assert sorted(got) == [("digest", "2026-W49", "UODD"), ("digest", "2026-W49", "USENT")]
    odd, sent = got[("digest", "2026-W49", "UODD")], got[("digest", "2026-W49", "USENT")]
    assert (odd.claimed_at, odd.sent_at) == (datetime.fromtimestamp(0, UTC), None)
    assert sent.sent_at == T0  # sent, at a time it could not read: its claim's
    with session_scope(old_db) as s:  # what was no claim stays as it was
        kept = s.scalars(select(MeasurementEvent.payload).order_by(MeasurementEvent.id)).all()
    assert kept == [events[1], events[2], events[3]]
