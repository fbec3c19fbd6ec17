"""Quote lookup over every clause, in memory: compact texts prepared once per opened index.

Resolving a quote means finding its compact form (see archive.search.quotes) in the compact form of
clause texts. Asking Whoosh for candidate clauses first, then loading and compacting each of them,
cost more per request than the matching itself, and more again as the archive grows (every version
repeats most clauses). Instead, the first quote lookup on an opened index loads every stored clause
once, compacts each distinct text once (identical clauses in many versions share it), and joins
them into one string that `str.find` scans at C speed. Closest passages are ranked the same way
over distinct texts, by the rarest words they share with the quote, before difflib scores the few
best. The tables live as long as the opened index, which is replaced whenever SQL changes.
Each footnote is one more passage, a view of its clause (IndexedClause.footnote_views).

A quote may also begin in a clause's printed heading (IndexedClause.heading_view). Headings get a
table of their own, each followed by the first PROBE letters of its body: a quote's first PROBE
letters found there, starting in the heading, name the few clauses to check in full. (Adding every
heading view to the main table would double what each lookup scans and what the tables hold.)
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence

from archive.search import quotes as qt
from archive.search.index import IndexedClause, SearchIndex

Keep = Callable[[IndexedClause], bool] | None
_WORD = re.compile(r"[^\W_]+")
_SEP = "|"  # never in a compact text (letters and digits only)
PROBE = 32  # compact letters of a quote looked up among headings
_build_lock = threading.Lock()


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class Passages:
    """Every clause of one opened index, grouped by identical text (see the module docstring)."""

    def __init__(self, docs: Sequence[IndexedClause]) -> None:
        self.docs = list(docs)
        ids: dict[str, int] = {}
        self.members: list[list[IndexedClause]] = []  # text id -> clauses with that text, doc order
        self.compacts: list[tuple[str, tuple[int, ...]]] = []
        for d in self.docs:
            tid = ids.get(d.text)
            if tid is None:
                tid = ids[d.text] = len(self.members)
                self.members.append([])
                self.compacts.append(qt.compact.__wrapped__(d.text))
            self.members[tid].append(d)
        self.starts = list(_starts(c for c, _ in self.compacts))
        self.hay = _SEP.join(c for c, _ in self.compacts)
        # Headings: (heading, body) -> the clauses printed so; compacted: the heading, then PROBE
        # letters of the body (a heading ends in a line break, so the two compact forms just join).
        heads: dict[tuple[str, str], int] = {}
        self.head_members: list[list[IndexedClause]] = []
        self.head_compacts: list[str] = []
        self.head_lengths: list[int] = []  # compact letters of the heading alone
        for d in self.docs:
            if not d.heading or d.footnote is not None:
                continue
            hid = heads.get((d.heading, d.text))
            if hid is None:
                hid = heads[(d.heading, d.text)] = len(self.head_members)
                self.head_members.append([])
                heading = qt.compact.__wrapped__(d.heading)[0]
                self.head_compacts.append(heading + self.compacts[ids[d.text]][0][:PROBE])
                self.head_lengths.append(len(heading))
            self.head_members[hid].append(d)
        self.head_starts = list(_starts(self.head_compacts))
        self.head_hay = _SEP.join(self.head_compacts)
        # word -> {text id: occurrences}, over distinct texts, for ranking near passages
        self.postings: dict[str, dict[int, int]] = {}
        for text, tid in ids.items():
            for w in _words(text):
                row = self.postings.setdefault(w, {})
                row[tid] = row.get(tid, 0) + 1

    def _texts_with(self, needle: str) -> Iterable[int]:
        """Ids of the distinct texts whose compact form contains `needle`, in text order."""
        return _ids_with(self.hay, self.starts, needle)

    def locate(self, quote: str, *, keep: Keep = None, prefix: str | None = None, suffix: str | None = None):
        """Every exact match of `quote` in the clauses `keep` allows (and their footnotes, and their
        headings); same result as `quotes.locate(quote, all those clauses, prefix=..., suffix=...)`."""
        segments = qt.quote_segments(quote)
        cprefix = qt.compact(prefix or "")[0][-qt.CONTEXT * 2 :]
        csuffix = qt.compact(suffix or "")[0][: qt.CONTEXT * 2]
        by_version: dict[tuple[str, str], list[qt.Match]] = {}
        matched: set[int] = set()
        for tid in self._texts_with(segments[0]):
            docs = [d for d in self.members[tid] if keep is None or keep(d)]
            if not docs:
                continue
            spans = qt.find_in(docs[0], segments, cprefix, csuffix, self.compacts[tid])
            if spans:
                matched.add(tid)
            self._add(by_version, docs, spans)
        probe = segments[0][:PROBE]
        for hid in _ids_with(self.head_hay, self.head_starts, probe):
            # The quote must begin in the heading: most candidates are quotes of a body's first words.
            if self.head_compacts[hid].find(probe) >= self.head_lengths[hid]:
                continue
            docs = [d for d in self.head_members[hid] if keep is None or keep(d)]
            if not docs:
                continue
            first = docs[0].heading_view()
            assert first is not None
            # Only a match that begins in the heading: any other is the body's, found above.
            spans = [m for m in qt.find_in(first, segments, cprefix, csuffix) if m.start < first.lead]
            if spans:
                self._add(by_version, [first, *(d.heading_view() for d in docs[1:])], spans)
        unmarked = qt.unmarked_segments(quote)  # "4 “Double...": footnote 4, or 8 where renumbered
        for tid in self._texts_with(unmarked[0]) if unmarked else ():
            docs = [d for d in self.members[tid] if d.footnote is not None and (keep is None or keep(d))]
            if tid in matched or not docs:
                continue
            self._add(by_version, docs, qt.find_after_marker(docs[0], unmarked, cprefix, csuffix, self.compacts[tid]))
        out: list[qt.Match] = []
        for matches in by_version.values():
            if (cprefix or csuffix) and len(matches) > 1:
                best = max(m.context for m in matches)
                matches = [m for m in matches if m.context == best]
            out.extend(matches)
        return out

    @staticmethod
    def _add(by_version: dict, docs: list[IndexedClause], spans: list[qt.Match]) -> None:
        """Record the matches `spans` (found in docs[0]) for every clause in `docs` (same text)."""
        for d in docs:
            for m in spans:
                by_version.setdefault((d.policy, d.version), []).append(
                    qt.Match(d, m.start, m.end, m.context) if d is not m.doc else m
                )

    def near(self, quote: str, *, keep: Keep = None, limit: int = 12, max_words: int = 10) -> list[IndexedClause]:
        """Up to `limit` clauses most like `quote`: distinct texts ranked by the idf-weighted count of
        the quote's rarest words they contain, each text's clauses in document order (newest first)."""
        n = len(self.members)
        words = [w for w in dict.fromkeys(_words(quote)) if w in self.postings]
        words = sorted(words, key=lambda w: len(self.postings[w]))[:max_words]
        scores: dict[int, float] = {}
        for w in words:
            row = self.postings[w]
            idf = math.log(1 + n / len(row))
            for tid, tf in row.items():
                scores[tid] = scores.get(tid, 0.0) + idf * (1 + math.log(tf))
        out: list[IndexedClause] = []
        for tid in sorted(scores, key=lambda t: (-scores[t], t)):
            for d in self.members[tid]:
                if keep is None or keep(d):
                    out.append(d)
                    if len(out) == limit:
                        return out
        return out

    def also_in(self, m: qt.Match, *, keep: Keep = None) -> list[str]:
        """Other versions of the same policy holding the passage of `m` (same compact text)."""
        passage = qt.compact(m.doc.text[m.start : m.end])[0]
        found = set()
        for tid in self._texts_with(passage) if passage else ():
            for d in self.members[tid]:
                if d.policy == m.doc.policy and d.version != m.doc.version and (keep is None or keep(d)):
                    found.add(d.version)
        return sorted(found)


def _starts(compacts: Iterable[str]) -> Iterable[int]:
    """Where each compact text starts in their _SEP-joined string."""
    at = 0
    for c in compacts:
        yield at
        at += len(c) + len(_SEP)


def _ids_with(hay: str, starts: list[int], needle: str) -> Iterable[int]:
    """Ids of the texts joined in `hay` (starting at `starts`) whose compact form contains `needle`."""
    last = -1
    i = hay.find(needle) if needle else -1
    while i >= 0:
        tid = bisect_right(starts, i) - 1
        if tid != last:
            yield tid
            last = tid
        i = hay.find(needle, starts[tid + 1] if tid + 1 < len(starts) else len(hay))


def passages(ix: SearchIndex) -> Passages:
    """The Passages of an opened index, built on first use (once, even under concurrent requests)."""
    found = ix.extras.get("passages")
    if found is None:
        with _build_lock:
            found = ix.extras.get("passages")
            if found is None:
                docs = ix.all_docs()
                found = ix.extras["passages"] = Passages(docs + [v for d in docs for v in d.footnote_views()])
    return found
