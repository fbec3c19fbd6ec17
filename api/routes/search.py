"""Search, quote resolution, phrase history and the bulk citation check (read-only, POSTs included)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api import results
from api import schemas as s
from api.dates import IsoDate
from api.deps import PaginationDep, SessionDep, SettingsDep
from api.routes.params import OptPolicy, OptVersion
from archive.errors import InvalidInput
from archive.services import search as search_service
from archive.settings import Settings

router = APIRouter(tags=["search"])


def _check_length(settings: Settings, name: str, value: str | None, *, required: bool = False) -> None:
    if value is None:
        return
    if len(value) > settings.max_query_length:
        raise InvalidInput(f"{name} is longer than {settings.max_query_length} characters")
    if required and not value.strip():
        raise InvalidInput(f"{name} is empty")


# No length bounds here: _check_length applies the one limit (settings.max_query_length), so a
# too-long or empty text gets the same 400 and detail whatever its length.
Text = Annotated[str, Query()]
OptText = Annotated[str | None, Query()]
OptDate = Annotated[IsoDate | None, Query(description="Only the version in force on this date (YYYY-MM-DD).")]


@router.get("/search", response_model=results.SearchResult, summary="Full-text search across versions")
def search(
    settings: SettingsDep,
    session: SessionDep,
    pagination: PaginationDep,
    request: Request,
    q: Annotated[str, Query(description='Words, "phrases", AND/OR/NOT.')],
    policy: OptPolicy = None,
    version: OptVersion = None,
    as_of: OptDate = None,
    effective_from: Annotated[IsoDate | None, Query(description="Versions effective on or after.")] = None,
    effective_to: Annotated[IsoDate | None, Query(description="Versions effective on or before.")] = None,
    sort: Annotated[Literal["relevance", "date"], Query(description="Order of hits.")] = "relevance",
    collapse: Annotated[bool, Query(description="One hit per clause lineage (latest version).")] = False,
) -> JSONResponse:
    _check_length(settings, "q", q, required=True)
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
    links = pagination.links(request, result["total"])
    return JSONResponse(
        s.plain({**result, **links}),
        headers={"Link": pagination.link_header(request, result["total"])},
    )


@router.get("/phrases/history", response_model=results.PhraseHistory, summary="When a phrase appeared and disappeared")
def phrase_history(settings: SettingsDep, session: SessionDep, q: Text, policy: OptPolicy = None) -> JSONResponse:
    _check_length(settings, "q", q, required=True)
    return JSONResponse(s.plain(search_service.phrase_history(settings, session, q, policy=policy)))


def _resolve(settings: Settings, session, sel: s.TextQuoteSelector, quote_name: str = "exact") -> JSONResponse:
    _check_length(settings, quote_name, sel.exact, required=True)
    for name in ("prefix", "suffix"):
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


@router.get("/resolve", response_model=results.Resolution, summary="Find where a quote is (found, ambiguous, orphaned)")
def resolve_get(
    settings: SettingsDep,
    session: SessionDep,
    q: Annotated[str, Query(description="The exact quote.")],
    prefix: OptText = None,
    suffix: OptText = None,
    policy: OptPolicy = None,
    version: OptVersion = None,
    as_of: OptDate = None,
) -> JSONResponse:
    sel = s.TextQuoteSelector(exact=q, prefix=prefix, suffix=suffix, policy=policy, version=version, as_of=as_of)
    return _resolve(settings, session, sel, quote_name="q")


@router.post("/resolve", response_model=results.Resolution, summary="Resolve a W3C TextQuoteSelector")
def resolve_post(selector: s.TextQuoteSelector, settings: SettingsDep, session: SessionDep) -> JSONResponse:
    return _resolve(settings, session, selector)


@router.post("/citations/check", response_model=s.ServiceResult, summary="Check many citations at once")
def check_citations(body: s.CitationCheck, settings: SettingsDep, session: SessionDep) -> JSONResponse:
    for i, c in enumerate(body.citations):
        _check_length(settings, f"citations.{i}.quote", c.quote, required=True)
    citations = [c.model_dump(exclude_none=True) for c in body.citations]
    return JSONResponse(s.plain(search_service.check_citations(settings, session, citations)))
