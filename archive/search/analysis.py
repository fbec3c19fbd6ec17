"""The search analyzer: find text as PDFs extract it by typing the words normally.

Text extracted from the publisher's PDFs has run-together words ("publishRisk Reportsdiscussing",
"containssufficient"), footnote markers glued to words ("risks5beyond"), curly quotes, dashes,
hyphenated compounds and ligatures. One tokenizer handles all of it, the same way for the indexed
text and for the query, so phrases still line up:

1. Characters: NFKC (ligatures "ﬁ" -> "fi"), curly quotes and every dash/hyphen are separators.
2. Words are runs of letters and digits; a run is split again where
   - a lowercase letter meets a capital ("publishRisk" -> publish, Risk),
   - one or two digits follow three lowercase letters: a footnote marker, dropped
     ("risks5beyond" -> risks, beyond; "company3" -> company),
   - letters meet digits otherwise ("ASL3" -> asl, 3).
3. Decompounding with a split table learnt from the indexed texts themselves: a rare word (seen at
   most MAX_RARE times) that is the concatenation of two (or three) words seen on their own in the
   same corpus is replaced by its parts ("containssufficient" -> contains, sufficient;
   "reportsdiscussing" -> reports, discussing). The table is part of the analyzer, so it is pickled
   with the index schema and a query is split exactly like the text: a rare real word split by
   mistake ("upper" -> up, per) still finds itself, as a two-word phrase. Counts are taken over
   distinct clause texts, so unchanged clauses repeated in many versions do not make a
   run-together word look common.
4. Lowercase and Porter stemming ("risks" finds "risk").

Positions advance one per emitted token, so a phrase typed normally matches its run-together form.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache

from whoosh.analysis import Token, Tokenizer
from whoosh.lang.porter import stem

# Punctuation that PDFs set in typographic forms; all of it only separates words.
_RUN = re.compile(r"[^\W_]+")
_MARKER = re.compile(r"(?<=[a-z]{3})\d{1,2}(?!\d)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ALNUM_EDGE = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")

MIN_SPLIT_WORD = 5  # shorter words are never decompounded
MIN_PART = 2
MAX_RARE = 3  # only words seen at most this often (in distinct texts) are decompounded
COMMON_PART = 2  # at least one half must be seen this often on its own


def _pieces(run: str, start: int) -> Iterator[tuple[str, int, int]]:
    """Split one letter/digit run at case, marker and letter/digit boundaries: (text, start, end)."""
    cuts: list[tuple[int, int]] = []  # spans to keep
    pos = 0
    for m in _MARKER.finditer(run):
        cuts.append((pos, m.start()))
        pos = m.end()
    cuts.append((pos, len(run)))
    for a, b in cuts:
        chunk = run[a:b]
        if not chunk:
            continue
        edges = [0] + [m.start() for m in _CAMEL.finditer(chunk)] + [m.start() for m in _ALNUM_EDGE.finditer(chunk)]
        edges = sorted(set(edges)) + [len(chunk)]
        for x, y in zip(edges, edges[1:], strict=False):
            if y > x:
                yield chunk[x:y], start + a + x, start + a + y


def words(text: str) -> Iterator[tuple[str, int, int]]:
    """Lowercased words before decompounding and stemming, with their offsets in `text`."""
    for m in _RUN.finditer(text):
        run = m.group(0)
        if run.isascii() and run.isalpha() and (run.islower() or run[1:].islower()):
            yield run.lower(), m.start(), m.end()  # the common case: a plain word
            continue
        for piece, s, e in _pieces(run, m.start()):
            norm = unicodedata.normalize("NFKC", piece).lower()
            # NFKC may expand (ligatures) or produce separators: re-split the normalised piece.
            if norm.isalnum():
                yield norm, s, e
            else:
                for sub in _RUN.findall(norm):
                    yield sub, s, e


def learn_splits(texts: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The decompounding table for a corpus: run-together word -> its parts (see module doc)."""
    freq: Counter[str] = Counter()
    for text in set(texts):
        freq.update(w for w, _, _ in words(text))
    splits: dict[str, tuple[str, ...]] = {}

    def seen(part: str) -> int:
        return freq[part] if len(part) >= MIN_PART else 0

    for word, n in freq.items():
        if n > MAX_RARE or len(word) < MIN_SPLIT_WORD or not word.isalpha():
            continue
        best: tuple[int, tuple[str, ...]] | None = None
        for i in range(MIN_PART, len(word) - MIN_PART + 1):
            a, b = word[:i], word[i:]
            fa = seen(a)
            if not fa:
                continue
            fb = seen(b)
            if fb and max(fa, fb) >= COMMON_PART:
                score = min(fa, fb)
                if best is None or score > best[0]:
                    best = (score, (a, b))
            elif not fb and len(b) >= 2 * MIN_PART:
                for j in range(MIN_PART, len(b) - MIN_PART + 1):
                    c, d = b[:j], b[j:]
                    fc, fd = seen(c), seen(d)
                    score = min(fa, fc, fd) - 1  # a two-way split wins a tie
                    if fc and fd and (best is None or score > best[0]):
                        best = (score, (a, c, d))
        if best is not None:
            splits[word] = best[1]
    return splits


# Tokenised texts, oldest dropped first, bounded by the characters they hold (a term list costs about
# 30 bytes a character): 2M characters is ~60 MB, several times the RSP corpus's distinct text.
_TERMS_CACHE: dict[tuple[int | None, str], list[tuple[str, int, int]]] = {}
# Beside each cached term list: term -> indexes of its occurrences in it (for snippets: a hit's
# matched terms are looked up rather than found by scanning every term of the text).
_POSITIONS: dict[tuple[int | None, str], dict[str, list[int]]] = {}
_TERMS_CACHE_CHARS = 2_000_000
_terms_cache_chars = 0
_terms_cache_lock = threading.Lock()


def _positions(terms: list[tuple[str, int, int]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, (t, _, _) in enumerate(terms):
        row = out.get(t)
        if row is None:
            out[t] = [i]
        else:
            row.append(i)
    return out


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return stem(word) if word.isalpha() else word


class ArchiveTokenizer(Tokenizer):
    """Whoosh tokenizer doing all of the module docstring's steps (see there)."""

    def __init__(self, splits: dict[str, tuple[str, ...]] | None = None, stemming: bool = True) -> None:
        self.splits = dict(splits or {})
        self.stemming = stemming
        # Identifies the split table in the process-wide cache of tokenised texts.
        self.key = hash((tuple(sorted(self.splits.items())), stemming))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArchiveTokenizer) and self.splits == other.splits and self.stemming == other.stemming

    def __hash__(self) -> int:  # pragma: no cover - Whoosh never hashes analyzers
        return hash((len(self.splits), self.stemming))

    def terms(self, text: str) -> list[tuple[str, int, int]]:
        """The indexed terms of `text` with their character spans, in order (cached: texts repeat
        across versions and queries, and snippets need the spans of every hit)."""
        global _terms_cache_chars
        key = (getattr(self, "key", None), text)
        found = _TERMS_CACHE.get(key)
        if found is None:
            found = self._terms(text)
            positions = _positions(found)
            with _terms_cache_lock:
                if key not in _TERMS_CACHE and len(text) <= _TERMS_CACHE_CHARS:
                    while _terms_cache_chars + len(text) > _TERMS_CACHE_CHARS:
                        oldest = next(iter(_TERMS_CACHE))
                        del _TERMS_CACHE[oldest]
                        _POSITIONS.pop(oldest, None)
                        _terms_cache_chars -= len(oldest[1])
                    _TERMS_CACHE[key] = found
                    _POSITIONS[key] = positions
                    _terms_cache_chars += len(text)
        return found

    def positions(self, text: str) -> tuple[list[tuple[str, int, int]], dict[str, list[int]]]:
        """`terms(text)` and, for each term, the indexes of its occurrences there (cached with it)."""
        terms = self.terms(text)
        found = _POSITIONS.get((getattr(self, "key", None), text))
        return terms, found if found is not None else _positions(terms)

    def _terms(self, text: str) -> list[tuple[str, int, int]]:
        out: list[tuple[str, int, int]] = []
        for w, s, e in words(text):
            parts = self.splits.get(w)
            if parts and e - s == len(w):
                at = s
                for p in parts:
                    out.append((_stem(p) if self.stemming else p, at, at + len(p)))
                    at += len(p)
            elif parts:
                out.extend((_stem(p) if self.stemming else p, s, e) for p in parts)
            else:
                out.append((_stem(w) if self.stemming else w, s, e))
        return out

    def __call__(  # noqa: PLR0913 - Whoosh's tokenizer signature
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value.lower()
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        for pos, (term, s, e) in enumerate(self.terms(value)):
            t.text = term
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[s:e]
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + s, start_char + e
            yield t


def make_analyzer(splits: dict[str, tuple[str, ...]] | None = None) -> ArchiveTokenizer:
    return ArchiveTokenizer(splits)
