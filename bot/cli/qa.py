"""`debrief rubric approve` and `debrief qa run` (SPEC §3, §5b)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from bot.cli.common import MAX_REPORTED, one_line_errors, services


@click.group(help="QA rubrics: the criteria drafts are scored against.")
def rubric() -> None:
    pass


@rubric.command(
    "approve", help="Approve a rubric YAML (the bundled default without FILE) as a new version."
)
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", "by", required=True, help="The approver's Slack user id (owner/admin).")
@one_line_errors
def rubric_approve(file: Path | None, by: str) -> None:
    from bot.core.scope import viewer_for
    from bot.qa.rubric import approve_rubric

    with services().sessions() as session:
        viewer = viewer_for(session=session, slack_user_id=by)
        made = approve_rubric(session=session, actor=viewer, path=file)
        version, name, count = made.version, made.name, len(made.criteria)
    click.echo(f"approved rubric version {version}: {name} ({count} criteria)")


@click.group(help="QA drafts of resolved conversations, for the lead to review.")
def qa() -> None:
    pass


@qa.command("run", help="Draft QA reviews of this week's sample (or of FILE) for the lead.")
@click.option(
    "--file", "file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Conversations in the import format (CSV or JSONL), transcripts included.",
)  # fmt: skip
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="YYYY-MM-DD (UTC): conversations closed on or after it (default: the last 7 days).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="One draft a line (SPEC §5b).")
@one_line_errors
def qa_run(file: Path | None, since: datetime | None, as_json: bool) -> None:
    from bot.qa.run import run_qa

    built = services()
    engine = built.qa_engine
    report = run_qa(
        session_factory=built.sessions,
        settings=built.settings,
        file=file,
        since=since.replace(tzinfo=UTC) if since else None,
        engine=engine,
    )
    if engine.name == "offline":
        click.echo(
            "debrief: ANTHROPIC_API_KEY is not set: the offline heuristic engine drafted "
            "(low confidence, every draft goes to the lead)",
            err=True,
        )
    for line, reason in report.bad_rows[:MAX_REPORTED]:
        click.echo(f"line {line}: {reason}", err=True)
    if len(report.bad_rows) > MAX_REPORTED:
        click.echo(f"... and {len(report.bad_rows) - MAX_REPORTED} more bad rows", err=True)
    for skip in report.skipped:
        if as_json:
            click.echo(
                json.dumps(
                    {"externalId": skip.external_id, "agent": skip.agent,
                     "skipped": skip.reason},
                    ensure_ascii=False,
                ),
                err=True,
            )  # fmt: skip
        else:
            click.echo(f"skipped {skip.helpdesk} #{skip.external_id}: {skip.reason}", err=True)
    for draft in report.drafts:
        if as_json:
            click.echo(json.dumps(draft.to_json(), ensure_ascii=False))
        else:
            risks = f", risk: {', '.join(draft.customer_risk)}" if draft.customer_risk else ""
            click.echo(
                f"{draft.helpdesk} #{draft.external_id} ({draft.agent}): {draft.route}, "
                f"confidence {draft.confidence:.2f}, {len(draft.points)} points{risks}"
            )
    review = sum(1 for d in report.drafts if d.route == "lead_review")
    summary = (
        f"rubric v{report.rubric_version}, {report.engine}: sampled {report.sampled}, "
        f"drafted {len(report.drafts)} ({review} for lead review), "
        f"skipped {len(report.skipped)}, already drafted {report.already_drafted}, "
        f"already skipped {report.already_skipped}, "
        f"points dropped for unverified evidence {report.dropped_points}"
    )
    click.echo(summary, err=as_json)
