"""The benchmarks' PostgreSQL: a database created if missing and emptied before each run."""

from __future__ import annotations

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from bot.core.db import dispose_all
from bot.core.migrate import upgrade


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as psycopg wants it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def empty_database(url: str) -> str | None:
    """Create the database if missing and empty its public schema; None when it's ready,
    else why PostgreSQL can't be used."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return f"not a PostgreSQL URL with a database name: {parsed!r}"
    admin = parsed.set(drivername="postgresql", database="postgres")
    try:
        conn = psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as first:
        try:
            with psycopg.connect(
                admin.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
            ) as maintenance:
                maintenance.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database))
                )
            conn = psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=5)
        except psycopg.Error:
            return str(first).strip().splitlines()[0] if str(first).strip() else repr(first)
    try:
        with conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
    except psycopg.Error as exc:
        return f"can't reset its schema: {str(exc).strip().splitlines()[0]}"
    return None


def reset_database(url: str) -> None:
    """Empty the database and migrate it; exits with the reason when PostgreSQL can't be used."""
    why = empty_database(url)
    if why is not None:
        raise SystemExit(f"PostgreSQL unavailable: {why}")
    dispose_all()
    upgrade(url)
    dispose_all()


def server_version(url: str) -> str:
    """The server's version, e.g. `15.20 (Debian 15.20-0+deb12u1)`."""
    with psycopg.connect(libpq_url(url), connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"
