"""The HTTP app served by `debrief serve`: Slack's endpoint, the REST API and the health check."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt import App, BoltRequest
from starlette.concurrency import run_in_threadpool

from bot.app.services import Services
from bot.core.db import ping
from handlers.body_limit import BodyLimit
from handlers.rest import install_rest_api
from handlers.slack_http import (
    MAX_BODY,
    RefusalLog,
    Refused,
    check_signature,
    check_size,
    parsed,
)

log = logging.getLogger(__name__)


_PUBLIC = {  # what the caller is told; the log says more
    400: "bad request",
    401: "invalid signature",
    413: "request too large",
}


async def _read_capped(request: Request) -> bytes:
    """The body, read until MAX_BODY and no further (a missing Content-Length can't bypass it)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, f"a body of more than {MAX_BODY:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def create_web_app(services: Services, bolt_app: App | None) -> FastAPI:
    """FastAPI app with `POST /slack/events` (when Slack is configured) and `GET /healthz`.

    Bolt's App is synchronous: each Slack request is dispatched on a worker thread so a slow
    one never stalls the event loop or other requests.
    """
    settings = services.settings
    web = FastAPI(title="Debrief", version="0.1.0")
    web.add_middleware(BodyLimit, limit=MAX_BODY)
    install_rest_api(web, services)

    @web.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        if await run_in_threadpool(ping, settings.database_url):
            return JSONResponse({"ok": True, "database": "up"})
        return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)

    if bolt_app is not None:
        app = bolt_app

        secret = settings.require_slack()[1]
        refusals = RefusalLog()

        @web.post("/slack/events", include_in_schema=False)
        async def slack_events(request: Request) -> Response:
            headers: dict[str, str | Sequence[str]] = dict(request.headers.items())
            try:
                check_size(request.headers.get("content-length"))
                raw = await _read_capped(request)
                check_signature(secret, raw, request.headers, time.time())
                body = parsed(raw, request.headers.get("content-type"))
            except Refused as refused:
                refusals.note(refused, request.client.host if request.client else "?")
                return JSONResponse({"error": _PUBLIC[refused.status]}, status_code=refused.status)
            bolt_request = BoltRequest(body=body, query=request.url.query, headers=headers)
            bolt_response = await run_in_threadpool(app.dispatch, bolt_request)
            return Response(
                status_code=bolt_response.status,
                content=bolt_response.body,
                headers=bolt_response.first_headers_without_set_cookie(),
            )

    return web
