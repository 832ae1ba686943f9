"""The `debrief` command line."""

from __future__ import annotations

import functools
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.audit import CLI_ACTOR
from bot.db import DatabaseUnavailable, is_unreachable, session_scope
from bot.errors import DebriefError
from bot.settings import Settings, SettingsError, load_settings

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


def fail(message: str, code: int = 2) -> None:
    """Print one line to stderr and exit non-zero."""
    click.echo(f"debrief: {message}", err=True)
    sys.exit(code)


def one_line_errors(func: F) -> F:
    """Turn settings, input and database errors into one line and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SettingsError as exc:
            fail(f"setting {exc}")
        except DebriefError as exc:
            fail(str(exc))
        except DatabaseUnavailable as exc:
            fail(f"can't reach the database ({exc}); nothing was changed", 1)
        except Exception as exc:
            if is_unreachable(exc):
                fail(
                    f"can't reach the database ({str(exc).splitlines()[0]}); nothing was changed", 1
                )
            raise

    return wrapper  # type: ignore[return-value]


def settings() -> Settings:
    """The settings, read now (a bad one is one clear line)."""
    return load_settings()


def require_schema(url: str) -> None:
    """Stop with a clear line unless `debrief db upgrade` has run on this database."""
    from bot.migrate import is_current

    if not is_current(url):
        raise SettingsError("DATABASE_URL: the schema is missing or old; run `debrief db upgrade`")


@click.group(help="Debrief: point-of-need coaching for support agents, inside Slack.")
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def main(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # a command says what happened itself, in a line or two: libraries' request lines
        # (httpx logs every request at INFO) would bury it
        for name in ("alembic", "httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)


@main.group(help="The database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Create or migrate the schema (safe to run twice).")
@one_line_errors
def db_upgrade() -> None:
    from bot.migrate import upgrade

    url = settings().database_url
    upgrade(url)
    click.echo("schema is up to date")


@main.command(help="Run the bot: Slack events, the REST API, the health check and the scheduler.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--socket-mode", is_flag=True, help="Receive Slack events over Socket Mode.")
@click.option("--no-scheduler", is_flag=True, help="Don't run the daily scan and the sync here.")
@one_line_errors
def serve(host: str, port: int, socket_mode: bool, no_scheduler: bool) -> None:
    import uvicorn

    from bot.web import create_web_app
    from handlers.app import build_app

    config = settings()
    config.require_slack()
    if socket_mode and not config.slack_app_token:
        raise SettingsError("SLACK_APP_TOKEN is not set (an xapp- token; needed for --socket-mode)")
    require_schema(config.database_url)
    config.trend_config()
    bolt_app = build_app(config)
    scheduler = None
    if not no_scheduler:
        from jobs.scheduler import build_scheduler

        scheduler = build_scheduler(config, bolt_app.client)
        scheduler.start()
    socket = None
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler
        from slack_sdk.errors import SlackApiError

        assert config.slack_app_token is not None
        socket = SocketModeHandler(bolt_app, config.slack_app_token)
        try:
            socket.connect()
        except SlackApiError as exc:
            raise SettingsError(
                f"SLACK_APP_TOKEN: Slack refused it ({exc.response.get('error')}); "
                "check the token and that Socket Mode is enabled for the app"
            ) from None
        web = create_web_app(config, None)
    else:
        web = create_web_app(config, bolt_app)
    server = uvicorn.Server(uvicorn.Config(web, host=host, port=port, log_level="info"))
    # On SIGTERM or Ctrl-C uvicorn stops taking requests, answers those it has, then raises the
    # signal again into the handlers it found: these, so that acknowledged work can finish here
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.run()
    _shut_down(bolt_app, scheduler, socket, config.shutdown_drain_seconds)


def _shut_down(bolt_app: Any, scheduler: Any, socket: Any, drain_seconds: float) -> None:
    """Finish what was acknowledged (modals, notes, DMs) within `drain_seconds`, let the jobs
    give back the claims they haven't started on, stop the scheduler; then exit 0."""
    from handlers.app import DrainingExecutor
    from jobs.work import STOPPING

    started = time.monotonic()
    STOPPING.set()
    log.info("stopping: finishing acknowledged work (at most %.0f s)", drain_seconds)
    if socket is not None:
        socket.close()  # no new events over the socket
    executor = bolt_app.listener_runner.listener_executor
    running = executor.drain(drain_seconds) if isinstance(executor, DrainingExecutor) else 0
    if scheduler is not None:
        left = max(0.0, drain_seconds - (time.monotonic() - started))
        stopper = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
        stopper.start()
        stopper.join(left)
        running += stopper.is_alive()
    took = time.monotonic() - started
    if running:
        log.warning("shut down after %.1f s with %d tasks still running", took, running)
    else:
        log.info("shut down after %.1f s: every acknowledged request finished", took)
    sys.exit(0)


@main.group(help="Who has which role.")
def members() -> None:
    pass


@members.command("add", help="Set a person's role (and, for a member, their agent record).")
@click.argument("slack_user_id")
@click.option("--role", required=True, type=click.Choice(["owner", "admin", "member"]))
@click.option("--agent", "agent_name", default=None, help="The agent a member is linked to.")
@one_line_errors
def members_add(slack_user_id: str, role: str, agent_name: str | None) -> None:
    from bot.members import set_member

    with session_scope(_url()) as session:
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
    from bot.members import remove_member

    with session_scope(_url()) as session:
        remove_member(session=session, actor=CLI_ACTOR, slack_user_id=slack_user_id)
    click.echo(f"removed {slack_user_id}")


@members.command("list", help="Every member, owners first.")
@one_line_errors
def members_list() -> None:
    from bot.members import list_members

    with session_scope(_url()) as session:
        rows = list_members(session=session)
    if not rows:
        click.echo("no members yet: `debrief members add SLACK_USER_ID --role owner`")
    for member, agent_name in rows:
        linked = f"  agent: {agent_name}" if agent_name else ""
        click.echo(f"{member.slack_user_id:<14}{member.role.value:<8}{linked}")


@main.group(help="Support agents.")
def agents() -> None:
    pass


@agents.command("add", help="Create an agent, or update the one with this name.")
@click.argument("name")
@click.option("--email", default=None)
@click.option("--slack-user", default=None, help="The agent's own Slack user id.")
@click.option("--lead", default=None, help="The lead's Slack user id (an owner or admin).")
@one_line_errors
def agents_add(name: str, email: str | None, slack_user: str | None, lead: str | None) -> None:
    from bot.agents import upsert_agent

    with session_scope(_url()) as session:
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

    from bot.agents import list_agents
    from models import Member

    with session_scope(_url()) as session:
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
    from bot.agents import deactivate_agent

    with session_scope(_url()) as session:
        agent = deactivate_agent(session=session, actor=CLI_ACTOR, name=name)
    click.echo(f"deactivated {agent.name}")


@main.command("import", help="Load resolved, rated conversations from a CSV or JSONL file.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@one_line_errors
def import_command(file: Path) -> None:
    from bot.importer import import_file

    url = _url()
    size = file.stat().st_size if file.is_file() else 0
    with _progress(size, f"importing {file.name}") as advance:
        report = import_file(
            session_factory=partial(session_scope, url), path=file, progress=advance
        )
    for line, reason in report.bad[:MAX_REPORTED]:
        click.echo(f"line {line}: {reason}", err=True)
    if len(report.bad) > MAX_REPORTED:
        click.echo(f"... and {len(report.bad) - MAX_REPORTED} more bad rows", err=True)
    click.echo(f"loaded {report.loaded} conversations, skipped {len(report.bad)} bad rows")


@main.command(help="Evaluate every agent now: flag, capture samples, DM the leads.")
@one_line_errors
def scan() -> None:
    from bot.ai.summarizer import summarizer_for
    from bot.scanner import run_scan
    from handlers.app import slack_client
    from handlers.notifier import SlackFlagNotifier

    config = settings()
    token, _secret = config.require_slack()
    require_schema(config.database_url)
    report = run_scan(
        settings=config,
        summarizer=summarizer_for(config),
        notifier=SlackFlagNotifier(slack_client(config, token)),
    )
    if report.locked_out:
        fail("another scan is running right now; nothing was done", 1)
    outcome = report.outcome
    click.echo(
        f"assessed {outcome.assessed} agents: {len(outcome.raised)} flagged, "
        f"{len(outcome.cleared)} recovered, {sum(report.captured.values())} samples captured, "
        f"{report.dms_sent} DMs sent"
    )


@main.command(help="Pull new ratings from every configured helpdesk.")
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="YYYY-MM-DD (UTC)"
)
@one_line_errors
def sync(since: datetime | None) -> None:
    from bot.helpdesks import configured_helpdesks
    from bot.helpdesks.registry import check_helpdesk_settings, none_configured_message
    from bot.sync import sync_helpdesks

    config = settings()
    check_helpdesk_settings(config)
    url = _url()
    if not logging.getLogger().isEnabledFor(logging.DEBUG):  # -v shows everything
        # each helpdesk's outcome is printed below on one line, so no second copy of a
        # failure from the sync's own log (which the scheduler relies on)
        logging.getLogger("bot.sync").addFilter(lambda record: record.levelno < logging.ERROR)
    helpdesks = configured_helpdesks(config)
    if not helpdesks:
        raise SettingsError(none_configured_message())
    start = since.replace(tzinfo=UTC) if since else None
    report = sync_helpdesks(
        session_factory=partial(session_scope, url),
        settings=config,
        since=start,
        helpdesks=helpdesks,
    )
    for name, count in report.pulled.items():
        read = report.read.get(name)
        click.echo(f"{name}: {count:,} ratings" + (f" ({read})" if read else ""))
    for name, reason in report.failed.items():
        click.echo(f"{name}: failed: {reason}", err=True)
    if report.failed:
        sys.exit(1)


@main.command(help="Read text on stdin, write it redacted on stdout.")
@click.option("--customer-name", "names", multiple=True, help="A customer's name to redact too.")
@click.option("--customer-email", "emails", multiple=True, help="A customer's email to redact too.")
def redact(names: tuple[str, ...], emails: tuple[str, ...]) -> None:
    from bot.redact import redact as redact_text

    click.echo(
        redact_text(sys.stdin.read(), customer_names=names, customer_emails=emails), nl=False
    )


@main.command(help="Build a demo workspace in SQLite and show what a lead sees.")
@click.option("--db", "db_path", default="debrief-demo.db", show_default=True, help="SQLite file.")
@one_line_errors
def demo(db_path: str) -> None:
    from bot.demo import run_demo

    run_demo(db_path=db_path, echo=click.echo)


MAX_REPORTED = 50


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (nothing when output is piped); yields 'done so far'."""
    if not sys.stderr.isatty() or total <= 0:
        yield lambda _done: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


def _url() -> str:
    url = settings().database_url
    require_schema(url)
    return url


from bot.cli_api import register  # noqa: E402  (the API commands live beside this module)

register(main, agents)

from bot.cli_qa import register as register_qa  # noqa: E402  (the QA commands live beside this module)

register_qa(main)

from bot.cli_metrics import register as register_metrics  # noqa: E402  (the metrics command lives beside this module)

register_metrics(main)

from bot.cli_digest import register as register_digest  # noqa: E402  (the digest command lives beside this module)

register_digest(main)

from bot.cli_notes import register as register_notes  # noqa: E402  (the notes commands live beside this module)

register_notes(main)
