"""The `debrief` command line: the group `main` and the commands on it.

Each command (or group of subcommands) lives in its own module here, named for it
(`debrief import` in `imports.py`, `debrief rubric` and `debrief qa` in `qa.py`); what they
share is in `common.py`. They don't import this module: it imports them and adds them to `main`.
"""

from __future__ import annotations

import logging

import click

from bot.cli import (
    agents,
    db,
    demo,
    digest,
    imports,
    members,
    metrics,
    notes,
    qa,
    redact,
    retention,
    scan,
    serve,
    sync,
    tokens,
)


@click.group(help="Debrief: point-of-need coaching for support agents, inside Slack.")
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def main(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # a command says what happened itself, in a line or two: libraries' request lines
        # (httpx logs every request at INFO) would bury it
        for name in ("alembic", "httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)


for command in (
    db.db,
    serve.serve,
    members.members,
    agents.agents,
    imports.import_command,
    scan.scan,
    sync.sync,
    redact.redact,
    demo.demo,
    tokens.tokens,
    retention.retention,
    qa.rubric,
    qa.qa,
    metrics.metrics,
    digest.digest,
    notes.notes,
):
    main.add_command(command)
