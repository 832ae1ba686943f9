"""`debrief scan`: evaluate every agent now, as the daily job does."""

from __future__ import annotations

import click

from bot.cli.common import fail, one_line_errors, services


@click.command(help="Evaluate every agent now: flag, capture samples, DM the leads.")
@one_line_errors
def scan() -> None:
    from bot.flags.scan import run_scan

    built = services(slack=True)
    report = run_scan(
        session_factory=built.sessions,
        settings=built.settings,
        summarizer=built.summarizer,
        notifier=built.flag_notifier,
    )
    if report.locked_out:
        fail("another scan is running right now; nothing was done", 1)
    outcome = report.outcome
    click.echo(
        f"assessed {outcome.assessed} agents: {len(outcome.raised)} flagged, "
        f"{len(outcome.cleared)} recovered, {sum(report.captured.values())} samples captured, "
        f"{report.dms_sent} DMs sent"
    )
