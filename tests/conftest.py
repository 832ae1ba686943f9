"""Fixtures: the database on SQLite (always) and PostgreSQL (with TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.app.bolt import build_app
from bot.app.services import Services
from bot.app.web import create_web_app
from bot.core.db import dispose_all, get_engine, session_scope
from bot.core.migrate import upgrade
from bot.core.settings import Settings
from handlers.slack_transport import KeepAliveWebClient
from models import Base
from tests import factories
from tests.fake_openai import FakeOpenAI
from tests.fake_slack import FakeSlack
from tests.slack_conformance import HEADROOM
from tests.slack_driver import SlackDriver, TrackingExecutor

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database URL for one backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = os.environ["TEST_DATABASE_URL"]
        _reset_postgres(url)
    upgrade(url)
    yield url
    dispose_all()


@pytest.fixture()
def db(db_url: str) -> Iterator[str]:
    """The database URL, emptied before the test."""
    engine = get_engine(db_url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        # PRAGMA foreign_keys is a no-op inside a transaction: turn it back on after the commit,
        # or the pooled connection would run the test with foreign keys (and cascades) off
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
            raw.commit()
            cursor.execute("PRAGMA foreign_keys=ON")
            assert cursor.execute("PRAGMA foreign_keys").fetchone() == (1,)
        finally:
            raw.close()
    yield db_url


@pytest.fixture(autouse=True)
def fresh_factories() -> None:
    """Factory sequences start again in every test, so ids and times don't depend on which
    tests ran before."""
    factories.restart()


@pytest.fixture()
def session(db: str) -> Iterator[Session]:
    """A session committed at the end of the test's setup block."""
    with session_scope(db) as s:
        yield s


class QueryCounter:
    """Counts the SQL statements an engine runs while active."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0

    def _on(self, *_args: object) -> None:
        self.count += 1

    def __enter__(self) -> QueryCounter:
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on)


@pytest.fixture()
def count_queries(db: str) -> QueryCounter:
    """A context manager counting statements on the test database."""
    return QueryCounter(get_engine(db))


@pytest.fixture()
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[FakeSlack]:
    # Slack's triggers expire after 3 s; a loaded CI machine must not fail a test by the clock,
    # so the shared fake allows 30 (test_fake_slack checks expiry with a fake of its own)
    with FakeSlack(trigger_ttl=30.0) as fake:
        yield fake


@pytest.fixture()
def fake_slack(fake_slack_server: FakeSlack, request: pytest.FixtureRequest) -> Iterator[FakeSlack]:
    """The loopback fake Slack Web API, emptied for this test. The test fails if Debrief sent it
    anything real Slack would refuse (unless marked ``slack_refusals``: it sends them on purpose)."""
    fake_slack_server.reset()
    yield fake_slack_server
    assert_conformant(fake_slack_server, request)


def assert_conformant(fake: FakeSlack, request: pytest.FixtureRequest) -> None:
    """Fail the test with every violation a fake Slack recorded, naming the field and limit."""
    if fake.violations and request.node.get_closest_marker("slack_refusals") is None:
        pytest.fail(
            "Debrief sent Slack what real Slack refuses:\n  " + "\n  ".join(fake.violations),
            pytrace=False,
        )


@pytest.fixture()
def fake_openai() -> Iterator[FakeOpenAI]:
    """A loopback OpenAI-compatible chat completions API (a local model's server). The test
    fails if Debrief sent it anything the API refuses."""
    with FakeOpenAI() as fake:
        yield fake
    assert fake.violations == [], fake.violations


SIGNING_SECRET = "test-signing-secret"


@pytest.fixture()
def settings(db: str, fake_slack: FakeSlack) -> Settings:
    """Settings pointing at the test database and the fake Slack."""
    return Settings(
        DATABASE_URL=db,
        SLACK_BOT_TOKEN=fake_slack.token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.url,
        DEBRIEF_SLACK_MAX_RETRIES=2,
    )


@pytest.fixture()
def slack(settings: Settings, fake_slack: FakeSlack) -> Iterator[SlackDriver]:
    """Debrief's web app with the real Bolt app behind it, driven by signed requests."""
    executor = TrackingExecutor()
    services = Services(settings)  # as `debrief serve`: one for the Bolt app and the web app
    bolt = build_app(services, listener_executor=executor)
    with TestClient(create_web_app(services, bolt)) as http:
        yield SlackDriver(http, fake_slack, SIGNING_SECRET, executor)
    executor.shutdown(wait=True)
    if isinstance(bolt.client, KeepAliveWebClient):
        bolt.client.close()  # its connections would otherwise wait for the garbage collector


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After the run: what the conformance suite checked per Slack surface, and how close to
    Slack's limits the largest payloads came."""
    for title, lines in HEADROOM.kept:
        terminalreporter.section(f"Slack conformance ({title})")
        for line in lines:
            terminalreporter.write_line(line)
