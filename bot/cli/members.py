"""`debrief members add|remove|list`: who has which role."""

from __future__ import annotations

import click

from bot.cli.common import one_line_errors, services
from bot.core.audit import CLI_ACTOR


@click.group(help="Who has which role.")
def members() -> None:
    pass


@members.command("add", help="Set a person's role (and, for a member, their agent record).")
@click.argument("slack_user_id")
@click.option("--role", required=True, type=click.Choice(["owner", "admin", "member"]))
@click.option("--agent", "agent_name", default=None, help="The agent a member is linked to.")
@one_line_errors
def members_add(slack_user_id: str, role: str, agent_name: str | None) -> None:
    from bot.people.members import set_member

    with services().sessions() as session:
        member, created = set_member(
            session=session,
            actor=CLI_ACTOR,
            slack_user_id=slack_user_id,
            role=role,
            agent_name=agent_name,
        )
        click.echo(
            f"{'added' if created else 'updated'} {member.slack_user_id} as {member.role.value}"
        )


@members.command("remove", help="Take away a person's role (the notes they wrote stay).")
@click.argument("slack_user_id")
@one_line_errors
def members_remove(slack_user_id: str) -> None:
    from bot.people.members import remove_member

    with services().sessions() as session:
        remove_member(session=session, actor=CLI_ACTOR, slack_user_id=slack_user_id)
    click.echo(f"removed {slack_user_id}")


@members.command("list", help="Every member, owners first.")
@one_line_errors
def members_list() -> None:
    from bot.people.members import list_members

    with services().sessions() as session:
        rows = list_members(session=session)
    if not rows:
        click.echo("no members yet: `debrief members add SLACK_USER_ID --role owner`")
    for member, agent_name in rows:
        linked = f"  agent: {agent_name}" if agent_name else ""
        click.echo(f"{member.slack_user_id:<14}{member.role.value:<8}{linked}")
