"""Checking citations of the policy against the archive: is each quote still where it was cited,
moved, changed (with the clause's redline), removed, or wrong (with a suggested fix)?"""

from __future__ import annotations

from sqlalchemy.orm import Session
from whoosh import query as wq

from archive.db import storage
from archive.errors import InvalidInput, VersionNotArchived, VersionNotFound
from archive.search import quotes as qt
from archive.search.index import IndexedClause, SearchIndex
from archive.services.redlines import compare
from archive.services.search.index import ensure_index
from archive.services.search.quotes import closest, locate, sort_newest
from archive.services.search.scope import in_policy
from archive.services.versions import resolve_version
from archive.settings import Settings

MAX_CITATIONS = 1000
MAX_CITATIONS_BYTES = 4 * 2**20  # a citations file the CLI reads: what the API takes as a body


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


def _in_version(matches: list[qt.Match], latest: str) -> list[qt.Match]:
    return [m for m in matches if m.doc.version == latest]


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
        found = sort_newest(locate(ix, quote, None))
        if found:
            out["suggested"] = _suggest(found[0])
        return out
    everywhere = sort_newest(locate(ix, quote, in_policy(slug)))
    if cited_label is None:
        cited: str | None = latest
        out["checked_version"] = latest
    else:
        try:
            cited = resolve_version(session, slug, cited_label).label
        except VersionNotArchived as exc:  # a real version, not in the archive: nothing to check against
            out["status"] = "unarchived"
            out["detail"] = f"{exc}; the citation cannot be checked against that version"
            # Its successor took over its text, its predecessor is what it changed: the likeliest wording.
            near = [str(v) for v in (exc.extra.get("after"), exc.extra.get("before"), latest) if v]
            best = next((found[0] for v in near if (found := _in_version(everywhere, v))), None)
            best = best or (everywhere or [None])[0]
            if best is not None:
                out["suggested"] = _suggest(best)
            return out
        except VersionNotFound:
            cited = None
    in_cited = [m for m in everywhere if m.doc.version == cited]
    at_section = [m for m in in_cited if _same_section(m.doc, section)] if section else in_cited
    in_latest = _in_version(everywhere, latest)
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
            # What the cited version says instead, if anything comes close: a wiki citing 2.0 for
            # 3.x's wording wants 2.0's own wording, not a later version's (an anachronism).
            near = closest(ix, quote, lambda d, v=cited: d.policy == slug and d.version == v, limit=1)
            if near:
                out["closest_in_cited"] = qt.describe(near[0], with_score=True)
                out["detail"] += f"; closest in {cited}: {_place(near[0].doc)} (similarity {near[0].score:.2f})"
        else:
            out["detail"] = "the quote is in no version of the policy"
        if cited_label is None and cited is not None:
            out["detail"] += f" (no version cited: checked against the latest, {cited})"
        best = (in_cited or in_latest or everywhere or [None])[0]
        if best is not None:
            out["suggested"] = _suggest(best)
        else:
            near = closest(ix, quote, in_policy(slug), limit=1)
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
        now = qt.section_name(successor.number, successor.title)
        renamed = (successor.number, successor.title) != (cited_doc.number, cited_doc.title)
        out["detail"] = (
            f"{qt.section_name(cited_doc.number, cited_doc.title)} changed after {last.doc.version}; "
            f"the quote is not in {latest}" + (f", where the clause is {now}" if renamed else "")
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
        if quote is None:
            raise InvalidInput(f"citation {n}: missing 'quote'")
        if not isinstance(quote, str):
            raise InvalidInput(f"citation {n}: 'quote' must be a string, not {type(quote).__name__}")
        if not quote.strip():
            raise InvalidInput(f"citation {n}: 'quote' is empty")
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
    """Classify each citation: current, moved, changed, removed or wrong (with a suggested fix), or
    unarchived: it cites a version the policy's changelog names but the archive lacks (RSP 2.1)."""
    items = _validate_citations(session, citations)
    ix = ensure_index(settings, session)
    results = [_check_one(session, ix, item, n) for n, item in enumerate(items)]
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"total": len(results), "counts": counts, "results": results}
