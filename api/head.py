"""HEAD answered as GET would be, without the body (RFC 9110 section 9.3.2).

Link checkers on wiki pages and `curl -I` probe citation URLs with HEAD. FastAPI routes declare GET
only, so without this every HEAD would be a 405. A pure ASGI middleware: the request goes on as a GET,
its status and headers (ETag, Content-Length, Cache-Control...) are sent as they are, and every body
chunk is dropped. Conditional HEADs get their 304 the same way.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
