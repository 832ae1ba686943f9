"""`debrief demo`: a demo workspace in SQLite, shown as a lead would see it."""

from __future__ import annotations

import click

from bot.cli.common import one_line_errors


@click.command(help="Build a demo workspace in SQLite and show what a lead sees.")
@click.option("--db", "db_path", default="debrief-demo.db", show_default=True, help="SQLite file.")
@one_line_errors
def demo(db_path: str) -> None:
    from bot.demo.run import run_demo

    run_demo(db_path=db_path, echo=click.echo)
