"""A cap on request bodies for every route: over the limit is a 413, before it is read whole."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


class BodyLimit:
    """ASGI middleware: a body declared (Content-Length) or streamed past `limit` bytes is
    answered 413 `{"error": ...}`; the app never holds more than `limit` bytes of it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            answer = JSONResponse(
                {"error": f"The request body is larger than {self.limit} bytes."}
                if declared.isdigit()
                else {"error": "The Content-Length header is not a number."},
                status_code=413 if declared.isdigit() else 400,
            )
            await answer(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # streamed without a length: stop reading here
                    raise HTTPException(413, f"The request body is larger than {self.limit} bytes.")
            return message

        await self.app(scope, counted, send)
