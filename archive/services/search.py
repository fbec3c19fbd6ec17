"""Search, phrase history, quote resolution and citation checks: SQL in, JSON-ready dicts out.

The Whoosh index is derived from SQL. Every call first checks it against what SQL holds
(`ensure_index`: a cheap probe per request, the full fingerprint at least every FINGERPRINT_TTL_S);
a missing, stale or damaged index is rebuilt (one writer at a time, under a lock file) before
anything is served, so ingesting a version needs no explicit hook: the next search notices and
rebuilds. The process keeps the opened index (searchers, stored clauses, quote tables) between
requests while it stays current.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session
from whoosh import query as wq

from archive.dates import parse_day
from archive.db import storage
from archive.errors import InvalidInput, ServiceUnavailable, VersionNotFound
from archive.search import quotes as qt
from archive.search.index import (
    IndexedClause,
    SearchIndex,
    dir_signature,
    entry_for,
    open_index,
    read_fingerprint,
    replace_index,
    write_index,
    writer_lock,
)
from archive.search.passages import Keep, passages
from archive.search.query import check_text, parse, phrase
from archive.search.searching import (
    SORTS,
    all_docs,
    and_filters,
    run_search,
    version_filter,
)
from archive.services.redlines import compare
from archive.settings import Settings
from archive.types import VersionInfo

_cache: dict[tuple[Path, str], _Held] = {}  # see ensure_index
_cache_lock = threading.Lock()
_reopen_lock = threading.Lock()  # see ensure_index
CLOSEST_CANDIDATES = 12
MAX_CITATIONS = 1000
FINGERPRINT_TTL_S = 1.0  # longest a lineage/title-only SQL change can go unnoticed (ensure_index)

# --- the index --------------------------------------------------------------------------------


def sql_fingerprint(session: Session) -> str:
    rows = storage.index_fingerprint_rows(session)
    return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()


def _entries(session: Session):
    policies = {p.slug: p for p in storage.list_policies(session)}
    for version in storage.list_versions(session):
        full_text = storage.version_text(session, version.policy, version.label)
        for i, clause in enumerate(storage.clauses(session, version.policy, version.label)):
            yield entry_for(version, i, clause, full_text=full_text, policy=policies.get(version.policy))


def _build(session: Session, path: Path, fingerprint: str) -> None:
    replace_index(path, lambda tmp: write_index(tmp, _entries(session), fingerprint))


@dataclass
class _Held:
    """The index this process holds open for one (index folder, database), and when it was checked."""

    ix: SearchIndex
    probe: tuple
    checked_at: float  # monotonic time of the last full SQL fingerprint comparison
    files: tuple | None  # dir_signature of the folder when opened


def _key(settings: Settings, session: Session) -> tuple[Path, str]:
    bind = session.get_bind()
    return settings.index_path, bind.url.render_as_string(hide_password=True)


def _hold(key: tuple[Path, str], ix: SearchIndex, probe: tuple) -> SearchIndex:
    held = _Held(ix, probe, time.monotonic(), dir_signature(ix.path))
    with _cache_lock:
        old = _cache.get(key)
        _cache[key] = held
    if old is not None and old.ix is not ix:
        old.ix.close()
    return ix


def rebuild_index(settings: Settings, session: Session) -> SearchIndex:
    """Rebuild the index from SQL now (under the writer lock), whatever state it is in."""
    path = settings.index_path
    probe = storage.index_probe(session)
    fingerprint = sql_fingerprint(session)
    with writer_lock(path):
        _build(session, path, fingerprint)
        ix = open_index(path, fingerprint)
    if ix is None:
        raise ServiceUnavailable("the search index could not be built")
    return _hold(_key(settings, session), ix, probe)


def ensure_index(settings: Settings, session: Session) -> SearchIndex:
    """An index matching what SQL holds now: the one held open, reopened, or rebuilt if
    missing/stale/damaged.

    Per request this costs one small SQL probe (versions added, replaced or deleted) and a stat of
    the index folder's files (replaced, truncated, damaged). The full SQL fingerprint (which also
    covers lineage and policy-title changes and reads every clause row) is recomputed only when the
    probe changes or the last comparison is FINGERPRINT_TTL_S old, so a change the probe misses is
    served stale by a running process for at most FINGERPRINT_TTL_S seconds (plus the duration of
    requests already running).
    """
    key = _key(settings, session)
    path = settings.index_path
    probe = storage.index_probe(session)
    with _cache_lock:
        held = _cache.get(key)
    if held is not None and held.probe == probe and dir_signature(path) == held.files:
        if time.monotonic() - held.checked_at < FINGERPRINT_TTL_S:
            return held.ix
        if sql_fingerprint(session) == held.ix.fingerprint:
            held.checked_at = time.monotonic()
            return held.ix
    fingerprint = sql_fingerprint(session)
    # One thread per process reopens or rebuilds; the requests that noticed the change meanwhile
    # then take the index it holds instead of each opening (and caching into) a copy of their own.
    with _reopen_lock:
        with _cache_lock:
            held = _cache.get(key)
        if (
            held is not None
            and held.probe == probe
            and held.ix.fingerprint == fingerprint
            and dir_signature(path) == held.files
        ):
            return held.ix
        ix = open_index(path, fingerprint)
        if ix is None:
            with writer_lock(path):
                ix = open_index(path, fingerprint)  # another writer may have just rebuilt it
                if ix is None:
                    _build(session, path, fingerprint)
                    ix = open_index(path, fingerprint)
            if ix is None:
                raise ServiceUnavailable("the search index could not be built")
        return _hold(key, ix, probe)


def index_status(settings: Settings, session: Session) -> dict:
    path = settings.index_path
    meta = read_fingerprint(path) or {}
    fingerprint = sql_fingerprint(session)
    current = open_index(path, fingerprint) is not None
    return {
        "path": str(path),
        "exists": path.exists(),
        "current": current,
        "documents": meta.get("doc_count"),
        "fingerprint": fingerprint,
    }


# --- filters ----------------------------------------------------------------------------------


def _date(value: dt.date | str | None, what: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return parse_day(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(f"{what} {exc}") from None


def _scope(
    session: Session,
    *,
    policy: str | None,
    version: str | None,
    as_of: dt.date | str | None,
) -> list[VersionInfo] | None:
    """The versions a request is limited to (None: all). Unknown names raise NotFound."""
    if version and as_of:
        raise InvalidInput("give either a version or an as-of date, not both")
    policies = (
        [storage.get_policy(session, policy).slug] if policy else [p.slug for p in storage.list_policies(session)]
    )
    if version:
        found = []
        for slug in policies:
            try:
                found.append(storage.resolve_version(session, slug, version))
            except VersionNotFound:
                if policy:
                    raise
        if not found:
            raise VersionNotFound(f"no policy in the archive has a version '{version}'")
        return found
    on = _date(as_of, "as-of date")
    if on is not None:
        found = []
        for slug in policies:
            try:
                found.append(storage.version_in_force(session, slug, on))
            except VersionNotFound:
                if policy:
                    raise
        if not found:
            raise VersionNotFound(f"no version of any policy was in force on {on.isoformat()}")
        return found
    if policy:
        return storage.list_versions(session, policy)
    return None


def _scope_filter(scope: list[VersionInfo] | None) -> wq.Query | None:
    return None if scope is None else version_filter((v.policy, v.label) for v in scope)


# --- search -----------------------------------------------------------------------------------


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
    start, end = _date(effective_from, "effective-from date"), _date(effective_to, "effective-to date")
    if start and end and start > end:
        raise InvalidInput("the effective-date range is empty (from is after to)")
    scope = _scope(session, policy=policy, version=version, as_of=as_of)
    # Every version of one policy: one term, far cheaper to match than the Or of its versions.
    whole_policy = policy and not (version or as_of) and scope
    scope_filter = wq.Term("policy", scope[0].policy) if whole_policy else _scope_filter(scope)
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


# --- phrase history ---------------------------------------------------------------------------


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
    scope = _scope(session, policy=policy, version=None, as_of=None)
    ix = ensure_index(settings, session)
    query = phrase(phrase_text, ix.schema, max_length=settings.max_query_length)
    docs = all_docs(ix, query, filter=_scope_filter(scope))
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
        policies.append(
            {
                "policy": slug,
                "first": {"version": present[0]["version"], "effective": present[0]["effective"]},
                "last": {"version": present[-1]["version"], "effective": present[-1]["effective"]},
                "in_latest": rows[-1]["present"],
                "removed_in": {"version": removed["version"], "effective": removed["effective"]} if removed else None,
                "versions": rows,
            }
        )
    return {"phrase": text, "found": bool(policies), "policies": policies}


# --- quotes -----------------------------------------------------------------------------------


def _in_policy(slug: str | None) -> Keep:
    return None if slug is None else (lambda d: d.policy == slug)


def _in_versions(scope: list[VersionInfo] | None) -> Keep:
    if scope is None:
        return None
    allowed = {(v.policy, v.label) for v in scope}
    return lambda d: (d.policy, d.version) in allowed


def _locate(ix: SearchIndex, quote: str, keep: Keep, **context: str | None) -> list[qt.Match]:
    """Every exact match of the quote among the clauses `keep` allows (see archive.search.passages)."""
    return passages(ix).locate(quote, keep=keep, **context)


def _closest(ix: SearchIndex, quote: str, keep: Keep, limit: int = 3) -> list[qt.Match]:
    return qt.closest(quote, passages(ix).near(quote, keep=keep, limit=CLOSEST_CANDIDATES), limit=limit)


def _describe_closest(ix: SearchIndex, matches: list[qt.Match], keep: Keep) -> list[dict]:
    found = passages(ix)
    return [{**qt.describe(m, with_score=True), "also_in": found.also_in(m, keep=keep)} for m in matches]


def _ranges(labels: list[str], present: set[str]) -> list[str]:
    out, run = [], []
    for label in labels + [None]:  # type: ignore[list-item]
        if label is not None and label in present:
            run.append(label)
            continue
        if run:
            out.append(run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}")
        run = []
    return out


def _history(session: Session, ix: SearchIndex, slug: str, quote: str, matches: list[qt.Match]) -> dict:
    """Where the quote stands across all versions of one policy."""
    versions = storage.list_versions(session, slug)
    labels = [v.label for v in versions]
    present = {m.doc.version for m in matches if m.doc.policy == slug}
    removed = [
        labels[i + 1] for i, label in enumerate(labels[:-1]) if label in present and labels[i + 1] not in present
    ]
    latest = labels[-1] if labels else None
    parts = [f"in {', '.join(_ranges(labels, present))}"] if present else ["in no version"]
    parts += [f"removed in {r}" for r in removed]
    closest_latest = None
    if latest and latest not in present:
        best = _closest(ix, quote, lambda d: d.policy == slug and d.version == latest, limit=1)
        if best:
            closest_latest = qt.describe(best[0], with_score=True)
            parts.append(
                f"closest in {latest}: {qt.section_name(best[0].doc.number, best[0].doc.title)} {best[0].score:.2f}"
            )
    return {
        "policy": slug,
        "present_in": [label for label in labels if label in present],
        "absent_in": [label for label in labels if label not in present],
        "first": next((label for label in labels if label in present), None),
        "last": next((label for label in reversed(labels) if label in present), None),
        "in_latest": latest in present,
        "removed_in": removed,
        "closest_in_latest": closest_latest,
        "summary": "; ".join(parts),
    }


def _sort_newest(matches: list[qt.Match]) -> list[qt.Match]:
    return sorted(matches, key=lambda m: (m.doc.policy, m.doc.effective, -m.doc.position, -m.start), reverse=True)


def resolve(
    settings: Settings,
    session: Session,
    *,
    quote: str,
    prefix: str | None = None,
    suffix: str | None = None,
    policy: str | None = None,
    version: str | None = None,
    as_of: dt.date | str | None = None,
) -> dict:
    """Where a quote stands: found / ambiguous / not_found, how to cite it, and its history."""
    quote = check_text(quote, what="quote", max_length=settings.max_query_length)
    for name, value in (("prefix", prefix), ("suffix", suffix)):
        if value is not None and len(value) > settings.max_query_length:
            raise InvalidInput(f"{name} is longer than {settings.max_query_length} characters")
    qt.quote_segments(quote)  # too short: InvalidInput before any work
    scope = _scope(session, policy=policy, version=version, as_of=as_of)
    ix = ensure_index(settings, session)
    everywhere = _locate(ix, quote, _in_policy(policy), prefix=prefix, suffix=suffix)
    allowed = None if scope is None else {(v.policy, v.label) for v in scope}
    matches = _sort_newest([m for m in everywhere if allowed is None or (m.doc.policy, m.doc.version) in allowed])
    per_version: dict[tuple[str, str], int] = {}
    for m in matches:
        key = (m.doc.policy, m.doc.version)
        per_version[key] = per_version.get(key, 0) + 1
    if not matches:
        status = "not_found"
    elif max(per_version.values()) > 1 or len({m.doc.policy for m in matches}) > 1:
        status = "ambiguous"
    else:
        status = "found"
    closest = [] if matches else _closest(ix, quote, _in_versions(scope))
    history_policies = sorted(
        {m.doc.policy for m in matches} or {m.doc.policy for m in closest} or ({policy} if policy else set())
    )
    return {
        "quote": quote,
        "status": status,
        "scope": {"policy": policy, "version": version, "as_of": str(as_of) if as_of else None},
        "matches": [qt.describe(m) for m in matches],
        "versions": sorted({m.doc.version for m in matches}),
        "closest": _describe_closest(ix, closest, _in_versions(scope)),
        "history": [_history(session, ix, slug, quote, everywhere) for slug in history_policies],
    }


# --- citation check ---------------------------------------------------------------------------


def _norm_section(value: str) -> str:
    return value.strip().lstrip("§").strip().rstrip(".").lower()


def _same_section(doc: IndexedClause, section: str) -> bool:
    wanted = _norm_section(section)
    return wanted in {_norm_section(doc.number), _norm_section(doc.title)} - {""}


def _same_clause(a: IndexedClause, b: IndexedClause) -> bool:
    if a.lineage and b.lineage:
        return a.lineage == b.lineage
    return a.label.lower() == b.label.lower()


def _successor(session: Session, ix: SearchIndex, doc: IndexedClause, latest: str) -> IndexedClause | None:
    """The clause of `latest` that continues `doc`: same lineage, else same number and title."""
    with ix.searcher() as s:
        hits = s.search(wq.And([wq.Term("policy", doc.policy), wq.Term("version", latest)]), limit=None)
        docs = [ix.doc(s, h.docnum) for h in hits]
    for d in docs:
        if doc.lineage and d.lineage == doc.lineage:
            return d
    if doc.lineage and any(d.lineage for d in docs):
        return None
    for d in docs:
        if d.label.lower() == doc.label.lower() and d.title.lower() == doc.title.lower() and d.text:
            return d
    return None


def _redline(session: Session, doc: IndexedClause, successor: IndexedClause) -> dict:
    """The cited clause's redline (its lineage only) from the cited version to `successor`'s, as
    `compare` serves it; "source" tells clients that read it that it is the archive's redline."""
    return {"source": "redlines", **compare(session, doc.policy, doc.version, successor.version, clause=doc.label)}


def _suggest(m: qt.Match) -> dict:
    d = qt.describe(m)
    return {k: d[k] for k in ("policy", "version", "effective", "clause", "page", "citation", "permalink")}


def _place(doc: IndexedClause) -> str:
    """Where in a version a match stands: "§3.6", or "footnote 4 of §1"."""
    where = qt.section_name(doc.number, doc.title)
    return f"footnote {doc.footnote} of {where}" if doc.footnote else where


def _check_one(session: Session, ix: SearchIndex, item: dict, n: int) -> dict:
    """One citation's status. No version: the latest is checked (and `checked_version` says so);
    no section: any clause of that version will do (`found_in_cited` says which)."""
    quote, slug = item["quote"], item.get("policy")
    cited_label, section = item.get("version"), item.get("section")
    out: dict = {
        "index": n,
        "id": item.get("id"),
        "quote": quote,
        "cited": {"policy": slug, "version": cited_label, "section": section},
        "status": None,
        "detail": "",
        "suggested": None,
        "redline": None,
    }
    problem = item.get("problem")
    if problem is None:
        try:
            latest = storage.latest_version(session, slug).label
        except VersionNotFound:
            problem = f"'{slug}' has no versions in the archive"
    if problem is not None:  # no policy to check against: say where the quote is, if anywhere
        out["status"], out["detail"] = "wrong", problem
        found = _sort_newest(_locate(ix, quote, None))
        if found:
            out["suggested"] = _suggest(found[0])
        return out
    everywhere = _sort_newest(_locate(ix, quote, _in_policy(slug)))
    if cited_label is None:
        cited: str | None = latest
        out["checked_version"] = latest
    else:
        try:
            cited = storage.resolve_version(session, slug, cited_label).label
        except VersionNotFound:
            cited = None
    in_cited = [m for m in everywhere if m.doc.version == cited]
    at_section = [m for m in in_cited if _same_section(m.doc, section)] if section else in_cited
    in_latest = [m for m in everywhere if m.doc.version == latest]
    if not at_section:
        out["status"] = "wrong"
        if cited is None:
            out["detail"] = f"'{slug}' has no version '{cited_label}'"
        elif in_cited:
            claimed = f"§{section}" if section and section[:1].isdigit() else section
            out["detail"] = f"the quote is in {_place(in_cited[0].doc)} of {cited}, not in {claimed}"
        elif everywhere:
            out["detail"] = (
                f"the quote is not in {cited}; it is in {', '.join(sorted({m.doc.version for m in everywhere}))}"
            )
        else:
            out["detail"] = "the quote is in no version of the policy"
        if cited_label is None and cited is not None:
            out["detail"] += f" (no version cited: checked against the latest, {cited})"
        best = (in_cited or in_latest or everywhere or [None])[0]
        if best is not None:
            out["suggested"] = _suggest(best)
        else:
            near = _closest(ix, quote, _in_policy(slug), limit=1)
            out["closest"] = [qt.describe(m, with_score=True) for m in near]
        return out
    cited_doc = at_section[0].doc
    out["found_in_cited"] = qt.describe(at_section[0])
    cited_as = f"cited as {section}" if section else f"in {_place(cited_doc)} of {cited}"
    if in_latest:
        same = [m for m in in_latest if _same_clause(m.doc, cited_doc)]
        target = (same or in_latest)[0]
        if same and target.doc.label.lower() == cited_doc.label.lower():
            out["status"] = "current"
            out["detail"] = f"still in {_place(target.doc)} of {latest}"
        else:
            out["status"] = "moved"
            out["detail"] = f"now in {_place(target.doc)} of {latest} ({cited_as})"
        out["suggested"] = _suggest(target)
        return out
    # The newest version holding the quote in the cited clause (it may also stand elsewhere: in
    # another clause of the same version, which is not what was cited).
    last = next((m for m in everywhere if _same_clause(m.doc, cited_doc)), at_section[0])
    successor = _successor(session, ix, cited_doc.clause, latest)
    if successor is not None:
        out["status"] = "changed"
        out["detail"] = (
            f"{qt.section_name(cited_doc.number, cited_doc.title)} changed after {last.doc.version}; "
            f"the quote is not in {latest}"
        )
        out["redline"] = _redline(session, cited_doc.clause, successor)
    else:
        out["status"] = "removed"
        out["detail"] = f"the quote was last in {last.doc.version}; the clause is gone from {latest}"
    out["suggested"] = _suggest(last)  # cite the newest version that has it, pinned
    return out


def _validate_citations(session: Session, citations: object) -> list[dict]:
    """The citations as dicts, or InvalidInput (naming the citation) when one is malformed: not an
    object, no quote or one too short to cite, a field that is not a string. A policy that is
    missing or unknown is no reason to reject the others: that item carries a `problem` and is
    reported `wrong`."""
    if not isinstance(citations, list):
        raise InvalidInput("citations must be a JSON list of objects")
    if not citations:
        raise InvalidInput("no citations to check")
    if len(citations) > MAX_CITATIONS:
        raise InvalidInput(f"at most {MAX_CITATIONS} citations per check")
    policies = [p.slug for p in storage.list_policies(session)]
    items = []
    for n, raw in enumerate(citations):
        if not isinstance(raw, dict):
            raise InvalidInput(f"citation {n}: not an object")
        quote = raw.get("quote")
        if not isinstance(quote, str) or not quote.strip():
            raise InvalidInput(f"citation {n}: missing 'quote'")
        for key in ("policy", "version", "section"):
            if raw.get(key) is not None and not isinstance(raw.get(key), str):
                raise InvalidInput(f"citation {n}: '{key}' must be a string")
        try:
            qt.quote_segments(quote)
        except InvalidInput as exc:
            raise InvalidInput(f"citation {n}: {exc}") from None
        # Blank optional fields are absent ones.
        item = {**raw, **{k: raw[k].strip() or None for k in ("policy", "version", "section") if raw.get(k)}}
        slug = item.get("policy") or (policies[0] if len(policies) == 1 else None)
        if not slug:
            held = ", ".join(policies) or "none"
            item["problem"] = f"no policy given: name one of the archive's policies ({held})"
        elif slug not in policies:
            item["problem"] = f"no policy '{slug}' in the archive"
        items.append({**item, "policy": slug})
    return items


def check_citations(settings: Settings, session: Session, citations: list[dict]) -> dict:
    """Classify each citation: current, moved, changed, removed or wrong (with a suggested fix)."""
    items = _validate_citations(session, citations)
    ix = ensure_index(settings, session)
    results = [_check_one(session, ix, item, n) for n, item in enumerate(items)]
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"total": len(results), "counts": counts, "results": results}
