"""Request bodies over ``[api] max_body_bytes`` get 413, counted on the stream.

A ``Content-Length`` over the limit is refused before anything is read; a body without one
(chunked) or with a false one is counted as it arrives and refused as soon as it passes the
limit, so no request can make the process buffer more than the limit.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.service.api.problems import problem


class PayloadTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"de inhoud van het verzoek is groter dan {limit} bytes")


class BodyLimitMiddleware:
    """Pure ASGI middleware (it must see the body stream, so no ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await problem(413, PayloadTooLarge(self.limit).detail)(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise PayloadTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLarge as exc:  # raised where nothing turned it into a response
            if started:
                raise
            await problem(413, exc.detail)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
