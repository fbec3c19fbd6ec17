"""Paths the API and the pages hand out, every segment percent-encoded.

Clause labels are printed numbers or titles ("Appendix A", "September 19, 2023 (RSP v1.0)"): raw,
their spaces and parentheses make links clients cannot follow. Encoded as the /resolve permalinks are
(archive/search/quotes.py: quote(..., safe="")).
"""

from __future__ import annotations

from urllib.parse import quote


def segment(value: str) -> str:
    return quote(value, safe="")


def path(*segments: str) -> str:
    """path("policies", "anthropic-rsp", "clauses", "Appendix A") -> /policies/anthropic-rsp/clauses/Appendix%20A"""
    return "/" + "/".join(segment(s) for s in segments)
