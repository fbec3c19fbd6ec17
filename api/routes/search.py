"""Search, quote resolution, phrase history and the bulk citation check (read-only, POSTs included)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api import schemas as s
from api.deps import PaginationDep, SessionDep, SettingsDep
from api.routes.params import OptPolicy, OptVersion
from archive.errors import InvalidInput
from archive.services import search as search_service
from archive.settings import Settings

router = APIRouter(tags=["search"])


def _check_length(settings: Settings, name: str, value: str | None) -> None:
    if value is not None and len(value) > settings.max_query_length:
        raise InvalidInput(f"{name} is longer than {settings.max_query_length} characters")
    if value is not None and not value.strip() and name in ("q", "quote", "exact"):
        raise InvalidInput(f"{name} is empty")


Text = Annotated[str, Query(min_length=1, max_length=10_000)]
OptText = Annotated[str | None, Query(max_length=10_000)]


@router.get("/search", response_model=s.ServiceResult, summary="Full-text search across versions")
def search(
    settings: SettingsDep,
    session: SessionDep,
    pagination: PaginationDep,
    q: Annotated[str, Query(min_length=1, max_length=10_000, description='Words, "phrases", AND/OR/NOT.')],
    policy: OptPolicy = None,
    version: OptVersion = None,
    as_of: Annotated[dt.date | None, Query(description="Only the version in force on this date.")] = None,
    effective_from: Annotated[dt.date | None, Query(description="Versions effective on or after.")] = None,
    effective_to: Annotated[dt.date | None, Query(description="Versions effective on or before.")] = None,
    sort: Annotated[Literal["relevance", "date"], Query(description="Order of hits.")] = "relevance",
    collapse: Annotated[bool, Query(description="One hit per clause lineage (latest version).")] = False,
) -> JSONResponse:
    _check_length(settings, "q", q)
    if effective_from and effective_to and effective_from > effective_to:
        raise InvalidInput("effective_from is after effective_to")
    result = search_service.search(
        settings,
        session,
        q=q,
        policy=policy,
        version=version,
        as_of=as_of,
        effective_from=effective_from,
        effective_to=effective_to,
        sort=sort,
        page=pagination.page,
        per_page=pagination.per_page,
        collapse=collapse,
    )
    return JSONResponse(s.plain(result))


@router.get("/phrases/history", response_model=s.ServiceResult, summary="When a phrase appeared and disappeared")
def phrase_history(settings: SettingsDep, session: SessionDep, q: Text, policy: OptPolicy = None) -> JSONResponse:
    _check_length(settings, "q", q)
    return JSONResponse(s.plain(search_service.phrase_history(settings, session, q, policy=policy)))


def _resolve(settings: Settings, session, sel: s.TextQuoteSelector) -> JSONResponse:
    for name in ("exact", "prefix", "suffix"):
        _check_length(settings, name, getattr(sel, name))
    result = search_service.resolve(
        settings,
        session,
        quote=sel.exact,
        prefix=sel.prefix,
        suffix=sel.suffix,
        policy=sel.policy,
        version=sel.version,
        as_of=sel.as_of,
    )
    return JSONResponse(s.plain(result))


@router.get("/resolve", response_model=s.ServiceResult, summary="Find where a quote is (found, ambiguous, orphaned)")
def resolve_get(
    settings: SettingsDep,
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=10_000, description="The exact quote.")],
    prefix: OptText = None,
    suffix: OptText = None,
    policy: OptPolicy = None,
    version: OptVersion = None,
    as_of: dt.date | None = None,
) -> JSONResponse:
    sel = s.TextQuoteSelector(exact=q, prefix=prefix, suffix=suffix, policy=policy, version=version, as_of=as_of)
    return _resolve(settings, session, sel)


@router.post("/resolve", response_model=s.ServiceResult, summary="Resolve a W3C TextQuoteSelector")
def resolve_post(selector: s.TextQuoteSelector, settings: SettingsDep, session: SessionDep) -> JSONResponse:
    return _resolve(settings, session, selector)


@router.post("/citations/check", response_model=s.ServiceResult, summary="Check many citations at once")
def check_citations(body: s.CitationCheck, settings: SettingsDep, session: SessionDep) -> JSONResponse:
    for c in body.citations:
        _check_length(settings, "quote", c.quote)
    citations = [c.model_dump(exclude_none=True) for c in body.citations]
    return JSONResponse(s.plain(search_service.check_citations(settings, session, citations)))
