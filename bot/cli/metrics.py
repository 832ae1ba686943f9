"""`debrief metrics [--since DATE] [--json]` (SPEC §3, §5c)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from bot.cli.common import one_line_errors, services


@click.command("metrics", help="The measurement plan's figures (SPEC §5c).")
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="YYYY-MM-DD (UTC, inclusive): count from that day (default: everything stored).",
)  # fmt: skip
@click.option(
    "--json", "as_json", is_flag=True,
    help="The SPEC §5c object, plus aiAgreement (how far leads agree with the QA drafts).",
)  # fmt: skip
@one_line_errors
def metrics(since: datetime | None, as_json: bool) -> None:
    from bot.core.errors import InvalidInput
    from bot.insights.agreement import agreement_lines, ai_agreement
    from bot.insights.metrics import compute_metrics, report_lines
    from models.base import utcnow

    now = utcnow()
    start = since.replace(tzinfo=UTC) if since is not None else None
    if start is not None and start > now:
        raise InvalidInput("since", f"--since {start:%Y-%m-%d} is in the future")
    with services().sessions() as session:
        figures = compute_metrics(session=session, since=start, now=now)
        agreement = ai_agreement(session=session, since=start, now=now)
    if as_json:
        click.echo(json.dumps({**figures, "aiAgreement": agreement}, ensure_ascii=False))
    else:
        lines = report_lines(figures, since=start, now=now)
        click.echo("\n".join([*lines, "", *agreement_lines(agreement)]))
