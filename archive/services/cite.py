"""Citations of a version, a clause of it or a quote in it, in the formats of archive.cite.

`reference` gathers what a citation needs from storage (and the search index, for a quote); the
formats themselves are pure (archive.cite). `base_url` is where the archive is served ("" for
relative links): the archived copy's address is absolute only when the caller knows its own.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote as quote_segment

from sqlalchemy.orm import Session

from archive import cite
from archive import types as t
from archive.db import storage
from archive.errors import InvalidInput, NotFound
from archive.search.quotes import section_name
from archive.services.search import resolve
from archive.services.versions import resolve_version
from archive.settings import Settings


def reference(
    session: Session,
    slug: str,
    version: str,
    *,
    clause: str | None = None,
    quote: str | None = None,
    settings: Settings | None = None,
    base_url: str = "",
    today: dt.date | None = None,
) -> cite.Reference:
    """The citation of version `version` (a label, or a day: the version in force) of policy `slug`;
    with `clause`, of that clause and its pages; with `quote` (which needs `settings`, for the search
    index), of the passage: its clause and pages in that version, NotFound when it is not there."""
    if clause is not None and quote is not None:
        raise InvalidInput("give a clause or a quote to cite, not both")
    info = resolve_version(session, slug, version)
    if quote is not None:
        return of_match(session, _passage(session, settings, slug, info.label, quote), quote,
                        base_url=base_url, today=today)
    if clause is None:
        return _reference(session, info, base_url, today)
    _, c = storage.find_clause(session, slug, info.label, clause, any_title=True)
    return _reference(session, info, base_url, today, section=section_name(c.number, c.title),
                      page_first=c.page_start, page_last=c.page_end)


def of_match(session: Session, match: dict, quote: str, *, base_url: str = "",
             today: dt.date | None = None) -> cite.Reference:
    """The citation of a resolved quote (a match as archive.services.search.resolve describes it):
    its clause, pages and footnote, with the quote as the reader gave it."""
    info = storage.get_version(session, match["policy"], match["version"])
    c = match["clause"]
    return _reference(
        session, info, base_url, today, section=section_name(c["number"], c["title"]), page_first=match["page"],
        page_last=match["page_end"], footnote=match["in_footnote"] or "", quote=" ".join(quote.split()),
    )


def _reference(session: Session, info: t.VersionInfo, base_url: str, today: dt.date | None,
               **passage: object) -> cite.Reference:
    """What every citation of `info` carries, with `passage` (section, pages, footnote, quote)."""
    policy = storage.get_policy(session, info.policy)
    return cite.Reference(
        publisher=policy.publisher, policy_title=policy.title, version=info.label, effective=info.effective,
        url=info.source_url, accessed=today or dt.date.today(), **_archived_copy(session, info, base_url),
        **passage,  # type: ignore[arg-type]
    )


def as_text(ref: cite.Reference, fmt: str) -> str:
    if fmt not in cite.FORMATS:
        raise InvalidInput(f"no citation format '{fmt}' (one of {', '.join(cite.FORMATS)})")
    return cite.FORMATS[fmt](ref)


def _archived_copy(session: Session, info: t.VersionInfo, base_url: str) -> dict:
    """The archived bytes as a copy of the publisher's document: only when they are the publisher's."""
    if info.status != t.SnapshotStatus.VERIFIED:
        return {}
    current = next(s for s in storage.snapshot_history(session, info.policy, info.label) if s["current"])
    source = f"/policies/{quote_segment(info.policy, safe='')}/versions/{quote_segment(info.label, safe='')}/source"
    retrieved = dt.date.fromisoformat(current["retrieved_at"][:10])
    return {"archived_url": base_url.rstrip("/") + source, "archived_on": retrieved}


def _passage(session: Session, settings: Settings | None, slug: str, label: str, quote: str) -> dict:
    """Where the quote stands in that version: the first match in the body text, else in a footnote."""
    if settings is None:
        raise ValueError("citing a quote needs the settings (the search index)")
    matches = resolve(settings, session, quote=quote, policy=slug, version=label)["matches"]
    if not matches:
        raise NotFound(f"the quote is not in version {label} of '{slug}'")
    return next((m for m in matches if not m["in_footnote"]), matches[0])
