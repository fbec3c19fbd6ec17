"""Server-rendered HTML pages for people (the JSON API serves programs). Works without JavaScript.

URL scheme (every page is a GET with a stable URL; none collides with the JSON API):

    /                                      home: each policy and the timeline of its versions
    /p/{slug}?as_of=                       302 to the latest version's page, or the one in force that day
    /p/{slug}/{label}                      one version: clause tree (anchors #clause-3.6), provenance
    /p/{slug}/{YYYY-MM-DD}                 302 to the version in force that day (404 before the first)
    /p/{slug}/compare?a=&b=&clause=&all=   the compare form's target: 303 to the stable URL below; without
                                           a and b, the form itself and a link to each revision's redline
                                           (with one of them, the form again, a 400 saying what is missing)
    /p/{slug}/compare/{a}..{b}             redline (labels or YYYY-MM-DD); ?clause=3.6, ?all=1 for all
    /p/{slug}/clauses/{number}/history     one clause through every version
    /p/{slug}/unannounced                  every revision's changed clauses its changelog does not mention
    /p/search?q=&policy=&version=&as_of=&collapse=1&history=1&page=
    /p/cite?quote=&policy=&version=&as_of=
    /p/method                              how redlines and the changelog audit are made (docs/redlines.md)
    /p/static/...                          style.css, pages.js

Pages are left out of the OpenAPI schema. Every error on a page (unknown version, empty query, bad
date...) is an HTML page with the right status, not problem+json: people read these.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import Match

from api import urls
from api.caching import PAGE_CACHE_CONTROL, cacheable, not_modified
from api.deps import SessionDep, SettingsDep
from api.pages import docs, views
from archive.clauses import plain_number
from archive.db import storage
from archive.diff.render import (
    SUBSECTIONS_NOTE,
    fold_ops,
    item_number,
    nature_label,
    other_note,
    silent_revisions,
    similarity_text,
)
from archive.errors import ArchiveError, ClauseNotFound, InvalidInput, VersionNotArchived
from archive.services import cite as cite_service
from archive.services import histories
from archive.services import unannounced as unannounced_service
from archive.services.versions import resolve_version, unarchived_versions, version_in_force

HERE = Path(__file__).parent
log = logging.getLogger("policy_archive.pages")

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,  # everything user-supplied is escaped; only service-escaped snippets are |safe
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["notes"] = views.notes
env.filters["excerpt"] = views.excerpt
env.globals.update(
    anchor=views.anchor,
    version_url=views.version_url,
    quote_url=views.quote_url,
    compare_url=views.compare_url,
    history_url=views.history_url,
    web_url=views.web_url,
    unchecked=views.unchecked,
    checked=views.checked,
    text_changed=views.text_changed,
    nature_label=nature_label,
    other_note=other_note,
    item_number=item_number,
    subsections_note=SUBSECTIONS_NOTE,
    plain_number=plain_number,
    silent_revisions=silent_revisions,
    similarity_text=similarity_text,
    pages_text=views.pages_text,
    clause_name=views.clause_name,
    extractor_name=views.extractor_name,
    fold_ops=fold_ops,
    paragraphs=views.paragraphs,
)


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("query", {})
    return HTMLResponse(env.get_template(name).render(**context), status_code=status_code)


def error_page(
    status: int, title: str, message: str, request: Request, links: list[tuple[str, str]] | None = None
) -> HTMLResponse:
    return render("error.html", status, title=title, message=message, status=status, path=request.url.path,
                  links=links or [])


def _nearest(exc: ArchiveError) -> list[tuple[str, str]]:
    """For a version the archive does not hold, links to the archived versions either side of it."""
    if not isinstance(exc, VersionNotArchived):
        return []
    slug, x = str(exc.extra["policy"]), exc.extra
    return [(views.version_url(slug, str(x[side])), f"Version {x[side]}, the archived version {side} it")
            for side in ("before", "after") if x.get(side)]


class PageRoute(APIRoute):
    """Turns every failure on a page into an HTML error page with the right status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return _validated(request, await handler(request))
            except ArchiveError as exc:
                return error_page(exc.status, exc.title, exc.message, request, _nearest(exc))
            except RequestValidationError:
                return error_page(400, "Bad request", "The address has a value this page cannot use.", request)
            except SQLAlchemyError:
                log.exception("database error on %s", request.url.path)
                return error_page(503, "Service unavailable", "The archive's database is not answering.", request)
            except Exception:  # a person in a browser gets a page, not the API's JSON problem
                log.exception("internal error on %s", request.url.path)
                return error_page(500, "Internal error", "Something went wrong on our side; it has been logged.",
                                  request)

        return page_handler


def _validated(request: Request, response: Response) -> Response:
    """A rendered page gets an ETag of its bytes, revalidated on every use ("no-cache": a new
    version or a re-extraction changes the home and version pages), and a 304 when it still matches."""
    if response.status_code != 200 or not isinstance(response, HTMLResponse):
        return response
    etag = f'"{hashlib.sha256(response.body).hexdigest()[:32]}"'
    return not_modified(request, etag, PAGE_CACHE_CONTROL) or cacheable(response, etag, PAGE_CACHE_CONTROL)


router = APIRouter(include_in_schema=False, route_class=PageRoute, default_response_class=HTMLResponse)


def _policy(session, slug: str):
    views.check(slug, views.SLUG_RE, "policy")
    return storage.get_policy(session, slug)


@router.get("/")
def home(session: SessionDep) -> HTMLResponse:
    policies = [
        {"p": p, "timeline": views.timeline(session, p.slug),
         "unarchived": unarchived_versions(session, p.slug)}
        for p in storage.list_policies(session)
    ]
    return render("home.html", policies=policies, title="Policy archive")


@router.get("/p/search")
def search_page(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    from archive.services import search

    params = request.query_params
    form = {k: params.get(k, "") for k in ("q", "policy", "version", "as_of")}
    form["collapse"] = params.get("collapse") == "1"
    form["history"] = params.get("history") == "1"
    ctx: dict[str, Any] = {
        "form": form,
        "policies": storage.list_policies(session),
        "labels": sorted({v.label for v in storage.list_versions(session)}),
        "result": None,
        "phrases": None,
        "title": "Search",
    }
    if "q" not in params:
        return render("search.html", **ctx)
    if not form["q"].strip():
        raise InvalidInput("The search box was empty: type a word or a \"quoted phrase\" to search for.")
    try:
        page = int(params.get("page", "1"))
    except ValueError:
        raise InvalidInput("page must be a whole number") from None
    ctx["title"] = f"Search: {form['q']}"
    try:
        policy = views.check(form["policy"], views.SLUG_RE, "policy")
        version = views.check(form["version"], views.LABEL_RE, "version")
        as_of = views.parse_date(form["as_of"], "as-of date")
        ctx["result"] = search.search(
            settings, session, q=form["q"], policy=policy, version=version, as_of=as_of,
            page=page, per_page=20, collapse=form["collapse"],
        )
        if form["history"]:
            ctx["phrases"] = search.phrase_history(settings, session, form["q"], policy=policy)
    except ArchiveError as exc:  # said above the form, filled in as sent, to be corrected there
        return render("search.html", exc.status, error=exc.message, error_links=_nearest(exc), **ctx)
    return render("search.html", **ctx)


@router.get("/p/cite")
def cite_page(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    from archive.services import search

    params = request.query_params
    form = {k: params.get(k, "") for k in ("quote", "policy", "version", "as_of")}
    ctx: dict[str, Any] = {
        "form": form,
        "policies": storage.list_policies(session),
        "labels": sorted({v.label for v in storage.list_versions(session)}),
        "result": None,
        "title": "Cite a quote",
    }
    if "quote" not in params:
        return render("cite.html", **ctx)
    if not form["quote"].strip():
        raise InvalidInput("The quote box was empty: paste the words you want to cite.")
    try:
        ctx["result"] = result = search.resolve(
            settings, session, quote=form["quote"],
            policy=views.check(form["policy"], views.SLUG_RE, "policy"),
            version=views.check(form["version"], views.LABEL_RE, "version"),
            as_of=views.parse_date(form["as_of"], "as-of date"),
        )
    except ArchiveError as exc:  # said above the form, filled in as sent, to be corrected there
        return render("cite.html", exc.status, error=exc.message, error_links=_nearest(exc), **ctx)
    # Each match shown, in each citation format (the closest passages are not the quote: none for them).
    ctx["cite_as_all"] = [
        views.cite_blocks(cite_service.of_match(session, m, form["quote"], base_url=urls.base_url(request)))
        for m in result["matches"][: views.MATCHES_SHOWN]
    ]
    return render("cite.html", **ctx)


@router.get("/p/method")
def method_page() -> HTMLResponse:
    title, body = docs.page("method")
    return render("doc.html", title=title, body=body)


@router.get("/p/{slug}")
def policy_latest(slug: str, request: Request, session: SessionDep) -> RedirectResponse:
    """The latest version's page; with ?as_of=YYYY-MM-DD (the home page's form), the version in force
    that day."""
    _policy(session, slug)
    day = views.parse_date(request.query_params.get("as_of"), "date")
    target = storage.latest_version(session, slug) if day is None else version_in_force(session, slug, day)
    return RedirectResponse(views.version_url(slug, target.label), status_code=302)


@router.get("/p/{slug}/compare")
def compare_form(slug: str, request: Request, session: SessionDep) -> Response:
    """The compare form is a GET; send it on to the comparison's stable URL. Without versions, the form
    itself (the forms' own URL, bookmarked or trimmed)."""
    policy = _policy(session, slug)
    params = request.query_params
    # The form sends a and b; a hand-made URL may well say from and to.
    a = (params.get("a") or params.get("from") or "").strip()
    b = (params.get("b") or params.get("to") or "").strip()
    clause = plain_number(params.get("clause", "")) or None  # "§3.6" typed in the form: clause=3.6
    if not a or not b:
        versions = storage.list_versions(session, slug)
        # One version only is a usage error, said above the form, with what was given filled in.
        error, chosen = {}, ("", "", clause)
        if a or b:
            fa, fb, missing = views.half_filled(session, slug, versions, a, b)
            error, chosen = {"error": missing}, (fa, fb, clause)
        return render("compare_choose.html", 400 if error else 200, policy=policy, versions=versions,
                      title=f"Compare: {policy.title}", pairs=list(zip(versions, versions[1:], strict=False))[::-1],
                      chosen=chosen, **error)
    for ref in (a, b):
        views.check(ref, views.LABEL_RE, "version")
        if ".." in ref:
            raise InvalidInput(f"version '{ref}' is not valid")
    views.check(clause, views.CLAUSE_RE, "clause")
    url = views.compare_url(slug, a, b, clause=clause, show_all=params.get("all") == "1")
    return RedirectResponse(url, status_code=303)


@router.get("/p/{slug}/compare/{a}..{b}")
def compare_page(slug: str, a: str, b: str, request: Request, session: SessionDep) -> HTMLResponse:
    started = time.perf_counter()
    _policy(session, slug)
    a, b = (views.required(ref, views.LABEL_RE, "version") for ref in (a, b))
    clause = views.check(request.query_params.get("clause") or None, views.CLAUSE_RE, "clause")
    show_all = request.query_params.get("all") == "1"
    try:
        ctx = views.compare_view(session, slug, a, b, clause=clause, show_all=show_all)
    except ClauseNotFound as exc:  # the versions are there: offer their whole comparison
        whole = [(views.compare_url(slug, a, b), f"The whole comparison, {a} → {b}")]
        return error_page(exc.status, exc.title, exc.message, request, whole)
    title = f"{ctx['policy'].title}: {ctx['va'].label} → {ctx['vb'].label}" + (f", clause {clause}" if clause else "")
    response = render("compare.html", title=title, **ctx)
    response.headers["Server-Timing"] = f"render;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


@router.get("/p/{slug}/unannounced")
def unannounced_page(slug: str, session: SessionDep) -> HTMLResponse:
    policy = _policy(session, slug)
    report = unannounced_service.unannounced(session, slug)
    return render("unannounced.html", policy=policy, r=report, title=f"What the changelogs leave out: {policy.title}",
                  formats=views.unannounced_formats(slug))


@router.get("/p/{slug}/clauses/{number}/history")
def history_page(slug: str, number: str, session: SessionDep, version: str | None = None) -> HTMLResponse:
    _policy(session, slug)
    number = views.required(number, views.CLAUSE_RE, "clause")
    version = views.check(version, views.LABEL_RE, "version")  # "?version=" is no version: the latest
    hist = histories.clause_history(session, slug, number, version)
    policy = storage.get_policy(session, slug)
    named = next(e["clause"] for e in hist["versions"] if e["version"] == hist["looked_up_in"])
    return render(
        "history.html", policy=policy, h=hist, title=f"History of {views.clause_name(named)}: {policy.title}",
        formats=views.history_formats(slug, number, version),
    )


@router.get("/p/{slug}/{label}")
def version_page(slug: str, label: str, request: Request, session: SessionDep) -> Response:
    _policy(session, slug)
    label = views.required(label, views.LABEL_RE, "version")
    info = resolve_version(session, slug, label)
    if info.label != label:  # a day (YYYY-MM-DD): the version in force then, at its own address
        return RedirectResponse(views.version_url(slug, info.label), status_code=302)
    ctx = views.version_view(session, slug, label)
    ref = cite_service.reference(session, slug, label, base_url=urls.base_url(request))
    return render("version.html", title=f"{ctx['policy'].title} {label}", cite=views.cite_blocks(ref),
                  meta=views.citation_meta(ref), **ctx)


@router.get("/p")
def pages_root() -> RedirectResponse:
    return RedirectResponse("/", status_code=308)  # the pages start at the home page


def _without_trailing_slash(request: Request) -> str | None:
    """The canonical URL of a page asked for with trailing slashes, if a page is there without them.

    API routes get this from the router (redirect_slashes); the catch-all below would swallow it here.
    """
    raw = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
    location = raw.rstrip("/")  # the path as sent, still percent-encoded
    slashes = len(raw) - len(location)
    if not slashes:
        return None  # an encoded slash (%2F) is part of a name, not a trailing slash
    if location == "/p":
        return "/"
    probe = {**request.scope, "path": request.url.path[:-slashes]}
    if not any(r.matches(probe)[0] is Match.FULL for r in router.routes if r.name != "not_found"):
        return None
    return location + (f"?{request.url.query}" if request.url.query else "")


@router.get("/p/{rest:path}")
def not_found(rest: str, request: Request) -> Response:
    if request.url.path.endswith("/") and (canonical := _without_trailing_slash(request)):
        return RedirectResponse(canonical, status_code=308)
    return error_page(404, "Page not found", "There is no page at this address.", request)


def install(app: FastAPI) -> None:
    """Mount the static files and the pages (after the JSON API, so API routes win)."""
    app.mount("/p/static", StaticFiles(directory=HERE / "static"), name="pages-static")
    app.include_router(router)
