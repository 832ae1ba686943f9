"""`debrief tokens ...`, `debrief agents export|erase` and `debrief retention run`."""

from __future__ import annotations

import json
from pathlib import Path

import click


def register(main: click.Group, agents: click.Group) -> None:
    """Add the API token, export, erase and retention commands to the `debrief` CLI.

    Defined here, called from the end of bot.cli (whose helpers these commands share).
    """
    from bot.audit import CLI_ACTOR
    from bot.cli import _url, one_line_errors, settings
    from bot.db import session_scope

    @main.group(help="REST API tokens (each acts as one member, with that member's role).")
    def tokens() -> None:
        pass

    @tokens.command("create", help="Make a token acting as this member; it is shown only once.")
    @click.argument("slack_user_id")
    @one_line_errors
    def tokens_create(slack_user_id: str) -> None:
        from bot.tokens import create_token

        with session_scope(_url()) as session:
            made = create_token(session=session, actor=CLI_ACTOR, slack_user_id=slack_user_id)
        click.echo(
            f"created API token {made.id} for {made.slack_user_id} ({made.role.value}); "
            "store it now, it is not shown again:",
            err=True,
        )
        click.echo(f"id: {made.id}")
        click.echo(f"token: {made.secret}")

    @tokens.command("revoke", help="Stop a token from working.")
    @click.argument("token_id", type=click.IntRange(min=1))
    @one_line_errors
    def tokens_revoke(token_id: int) -> None:
        from bot.tokens import revoke_token

        with session_scope(_url()) as session:
            _token, revoked = revoke_token(session=session, actor=CLI_ACTOR, token_id=token_id)
        click.echo(
            f"revoked API token {token_id}" if revoked else f"token {token_id} was already revoked"
        )

    @tokens.command("list", help="Every token: id, prefix, member, last use, revocation.")
    @one_line_errors
    def tokens_list() -> None:
        from bot.tokens import list_tokens

        with session_scope(_url()) as session:
            rows = list_tokens(session=session)
        if not rows:
            click.echo("no API tokens yet: `debrief tokens create SLACK_USER_ID`")
        for token, user in rows:
            used = token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "never"
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            click.echo(f"{token.id:<5}{token.prefix}…  {user:<14}used {used}  {state}")

    @agents.command("export", help="Print an agent's whole record as JSON (notes, samples, ...).")
    @click.argument("name")
    @click.option(
        "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="Write to this file instead of standard output.",
    )  # fmt: skip
    @one_line_errors
    def agents_export(name: str, output: Path | None) -> None:
        from bot.export import export_agent

        with session_scope(_url()) as session:
            document = export_agent(session=session, name=name)
        text = json.dumps(document, indent=2, ensure_ascii=False)
        if output is None:
            click.echo(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
            click.echo(f"exported {document['agent']['name']} to {output}")

    @agents.command("erase", help="Delete an agent's notes, samples and flags (an owner only).")
    @click.argument("name")
    @click.option("--by", "by", required=True, help="The Slack user id of the owner erasing it.")
    @one_line_errors
    def agents_erase(name: str, by: str) -> None:
        from bot.export import erase_agent

        with session_scope(_url()) as session:
            erased = erase_agent(session=session, name=name, by=by)
        click.echo(
            f"erased {erased.agent}'s record: {erased.notes} notes, {erased.samples} samples, "
            f"{erased.flags} flags (the audit trail notes that it happened)"
        )

    @main.group(help="Ageing out old notes and samples (DEBRIEF_RETENTION_MONTHS).")
    def retention() -> None:
        pass

    @retention.command("run", help="Archive and delete what is past the retention period now.")
    @click.option(
        "--months", type=click.IntRange(min=1), default=None,
        help="Use this period instead of DEBRIEF_RETENTION_MONTHS.",
    )  # fmt: skip
    @one_line_errors
    def retention_run(months: int | None) -> None:
        from bot.export import apply_retention

        period = months if months is not None else settings().retention_months
        if period <= 0:
            click.echo("retention is off (DEBRIEF_RETENTION_MONTHS is 0): nothing was changed")
            return
        with session_scope(_url()) as session:
            report = apply_retention(session=session, months=period)
        click.echo(
            f"retention ({period} months): archived {report.archived} notes, deleted "
            f"{report.erased_notes} notes and {report.erased_samples} samples"
        )
