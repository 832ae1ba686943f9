"""`debrief sync [--since DATE]`: pull new ratings from every configured helpdesk."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import click

from bot.cli.common import one_line_errors, services, settings
from bot.core.settings import SettingsError


@click.command(help="Pull new ratings from every configured helpdesk.")
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="YYYY-MM-DD (UTC)"
)
@one_line_errors
def sync(since: datetime | None) -> None:
    from bot.ingest.helpdesks import configured_helpdesks
    from bot.ingest.helpdesks.registry import check_helpdesk_settings, none_configured_message
    from bot.ingest.sync import sync_helpdesks

    config = settings()
    check_helpdesk_settings(config)
    built = services(config)
    if not logging.getLogger().isEnabledFor(logging.DEBUG):  # -v shows everything
        # each helpdesk's outcome is printed below on one line, so no second copy of a
        # failure from the sync's own log (which the scheduler relies on)
        logging.getLogger("bot.sync").addFilter(lambda record: record.levelno < logging.ERROR)
    helpdesks = configured_helpdesks(config)
    if not helpdesks:
        raise SettingsError(none_configured_message())
    start = since.replace(tzinfo=UTC) if since else None
    report = sync_helpdesks(
        session_factory=built.sessions,
        settings=config,
        since=start,
        helpdesks=helpdesks,
    )
    for name, count in report.pulled.items():
        read = report.read.get(name)
        click.echo(f"{name}: {count:,} ratings" + (f" ({read})" if read else ""))
    for name, reason in report.failed.items():
        click.echo(f"{name}: failed: {reason}", err=True)
    if report.failed:
        sys.exit(1)
