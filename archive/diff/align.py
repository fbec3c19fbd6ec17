"""Which clause of version A became which clause of version B. Pure: clause lists in, pairs out.

Similarity between two clause texts is measured on their space-free canonical form (see
`archive.diff.tokens`) as sets of 5-character shingles, so run-together words, quote styles and
footnote markers do not lower it:
  sim(a, b)          = 2 |Sa ∩ Sb| / (|Sa| + |Sb|)        (Dice)
  containment(a in b) = |Sa ∩ Sb| / |Sa|

Passes, each over the clauses not yet paired, in this order:
1. Same number and same title (case and spacing ignored): the same clause, whatever its text.
   Unnumbered clauses pair by title (in order when a title repeats).
2. Same title under a new number, text sim >= RENUMBER_SIM: renumbered. Then a title that is part of
   the other's (its words a subset: 2.2's "7.1 Internal Governance", 3.0's "4 Governance"), text sim
   >= TITLE_PART_SIM: renumbered and retitled. Across 2.2 -> 3.0's rewrite the governance provisions
   kept 0.48 of their text (the Responsible Scaling Officer item nearly word for word), under the 0.6
   a pairing on content alone needs; the title is the rest of the evidence.
   Then the changelogs (`changelog.entries.find_changelog`: the unnumbered clause titled "Changelog",
   "Version history" ...), whatever their titles and texts: 1.0 keeps its one line of history under
   Appendices as "Version History", 2.0 a top-level "Changelog" of dated entries.
3. Same number, new title, text sim >= RETITLE_SIM: the same clause, retitled (modified).
4. Any remaining pair with text sim >= CONTENT_SIM, best first: renumbered if its number changed.
5. Kinds: a pair whose parent does not correspond (A's parent is not paired with B's parent) is
   `moved` only when the evidence is strong: sim >= MOVE_SIM and both texts at least MOVE_MIN_CHARS
   long; otherwise it stays renumbered/modified. A false "moved" costs more trust than silence.
6. Split and merge: an unpaired B clause of at least SPLIT_MIN_CHARS whose text is contained in some A
   clause (containment >= SPLIT_CONTAINMENT) is `added` with relation "split" from that clause; an
   unpaired A clause contained that much in some B clause is `removed` with relation "merged" into it.
7. The rest: added or removed. Except "ghosts": a clause of at most GHOST_MAX_CHARS repeating the
   number and title of a longer clause of the same version (a table of contents set as headings) is
   no change at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from archive.diff.changelog.entries import find_changelog
from archive.diff.shingles import ShingleTable
from archive.diff.tokens import analyse
from archive.types import Clause

SHINGLE = 5
RENUMBER_SIM = 0.3
RETITLE_SIM = 0.5
TITLE_PART_SIM = 0.4
CONTENT_SIM = 0.6
MOVE_SIM = 0.75
MOVE_MIN_CHARS = 200
SPLIT_CONTAINMENT = 0.8
SPLIT_MIN_CHARS = 150
GHOST_MAX_CHARS = 300
# Passes comparing at least this many unscored pairs count them in bulk (see _Sims.bulk).
BULK_MIN_PAIRS = 8


@dataclass(frozen=True)
class Pair:
    """One line of the alignment. `a`/`b` are positions in the A and B lists (None when absent)."""

    kind: str  # "same" (to be told modified/unchanged by the word diff), renumbered, moved, added, removed
    a: int | None
    b: int | None
    # Added/removed: containment in the clause split from / merged into (else 0). Pairs: None, as the
    # redline measures a pair on its word diff; shingles are built only where a decision needs them.
    similarity: float | None
    relation: str | None = None  # "split" / "merged" / "retitled"
    related: int | None = None  # for split: the A clause it came from; for merged: the B clause


def _key(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().rstrip(".:").lower()


def _num(s: str) -> str:
    return s.strip().rstrip(".").lower()


def clause_content(c: Clause) -> str:
    """The text compared for a clause: its body, then its footnotes (markers in brackets) in the order
    of their numbers. Notes are stored in the order of the page foot they were set on, and a note that
    went to another page in the next version must not read as moved text."""
    notes = c.footnotes
    if all(f.marker.isdigit() for f in notes):
        notes = sorted(notes, key=lambda f: int(f.marker))
    return c.text + "".join(f"\n[^{f.marker}] {f.text}" for f in notes)


@lru_cache(maxsize=4096)
def _letters(text: str) -> str:
    """The compared form of a text: canonical letters, no spaces, lower case."""
    return analyse(text).letters.lower()


def _shingle_set(s: str) -> frozenset[str]:
    if len(s) <= SHINGLE:
        return frozenset([s]) if s else frozenset()
    # Every SHINGLE-letter slice, built by zipping shifted copies (faster than slicing in a loop).
    return frozenset(map("".join, zip(*(s[k:] for k in range(SHINGLE)), strict=False)))


def _max_shingles(s: str) -> int:
    """An upper bound of len(_shingle_set(s)) without building it."""
    return max(len(s) - SHINGLE + 1, 1) if s else 0


def clear_caches() -> None:
    _letters.cache_clear()


class _Sims:
    """Similarities, computed only when asked: most clauses of consecutive versions pair by number and
    title and have the same letters, whose similarity is known without building shingle sets. A pass
    that compares many pairs asks for them in bulk first (`bulk`, exact counts from numpy: see
    `archive.diff.shingles`); a lone pair is counted with Python sets. Either way the counts live as
    long as one alignment (the letters they come from are cached)."""

    def __init__(self, a: list[Clause], b: list[Clause]) -> None:
        self.ta = [_letters(clause_content(c)) for c in a]
        self.tb = [_letters(clause_content(c)) for c in b]
        self.la = [len(c.text) for c in a]
        self.lb = [len(c.text) for c in b]
        self._cache: dict[tuple[int, int], int] = {}
        self._na: dict[int, int] = {}  # shingle-set sizes
        self._nb: dict[int, int] = {}
        self._sa: dict[int, frozenset[str]] = {}
        self._sb: dict[int, frozenset[str]] = {}

    def sa(self, i: int) -> frozenset[str]:
        if i not in self._sa:
            self._sa[i] = _shingle_set(self.ta[i])
        return self._sa[i]

    def sb(self, j: int) -> frozenset[str]:
        if j not in self._sb:
            self._sb[j] = _shingle_set(self.tb[j])
        return self._sb[j]

    def size_a(self, i: int) -> int:
        n = self._na.get(i)
        if n is None:
            n = self._na[i] = len(self.sa(i))
        return n

    def size_b(self, j: int) -> int:
        n = self._nb.get(j)
        if n is None:
            n = self._nb[j] = len(self.sb(j))
        return n

    def bulk(self, rows: Iterable[int], cols: Iterable[int]) -> None:
        """Count the shared shingles of every (row, col) pair not yet counted, in one numpy pass over
        the texts involved."""
        cols = list(cols)
        cache = self._cache
        need = [(i, j) for i in rows for j in cols if (i, j) not in cache]
        if len(need) < BULK_MIN_PAIRS:
            return  # a handful: Python sets, one at a time, cost less than the numpy set-up
        rs, cs = sorted({i for i, _ in need}), sorted({j for _, j in need})
        if 2 * len(rs) > len(self.ta) and 2 * len(cs) > len(self.tb):
            # Most of both versions (a rewrite): later passes will ask for the rest, so count it now.
            rs, cs = list(range(len(self.ta))), list(range(len(self.tb)))
        table = ShingleTable.of([self.ta[i] for i in rs], [self.tb[j] for j in cs], SHINGLE)
        if table is None:
            return  # an alphabet too large for 64-bit ids: Python sets
        self._na.update(zip(rs, table.sizes_a, strict=True))
        self._nb.update(zip(cs, table.sizes_b, strict=True))
        for i, row in zip(rs, table.shared(range(len(rs)), range(len(cs))), strict=True):
            cache.update(zip(((i, j) for j in cs), row, strict=True))

    def common(self, i: int, j: int) -> int:
        key = (i, j)
        if key not in self._cache:
            sa, sb = self.sa(i), self.sb(j)
            self._cache[key] = len(sa & sb) if len(sa) <= len(sb) else len(sb & sa)
        return self._cache[key]

    def sim(self, i: int, j: int) -> float:
        if self.ta[i] == self.tb[j]:  # same shingles: 2|S| / 2|S|
            return 1.0 if self.ta[i] else 0.0
        total = self.size_a(i) + self.size_b(j)
        if total == 0:
            return 0.0  # two empty headings share no evidence; only pass 1 pairs them
        return 2 * self.common(i, j) / total

    def sim_bound(self, i: int, j: int) -> float:
        """An upper bound of sim(i, j) from the set sizes alone (no intersection)."""
        na, nb = self.size_a(i), self.size_b(j)
        return 2 * min(na, nb) / (na + nb) if na + nb else 0.0

    def a_in_b(self, i: int, j: int) -> float:
        if self.ta[i] == self.tb[j]:
            return 1.0 if self.ta[i] else 0.0
        return self.common(i, j) / self.size_a(i) if self.ta[i] else 0.0

    def b_in_a(self, i: int, j: int) -> float:
        if self.ta[i] == self.tb[j]:
            return 1.0 if self.tb[j] else 0.0
        return self.common(i, j) / self.size_b(j) if self.tb[j] else 0.0

    def best_container(self, j: int) -> tuple[int, float] | None:
        """The first A clause containing most of B clause j, if one contains at least SPLIT_CONTAINMENT
        (what max(..., key=b_in_a) gives; clauses too short to reach the threshold are skipped)."""
        nb = self.size_b(j)
        if not nb:
            return None
        best: tuple[int, float] | None = None
        for i in range(len(self.ta)):
            na = self._na[i] if i in self._na else _max_shingles(self.ta[i])
            if min(na, nb) / nb < SPLIT_CONTAINMENT:
                continue
            v = self.b_in_a(i, j)
            if v >= SPLIT_CONTAINMENT and (best is None or v > best[1]):
                best = (i, v)
        return best

    def best_container_of_a(self, i: int) -> tuple[int, float] | None:
        """Likewise for A clause i in the B clauses."""
        na = self.size_a(i)
        if not na:
            return None
        best: tuple[int, float] | None = None
        for j in range(len(self.tb)):
            nb = self._nb[j] if j in self._nb else _max_shingles(self.tb[j])
            if min(nb, na) / na < SPLIT_CONTAINMENT:
                continue
            v = self.a_in_b(i, j)
            if v >= SPLIT_CONTAINMENT and (best is None or v > best[1]):
                best = (j, v)
        return best


def _heading_keys(clauses: list[Clause]) -> list[tuple[str, str]]:
    """(number, title) of each clause as passes 1-3 compare them."""
    return [(_num(c.number), _key(c.title)) for c in clauses]


def _ghosts(clauses: list[Clause], keys: list[tuple[str, str]] | None = None) -> set[int]:
    """Table-of-contents echoes: a clause repeating the number and title of a longer clause of the same
    version, with at most GHOST_MAX_CHARS of text of its own (a contents page set as headings). They
    are not the document's provisions, so never a change. `keys`: the clauses' heading keys, if known."""
    keys = _heading_keys(clauses) if keys is None else keys
    lengths = [len(c.text.strip()) for c in clauses]
    longest: dict[tuple[str, str], int] = {}
    for key, n in zip(keys, lengths, strict=True):
        longest[key] = max(longest.get(key, 0), n)
    return {k for k, n in enumerate(lengths) if n <= GHOST_MAX_CHARS and n < longest[keys[k]]}


def _paired_ancestor(clauses: list[Clause], k: int | None, paired: dict[int, int]) -> int | None:
    """The nearest ancestor that has a counterpart: a heading added or dropped around a clause (a new
    "Appendices" container) does not make the clause moved."""
    while k is not None and k not in paired:
        k = clauses[k].parent
    return k


def align(a: list[Clause], b: list[Clause]) -> list[Pair]:
    """Pairs in B's document order, removed clauses placed after their preceding A neighbour's pair."""
    heads_a, heads_b = _heading_keys(a), _heading_keys(b)
    ghosts_a, ghosts_b = _ghosts(a, heads_a), _ghosts(b, heads_b)
    sims = _Sims(a, b)
    a_to_b: dict[int, int] = {}
    paired_b: set[int] = set()
    relation: dict[int, str] = {}

    def pair(i: int, j: int, rel: str | None = None) -> None:
        a_to_b[i] = j
        paired_b.add(j)
        if rel:
            relation[i] = rel

    def free_b() -> list[int]:
        return [j for j in range(len(b)) if j not in paired_b]

    # 1. Same number and title; where a key repeats, the most similar texts pair first.
    keys_a: dict[tuple[str, str], list[int]] = {}
    keys_b: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(heads_a):
        keys_a.setdefault(key, []).append(i)
    for j, key in enumerate(heads_b):
        keys_b.setdefault(key, []).append(j)
    for key, is_ in keys_a.items():
        js = keys_b.get(key, [])
        if len(is_) == 1 and len(js) == 1:
            pair(is_[0], js[0])
            continue
        cands = sorted(((sims.sim(i, j), i, j) for i in is_ for j in js), key=lambda t: (-t[0], t[1], t[2]))
        taken: set[int] = set()
        for _s, i, j in cands:
            if i not in a_to_b and j not in taken:
                pair(i, j)
                taken.add(j)

    # Passes 2-4 compare the clauses left unpaired (across a rewrite, most of them): count them now.
    sims.bulk([i for i in range(len(a)) if i not in a_to_b], free_b())

    # 2. Same title, new number.
    for i, (_number, title) in enumerate(heads_a):
        if i in a_to_b or not a[i].number or not title:
            continue
        cands = [j for j in free_b() if heads_b[j][1] == title and sims.sim(i, j) >= RENUMBER_SIM]
        if cands:
            pair(i, max(cands, key=lambda j: sims.sim(i, j)))

    # 2b. A title part of the other's, new number (or not).
    title_words = [set(re.findall(r"\w+", t)) for _n, t in heads_b]
    for i, (_number, title) in enumerate(heads_a):
        words = set(re.findall(r"\w+", title))
        if i in a_to_b or not a[i].number or not words:
            continue
        cands = [j for j in free_b() if b[j].number and title_words[j] and title_words[j] != words
                 and (title_words[j] < words or words < title_words[j]) and sims.sim(i, j) >= TITLE_PART_SIM]
        if cands:
            pair(i, max(cands, key=lambda j: sims.sim(i, j)), "retitled")

    # 2c. The changelogs: where each version keeps its record of versions, whatever it is titled.
    logs = find_changelog(a), find_changelog(b)
    if logs[0] is not None and logs[1] is not None and logs[0][0] not in a_to_b and logs[1][0] not in paired_b:
        pair(logs[0][0], logs[1][0])

    # 3. Same number, new title.
    for i, (number, _title) in enumerate(heads_a):
        if i in a_to_b or not a[i].number:
            continue
        cands = [j for j in free_b() if heads_b[j][0] == number and sims.sim(i, j) >= RETITLE_SIM]
        if cands:
            pair(i, cands[0], "retitled")

    # 4. By content, best first (pairs below CONTENT_SIM are never taken, so the set sizes rule most out).
    fb = free_b()
    scored = sorted(
        (
            (s, i, j)
            for i in range(len(a)) if i not in a_to_b
            for j in fb
            if sims.sim_bound(i, j) >= CONTENT_SIM and (s := sims.sim(i, j)) >= CONTENT_SIM
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_b: set[int] = set()
    for s, i, j in scored:
        if s < CONTENT_SIM:
            break
        if i in a_to_b or j in used_b:
            continue
        pair(i, j)
        used_b.add(j)

    b_to_a = {j: i for i, j in a_to_b.items()}
    pairs: dict[int, Pair] = {}  # by B position
    for j, i in b_to_a.items():
        ca, cb = a[i], b[j]
        pa, pb = _paired_ancestor(a, ca.parent, a_to_b), _paired_ancestor(b, cb.parent, b_to_a)
        parent_ok = (pa is None and pb is None) or (pa is not None and a_to_b.get(pa) == pb)
        long_enough = min(sims.la[i], sims.lb[j]) >= MOVE_MIN_CHARS
        if not parent_ok and long_enough and round(sims.sim(i, j), 3) >= MOVE_SIM:
            kind = "moved"
        elif heads_a[i][0] != heads_b[j][0]:
            kind = "renumbered"
        else:
            kind = "same"
        pairs[j] = Pair(kind, i, j, None, relation.get(i))

    # 6-7. Added (maybe split off) and removed (maybe merged in). Each looks for a container among all
    # clauses of the other version, so the pairs are counted in bulk first.
    lone_b = [j for j in range(len(b)) if j not in pairs and j not in ghosts_b and sims.lb[j] >= SPLIT_MIN_CHARS]
    lone_a = [i for i in range(len(a)) if i not in a_to_b and i not in ghosts_a and sims.la[i] >= SPLIT_MIN_CHARS]
    sims.bulk(range(len(a)), lone_b)
    sims.bulk(lone_a, range(len(b)))
    for j in range(len(b)):
        if j in pairs:
            continue
        if j in ghosts_b:
            pairs[j] = Pair("ghost", None, j, 0.0)
            continue
        found = sims.best_container(j) if sims.lb[j] >= SPLIT_MIN_CHARS else None
        if found is not None:
            pairs[j] = Pair("added", None, j, round(found[1], 3), "split", found[0])
        else:
            pairs[j] = Pair("added", None, j, 0.0)
    removed: dict[int, Pair] = {}
    for i in range(len(a)):
        if i in a_to_b:
            continue
        if i in ghosts_a:
            removed[i] = Pair("ghost", i, None, 0.0)
            continue
        found = sims.best_container_of_a(i) if sims.la[i] >= SPLIT_MIN_CHARS else None
        if found is not None:
            removed[i] = Pair("removed", i, None, round(found[1], 3), "merged", found[0])
        else:
            removed[i] = Pair("removed", i, None, 0.0)

    # Order: B's document order; a removed clause follows the pair of the nearest earlier A clause.
    out: list[Pair] = []
    after: dict[int | None, list[Pair]] = {}
    for i, p in sorted(removed.items()):
        anchor = next((a_to_b[k] for k in range(i - 1, -1, -1) if k in a_to_b), None)
        after.setdefault(anchor, []).append(p)
    out.extend(after.get(None, []))
    for j in range(len(b)):
        out.append(pairs[j])
        out.extend(after.get(j, []))
    return out
