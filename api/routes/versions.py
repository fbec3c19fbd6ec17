"""One archived version: metadata and provenance, text, clause tree, one clause, the source file."""

from __future__ import annotations

import base64
import hashlib
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from sqlalchemy.orm import Session

from api import schemas as s
from api import urls
from api.caching import NEIGHBOURS_CACHE_CONTROL, SOURCE_CACHE_CONTROL, cacheable, not_modified, validated, version_etag
from api.deps import SessionDep, SettingsDep
from api.negotiation import preferred
from api.routes.params import CLAUSE_PATTERN, ClauseNumber, Ref, Slug
from archive import cite
from archive import types as t
from archive.db import storage
from archive.errors import NotFound
from archive.services import cite as cite_service
from archive.services.versions import resolve_version

router = APIRouter(tags=["versions"])
# Part of the JSON text's ETag: bumped when its shape changes (2: pages carry header and footer), so a
# cache holding the older body is not told it is current.
PAGE_JSON_SHAPE = 2

_EXTENSIONS = {"application/pdf": "pdf", "text/plain": "txt", "text/html": "html"}
NOT_MODIFIED = {304: {"description": "Not modified (If-None-Match matched the ETag)."}}
IN_FORCE = {302: {"description": "A date (YYYY-MM-DD) given for the version: the same resource of the version "
                                 "in force that day, at its label's URL (Location)."}}


def _in_force(request: Request, session: Session, slug: str, ref: str) -> t.VersionInfo | RedirectResponse:
    """The version a label names, or for a day the redirect to the same path under the label of the
    version then in force (as /as-of/ does for the version itself): one URL per version and resource."""
    info = resolve_version(session, slug, ref)
    if info.label == ref:
        return info
    prefix = urls.path("policies", slug, "versions", ref)
    rest = request.url.path[len(prefix):] if request.url.path.startswith(prefix) else ""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(urls.path("policies", slug, "versions", info.label) + rest + query, status_code=302)


@router.get(
    "/policies/{slug}/versions/{label}",
    response_model=s.VersionDetail,
    summary="A version's metadata and provenance",
    responses={**NOT_MODIFIED, **IN_FORCE},
)
def get_version(slug: Slug, label: Ref, request: Request, session: SessionDep) -> Response:
    if isinstance(info := _in_force(request, session, slug, label), RedirectResponse):
        return info
    labels = [v.label for v in storage.list_versions(session, slug)]
    at = labels.index(label)
    detail = s.VersionDetail(
        **s.VersionSummary.of(info).model_dump(),
        previous=labels[at - 1] if at > 0 else None,
        next=labels[at + 1] if at + 1 < len(labels) else None,
        provenance=s.Provenance(
            status=info.status,
            sha256=info.sha256,
            reference_sha256=info.reference_sha256,
            source_url=info.source_url,
            origin=info.origin,
            extractor=info.extractor,
            extractor_version=info.extractor_version,
            engine_version=info.engine_version,
            extracted_at=s.utc(info.extracted_at),
            text_sha256=info.text_sha256,
            snapshots=storage.snapshot_history(session, slug, label),
            extraction_log=storage.extraction_log(session, slug, label),
        ),
    )
    # previous/next change when a version arrives, which no tag of this version alone would show; and
    # a cache must ask again each time (a 304, cheap), or the newest version says next: null for an hour.
    return validated(request, JSONResponse(s.plain(detail)), NEIGHBOURS_CACHE_CONTROL)


def _wants_json(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        return fmt == "json"
    # Plain text first: it wins ties and is the answer when the header rules out both.
    return preferred(request.headers.get("accept"), ("text/plain", "application/json")) == "application/json"


@router.get(
    "/policies/{slug}/versions/{label}/text",
    response_model=s.VersionText,
    summary="A version's text: plain (pages separated by a form feed) or JSON by pages",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **NOT_MODIFIED, **IN_FORCE},
)
def get_text(
    slug: Slug,
    label: Ref,
    request: Request,
    session: SessionDep,
    page: Annotated[int | None, Query(ge=1, le=100_000, description="Only this page (1-based).")] = None,
    format: Annotated[
        Literal["text", "json"] | None,
        Query(description="text/plain or JSON; by default from the Accept header."),
    ] = None,
) -> Response:
    if isinstance(info := _in_force(request, session, slug, label), RedirectResponse):
        return info
    as_json = _wants_json(request, format)
    if page is not None and page > info.page_count:
        raise NotFound(f"version {label} of '{slug}' has {info.page_count} pages, not {page}")
    etag = version_etag(info, "text", page, as_json and PAGE_JSON_SHAPE)
    if (cached := not_modified(request, etag)) is not None:
        return cached
    if as_json or page is not None:
        rows = storage.pages(session, slug, label)
        if page is not None:
            rows = [p for p in rows if p.number == page]
        if as_json:
            body = s.VersionText(
                policy=slug,
                version=label,
                page_count=info.page_count,
                pages=[s.PageText(number=p.number, text=p.text, header=p.header, footer=p.footer) for p in rows],
            )
            return cacheable(JSONResponse(s.plain(body)), etag)
        text = t.PAGE_SEPARATOR.join(p.text for p in rows)
    else:
        text = storage.version_text(session, slug, label)
    return cacheable(PlainTextResponse(text), etag)


def _tree(nodes: list[t.Clause]) -> list[s.ClauseNode]:
    built = [
        s.ClauseNode(
            position=i,
            number=c.number,
            title=c.title,
            level=c.level,
            page_start=c.page_start,
            page_end=c.page_end,
            lineage=c.lineage,
        )
        for i, c in enumerate(nodes)
    ]
    roots: list[s.ClauseNode] = []
    for node, c in zip(built, nodes, strict=True):
        (built[c.parent].children if c.parent is not None else roots).append(node)
    return roots


@router.get(
    "/policies/{slug}/versions/{label}/clauses",
    response_model=s.ClauseTree,
    summary="A version's clause tree",
    responses={**NOT_MODIFIED, **IN_FORCE},
)
def get_clauses(slug: Slug, label: Ref, request: Request, session: SessionDep) -> Response:
    if isinstance(info := _in_force(request, session, slug, label), RedirectResponse):
        return info
    nodes = storage.clauses(session, slug, label)
    body = s.ClauseTree(policy=slug, version=label, count=len(nodes), clauses=_tree(nodes))
    return validated(request, JSONResponse(s.plain(body)))  # lineage ids can change as versions arrive


def _ref(i: int, c: t.Clause) -> s.ClauseRef:
    return s.ClauseRef(position=i, number=c.number, title=c.title)


@router.get(
    "/policies/{slug}/versions/{label}/clauses/{number}",
    response_model=s.ClauseDetail,
    summary="One clause of a version",
    responses={**NOT_MODIFIED, **IN_FORCE},
)
def get_clause(slug: Slug, label: Ref, number: ClauseNumber, request: Request, session: SessionDep) -> Response:
    if isinstance(info := _in_force(request, session, slug, label), RedirectResponse):
        return info
    position, c = storage.find_clause(session, slug, label, number)
    nodes = storage.clauses(session, slug, label)
    body = s.ClauseDetail(
        policy=slug,
        version=label,
        position=position,
        number=c.number,
        title=c.title,
        level=c.level,
        text=c.text,
        page_start=c.page_start,
        page_end=c.page_end,
        char_start=c.char_start,
        char_end=c.char_end,
        lineage=c.lineage,
        footnotes=[s.Footnote(marker=f.marker, text=f.text, page=f.page) for f in c.footnotes],
        parent=_ref(c.parent, nodes[c.parent]) if c.parent is not None else None,
        children=[_ref(i, n) for i, n in enumerate(nodes) if n.parent == position],
        links={
            "self": urls.path("policies", slug, "versions", label, "clauses", c.label),
            "version": urls.path("policies", slug, "versions", label),
            # With its version: a later version may give this number to another clause.
            "history": urls.path("policies", slug, "clauses", c.label, "history") + f"?version={urls.segment(label)}",
        },
    )
    return validated(request, JSONResponse(s.plain(body)))


@router.get(
    "/policies/{slug}/versions/{label}/source",
    response_class=Response,
    summary="The archived source file, byte for byte",
    responses={
        200: {
            "description": "The archived bytes; their sha256 in X-Content-SHA256, Repr-Digest and the ETag. "
            "X-Provenance-Status says whether they are the publisher's file (verified: the sha256 the "
            "publisher's is recorded as), another file (unverified) or cannot be told (no-reference); "
            'Link rel="original" names the publisher\'s URL.',
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        **NOT_MODIFIED,
        **IN_FORCE,
    },
)
def get_source(slug: Slug, label: Ref, request: Request, session: SessionDep) -> Response:
    if isinstance(info := _in_force(request, session, slug, label), RedirectResponse):
        return info
    etag = f'"{info.sha256}"'  # the content hash is the natural strong validator
    if (cached := not_modified(request, etag, SOURCE_CACHE_CONTROL)) is not None:
        return cached
    content, sha256, media_type = storage.snapshot_content(session, slug, label)
    b64 = base64.b64encode(hashlib.sha256(content).digest()).decode()
    response = Response(
        content,
        media_type=media_type,
        headers={
            "X-Content-SHA256": sha256,
            "Repr-Digest": f"sha-256=:{b64}:",  # RFC 9530
            "Digest": f"sha-256={b64}",  # the older RFC 3230 form, still read by some clients
            "Content-Disposition": f'inline; filename="{slug}-{label}.{_EXTENSIONS.get(media_type, "bin")}"',
            # A program saving these bytes must not take a reconstruction for the publisher's file.
            "X-Provenance-Status": str(info.status),
        },
    )
    if info.source_url and urlsplit(info.source_url).scheme in ("http", "https"):
        response.headers["Link"] = f'<{info.source_url}>; rel="original"'  # as Memento names it
    return cacheable(response, etag, SOURCE_CACHE_CONTROL)


@router.get(
    "/policies/{slug}/versions/{label}/cite",
    summary="Cite a version, one of its clauses or a quote in it: BibTeX, CSL-JSON or Wikipedia's {{cite web}}",
    response_class=Response,
    responses={
        200: {
            "content": {
                media: {"schema": {"type": "array", "items": {"type": "object"}} if fmt == "csl-json"
                        else {"type": "string"}}
                for fmt, media in cite.MEDIA_TYPES.items()
            },
            "description": "The citation in the format asked for.",
        },
        **IN_FORCE,
    },
)
def cite_version(
    slug: Slug,
    label: Ref,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    format: Annotated[Literal["bibtex", "csl-json", "wikitext"], Query(description="Citation format.")] = "bibtex",
    clause: Annotated[
        str | None, Query(pattern=CLAUSE_PATTERN, description="Cite this clause (number, or title) and its pages.")
    ] = None,
    quote: Annotated[
        str | None, Query(min_length=1, description="Cite this passage: its clause and pages in the version.")
    ] = None,
) -> Response:
    """The publisher's document is what is cited; the archive's copy is named as an archived copy only
    when its bytes match the publisher's recorded hash."""
    if isinstance(in_force := _in_force(request, session, slug, label), RedirectResponse):
        return in_force  # a date: the citation of the version then in force, at its own URL
    ref = cite_service.reference(
        session, slug, label, clause=clause, quote=quote, settings=settings, base_url=urls.base_url(request)
    )
    return Response(cite_service.as_text(ref, format), media_type=f"{cite.MEDIA_TYPES[format]}; charset=utf-8")
