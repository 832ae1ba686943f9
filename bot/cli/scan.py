"""`debrief scan`: evaluate every agent now, as the daily job does."""

from __future__ import annotations

import click

from bot.cli.common import fail, one_line_errors, require_schema, settings


@click.command(help="Evaluate every agent now: flag, capture samples, DM the leads.")
@one_line_errors
def scan() -> None:
    from bot.ai.engines import summarizer_for
    from bot.flags.scan import run_scan
    from handlers.app import slack_client
    from handlers.notifier import SlackFlagNotifier

    config = settings()
    token, _secret = config.require_slack()
    require_schema(config.database_url)
    report = run_scan(
        settings=config,
        summarizer=summarizer_for(config),
        notifier=SlackFlagNotifier(slack_client(config, token)),
    )
    if report.locked_out:
        fail("another scan is running right now; nothing was done", 1)
    outcome = report.outcome
    click.echo(
        f"assessed {outcome.assessed} agents: {len(outcome.raised)} flagged, "
        f"{len(outcome.cleared)} recovered, {sum(report.captured.values())} samples captured, "
        f"{report.dms_sent} DMs sent"
    )
