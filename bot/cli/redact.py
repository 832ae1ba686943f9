"""`debrief redact`: text on stdin, redacted on stdout."""

from __future__ import annotations

import sys

import click


@click.command(help="Read text on stdin, write it redacted on stdout.")
@click.option("--customer-name", "names", multiple=True, help="A customer's name to redact too.")
@click.option("--customer-email", "emails", multiple=True, help="A customer's email to redact too.")
def redact(names: tuple[str, ...], emails: tuple[str, ...]) -> None:
    from bot.privacy.redaction import redact as redact_text

    click.echo(
        redact_text(sys.stdin.read(), customer_names=names, customer_emails=emails), nl=False
    )
