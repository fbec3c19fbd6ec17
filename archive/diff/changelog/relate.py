"""Scoring a change against every changelog item: shared terms weighted by inverse document
frequency, a clause named by its section number, a phrase rare in the policy, and the discount for
sentences that only point at another clause."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from itertools import chain

from archive.types import Clause

STEM = 6

REF_BONUS = 6.0
RARE_BIGRAM_DF = 3

_REF = re.compile(r"\b(Section|Appendix)\s+([A-Z]\b|\d+(?:\.\d+)*)")
_SENTENCE_END = re.compile(r"(?<=[.;:])\s+")  # not inside "3.1"

_STOP = set(
    """about all also and any are been being but can could did does done each even for from further had
    has have how however includes including into its just like made make makes may might more most must
    not only other our over per shall should some such than that the their them then there these they
    this those under upon use used using very via was well were what when where whether which while who
    whom why will with within without would""".split()  # noqa: SIM905
)

def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z&]+", text.lower())


class _Stemmer:
    """Words to terms (re-split with `vocab` when given, stop words dropped, cut to STEM letters),
    memoised per word: one audit turns the same few thousand words into terms many times."""

    def __init__(self, vocab: set[str] | None, known: _Stemmer | None = None) -> None:
        self.vocab = vocab
        # A word of the vocabulary is never re-split, nor is one too short to be split: for those
        # words the plain stemmer's terms are already the answer.
        self._memo: dict[str, tuple[str, ...]] = {}
        if known is not None:
            self._memo = {w: t for w, t in known._memo.items() if len(w) < 6 or not vocab or w in vocab}

    def _learn(self, words: list[str]) -> set[str]:
        """Memoise the terms of every new word; return the distinct words."""
        distinct = set(words)
        new = distinct.difference(self._memo)
        if new:
            memo, vocab = self._memo, self.vocab
            if vocab:
                for w in [w for w in new if len(w) >= 6 and w not in vocab]:
                    parts = _resplit(w, vocab)
                    memo[w] = tuple(term(p) for p in parts if len(p) >= 3 and p not in _STOP)
                    new.discard(w)
            # One part: the word itself (what the loop above gives a word it does not split).
            memo.update({w: (term(w),) if len(w) >= 3 and w not in _STOP else () for w in new})
        return distinct

    def stems(self, words: list[str]) -> list[str]:
        """The terms of `words`, in order."""
        self._learn(words)
        return list(chain.from_iterable(map(self._memo.__getitem__, words)))

    def term_set(self, words: list[str]) -> set[str]:
        """set(self.stems(words)), without listing every occurrence."""
        return set(chain.from_iterable(map(self._memo.__getitem__, self._learn(words))))

    def bigrams(self, words: list[str], seq: list[str] | None = None, among: set | None = None) -> set[tuple[str, str]]:
        """Adjacent term pairs of `words` (or of the terms `seq`); only those in `among` when given."""
        seq = self.stems(words) if seq is None else seq
        pairs = zip(seq, seq[1:], strict=False)
        return set(pairs) if among is None else among.intersection(pairs)


# Two-letter words a run-together may end with ("dateup" -> "date", "up"): a split there needs the rest
# to be a word of at least four letters. A two-letter start is not split: "update", "inform", "asset".
_SHORT_TAILS = frozenset({"up", "to", "of", "in", "on", "by", "as", "or", "is", "at"})


def term(word: str) -> str:
    """A word's term: a plural "s" and an "ing" dropped ("briefings" and "brief", "risks" and "risk"
    meet), then cut to STEM letters (the rest of English morphology mostly differs later than that)."""
    if len(word) > 3 and word[-1] == "s" and word[-2] != "s":
        word = word[:-1]
    if len(word) >= 7 and word.endswith("ing"):
        word = word[:-3]
    return word[:STEM]


def _resplit(word: str, vocab: set[str]) -> tuple[str, ...]:
    """Undo a PDF run-together ("givencoverage" -> "given", "coverage") when both halves are words."""
    if word in vocab or len(word) < 6:
        return (word,)
    for i in range(3, len(word) - 2):
        if word[:i] in vocab and word[i:] in vocab:
            return word[:i], word[i:]
    if word[-2:] in _SHORT_TAILS and word[:-2] in vocab:
        return word[:-2], word[-2:]
    return (word,)


Scores = list[tuple[float, int, bool]]  # per item: (score, shared terms, shares a rare phrase)


class Relater:
    """Scores a change against every item (see the package docstring): the terms of an item it shares,
    weighted by inverse document frequency over the newer version's clauses, and the rest of the
    evidence `audit` decides with."""

    def __init__(self, clauses: list[Clause], skip: set[int], items: list[str]) -> None:
        # Words of titles and texts, found once (a match never spans the space that joins title and text).
        title_words = [_words(c.title) for c in clauses]
        text_words = [_words(c.text) for c in clauses]
        self.plain = plain = _Stemmer(None)
        docs = [plain.term_set(tw + xw) for tw, xw in zip(title_words, text_words, strict=True)]
        df = Counter(chain.from_iterable(docs))
        n = len(docs)
        # Only words that stand alone in the policy's body count as vocabulary for re-splitting: the
        # changelog's own run-togethers ("givencoverage dateup") must not vouch for themselves.
        body = [k for k in range(len(clauses)) if k not in skip]
        vocab = {w for k in body for w in chain(title_words[k], text_words[k]) if len(w) >= 3}
        self.stem = stem = _Stemmer(vocab, known=plain)
        self.item_terms = item_terms = [stem.term_set(_words(it)) for it in items]
        # A change scores only on terms it shares with an item, so only items' terms need a weight.
        self.idf = {t: math.log((n + 1) / (df.get(t, 0) + 0.5)) for t in set().union(*item_terms)}
        item_bigrams = [stem.bigrams(_words(it)) for it in items]
        # Only bigrams of items are ever looked up: count and collect just those.
        self.item_bigram_set = set().union(*item_bigrams)
        # In how many clauses each bigram stands (counted once, not per change and item).
        bigram_df = Counter(chain.from_iterable(stem.bigrams(xw, among=self.item_bigram_set) for xw in text_words))
        self.item_refs = [{(k.lower(), v.lower()) for k, v in _REF.findall(it)} for it in items]
        # All an item could score: a change scoring near it holds most of what the item announces.
        self.item_mass = [math.fsum(map(self.idf.__getitem__, terms)) + (REF_BONUS if refs else 0.0)
                          for terms, refs in zip(item_terms, self.item_refs, strict=True)]
        # The bigrams of each item rare enough (in at most RARE_BIGRAM_DF clauses) to count as its phrase.
        self.rare_bigrams = [{bg for bg in ibig if bigram_df[bg] <= RARE_BIGRAM_DF} for ibig in item_bigrams]

    def score_all(self, evidence: set[str], seq: list[str], names: set[tuple[str, str]]) -> Scores:
        """Per item: (idf of the terms it shares with the evidence, how many, whether a rare phrase too)."""
        ch_bigrams = self.stem.bigrams([], seq, among=self.item_bigram_set)
        idf = self.idf
        scores = []
        for terms, irefs, rare in zip(self.item_terms, self.item_refs, self.rare_bigrams, strict=True):
            shared = terms & evidence
            score = math.fsum(map(idf.__getitem__, shared))  # exact: a set's order must not tip a threshold
            if not irefs.isdisjoint(names):
                score += REF_BONUS
                shared = shared | {"<ref>"}
            scores.append((score, len(shared), not rare.isdisjoint(ch_bigrams)))
        return scores

    def likelihood(self, k: int, score: float) -> float:
        """How likely item k is the one that announced a change scoring `score` on it: the score, times
        the share of the item's evidence (the idf of all its terms, its clause reference) it holds."""
        return score * score / self.item_mass[k] if self.item_mass[k] else 0.0

    def relate(self, ch: dict) -> dict:
        """A change's scores and the evidence `without_pointers` needs again."""
        changed = " ".join(o["text"] for o in ch["ops"] if o["op"] != "equal")
        refs = [r for r in (ch["to_clause"], ch["from_clause"]) if r]
        changed_stems = self.stem.stems(_words(changed))
        title_terms = {t for r in refs for t in self.plain.stems(_words(r["title"]))}
        names = _names(refs)
        scores = self.score_all(set(changed_stems) | title_terms, changed_stems, names)
        return {"scores": scores, "names": names, "pointing": _pointers(changed, names), "changed": changed,
                "title_terms": title_terms}

    def without_pointers(self, a: dict) -> Scores:
        """The change's scores without its sentences that name another clause."""
        kept = " ".join(x for x in _SENTENCE_END.split(a["changed"]) if not _REF.search(x))
        rest = self.stem.stems(_words(kept))
        return self.score_all(set(rest) | a["title_terms"], rest, a["names"])


def _pointers(changed: str, own: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The other clauses ("Section 1", "Appendix A") that the changed text names."""
    if "Section" not in changed and "Appendix" not in changed:  # most texts: no regex pass over them
        return set()
    return {(k.lower(), v.lower()) for k, v in _REF.findall(changed)} - own


def discount_pointers(audited: list[dict], n_items: int, without: Callable[[dict], list]) -> None:
    """A change that points the reader at the clause an item is about ("crosses the threshold for
    automated AI R&D described in Section 1", 3.0 -> 3.1 §3.6) repeats that item's words without
    being the announced change. For each item, the changes naming the item's best-matching clause
    take their score `without` their pointing sentences (in place; tops chosen before any change)."""
    tops = [max(audited, key=lambda a: a["scores"][k][0], default=None) for k in range(n_items)]
    cut: dict[int, list] = {}  # id(change) -> its scores without pointers, computed once if needed
    for a in audited:
        if not a["pointing"]:
            continue
        for k, top in enumerate(tops):
            if top is None or top is a or top["scores"][k][0] <= 0 or a["pointing"].isdisjoint(top["names"]):
                continue
            if id(a) not in cut:
                cut[id(a)] = without(a)
            a["scores"][k] = cut[id(a)][k]


def _names(refs: list[dict]) -> set[tuple[str, str]]:
    """The (kind, value) references that name these clauses: "Section 3.4" names clause 3.4 (its
    number without a final dot, any case) and "Appendix A" the clause numbered "Appendix A"."""
    out = set()
    for ref in refs:
        number = ref["number"].rstrip(".").lower()
        out.add(("section", number))
        if number.startswith("appendix "):
            out.add(("appendix", number[len("appendix "):]))
    return out
