"""`debrief tokens create|revoke|list`: REST API tokens."""

from __future__ import annotations

import click

from bot.cli.common import one_line_errors, services
from bot.core.audit import CLI_ACTOR


@click.group(help="REST API tokens (each acts as one member, with that member's role).")
def tokens() -> None:
    pass


@tokens.command("create", help="Make a token acting as this member; it is shown only once.")
@click.argument("slack_user_id")
@one_line_errors
def tokens_create(slack_user_id: str) -> None:
    from bot.people.tokens import create_token

    with services().sessions() as session:
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
    from bot.people.tokens import revoke_token

    with services().sessions() as session:
        _token, revoked = revoke_token(session=session, actor=CLI_ACTOR, token_id=token_id)
    click.echo(
        f"revoked API token {token_id}" if revoked else f"token {token_id} was already revoked"
    )


@tokens.command("list", help="Every token: id, prefix, member, last use, revocation.")
@one_line_errors
def tokens_list() -> None:
    from bot.people.tokens import list_tokens

    with services().sessions() as session:
        rows = list_tokens(session=session)
    if not rows:
        click.echo("no API tokens yet: `debrief tokens create SLACK_USER_ID`")
    for token, user in rows:
        used = token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "never"
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        click.echo(f"{token.id:<5}{token.prefix}…  {user:<14}used {used}  {state}")
