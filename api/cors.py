"""CORS, with refused preflights answered as problem+json like every other error.

Starlette's CORSMiddleware answers a refused preflight with a text/plain 400 ("Disallowed CORS
method"); this keeps its checks and headers and only rewrites that answer.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

from api.problems import problem

_BODY_HEADERS = {"content-type", "content-length"}


class ProblemCORSMiddleware(CORSMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else Headers()
        preflight = scope["type"] == "http" and scope["method"] == "OPTIONS" and "origin" in headers
        if not preflight or "access-control-request-method" not in headers:
            await super().__call__(scope, receive, send)
            return
        response = self.preflight_response(request_headers=headers)
        if response.status_code != 200:
            kept = {k: v for k, v in response.headers.items() if k.lower() not in _BODY_HEADERS}
            detail = self._refusal(headers)
            response = problem(Request(scope), 400, detail, title="CORS preflight refused", headers=kept)
        await response(scope, receive, send)

    def _refusal(self, headers: Headers) -> str:
        """What the preflight asked for that is not allowed, on one line."""
        reasons = []
        if not self.is_allowed_origin(origin=headers["origin"]):
            reasons.append(f"origin '{headers['origin'][:100]}' is not allowed")
        method = headers["access-control-request-method"]
        if method not in self.allow_methods:
            reasons.append(f"method '{method[:20]}' is not allowed (allowed: {', '.join(self.allow_methods)})")
        asked = [h.strip().lower() for h in headers.get("access-control-request-headers", "").split(",") if h.strip()]
        refused = [h for h in asked if h not in self.allow_headers]
        if refused and not self.allow_all_headers:
            reasons.append(f"header '{refused[0][:60]}' is not allowed")
        if "access-control-request-private-network" in headers and not self.allow_private_network:
            reasons.append("private network access is not allowed")
        return "CORS preflight refused: " + ("; ".join(reasons) or "not allowed")
