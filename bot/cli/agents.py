"""`debrief agents add|list|deactivate|export|erase`: support agents and their records."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.cli.common import one_line_errors, services
from bot.core.audit import CLI_ACTOR


@click.group(help="Support agents.")
def agents() -> None:
    pass


@agents.command("add", help="Create an agent, or update the one with this name.")
@click.argument("name")
@click.option("--email", default=None)
@click.option("--slack-user", default=None, help="The agent's own Slack user id.")
@click.option("--lead", default=None, help="The lead's Slack user id (an owner or admin).")
@one_line_errors
def agents_add(name: str, email: str | None, slack_user: str | None, lead: str | None) -> None:
    from bot.people.agents import upsert_agent

    with services().sessions() as session:
        agent, created = upsert_agent(
            session=session,
            actor=CLI_ACTOR,
            name=name,
            email=email,
            slack_user=slack_user,
            lead=lead,
        )
        click.echo(f"{'added' if created else 'updated'} agent {agent.name} (id {agent.id})")


@agents.command("list", help="Active agents (with --all, deactivated ones too).")
@click.option("--all", "include_inactive", is_flag=True)
@one_line_errors
def agents_list(include_inactive: bool) -> None:
    from sqlalchemy import select

    from bot.people.agents import list_agents
    from models import Member

    with services().sessions() as session:
        rows = list_agents(session=session, include_inactive=include_inactive)
        leads = {
            row.id: row.slack_user_id
            for row in session.execute(select(Member.id, Member.slack_user_id))
        }
    if not rows:
        click.echo("no agents yet: `debrief agents add NAME`")
    for agent in rows:
        parts = [agent.name]
        if agent.email:
            parts.append(agent.email)
        if agent.slack_user_id:
            parts.append(f"slack {agent.slack_user_id}")
        if agent.lead_member_id:
            parts.append(f"lead {leads.get(agent.lead_member_id, '?')}")
        if not agent.active:
            parts.append("deactivated")
        click.echo("  ".join(parts))


@agents.command("deactivate", help="Stop scanning and listing an agent; the record stays.")
@click.argument("name")
@one_line_errors
def agents_deactivate(name: str) -> None:
    from bot.people.agents import deactivate_agent

    with services().sessions() as session:
        agent = deactivate_agent(session=session, actor=CLI_ACTOR, name=name)
    click.echo(f"deactivated {agent.name}")


@agents.command("export", help="Print an agent's whole record as JSON (notes, samples, ...).")
@click.argument("name")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write to this file instead of standard output.",
)  # fmt: skip
@one_line_errors
def agents_export(name: str, output: Path | None) -> None:
    from bot.privacy.export import export_agent

    with services().sessions() as session:
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
    from bot.privacy.export import erase_agent

    with services().sessions() as session:
        erased = erase_agent(session=session, name=name, by=by)
    click.echo(
        f"erased {erased.agent}'s record: {erased.notes} notes, {erased.samples} samples, "
        f"{erased.flags} flags (the audit trail notes that it happened)"
    )
