"""One engine per database URL, sessions per request or job, and the 'database is down' error."""

from __future__ import annotations

import logging
import select
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, TextClause, create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import PoolProxiedConnection

log = logging.getLogger("bot.db")

_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}
_READ = "read:"


class DatabaseUnavailable(Exception):
    """The database could not be reached; nothing was written."""


BUSY_TIMEOUT_MS = 5000  # how long jobs wait for SQLite's write lock


def _sqlite_pragmas(busy_ms: int) -> Any:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.close()

    return connect


def _has_gone_away(dbapi_connection: Any) -> bool:
    """Whether a pooled, idle PostgreSQL connection was closed by the server.

    An idle connection has nothing to read; when the server restarts or terminates the backend
    it sends a last message and closes the socket, which makes the socket readable. Checking
    that costs a poll() instead of the round trip of SQLAlchemy's pre-ping.
    """
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _check_out(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if _has_gone_away(dbapi_connection):
        raise DisconnectionError("the server closed this pooled connection")  # pool reconnects


def _create(url: str, deadline_ms: int | None, **options: Any) -> Engine:
    """An engine; with `deadline_ms`, every statement and lock wait on it is bounded by that
    (PostgreSQL's statement_timeout and lock_timeout, SQLite's busy_timeout)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **options)
        event.listen(engine, "connect", _sqlite_pragmas(deadline_ms or BUSY_TIMEOUT_MS))
        return engine
    connect_args: dict[str, Any] = {"connect_timeout": 5}
    if deadline_ms is not None:
        connect_args["options"] = (
            f"-c statement_timeout={int(deadline_ms)} -c lock_timeout={int(deadline_ms)}"
        )
    engine = create_engine(
        url,
        pool_size=10,
        max_overflow=10,
        connect_args=connect_args,
        json_deserializer=orjson.loads,  # psycopg parses json columns with it (3-4x stdlib's)
        **options,
    )
    event.listen(engine, "checkout", _check_out)
    return engine


def _key(url: str, deadline_ms: int | None) -> str:
    return url if deadline_ms is None else f"deadline:{deadline_ms}:{url}"


def get_engine(url: str, *, deadline_ms: int | None = None) -> Engine:
    """The process's engine for this URL, created on first use; with `deadline_ms`, the pool
    for requests someone waits on (no statement or lock wait outlasts it)."""
    key = _key(url, deadline_ms)
    engine = _engines.get(key)
    if engine is None:
        engine = _engines[key] = _create(url, deadline_ms)
    return engine


def get_read_engine(url: str, *, deadline_ms: int | None = None) -> Engine:
    """A second pool in autocommit mode: reads skip BEGIN, COMMIT and ROLLBACK round trips."""
    key = _READ + _key(url, deadline_ms)
    engine = _engines.get(key)
    if engine is None:
        # autocommit leaves no transaction to roll back when a connection goes back to the pool
        engine = _engines[key] = _create(
            url, deadline_ms, isolation_level="AUTOCOMMIT", pool_reset_on_return=None
        )
    return engine


def session_factory(url: str, *, deadline_ms: int | None = None) -> sessionmaker[Session]:
    """A sessionmaker bound to the URL's engine, with expire_on_commit=False."""
    key = _key(url, deadline_ms)
    factory = _factories.get(key)
    if factory is None:
        engine = get_engine(url, deadline_ms=deadline_ms)
        factory = _factories[key] = sessionmaker(engine, expire_on_commit=False)
    return factory


def dispose_all() -> None:
    """Close every pooled connection (tests and shutdown)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _factories.clear()


# SQLite reports a bad statement and a file it can't use with the same exception class; only
# these messages mean the database itself is out of reach (a bad statement is a bug to surface).
_SQLITE_OUTAGES = (
    "unable to open database",
    "database is locked",
    "disk i/o error",
    "readonly database",
    "database or disk is full",
    "file is not a database",
)


def is_unreachable(exc: BaseException) -> bool:
    """Whether an exception means the database can't be reached (not a bad query)."""
    if isinstance(exc, DatabaseUnavailable):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    if isinstance(exc.orig, sqlite3.OperationalError):
        message = str(exc.orig).lower()
        return any(outage in message for outage in _SQLITE_OUTAGES)
    return True


@contextmanager
def session_scope(url: str, *, deadline_ms: int | None = None) -> Iterator[Session]:
    """A session that commits on success, rolls back on error, and turns outages (and, with
    `deadline_ms`, a statement or lock wait past it) into DatabaseUnavailable."""
    session = session_factory(url, deadline_ms=deadline_ms)()
    try:
        yield session
        session.commit()
    except Exception as exc:
        session.rollback()
        _raise_outage(exc)
        raise
    finally:
        session.close()


@contextmanager
def read_engine_scope(url: str, *, deadline_ms: int | None = None) -> Iterator[Engine]:
    """The read engine, for a request whose reads need no ORM session (building one costs
    ~0.1 ms); outages become DatabaseUnavailable."""
    try:
        yield get_read_engine(url, deadline_ms=deadline_ms)
    except Exception as exc:
        _raise_outage(exc)
        raise


@contextmanager
def read_scope(url: str, *, deadline_ms: int | None = None) -> Iterator[Session]:
    """A session for reads only (each statement autocommits); outages become
    DatabaseUnavailable."""
    engine = get_read_engine(url, deadline_ms=deadline_ms)
    session = Session(engine, expire_on_commit=False, autoflush=False)
    try:
        yield session
    except Exception as exc:
        _raise_outage(exc)
        raise
    finally:
        session.close()


_driver_sql: dict[tuple[str, str], tuple[str, list[str] | None]] = {}


def _for_driver(statement: TextClause, engine: Engine, params: dict[str, Any]) -> tuple[str, Any]:
    """The statement in the driver's parameter style (compiled once per dialect) and the
    parameters as the driver takes them (in order, for a positional style)."""
    key = (statement.text, engine.dialect.name)  # by text: an id() is reused once freed
    found = _driver_sql.get(key)
    if found is None:
        compiled = statement.compile(dialect=engine.dialect)
        names = list(compiled.positiontup) if compiled.positiontup is not None else None
        found = _driver_sql[key] = (compiled.string, names)
    sql, names = found
    return sql, params if names is None else [params[name] for name in names]


def fetch_row(
    *, db: Session | Engine, statement: TextClause, params: dict[str, Any]
) -> dict[str, Any] | None:
    """The first row of one read statement, as a dict, run on the DBAPI connection directly.

    For the Coach record, the read on the path of every modal opened: there SQLAlchemy's
    session, connection and result layers cost more than the statement itself (~0.4 ms a
    request measured on a sequential, cold server). An engine, or a session with no transaction
    yet, lends a pooled connection (autocommit on the read engine); a session in a transaction
    is flushed and its own connection used, so the statement sees the session's writes. Errors
    are raised as SQLAlchemy's (a lost connection invalidated), and `before_cursor_execute`
    listeners (tests counting statements) still hear of the statement.
    """
    if isinstance(db, Session):
        db.flush()
        bind = db.get_bind()
        assert isinstance(bind, Engine)
        if db.in_transaction():
            sql, values = _for_driver(statement, bind, params)
            return _fetch(bind, db.connection().connection, sql, values)
        engine = bind
    else:
        engine = db
    sql, values = _for_driver(statement, engine, params)
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        pooled = engine.raw_connection()
    except dbapi_error as exc:
        raise DBAPIError.instance(None, None, exc, dbapi_error, dialect=engine.dialect) from exc
    try:
        return _fetch(engine, pooled, sql, values)
    finally:
        pooled.close()


def dialect_of(db: Session | Engine) -> str:
    """The dialect name (`postgresql`, `sqlite`) a session or engine talks."""
    return (db.get_bind() if isinstance(db, Session) else db).dialect.name


@contextmanager
def orm_session(db: Session | Engine) -> Iterator[Session]:
    """The session itself, or a read session on the engine for the length of the block."""
    if isinstance(db, Session):
        yield db
        return
    session = Session(db, expire_on_commit=False, autoflush=False)
    try:
        yield session
    finally:
        session.close()


def _fetch(
    engine: Engine, pooled: PoolProxiedConnection, sql: str, values: Any
) -> dict[str, Any] | None:
    dialect = engine.dialect
    cursor = pooled.cursor()
    try:
        for listener in engine.dispatch.before_cursor_execute:
            listener(None, cursor, sql, values, None, False)
        cursor.execute(sql, values)
        row = cursor.fetchone()
        return (
            None if row is None else dict(zip([c[0] for c in cursor.description], row, strict=True))
        )
    except dialect.loaded_dbapi.Error as exc:
        gone = dialect.is_disconnect(exc, pooled.dbapi_connection, cursor)
        if gone:
            pooled.invalidate(exc)
        raise DBAPIError.instance(
            sql,
            values,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=gone,
            dialect=dialect,
        ) from exc
    finally:
        cursor.close()


def _raise_outage(exc: Exception) -> None:
    if is_unreachable(exc) and not isinstance(exc, DatabaseUnavailable):
        log.error("database unreachable: %s", exc)
        raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc


def ping(url: str) -> bool:
    """True when the database answers a trivial query."""
    try:
        with get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception as exc:
        log.warning("database ping failed: %s", str(exc).splitlines()[0])
        return False


def ensure_sqlite_parent(url: str) -> None:
    """Create the folder of a SQLite file URL if it is missing."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
