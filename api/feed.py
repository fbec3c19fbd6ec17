"""Atom feed per policy: one entry per version, its change summary, a link to the redline.

An entry is `published` on the version's effective date. It is `updated` when its content last
changed: when the archive took the version in (its first extraction or a replacement of its bytes),
or took in the version before it, whose arrival rewrites this entry's "Since ..." summary (a
back-filled older version). Never by a re-extraction: reading the same document again is no news.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from api import urls
from api.caching import cacheable, not_modified, redline_etag, version_etag
from api.deps import SessionDep
from api.routes.params import Slug
from archive import types as t
from archive.db import storage
from archive.services import redlines

router = APIRouter(tags=["feeds"])

ATOM = "http://www.w3.org/2005/Atom"
TAG_AUTHORITY = "tag:policy-archive,2025:"
FEED_CACHE_CONTROL = "public, max-age=300"
FEED_SHAPE = 2  # bumped when entries say more of the same redlines (2: the changelog audit's verdict)
FEED_NAMES = 5  # unmentioned clauses named in an entry; the redline it links to lists them all


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def describe_summary(summary: Any) -> str:
    """'3 added, 1 removed, 12 modified' from a redline summary (whatever counts it carries)."""
    if isinstance(summary, dict):
        parts = [
            f"{v} {k.replace('_', ' ')}" for k, v in summary.items() if isinstance(v, int) and not isinstance(v, bool)
        ]
        if parts:
            return ", ".join(parts)
    return str(summary) if summary else "no changes recorded"


def _change_summary(session: Session, slug: str, old: str, new: str) -> str:
    redline = redlines.compare(session, slug, old, new)
    return describe_summary(redline.get("summary")) + _audit_phrase(redline.get("audit"))


def _audit_phrase(audit: dict | None) -> str:
    """What the newer version's changelog audit found, for a feed reader watching for unannounced
    changes: '; changelog: 2 changed clauses not mentioned (3.1, 3.6)'."""
    if not audit:
        return ""
    unmentioned = [u["clause"] for u in audit["unmentioned"]]
    if not unmentioned:
        return "; changelog: every changed clause accounted for"
    clauses = "clause" if len(unmentioned) == 1 else "clauses"
    named = ", ".join(unmentioned[:FEED_NAMES]) + (
        f" and {len(unmentioned) - FEED_NAMES} more" if len(unmentioned) > FEED_NAMES else ""
    )
    return f"; changelog: {len(unmentioned)} changed {clauses} not mentioned ({named})"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _entry_updated(versions: list[t.VersionInfo], archived: dict[str, dt.datetime]) -> list[dt.datetime]:
    """Per version (see the module docstring): its effective midnight, or later when it or the version
    before it was archived later; to the second."""
    out = []
    for i, v in enumerate(versions):
        moments = [_midnight(v.effective), *(archived[x.label] for x in versions[max(i - 1, 0) : i + 1]
                                             if x.label in archived)]
        out.append(max(moments).replace(microsecond=0))
    return out


def build_feed(
    base: str,
    policy: t.PolicyInfo,
    versions: list[t.VersionInfo],
    summaries: list[str],
    archived: dict[str, dt.datetime] | None = None,
) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", f"{TAG_AUTHORITY}{policy.slug}")
    _sub(feed, "title", f"{policy.title}: archived versions")
    entry_updated = _entry_updated(versions, archived or {})
    _sub(feed, "updated", max(entry_updated, default=_midnight(dt.date(2000, 1, 1))).isoformat())
    _sub(_sub(feed, "author"), "name", policy.publisher or "policy-archive")
    api = base + urls.path("policies", policy.slug)
    pages = base + urls.path("p", policy.slug)
    _sub(feed, "link", rel="self", href=f"{api}/feed.atom", type="application/atom+xml")
    # Feed readers open the alternate link: the pages for people first, the JSON for programs beside it.
    _sub(feed, "link", rel="alternate", href=f"{base}/#policy-{urls.segment(policy.slug)}", type="text/html")
    _sub(feed, "link", rel="alternate", href=f"{api}/versions", type="application/json")
    # Newest first, as feed readers expect.
    for i in reversed(range(len(versions))):
        v = versions[i]
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"{TAG_AUTHORITY}{policy.slug}/versions/{v.label}")
        _sub(entry, "title", f"{policy.title} {v.label}" + (f": {v.title}" if v.title else ""))
        _sub(entry, "updated", entry_updated[i].isoformat())
        _sub(entry, "published", _midnight(v.effective).isoformat())
        _sub(entry, "link", rel="alternate", href=f"{pages}/{urls.segment(v.label)}", type="text/html")
        _sub(entry, "link", rel="alternate", href=f"{api}/versions/{urls.segment(v.label)}", type="application/json")
        if i > 0:
            prev = versions[i - 1].label
            redline = f"{api}/compare/{urls.segment(prev)}..{urls.segment(v.label)}?format=html"
            _sub(entry, "link", rel="related", href=redline, type="text/html", title=f"Changes since {prev}")
            text = f"Version {v.label}, effective {v.effective.isoformat()}. Since {prev}: {summaries[i]}."
        else:
            text = f"Version {v.label}, effective {v.effective.isoformat()}: the first archived version."
        _sub(entry, "summary", text)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _last_change(versions: list[t.VersionInfo]) -> dt.datetime:
    """When the archive last changed what the feed says: the latest time one of its versions was
    archived or re-extracted, to the second as HTTP dates go. Not the newest effective date: a version
    archived today with an older date (a back-filled revision) changes the feed as much as a new one,
    and a reader asking If-Modified-Since must not be told otherwise."""
    if not versions:
        return _midnight(dt.date(2000, 1, 1))
    newest = max(v.extracted_at for v in versions)
    newest = newest.replace(tzinfo=dt.UTC) if newest.tzinfo is None else newest.astimezone(dt.UTC)
    return newest.replace(microsecond=0)


def _modified_since(request: Request, last_modified: dt.datetime) -> bool:
    header = request.headers.get("if-modified-since")
    if not header:
        return True
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return True
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return last_modified > since


@router.get(
    "/policies/{slug}/feed.atom",
    response_class=Response,
    summary="Atom feed of a policy's versions",
    responses={
        200: {"content": {"application/atom+xml": {"schema": {"type": "string"}}}},
        304: {"description": "Not modified."},
    },
)
def policy_feed(slug: Slug, request: Request, session: SessionDep) -> Response:
    policy = storage.get_policy(session, slug)
    versions = storage.list_versions(session, slug)
    # Its summaries come from redlines; FEED_SHAPE: what an entry says of them.
    base = urls.base_url(request).rstrip("/")
    etag = redline_etag("feed", FEED_SHAPE, base, *(version_etag(v) for v in versions))
    last_modified = _last_change(versions)
    headers = {"Last-Modified": format_datetime(last_modified, usegmt=True)}
    if (cached := not_modified(request, etag, FEED_CACHE_CONTROL)) is not None:
        cached.headers.update(headers)
        return cached
    if "if-none-match" not in request.headers and not _modified_since(request, last_modified):
        return Response(status_code=304, headers={**headers, "ETag": etag, "Cache-Control": FEED_CACHE_CONTROL})
    summaries = [""] + [
        _change_summary(session, slug, versions[i - 1].label, versions[i].label) for i in range(1, len(versions))
    ]
    body = build_feed(base, policy, versions, summaries, storage.archived_times(session, slug))
    response = Response(body, media_type="application/atom+xml", headers=headers)
    return cacheable(response, etag, FEED_CACHE_CONTROL)
