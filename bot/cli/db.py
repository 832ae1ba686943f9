"""`debrief db upgrade`: create or migrate the database schema."""

from __future__ import annotations

import click

from bot.cli.common import one_line_errors, settings


@click.group(help="The database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Create or migrate the schema (safe to run twice).")
@one_line_errors
def db_upgrade() -> None:
    from bot.core.migrate import upgrade

    url = settings().database_url
    upgrade(url)
    click.echo("schema is up to date")
