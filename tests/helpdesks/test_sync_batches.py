"""How `debrief sync` writes a batch: its agents together, whatever the batch holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import event, func, select

from bot.core.db import get_engine, session_scope
from bot.core.settings import Settings
from bot.ingest.helpdesks.base import RatingRecord, Transcript
from bot.ingest.sync import sync_helpdesks
from models import Agent, Conversation

SINCE = datetime(2024, 5, 1, tzinfo=UTC)


class _Stub:
    """A helpdesk that yields the ratings it is given."""

    name = "zendesk"
    ordered = True

    def __init__(self, records: list[RatingRecord]) -> None:
        self.records = records

    def ratings_since(self, since: datetime) -> Iterator[RatingRecord]:
        return iter(self.records)

    def transcript(self, external_id: str) -> Transcript:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _rating(n: int, name: str, email: str | None) -> RatingRecord:
    at = SINCE + timedelta(minutes=n)
    return RatingRecord("zendesk", str(n), name, email, at, 4.0, rated_at=at)


def test_a_batch_of_new_agents_costs_the_same_few_statements_as_a_batch_of_one(db):
    """Not counted: SQLite runs the agents' INSERT … RETURNING once a row (PostgreSQL COPYs
    them), which is the agent store's cost whoever calls it."""
    seen: list[str] = []

    def on_statement(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if not statement.startswith("INSERT INTO agents "):
            seen.append(statement)

    def statements(records: list[RatingRecord]) -> int:
        factory = partial(session_scope, db)
        settings = Settings(_env_file=None, DATABASE_URL=db)
        seen.clear()
        engine = get_engine(db)
        event.listen(engine, "before_cursor_execute", on_statement)
        try:
            sync_helpdesks(
                session_factory=factory, settings=settings, since=SINCE, helpdesks=[_Stub(records)]
            )
        finally:
            event.remove(engine, "before_cursor_execute", on_statement)
        return len(seen)

    one = statements([_rating(1, "Agent 0", "agent0@acme.test")])
    many = [_rating(100 + n, f"Agent {n}", f"agent{n}@acme.test") for n in range(1, 41)]
    bad = _rating(99, "Agent Bad", "not-an-email")  # skipped, the rest kept
    assert statements([*many[:20], bad, *many[20:]]) == one

    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Agent)) == 41
        assert s.scalar(select(func.count()).select_from(Conversation)) == 41
