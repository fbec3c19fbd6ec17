"""Matching each distinct clause text once, not once per version that repeats it.

Versions repeat most of their clauses word for word, so the documents of the main index (one per
clause per version) share far fewer distinct texts (a clause's title, body and footnotes, the
fields a bare word is searched in): at 100x the corpus, 23,900 documents hold 181 of them.
Whoosh's cost per query grows with the postings it walks and scores, one per matching document.
So the index folder also holds a second Whoosh index, TEXTS_INDEX, with one document per distinct
(title, text, footnotes), analyzed the same way, and each main document records its text's number
(the `tid` column).

A query that only reads the text, title and footnotes fields (the usual case; field filters such as
`version:` or `number:` go to the main index as before) is matched on the texts index, then
expanded to the clauses holding each text. It scores as on the main index: BM25F here takes the
main index's statistics (idf, average field lengths, see MainStats), per-document figures (term
frequency, field length) are those of the same text, and Whoosh is told the main index's document
count, from which it picks its Or matchers. (Whoosh may add three or more term scores in another
order, as it orders union trees by term frequency in the index at hand: the sum can then differ in
its last binary digit, about 1e-15; scores are shown to 4 decimals.) Hits keep Whoosh's order
(score descending, then document number), or the date order (Whoosh's own sort of all documents
by the date facets, computed once per opened index). The version, policy and date filters are
sets of main document numbers (cached per opened index); every match is still counted.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterator

from whoosh import query as wq
from whoosh import scoring

from archive.search.index import SearchIndex

TEXT_FIELDS = frozenset({"text", "title", "footnotes"})
_lock = threading.Lock()


def eligible(q: wq.Query) -> bool:
    """True when every leaf of `q` reads only the text, title and footnotes fields (the texts index
    has all three)."""
    return all(leaf.field() in TEXT_FIELDS for leaf in q.leaves())


class MainStats(scoring.BM25F):
    """BM25F scoring texts-index documents with the main index's collection statistics."""

    def __init__(self, main_searcher, lengths: dict[str, list] | None = None) -> None:
        super().__init__()
        self.main = main_searcher
        self.lengths = lengths or {}  # field -> length of that field per texts-index document

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:  # pragma: no cover - text and title are scorable
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        sc = scoring.BM25FScorer.__new__(scoring.BM25FScorer)
        sc.idf = self.main.idf(fieldname, text)  # what BM25FScorer reads from the main searcher
        sc.avgfl = self.main.avg_field_length(fieldname) or 1
        sc.B, sc.K1, sc.qf = self._field_B.get(fieldname, self.B), self.K1, qf
        sc.setup(searcher, fieldname, text)  # term frequency and field length: the text's own
        lengths = self.lengths.get(fieldname)
        if lengths is not None:  # the same lengths setup's reader gives, read once per opened index
            sc.dfl = lengths.__getitem__
        return sc


def field_lengths(ix: SearchIndex, texts_searcher) -> dict[str, list] | None:
    """Field -> each texts-index document's length in it, as BM25F reads it per matching document
    (`searcher.doc_field_length(docnum, field, 1)`), read once per opened index. None when the
    texts index has several segments (scorers then see per-segment document numbers)."""
    if not texts_searcher.is_atomic():
        return None
    found = ix.extras.get("texts_lengths")
    if found is None:
        n = texts_searcher.reader().doc_count_all()
        found = ix.extras["texts_lengths"] = {
            f: [texts_searcher.doc_field_length(d, f, 1) for d in range(n)] for f in sorted(TEXT_FIELDS)
        }
    return found


class Distinct:
    """Per opened index: main documents grouped by text, and the date order."""

    def __init__(self, ix: SearchIndex, main_searcher) -> None:
        reader = main_searcher.reader()
        # main docnum -> text number (an archive with nothing in it has no segment, so no column)
        self.tid: list[int] = list(reader.column_reader("tid")) if reader.doc_count_all() else []
        n_texts = max(self.tid) + 1 if self.tid else 0
        members: list[list[int]] = [[] for _ in range(n_texts)]
        for docnum, t in enumerate(self.tid):
            members[t].append(docnum)
        self.members: list[list[int]] = members  # text number -> main docnums, ascending
        self._by_date: list[list[tuple[int, int]]] | None = None

    def by_date_members(self, main_searcher, sortedby) -> list[list[tuple[int, int]]]:
        """Text number -> (date rank, docnum) of its documents, in date order (built once)."""
        if self._by_date is None:
            with _lock:
                if self._by_date is None:
                    order = main_searcher.search(wq.Every(), limit=None, sortedby=sortedby)
                    rank = [0] * len(self.tid)
                    for i, (_, docnum) in enumerate(order.top_n):
                        rank[docnum] = i
                    self._by_date = [sorted((rank[d], d) for d in m) for m in self.members]
        return self._by_date

    def count(self, tids: list[int], allowed: frozenset[int] | None) -> int:
        if allowed is None:
            return sum(len(self.members[t]) for t in tids)
        if len(allowed) < sum(len(self.members[t]) for t in tids):
            wanted, tid = set(tids), self.tid
            return sum(1 for d in allowed if tid[d] in wanted)
        return sum(1 for t in tids for d in self.members[t] if d in allowed)

    def by_score(self, items: list[tuple[float, int]], allowed: frozenset[int] | None) -> Iterator[tuple[float, int]]:
        """(score, docnum) of every allowed document, score descending then docnum (Whoosh's order).
        `items` are (score, text number) by descending score."""
        i = 0
        while i < len(items):
            score, j = items[i][0], i + 1
            while j < len(items) and items[j][0] == score:
                j += 1
            lists = [self.members[t] for _, t in items[i:j]]
            for d in lists[0] if len(lists) == 1 else heapq.merge(*lists):
                if allowed is None or d in allowed:
                    yield score, d
            i = j

    def by_date(self, lists: list[list[tuple[int, int]]], allowed: frozenset[int] | None) -> Iterator[tuple[None, int]]:
        for _, d in lists[0] if len(lists) == 1 else heapq.merge(*lists):
            if allowed is None or d in allowed:
                yield None, d


def distinct(ix: SearchIndex, main_searcher) -> Distinct:
    found = ix.extras.get("distinct")
    if found is None:
        with _lock:
            found = ix.extras.get("distinct")
            if found is None:
                found = ix.extras["distinct"] = Distinct(ix, main_searcher)
    return found


def allowed_docs(ix: SearchIndex, main_searcher, filter: wq.Query | None) -> frozenset[int] | None:
    """Main document numbers `filter` allows (None: all), cached per opened index."""
    if filter is None:
        return None
    return ix.cached_filter(filter, lambda: frozenset(main_searcher.docs_for_query(filter)))


def scored(searcher, q: wq.Query) -> list[tuple[float, int]]:
    """(score, docnum) of every match of `q`, score descending then docnum: what Whoosh's
    UnlimitedCollector gives (`searcher.collector(limit=None)`), the same matcher walked the same
    way (replaced every 10 matches, as Whoosh does), without the collector, Results and docset
    it builds around it."""
    context = searcher.context()
    weighting = searcher.weighting
    final = weighting.final if weighting.use_final else None
    items: list[tuple[float, int]] = []
    append = items.append
    for sub, offset in searcher.leaf_searchers():
        m = q.matcher(sub, context)
        countdown = 0
        while m.is_active():
            if countdown == 0:
                m = m.replace(0)
                if not m.is_active():
                    break
                countdown = 10
            countdown -= 1
            docnum = offset + m.id()
            score = m.score()
            append((final(searcher, docnum, score) if final else score, docnum))
            m.next()
    items.sort(key=lambda x: (0 - x[0], x[1]))
    return items


def ranked(
    ix: SearchIndex,
    main_searcher,
    q: wq.Query,
    *,
    filter: wq.Query | None,
    sortedby,
    limit: int | None,
) -> tuple[int, list[tuple[float | None, int]]]:
    """(number of matching documents, the first `limit` (score, docnum) in order; None: all),
    as the main index gives them for `q` restricted to `filter`. `q` must be `eligible`."""
    d = distinct(ix, main_searcher)
    allowed = allowed_docs(ix, main_searcher, filter)
    with ix.texts_searcher() as ts:
        ts.weighting = MainStats(main_searcher, field_lengths(ix, ts))
        # Whoosh picks how to match an Or by the searcher's document count (over 5,000: a tree of
        # unions, which also scores prefix and fuzzy expansions by BM25; else preloaded arrays,
        # constant scores), so the texts searcher reports the main index's count.
        ts.doc_count_all = main_searcher.doc_count_all
        if sortedby is None:
            items = scored(ts, q)
            tids = [t for _, t in items]
            hits: Iterator = d.by_score(items, allowed)
        else:
            tids = sorted(ts.docs_for_query(q))
            by_date = d.by_date_members(main_searcher, sortedby)
            hits = d.by_date([by_date[t] for t in tids], allowed) if tids else iter(())
    total = d.count(tids, allowed)
    out = []
    for hit in hits:
        if limit is not None and len(out) >= limit:
            break
        out.append(hit)
    return total, out
