"""ETags, Cache-Control and conditional GET for archived (never-changing) resources."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from fastapi import Request, Response

from archive import types as t

# Archived versions do not change; a re-extraction changes their text_sha256 and so every ETag.
CACHE_CONTROL = "public, max-age=3600"
SOURCE_CACHE_CONTROL = "public, max-age=86400"
# Pages show what the archive holds now (a new version changes the home page): always revalidated.
PAGE_CACHE_CONTROL = "no-cache"


def etag_of(*parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def version_etag(v: t.VersionInfo, *parts: object) -> str:
    return etag_of(v.policy, v.label, v.sha256, v.text_sha256, v.extractor_version, *parts)


def _tags(header: str) -> Iterable[str]:
    for tag in header.split(","):
        tag = tag.strip()
        yield tag[2:] if tag.startswith("W/") else tag


def not_modified(request: Request, etag: str, cache_control: str = CACHE_CONTROL) -> Response | None:
    """A 304 when the client already holds this representation, else None."""
    header = request.headers.get("if-none-match")
    if header and (header.strip() == "*" or etag in _tags(header)):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache_control})
    return None


def cacheable(response: Response, etag: str, cache_control: str = CACHE_CONTROL) -> Response:
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = cache_control
    response.headers.setdefault("Vary", "Accept")
    return response
