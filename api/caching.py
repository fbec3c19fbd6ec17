"""ETags, Cache-Control and conditional GET for archived (never-changing) resources."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from fastapi import Request, Response

from archive import types as t
from archive.diff import redline as rl

# Archived versions do not change; a re-extraction changes their text_sha256 and so every ETag.
CACHE_CONTROL = "public, max-age=3600"
SOURCE_CACHE_CONTROL = "public, max-age=86400"
# Pages show what the archive holds now (a new version changes the home page): always revalidated.
PAGE_CACHE_CONTROL = "no-cache"
NEIGHBOURS_CACHE_CONTROL = "public, no-cache"  # a body naming other versions: revalidate every time


def etag_of(*parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def version_etag(v: t.VersionInfo, *parts: object) -> str:
    # The effective date is part of what is served (a version can be re-dated with --replace), and a
    # re-extraction may record more than the text (a clause's page breaks) while the text stays.
    return etag_of(v.policy, v.label, v.effective, v.sha256, v.text_sha256, v.extractor_version, v.extracted_at,
                   *parts)


def redline_etag(*parts: object) -> str:
    """For what the redline algorithm computes (compares, the feed's change summaries): a new
    ALGORITHM_VERSION changes what it says of the same two versions, so it changes the tag too."""
    return etag_of("redline", rl.ALGORITHM_VERSION, *parts)


def _tags(header: str) -> Iterable[str]:
    for tag in header.split(","):
        tag = tag.strip()
        yield tag[2:] if tag.startswith("W/") else tag


def not_modified(request: Request, etag: str, cache_control: str = CACHE_CONTROL) -> Response | None:
    """A 304 when the client already holds this representation, else None.

    Call it only once the resource is known to exist: `If-None-Match: *` matches any current
    representation, so asked about a missing one it must still get the 404.
    """
    header = request.headers.get("if-none-match")
    if header and (header.strip() == "*" or etag in _tags(header)):
        # The Vary of the 200 too (RFC 9110 15.4.5): a cache keeps the text/plain and JSON forms apart.
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept"})
    return None


def cacheable(response: Response, etag: str, cache_control: str = CACHE_CONTROL) -> Response:
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = cache_control
    response.headers.setdefault("Vary", "Accept")
    return response


def validated(request: Request, response: Response, cache_control: str = CACHE_CONTROL) -> Response:
    """An ETag of the bytes about to be sent, and a 304 when the client holds them.

    For small bodies built from more than the version itself (its neighbours, lineage ids assigned
    when other versions arrive): a tag of the body changes exactly when the body does.
    """
    etag = f'"{hashlib.sha256(bytes(response.body)).hexdigest()[:32]}"'
    return not_modified(request, etag, cache_control) or cacheable(response, etag, cache_control)
