"""Redlines between two versions and a clause's history across versions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from api import results
from api import schemas as s
from api.caching import (
    NEIGHBOURS_CACHE_CONTROL,
    cacheable,
    not_modified,
    redline_etag,
    validated,
    version_etag,
)
from api.deps import SessionDep
from api.routes.params import CLAUSE_PATTERN, ClauseNumber, OptRef, Ref, Slug
from archive.db import storage
from archive.services import histories, redlines
from archive.services import unannounced as unannounced_service
from archive.services.versions import resolve_pair

router = APIRouter(tags=["redlines"])


@router.get(
    "/policies/{slug}/compare/{a}..{b}",
    response_model=results.Redline,
    summary="Redline between two versions (labels or dates), optionally of one clause",
    responses={
        200: {
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            }
        },
        304: {"description": "Not modified (If-None-Match matched the ETag)."},
    },
)
def compare(
    slug: Slug,
    a: Ref,
    b: Ref,
    request: Request,
    session: SessionDep,
    format: Annotated[Literal["json", "html", "text"], Query(description="Representation.")] = "json",
    clause: Annotated[
        str | None,
        Query(pattern=CLAUSE_PATTERN, description="Only this clause (number or title, as in `b`)."),
    ] = None,
    width: Annotated[
        int, Query(ge=0, le=10_000, description="Text format: wrap lines at this many columns (0: never).")
    ] = redlines.TEXT_WIDTH,
    show_all: Annotated[
        bool, Query(alias="all", description="List unchanged clauses too (as the CLI's --all and the pages' ?all=1).")
    ] = False,
) -> Response:
    held, old, new = resolve_pair(session, slug, a, b)  # labels, or days (YYYY-MM-DD) then in force
    if clause is not None:  # before the 304: `If-None-Match: *` asked of a missing clause is still a 404
        redlines.find_compared_clause(session, slug, old.label, new.label, clause)
    rendering = {"json": (), "html": (redlines.RENDER_VERSION,), "text": (redlines.RENDER_VERSION, width)}[format]
    # Every version in between too: the audit of a span says what each revision's own audit found.
    spanned = redlines.revisions_between(held, old, new) or [old, new]
    etag = redline_etag(*(version_etag(v) for v in spanned), "compare", format, clause, show_all, *rendering)
    # The next version ingested can change the answer: a day then names it, and one archived in between
    # changes the audit of the span (2.1, were it archived, would stand between 2.0 and 2.2). So a cache
    # asks again every time; the ETag makes that a 304.
    if (cached := not_modified(request, etag, NEIGHBOURS_CACHE_CONTROL)) is not None:
        return cached
    c = redlines.comparison(session, slug, old, new, held, clause=clause, changed_only=not show_all)
    if format == "html":
        html = redlines.render_html(c.redline, policy_title=c.policy_title, clause=c.clause, scope=c.scope)
        response: Response = HTMLResponse(html)
    elif format == "text":
        response = PlainTextResponse(redlines.render_text(c.redline, width=width, clause=c.clause, scope=c.scope))
    else:
        response = JSONResponse(s.plain(c.redline))
    return cacheable(response, etag, NEIGHBOURS_CACHE_CONTROL)


@router.get(
    "/policies/{slug}/clauses/{number}/history",
    response_model=results.ClauseHistory,
    summary="A clause's history across every version (follows renumbering)",
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)."}},
)
def clause_history(
    slug: Slug, number: ClauseNumber, request: Request, session: SessionDep, version: OptRef = None
) -> Response:
    # Built from every version of the policy: a tag of the body itself (a missing clause is a 404 first),
    # revalidated every time, since the next version ingested adds to it.
    body = JSONResponse(s.plain(histories.clause_history(session, slug, number, version)))
    return validated(request, body, NEIGHBOURS_CACHE_CONTROL)


@router.get(
    "/policies/{slug}/unannounced",
    response_model=s.ServiceResult,
    summary="Each revision's changed clauses that its changelog does not mention (candidates for unannounced changes)",
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)."}},
)
def unannounced(slug: Slug, request: Request, session: SessionDep) -> Response:
    storage.get_policy(session, slug)  # a 404 for an unknown policy, before any 304
    # What every version holds: a version added, re-extracted or re-dated changes the report.
    etag = redline_etag("unannounced", *(version_etag(v) for v in storage.list_versions(session, slug)))
    if (cached := not_modified(request, etag, NEIGHBOURS_CACHE_CONTROL)) is not None:
        return cached
    report = unannounced_service.unannounced(session, slug)
    return cacheable(JSONResponse(s.plain(report)), etag, NEIGHBOURS_CACHE_CONTROL)
