"""`debrief retention run`: age out old notes and samples now, as the daily job does."""

from __future__ import annotations

import click

from bot.cli.common import one_line_errors, services, settings


@click.group(help="Ageing out old notes and samples (DEBRIEF_RETENTION_MONTHS).")
def retention() -> None:
    pass


@retention.command("run", help="Archive and delete what is past the retention period now.")
@click.option(
    "--months", type=click.IntRange(min=1), default=None,
    help="Use this period instead of DEBRIEF_RETENTION_MONTHS.",
)  # fmt: skip
@one_line_errors
def retention_run(months: int | None) -> None:
    from bot.privacy.export import apply_retention

    config = settings()
    period = months if months is not None else config.retention_months
    if period <= 0:
        click.echo("retention is off (DEBRIEF_RETENTION_MONTHS is 0): nothing was changed")
        return
    with services(config).sessions() as session:
        report = apply_retention(session=session, months=period)
    click.echo(
        f"retention ({period} months): archived {report.archived} notes, deleted "
        f"{report.erased_notes} notes and {report.erased_samples} samples"
    )
