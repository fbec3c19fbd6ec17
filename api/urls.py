"""Paths the API and the pages hand out, every segment percent-encoded.

Clause labels are printed numbers or titles ("Appendix A", "September 19, 2023 (RSP v1.0)"): raw,
their spaces and parentheses make links clients cannot follow. Encoded as the /resolve permalinks are
(archive/search/quotes.py: quote(..., safe="")).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request


def segment(value: str) -> str:
    return quote(value, safe="")


def path(*segments: str) -> str:
    """path("policies", "anthropic-rsp", "clauses", "Appendix A") -> /policies/anthropic-rsp/clauses/Appendix%20A"""
    return "/" + "/".join(segment(s) for s in segments)


def base_url(request: Request) -> str:
    """Where absolute links start ("https://host/"): the configured public address, else the request's
    own. A feed or citation cached for everyone must not carry whatever Host a client sent."""
    configured = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/") + "/"
