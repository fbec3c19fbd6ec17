"""Running queries on an opened index: hits, snippets, paging, collapsing by clause lineage.

A clause matches through its title, body text or footnotes. Its snippet is taken from the body
unless a footnote holds more of the matched terms close together (or the body holds none): then
the snippet is that footnote's, `page` is the footnote's page and `in_footnote` its marker."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

from whoosh import matching, sorting
from whoosh import query as wq

from archive.search import distinct, whoosh_patch
from archive.search.index import IndexedClause, SearchIndex
from archive.search.quotes import clause_ref, permalink

SNIPPET_CHARS = 240
CLUSTER_CHARS = 120
SORTS = ("relevance", "date")
HIGHLIGHTED = frozenset({"text", "title", "footnotes"})  # fields whose matched terms are marked

whoosh_patch.apply()


@dataclass(frozen=True)
class Terms:
    """What a query matched, to find again in a clause's text: the indexed terms (prefix and fuzzy
    terms expanded) to look for in the body (title and text terms) and in the footnotes (text and
    footnotes terms; the `text` field holds both, they differ only under a `title:` or `footnotes:`
    filter), and the phrases, whose terms count only where the whole phrase stands."""

    body: frozenset[str]
    notes: frozenset[str]
    phrases: tuple[tuple[str, ...], ...] = ()
    bound: frozenset[str] = frozenset()  # terms that stand in the query only inside phrases


def _terms(q: wq.Query, searcher) -> Terms:
    out: dict[str, set] = {"title": set(), "text": set(), "footnotes": set()}
    free: set[str] = set()
    phrases: set[tuple[str, ...]] = set()
    for leaf in q.leaves():
        if leaf.field() not in HIGHLIGHTED:
            continue
        if isinstance(leaf, wq.Phrase):
            phrases.add(tuple(leaf.words))
        else:
            free.update(text for _, text in leaf.terms())
    for field, text in q.all_terms(phrases=True):
        if field in HIGHLIGHTED:
            out[field].add(text)
    reader = searcher.reader()
    for leaf in q.leaves():
        if isinstance(leaf, wq.PatternQuery | wq.FuzzyTerm) and leaf.field() in HIGHLIGHTED:
            try:
                for raw in leaf._btexts(reader):  # Whoosh's own expansion of the pattern
                    out[leaf.field()].add(raw)
            except Exception:  # noqa: BLE001, S112 - an unexpandable pattern just isn't highlighted
                continue
    body, notes = out["title"] | out["text"], out["text"] | out["footnotes"]

    def plain(terms: Iterable) -> frozenset[str]:
        return frozenset(t.decode() if isinstance(t, bytes) else t for t in terms)

    words = {w for ph in phrases for w in ph}
    return Terms(plain(body), plain(notes), tuple(sorted(phrases)), plain(words - free))


def match_spans(ix: SearchIndex, text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Spans of matched terms, starting at the densest cluster (where a phrase or all words meet)."""
    return _cluster(ix, text, terms)[0]


def _in_phrases(ix: SearchIndex, text: str, terms: Terms) -> set[int] | None:
    """Indexes (in the analyzer's terms of `text`) of the terms that stand inside a whole occurrence
    of one of the query's phrases; None when the query has no phrase."""
    if not terms.phrases:
        return None
    _, by_term = ix.analyzer.positions(text)
    pos = ix.analyzer.term_positions(text)
    at: dict[int, dict[str, list[int]]] = {}  # position -> term -> indexes
    for phrase_ in terms.phrases:
        for t in phrase_:
            for i in by_term.get(t, ()):
                at.setdefault(pos[i], {}).setdefault(t, []).append(i)
    inside: set[int] = set()
    for phrase_ in terms.phrases:
        for i in by_term.get(phrase_[0], ()):
            p = pos[i]
            if all(phrase_[j] in at.get(p + j, {}) for j in range(len(phrase_))):
                inside.update(k for j in range(len(phrase_)) for k in at[p + j][phrase_[j]])
    return inside


def _cluster(
    ix: SearchIndex, text: str, terms: set[str] | frozenset[str], phrased: Terms | None = None
) -> tuple[list[tuple[int, int]], int]:
    """(match_spans, how many distinct terms its densest cluster holds). With `phrased`, a term that
    stands in the query only inside phrases counts only where its whole phrase stands."""
    all_terms, by_term = ix.analyzer.positions(text)
    if len(terms) <= len(by_term):
        rows = [by_term[t] for t in terms if t in by_term]
    else:
        rows = [row for t, row in by_term.items() if t in terms]
    inside = _in_phrases(ix, text, phrased) if phrased is not None else None
    if inside is not None and phrased is not None and phrased.bound:
        bound = phrased.bound
        kept = ([i for i in row if all_terms[i][0] not in bound or i in inside] for row in rows)
        rows = [row for row in kept if row]
    if not rows:
        return [], 0
    found = [all_terms[i] for i in (rows[0] if len(rows) == 1 else sorted(chain.from_iterable(rows)))]
    # The first i whose window (matches starting within CLUSTER_CHARS of found[i]) holds the most
    # distinct terms. Starts never decrease, so the window's end only moves forward: one pass,
    # counting the terms in the window, and none can beat a window holding every matched term.
    best, best_n, n = 0, 0, len(found)
    everything = len(rows)
    counts: dict[str, int] = {}
    j = 0
    for i in range(n):
        start = found[i][1]
        while j < n and found[j][1] - start <= CLUSTER_CHARS:
            t = found[j][0]
            counts[t] = counts.get(t, 0) + 1
            j += 1
        if len(counts) > best_n:
            best, best_n = i, len(counts)
            if best_n == everything:
                break
        t = found[i][0]
        if counts[t] == 1:
            del counts[t]
        else:
            counts[t] -= 1
    return [(s, e) for _, s, e in found[best:] + found[:best]], best_n


def snippet(text: str, spans: list[tuple[int, int]], width: int = SNIPPET_CHARS) -> str:
    """A window of `text` around the first cluster of matches, matches in <mark>, HTML-escaped."""
    if not text:
        return ""
    if not spans:
        cut = text[:width]
        return html.escape(cut) + ("…" if len(text) > width else "")
    start = max(0, spans[0][0] - width // 4)
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 30 else start
    end = min(len(text), start + width)
    out: list[str] = ["…" if start else ""]
    at = start
    for s, e in sorted(spans):
        if s < at or e > end:
            continue
        out.append(html.escape(text[at:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        at = e
    out.append(html.escape(text[at:end]))
    out.append("…" if end < len(text) else "")
    # Parts of one word ("scale" "up" in "scaleup") read as one mark; the text is escaped, so
    # "</mark><mark>" can only come from two marks side by side.
    return " ".join("".join(out).split()).replace("</mark><mark>", "")


def _highlight(ix: SearchIndex, doc: IndexedClause, terms: Terms, memo: dict | None) -> list:
    """[match spans, snippet or None until asked, the text they are in, footnote or None] of a
    clause, once per request: a page often holds the same clause text in several versions. The
    spans are in the body text unless a footnote holds a denser cluster of the matched terms
    (`terms`: those matched in the title or body, those matched in footnotes)."""
    key = (doc.text, doc.footnotes) if doc.footnotes else doc.text
    found = memo.get(key) if memo is not None else None
    if found is None:
        spans, n = _cluster(ix, doc.text, terms.body, terms)
        found = [spans, None, doc.text, None]
        # A footnote can only win by holding more of the matched terms than the body's best cluster.
        for note in doc.footnotes if n < len(terms.notes) else ():
            note_spans, note_n = _cluster(ix, note.text, terms.notes, terms)
            if note_n > n:  # ties stay in the body
                spans, n = note_spans, note_n
                found = [spans, None, note.text, note]
        if memo is not None:
            memo[key] = found
    return found


def _page_of(doc: IndexedClause, found: list) -> int:
    note = found[3]
    if note is not None:
        return note.page or doc.page_end
    return doc.page_at(found[0][0][0]) if found[0] else doc.page_start


def _static(doc: IndexedClause, cache: dict | None) -> tuple[dict, str]:
    """(clause reference, permalink) of a stored clause, kept per opened index when `cache` is given."""
    found = cache.get(doc.doc_id) if cache is not None else None
    if found is None:
        found = (clause_ref(doc), permalink(doc))
        if cache is not None:
            cache[doc.doc_id] = found
    return found


def hit_dict(
    ix: SearchIndex,
    doc: IndexedClause,
    score: float | None,
    terms: Terms,
    memo: dict | None = None,
) -> dict:
    """One hit; `memo` (one dict per request, same `terms`) shares spans and snippets between hits."""
    found = _highlight(ix, doc, terms, memo)
    spans, note = found[0], found[3]
    if found[1] is None:
        found[1] = snippet(found[2], spans)
    ref, link = _static(doc, ix.extras.setdefault("hit_static", {}))
    page = _page_of(doc, found)
    pages = [page] if note is not None else (sorted({doc.page_at(s) for s, _ in spans}) or [doc.page_start])
    return {
        "id": doc.doc_id,
        "policy": doc.policy,
        "policy_title": doc.policy_title,
        "version": doc.version,
        "effective": doc.effective,
        "clause": dict(ref),
        "page": page,
        "page_start": doc.page_start,
        "page_end": doc.page_end,
        "pages": pages,
        "snippet": found[1],
        "in_footnote": note.marker if note is not None else None,
        "score": round(score, 4) if score is not None else None,
        "permalink": link,
    }


def _sortedby(sort: str):
    if sort == "date":
        return sorting.MultiFacet([sorting.FieldFacet("effective", reverse=True), sorting.FieldFacet("position")])
    return None


class _ZeroScore(wq.WrappingQuery):
    """Matches what its child matches, scoring exactly 0. (Whoosh's ConstantScoreQuery(q, 0.0) hands
    back the child's own scored matcher whenever its parent needs the current match, as an And
    does, so a policy or date filter used to add its own score, 1.0 or 2.0, to every hit.)"""

    def matcher(self, searcher, context=None):
        m = self.child.matcher(searcher, context)
        return m if isinstance(m, matching.NullMatcherClass) else matching.WrappingMatcher(m, boost=0.0)


def _restricted(q: wq.Query, filter: wq.Query | None) -> wq.Query:
    """`q` limited to `filter` by intersection rather than Whoosh's filter argument: the matcher then
    skips straight to the few allowed documents (a version filter at 100x the corpus) instead of
    testing every match, and Whoosh 2.7's filter test re-scans a bitset per document. The filter
    scores 0, so scores and ranks are those of `q` alone."""
    return q if filter is None else wq.And([q, _ZeroScore(filter)])


def _ranked(
    ix: SearchIndex,
    s,
    q: wq.Query,
    filter: wq.Query | None,
    sort: str,
    limit: int | None,
    *,
    use_texts: bool = True,
) -> tuple[int, list[tuple]]:
    """(number of matches, the first `limit` (score or sort key, docnum) in order; None: all).
    Text/title queries run on the distinct-texts index (archive.search.distinct, same results);
    others on the main index, in one pass that scores and counts every match. By relevance that
    pass keeps every match: Whoosh's top-N collector, even with optimize=False, prunes union
    branches that can no longer reach the top N, and then undercounts the total."""
    sortedby = _sortedby(sort)
    if use_texts and ix.texts is not None and distinct.eligible(q):
        return distinct.ranked(ix, s, q, filter=filter, sortedby=sortedby, limit=limit)
    collector = s.collector(limit=None if sortedby is None else limit, sortedby=sortedby, optimize=False)
    s.search_with_collector(_restricted(q, filter), collector)
    results = collector.results()
    top = list(results.top_n)
    return len(results), top if limit is None else top[:limit]


def run_search(
    ix: SearchIndex,
    q: wq.Query,
    *,
    filter: wq.Query | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
    collapse: bool = False,
) -> dict:
    """One page of hits (or of collapsed clause groups) with the total count."""
    memo: dict = {}
    with ix.searcher() as s:
        terms = _terms(q, s)
        if not collapse:
            # Stored fields and snippets only for the page returned.
            total, top = _ranked(ix, s, q, filter, sort, page * per_page)
            hits = [
                hit_dict(ix, ix.doc(s, docnum), score if sort == "relevance" else None, terms, memo)
                for score, docnum in top[(page - 1) * per_page : page * per_page]
            ]
            return _page(total, page, per_page, hits)
        _, top = _ranked(ix, s, q, filter, sort, None)
        reader = s.reader()
        col_group = reader.column_reader("group")
        col_version = reader.column_reader("version")
        col_eff = reader.column_reader("effective")
        groups: dict[str, list[tuple[int, float | None]]] = {}
        for score, docnum in top:
            groups.setdefault(col_group[docnum], []).append((docnum, score))
        ordered = list(groups.values())  # first-seen order is rank order
        total = len(ordered)
        hits = []
        for members in ordered[(page - 1) * per_page : page * per_page]:
            # Ranked by its best member; shown as it stands in its latest version (what is in force).
            score = members[0][1]
            latest = max(members, key=lambda m: col_eff[m[0]])[0]
            hit = hit_dict(ix, ix.doc(s, latest), score if sort == "relevance" else None, terms, memo)
            versions = []
            for docnum, _ in sorted(members, key=lambda m: col_eff[m[0]]):
                doc = ix.doc(s, docnum) if len(members) <= 50 else None
                entry = {"version": col_version[docnum], "effective": col_eff[docnum]}
                if doc is not None:
                    found = _highlight(ix, doc, terms, memo)
                    entry.update(
                        number=doc.number,
                        page=_page_of(doc, found),
                        permalink=permalink(doc),
                        in_footnote=found[3].marker if found[3] is not None else None,
                    )
                versions.append(entry)
            hit["versions"] = versions
            hit["match_count"] = len(members)
            hits.append(hit)
        return _page(total, page, per_page, hits)


def _page(total: int, page: int, per_page: int, hits: list[dict]) -> dict:
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": max(1, math.ceil(total / per_page)) if total else 0,
        "hits": hits,
    }


def all_docs(ix: SearchIndex, q: wq.Query, *, filter: wq.Query | None = None) -> list[IndexedClause]:
    """Every matching clause, best first."""
    with ix.searcher() as s:
        return [ix.doc(s, docnum) for _, docnum in _ranked(ix, s, q, filter, "relevance", None)[1]]


def top_docs(ix: SearchIndex, q: wq.Query, *, filter: wq.Query | None = None, limit: int = 10) -> list[IndexedClause]:
    with ix.searcher() as s:
        return [ix.doc(s, h.docnum) for h in s.search(_restricted(q, filter), limit=limit)]


def doc_frequency(ix: SearchIndex, terms: Iterable[str]) -> dict[str, int]:
    with ix.searcher() as s:
        return {t: s.doc_frequency("text", t) for t in terms}


def version_filter(pairs: Iterable[tuple[str, str]]) -> wq.Query:
    """Documents of exactly these (policy, version) pairs."""
    leaves = [wq.And([wq.Term("policy", p), wq.Term("version", v)]) for p, v in pairs]
    return wq.Or(leaves) if leaves else wq.NullQuery


def and_filters(parts: list[wq.Query]) -> wq.Query | None:
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)
