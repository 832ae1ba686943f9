"""`debrief serve`: run the bot (Slack events, the REST API, the health check, the scheduler)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from typing import Any

import click

from bot.cli.common import one_line_errors, require_schema, settings
from bot.core.settings import SettingsError

log = logging.getLogger("bot.cli")  # the name these log lines had before the CLI was a package


@click.command(help="Run the bot: Slack events, the REST API, the health check and the scheduler.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--socket-mode", is_flag=True, help="Receive Slack events over Socket Mode.")
@click.option("--no-scheduler", is_flag=True, help="Don't run the daily scan and the sync here.")
@one_line_errors
def serve(host: str, port: int, socket_mode: bool, no_scheduler: bool) -> None:
    import uvicorn

    from bot.app.bolt import build_app
    from bot.app.services import Services
    from bot.app.web import create_web_app

    config = settings()
    config.require_slack()
    if socket_mode and not config.slack_app_token:
        raise SettingsError("SLACK_APP_TOKEN is not set (an xapp- token; needed for --socket-mode)")
    require_schema(config.database_url)
    config.trend_config()
    services = Services(config)  # once for the process: the app, the jobs and the REST API
    bolt_app = build_app(services)
    scheduler = None
    if not no_scheduler:
        from bot.app.scheduler import build_scheduler

        scheduler = build_scheduler(services)
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
        web = create_web_app(services, None)
    else:
        web = create_web_app(services, bolt_app)
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
    from bot.app.bolt import DrainingExecutor
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
