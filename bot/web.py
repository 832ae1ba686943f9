"""The HTTP app served by `debrief serve`: Slack's endpoint, the REST API and the health check."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt import App, BoltRequest
from starlette.concurrency import run_in_threadpool

from bot.db import ping
from bot.settings import Settings
from handlers.rest import install_rest_api

log = logging.getLogger(__name__)


def create_web_app(settings: Settings, bolt_app: App | None) -> FastAPI:
    """FastAPI app with `POST /slack/events` (when Slack is configured) and `GET /healthz`.

    Bolt's App is synchronous: each Slack request is dispatched on a worker thread so a slow
    one never stalls the event loop or other requests.
    """
    web = FastAPI(title="Debrief", version="0.1.0")
    install_rest_api(web, settings)

    @web.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        if await run_in_threadpool(ping, settings.database_url):
            return JSONResponse({"ok": True, "database": "up"})
        return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)

    if bolt_app is not None:
        app = bolt_app

        @web.post("/slack/events", include_in_schema=False)
        async def slack_events(request: Request) -> Response:
            body = (await request.body()).decode("utf-8")
            bolt_request = BoltRequest(
                body=body,
                query=request.url.query,
                headers={k: v for k, v in request.headers.items()},
            )
            bolt_response = await run_in_threadpool(app.dispatch, bolt_request)
            return Response(
                status_code=bolt_response.status,
                content=bolt_response.body,
                headers=bolt_response.first_headers_without_set_cookie(),
            )

    return web
