"""`debrief digest send [--now]` (SPEC §3): the weekly digest, on demand."""

from __future__ import annotations

import click

from bot.cli.common import fail, one_line_errors, services


@click.group(help="The weekly digest each lead gets on Monday at 09:00 in their time zone.")
def digest() -> None:
    pass


@digest.command(
    "send",
    help="Send the weekly digest to each lead whose Monday 09:00 has come (with --now, to "
    "every lead now), once per lead and week, as the scheduled job does. Run it again to "
    "resend one that failed.",
)
@click.option(
    "--now", "every", is_flag=True,
    help="Every lead now, whatever their day and hour (the week is theirs, local time).",
)  # fmt: skip
@one_line_errors
def digest_send(every: bool) -> None:
    from bot.team.digest import LEASE, send_digests
    from models.base import utcnow

    built = services(slack=True)
    notifier = built.digest_notifier
    report = send_digests(
        session_factory=built.sessions,
        notifier=notifier,
        zone_of=notifier.zone_of,
        now=utcnow(),
        every=every,
    )
    if not report.due:
        click.echo(
            "no lead is due: each gets it on Monday from 09:00 in their time zone "
            "(--now sends to every lead now)"
            if not every
            else "there are no leads (owners or admins) to send a digest to"
        )
        return
    click.echo(
        f"weekly digest: {report.due} leads, {report.sent} sent now, "
        f"{report.found_sent} found already posted, {len(report.already_sent)} sent earlier "
        f"this week, {len(report.busy)} being sent by another run, {report.failed} failed"
    )
    for lead in report.leads:
        click.echo(f"  sent to {lead}")
    for lead in report.already_sent:
        click.echo(f"  {lead} already has this week's digest")
    for lead, until in report.busy.items():
        click.echo(f"  {lead}: another run is sending it (its claim lasts until {until:%H:%M} UTC)")
    if report.failures:
        minutes = int(LEASE.total_seconds() // 60)
        who = ", ".join(f"{lead} ({why})" for lead, why in report.failures.items())
        fail(f"could not send the digest to {who}; run this again in {minutes} minutes", 1)
