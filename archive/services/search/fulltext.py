"""Full-text search over every clause of every version, and a phrase's history across versions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session
from whoosh import query as wq

from archive.db import storage
from archive.errors import InvalidInput
from archive.search import quotes as qt
from archive.search.index import IndexedClause
from archive.search.query import check_text, parse, phrase
from archive.search.searching import SORTS, all_docs, and_filters, run_search
from archive.services.search.index import ensure_index
from archive.services.search.scope import day, index_filter, scope_of
from archive.settings import Settings


def search(
    settings: Settings,
    session: Session,
    *,
    q: str,
    policy: str | None = None,
    version: str | None = None,
    as_of: dt.date | str | None = None,
    effective_from: dt.date | str | None = None,
    effective_to: dt.date | str | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    collapse: bool = False,
) -> dict:
    """Full-text search over every clause of every version (see archive.search.query for syntax)."""
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}, not '{sort}'")
    if page < 1:
        raise InvalidInput("page must be 1 or more")
    if not 1 <= per_page <= settings.page_size_cap:
        raise InvalidInput(f"per_page must be between 1 and {settings.page_size_cap}")
    check_text(q, what="query", max_length=settings.max_query_length)
    start, end = day(effective_from, "effective-from date"), day(effective_to, "effective-to date")
    if start and end and start > end:
        raise InvalidInput("the effective-date range is empty (from is after to)")
    scope = scope_of(session, policy=policy, version=version, as_of=as_of)
    # Every version of one policy: one term, far cheaper to match than the Or of its versions.
    whole_policy = policy and not (version or as_of) and scope
    scope_filter = wq.Term("policy", scope[0].policy) if whole_policy else index_filter(scope)
    ix = ensure_index(settings, session)
    query = parse(q, ix.schema, max_length=settings.max_query_length)
    date_range = (
        wq.TermRange("effective", start.isoformat() if start else None, end.isoformat() if end else None)
        if start or end
        else None
    )
    result = run_search(
        ix,
        query,
        filter=and_filters([scope_filter, date_range]),
        sort=sort,
        page=page,
        per_page=per_page,
        collapse=collapse,
    )
    return {
        "query": q,
        "filters": {
            "policy": policy,
            "version": version,
            "as_of": str(as_of) if as_of else None,
            "effective_from": start.isoformat() if start else None,
            "effective_to": end.isoformat() if end else None,
        },
        "sort": sort,
        "collapsed": collapse,
        **result,
    }


def _where(doc: IndexedClause, text: str) -> dict:
    """Where a phrase stands in one clause: the exact page when the phrase can be located, and the
    footnote's marker when it is in a footnote rather than the body."""
    page, note = doc.page_start, None
    try:
        segments = qt.quote_segments(text)
    except InvalidInput:
        segments = []
    if segments:
        found = qt.find_in(doc, segments)
        if found:
            page = doc.page_at(found[0].start)
        else:
            view = next((v for v in doc.footnote_views() if qt.find_in(v, segments)), None)
            if view is not None:
                page, note = view.body_page, view.footnote
    return {"clause": qt.clause_ref(doc), "page": page, "permalink": qt.permalink(doc), "in_footnote": note}


def phrase_history(settings: Settings, session: Session, phrase_text: str, *, policy: str | None = None) -> dict:
    """The versions containing a phrase: first and last appearance, and where it stood in each."""
    check_text(phrase_text, what="phrase", max_length=settings.max_query_length)
    scope = scope_of(session, policy=policy, version=None, as_of=None)
    ix = ensure_index(settings, session)
    query = phrase(phrase_text, ix.schema, max_length=settings.max_query_length)
    docs = all_docs(ix, query, filter=index_filter(scope))
    text = phrase_text.strip().strip('"“”')
    by_version: dict[tuple[str, str], list[IndexedClause]] = {}
    for d in docs:
        by_version.setdefault((d.policy, d.version), []).append(d)
    policies = []
    for slug in sorted({d.policy for d in docs}):
        versions = storage.list_versions(session, slug)
        rows = []
        for v in versions:
            found = sorted(by_version.get((slug, v.label), []), key=lambda d: d.position)
            rows.append(
                {
                    "version": v.label,
                    "effective": v.effective.isoformat(),
                    "present": bool(found),
                    "occurrences": [_where(d, text) for d in found],
                }
            )
        present = [r for r in rows if r["present"]]
        last_i = rows.index(present[-1])
        removed = rows[last_i + 1] if last_i + 1 < len(rows) else None
        # Every version the phrase went missing in after standing in the one before, and where it came
        # back (removed_in is only the last such, when it never came back).
        removals = []
        for i in range(1, len(rows)):
            if rows[i - 1]["present"] and not rows[i]["present"]:
                back = next((r for r in rows[i + 1 :] if r["present"]), None)
                removals.append({"version": rows[i]["version"], "effective": rows[i]["effective"],
                                 "back_in": {"version": back["version"], "effective": back["effective"]}
                                 if back else None})
        policies.append(
            {
                "policy": slug,
                "first": {"version": present[0]["version"], "effective": present[0]["effective"]},
                "last": {"version": present[-1]["version"], "effective": present[-1]["effective"]},
                "in_latest": rows[-1]["present"],
                "removed_in": {"version": removed["version"], "effective": removed["effective"]} if removed else None,
                "removals": removals,
                "versions": rows,
            }
        )
    return {"phrase": text, "found": bool(policies), "policies": policies}
