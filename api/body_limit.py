"""A cap on request bodies: 413 problem+json, and never more than the cap read.

A declared Content-Length over the cap is refused before anything is read. A body sent without one
(chunked) is counted as it arrives and refused as soon as it passes the cap.

Not FastAPI's own max_body_size: when the declared length is over it, Starlette swaps whatever
response the app sends for a text/plain 413, so the error would leave the API in another shape.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import http_error

# The largest request the API takes: a full citation check (1000 citations, each quote up to the
# default max_query_length of 1000 characters, with its section, version and id) is under 2 MB.
# A constant rather than a setting: archive.settings has no limit for request bodies.
MAX_BODY_BYTES = 4 * 1024 * 1024


def too_large(limit: int) -> str:
    return f"request body is larger than the limit of {limit} bytes"


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = http_error(Request(scope), HTTPException(413, too_large(self.max_bytes)))
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the handler's body read: FastAPI passes HTTPExceptions on to
                    # api.problems, which answers 413 problem+json.
                    raise HTTPException(413, too_large(self.max_bytes))
            return message

        await self.app(scope, counted, send)
