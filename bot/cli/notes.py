"""`debrief notes redact`: redact the notes kept before notes were redacted on save."""

from __future__ import annotations

import click

from bot.cli.common import one_line_errors, services


@click.group(help="Coaching notes.")
def notes() -> None:
    pass


@notes.command(
    "redact",
    help="Redact every note already kept (and the note bodies in the audit trail) as notes "
    "are now redacted on save: emails, phone, card and bank numbers, national ids, and the "
    "name and email of the sample's customer. Safe to run again.",
)
@one_line_errors
def notes_redact() -> None:
    from functools import partial

    from bot.coaching.notes import redact_stored_notes
    from bot.coaching.transcripts import ask_helpdesk

    built = services()
    ask = partial(ask_helpdesk, built.settings)  # a synced sample's customer, from its helpdesk
    with built.sessions() as session:
        report = redact_stored_notes(session=session, actor="cli:notes redact", ask=ask)
    click.echo(
        f"took {report.labels} private details out of {report.notes} notes "
        f"{f'and {report.replies} replies ' if report.replies else ''}"
        f"(and {report.audit_entries} audit entries); {report.unchanged} notes had none"
    )
    if report.unchecked:
        click.echo(
            f"{report.unchecked} notes about a conversation whose helpdesk couldn't say who "
            "its customer is were redacted without the customer's name: run this again "
            "when the helpdesk answers",
            err=True,
        )
