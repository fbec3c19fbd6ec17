"""The search analyzer: find text as PDFs extract it by typing the words normally.

Text extracted from the publisher's PDFs has run-together words ("publishRisk Reportsdiscussing",
"containssufficient"), footnote markers glued to words ("risks5beyond"), curly quotes, dashes,
hyphenated compounds and ligatures. One tokenizer handles all of it, the same way for the indexed
text and for the query, so phrases still line up:

1. Characters: NFKC (ligatures "ﬁ" -> "fi"), curly quotes and every dash/hyphen are separators;
   the multiplication sign is the letter x ("81×" is found as "81x", as the redline treats it).
2. Words are runs of letters and digits; a run is split again where
   - a lowercase letter meets a capital ("publishRisk" -> publish, Risk),
   - one or two digits follow three lowercase letters: a footnote marker, dropped
     ("risks5beyond" -> risks, beyond; "company3" -> company),
   - letters meet digits otherwise ("ASL3" -> asl, 3).
3. Decompounding with a split table learnt from the indexed texts themselves: a rare word (seen at
   most MAX_RARE times) that is the concatenation of two (or three) words seen on their own in the
   same corpus is replaced by its parts ("containssufficient" -> contains, sufficient;
   "reportsdiscussing" -> reports, discussing). A run-together repeated in more texts than that (an
   unchanged sentence carried into later versions: "capablemodels" in 3.1, 3.3 and 3.4) is split
   too when it is long (COMMON_SPLIT_WORD letters or more) and each of its two parts, of at least
   COMMON_SPLIT_PART letters, is seen on its own at least COMMON_SPLIT_RATIO times as often as the
   word: a real compound is about as common as its rarer part ("throughout", "outline", "notable"
   are not split by it). The table is part of the analyzer, so it is pickled
   with the index schema and a query is split exactly like the text: a rare real word split by
   mistake ("upper" -> up, per) still finds itself, as a two-word phrase. Counts are taken over
   distinct clause texts, so unchanged clauses repeated in many versions do not make a
   run-together word look common.
4. Hyphenated compounds ("non-compliance": letters on both sides of one hyphen, no space). The
   compounds of the indexed texts are learnt into a table (joined form -> parts, `learn_compounds`,
   pickled with the schema like the split table). A compound of the table is indexed as its parts,
   one position each, as before, and as its joined form ("noncompliance") too, at the first part's
   position (a token taking no position of its own). So the closed spelling finds the hyphenated
   one, a part finds it ("compliance"), and `noncompl*` finds both spellings. Queries never produce
   that extra token (`query_terms`): a query's hyphenated word is its parts, and
   archive.search.query widens a phrase holding a compound's parts to also try its joined form, and
   a phrase holding a joined form to also try its parts, so "non-compliance", "noncompliance" and
   phrases around either find both spellings. A closed word is never split in the index, so
   "compliance" does not find "noncompliance".
5. Lowercase and Porter stemming ("risks" finds "risk").

Positions advance one per positional token, so a phrase typed normally matches its run-together
form. Several texts indexed as one field value (a clause's body and footnotes) are joined with
NOTE_SEP; each is tokenised (and cached) on its own, and a phrase never spans two of them
(positions jump by NOTE_GAP there).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from whoosh.analysis import Token, Tokenizer
from whoosh.lang.porter import stem

# Punctuation that PDFs set in typographic forms; all of it only separates words.
_RUN = re.compile(r"[^\W_]+")
_MARKER = re.compile(r"(?<=[a-z]{3})\d{1,2}(?!\d)")
# What follows a run whose last digits start a section number, not a marker ("and7.2.2,": 2.2's
# "Sections 7.1.4and7.2.2"), as archive.diff.tokens reads it too.
NUMBER_GOES_ON = re.compile(r"[.,]\d")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ALNUM_EDGE = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")

MIN_SPLIT_WORD = 5  # shorter words are never decompounded
MIN_PART = 2
MAX_RARE = 3  # only words seen at most this often (in distinct texts) are decompounded
COMMON_PART = 2  # at least one half must be seen this often on its own
# A word seen more than MAX_RARE times is split only as the module docstring says (step 3).
COMMON_SPLIT_WORD = 8
COMMON_SPLIT_PART = 4
COMMON_SPLIT_RATIO = 4
HYPHENS = frozenset("-\u00ad\u2010\u2011")  # hyphen-minus, soft hyphen, hyphen, non-breaking hyphen
MAX_COMPOUND_PARTS = 4
MIN_COMPOUND = 4  # joined forms shorter than this are not learnt ("e-g")
TIMES = "\u00d7"  # "×" in "81× effective scaleup": read as the letter x, as typed ("81x")
NOTE_SEP = "\x1e"  # joins several texts in one field value (a clause's footnotes)
NOTE_GAP = 100  # positions skipped at each NOTE_SEP, so no phrase spans two texts


_ORDINALS = frozenset({"st", "nd", "rd", "th"})
_MARK_PUNCT = frozenset(".,;:!?)]\u201d\u2019\"'")  # what may stand between a word and its marker


def marker_after_punctuation(text: str, start: int, run: str) -> bool:
    """Whether `run` (at `start` in `text`, a digit first) opens with a footnote marker set after a
    word's punctuation: "analysis,6 we", "adequate.2To", "analysis,9we", "risk”12 and",
    "~1000x.23 Model", or after a closing parenthesis: "(see Section 3).2 Overall" (1-2 digits, no
    more). "3.6", "A.1", "the 2nd" and "page,2nd" are not."""
    lead = 2 if run[1:2].isdigit() else 1
    if run[lead : lead + 1].isdigit() or run[lead:].lower() in _ORDINALS:
        return False
    i = start - 1
    while i >= 0 and start - i <= 2 and text[i] in _MARK_PUNCT:
        i -= 1
    if i == start - 1 or i < 1:
        return False
    return (text[i].islower() and text[i - 1].isalnum()) or ")" in text[i + 1 : start]


def _pieces(run: str, start: int, numbered: bool = False) -> Iterator[tuple[str, int, int]]:
    """Split one letter/digit run at case, marker and letter/digit boundaries: (text, start, end).
    `numbered`: the text goes on with ".2" after the run, so digits ending it are no marker."""
    cuts: list[tuple[int, int]] = []  # spans to keep
    pos = 0
    for m in _MARKER.finditer(run):
        if numbered and m.end() == len(run):
            continue
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
    if TIMES in text:  # "81×" is typeset "81x" (one character for one: offsets hold)
        text = text.replace(TIMES, "x")
    for m in _RUN.finditer(text):
        run, start = m.group(0), m.start()
        if run.isascii() and run.isalpha() and (run.islower() or run[1:].islower()):
            yield run.lower(), start, m.end()  # the common case: a plain word
            continue
        if run[0].isdigit() and marker_after_punctuation(text, start, run):  # "rights.12We": a marker
            lead = 2 if run[1:2].isdigit() else 1
            run, start = run[lead:], start + lead
            if not run:
                continue
        for piece, s, e in _pieces(run, start, NUMBER_GOES_ON.match(text, m.end()) is not None):
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
        if len(word) < MIN_SPLIT_WORD or not word.isalpha():
            continue
        if n > MAX_RARE:
            common = _common_split(word, n, freq)
            if common is not None:
                splits[word] = common
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


def _common_split(word: str, n: int, freq: Counter[str]) -> tuple[str, str] | None:
    """The two parts of a word seen more than MAX_RARE times that is a run-together of two far more
    common words (module docstring, step 3), the most common such pair; else None."""
    if len(word) < COMMON_SPLIT_WORD:
        return None
    best: tuple[int, tuple[str, str]] | None = None
    for i in range(COMMON_SPLIT_PART, len(word) - COMMON_SPLIT_PART + 1):
        a, b = word[:i], word[i:]
        score = min(freq[a], freq[b])
        if score >= COMMON_SPLIT_RATIO * n and (best is None or score > best[0]):
            best = (score, (a, b))
    return best[1] if best else None


def _hyphen_runs(text: str, ws: list[tuple[str, int, int]]) -> dict[int, int]:
    """First word index -> last word index of each run of alphabetic words joined by single
    hyphens with no space ("non-compliance", "state-of-the-art"); a hyphen at a line end is not one."""
    runs: dict[int, int] = {}
    i = 0
    while i < len(ws):
        j = i
        while (
            j + 1 < len(ws)
            and ws[j + 1][1] == ws[j][2] + 1
            and text[ws[j][2]] in HYPHENS
            and ws[j][0].isalpha()
            and ws[j + 1][0].isalpha()
        ):
            j += 1
        if j > i:
            runs[i] = j
        i = j + 1
    return runs


def learn_compounds(texts: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Joined form -> parts of every hyphenated compound in the texts (see module doc, step 4)."""
    found: dict[str, tuple[str, ...]] = {}
    for text in set(texts):
        if not any(h in text for h in HYPHENS):
            continue
        ws = list(words(text))
        for i, j in _hyphen_runs(text, ws).items():
            parts = tuple(w for w, _, _ in ws[i : j + 1])
            joined = "".join(parts)
            if len(parts) <= MAX_COMPOUND_PARTS and len(joined) >= MIN_COMPOUND and min(map(len, parts)) >= MIN_PART:
                found.setdefault(joined, parts)
    return dict(sorted(found.items()))


# Tokenised texts, oldest dropped first, bounded by the characters they hold (a term list costs about
# 30 bytes a character): 2M characters is ~60 MB, several times the RSP corpus's distinct text.
_TERMS_CACHE: dict[tuple[int | None, str], list[tuple[str, int, int]]] = {}
# Beside each cached term list: the query terms (the terms less the joined forms of compounds, see
# `_scan`), the position of each term, and term -> indexes of its occurrences in the list (for
# snippets: a hit's matched terms are looked up rather than found by scanning every term).
_POSITIONS: dict[tuple[int | None, str], tuple[list[tuple[str, int, int]], Sequence[int], dict[str, list[int]]]] = {}
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

    def __init__(
        self,
        splits: dict[str, tuple[str, ...]] | None = None,
        stemming: bool = True,
        compounds: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.splits = dict(splits or {})
        self.stemming = stemming
        self.compounds = dict(compounds or {})
        # The table as queries see it, stemmed both ways: parts -> joined form and back.
        self.joined = {tuple(map(self._stem_of, p)): self._stem_of(j) for j, p in self.compounds.items()}
        self.parts = {j: p for p, j in self.joined.items()}
        # Identifies the tables in the process-wide cache of tokenised texts.
        self.key = hash((tuple(sorted(self.splits.items())), stemming, tuple(sorted(self.compounds.items()))))

    def _stem_of(self, word: str) -> str:
        return _stem(word) if self.stemming else word

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ArchiveTokenizer)
            and self.splits == other.splits
            and self.stemming == other.stemming
            and getattr(self, "compounds", {}) == getattr(other, "compounds", {})
        )

    def __hash__(self) -> int:  # pragma: no cover - Whoosh never hashes analyzers
        return hash((len(self.splits), self.stemming))

    def terms(self, text: str) -> list[tuple[str, int, int]]:
        """The indexed terms of `text` with their character spans, in order, the joined form of a
        hyphenated compound included (cached: texts repeat across versions and queries, and
        snippets need the spans of every hit)."""
        return self._cached(text)[0]

    def query_terms(self, text: str) -> list[tuple[str, int, int]]:
        """The terms that take a position each (`terms` less the joined forms of compounds): what
        a query is made of, so that its phrases line up with the text."""
        return self._cached(text)[1]

    def positions(self, text: str) -> tuple[list[tuple[str, int, int]], dict[str, list[int]]]:
        """`terms(text)` and, for each term, the indexes of its occurrences there (cached with it)."""
        found = self._cached(text)
        return found[0], found[3]

    def term_positions(self, text: str) -> Sequence[int]:
        """The index position of each of `terms(text)` (a compound's joined form shares its first
        part's), as a phrase query matches them."""
        return self._cached(text)[2]

    def _cached(self, text: str) -> tuple[list, list, Sequence[int], dict[str, list[int]]]:
        """(terms, query_terms, position of each of the terms, term -> indexes in terms)."""
        global _terms_cache_chars
        key = (getattr(self, "key", None), text)
        found = _TERMS_CACHE.get(key)
        rest = _POSITIONS.get(key) if found is not None else None
        if found is None or rest is None:
            found, positional, pos = self._scan(text)
            rest = (positional, pos, _positions(found))
            with _terms_cache_lock:
                if key not in _TERMS_CACHE and len(text) <= _TERMS_CACHE_CHARS:
                    while _terms_cache_chars + len(text) > _TERMS_CACHE_CHARS:
                        oldest = next(iter(_TERMS_CACHE))
                        del _TERMS_CACHE[oldest]
                        _POSITIONS.pop(oldest, None)
                        _terms_cache_chars -= len(oldest[1])
                    _TERMS_CACHE[key] = found
                    _POSITIONS[key] = rest
                    _terms_cache_chars += len(text)
        return (found, *rest)

    def _terms(self, text: str) -> list[tuple[str, int, int]]:
        return self._scan(text)[0]

    def _scan(self, text: str) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]], Sequence[int]]:
        """(terms, query terms, position of each term). The terms are the query terms plus the
        joined form of each hyphenated compound of the table, placed just before its first part
        and sharing that part's position."""
        st = _stem if self.stemming else str
        ws = list(words(text))
        compounds = getattr(self, "compounds", None)
        runs = _hyphen_runs(text, ws) if compounds and any(h in text for h in HYPHENS) else {}
        if not runs:  # the common case: every term takes a position
            only = self._positional(ws, st)
            return only, only, range(len(only))
        positional: list[tuple[str, int, int]] = []
        terms: list[tuple[str, int, int]] = []
        pos: list[int] = []
        for k, (w, s, e) in enumerate(ws):
            last = runs.get(k)
            if last is not None:  # "non-compliance": also "noncompliance", if a known compound
                joined = "".join(x for x, _, _ in ws[k : last + 1])
                if joined in compounds:
                    terms.append((st(joined), s, ws[last][2]))
                    pos.append(len(positional))
            first = len(positional)
            positional.extend(self._positional([(w, s, e)], st))
            terms.extend(positional[first:])
            pos.extend(range(first, len(positional)))
        return terms, positional, pos

    def _positional(self, ws: list[tuple[str, int, int]], st) -> list[tuple[str, int, int]]:
        """The query terms of words `ws` (decompounded and stemmed by `st`)."""
        out: list[tuple[str, int, int]] = []
        for w, s, e in ws:
            parts = self.splits.get(w)
            if parts and e - s == len(w):
                at = s
                for p in parts:
                    out.append((st(p), at, at + len(p)))
                    at += len(p)
            elif parts:
                out.extend((st(p), s, e) for p in parts)
            else:
                out.append((st(w), s, e))
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
        # Texts joined by NOTE_SEP are tokenised (and cached) one by one: a body and its footnotes
        # are also what snippets look up.
        char0, pos0 = 0, 0
        for part in value.split(NOTE_SEP) if NOTE_SEP in value else (value,):
            if mode == "index":  # joined forms of compounds too (see _scan); never in queries
                tokens, positional, pos, _ = self._cached(part)
            else:
                tokens = positional = self.query_terms(part)
                pos = range(len(tokens))
            for (term, s, e), p in zip(tokens, pos, strict=True):
                t.text = term
                t.boost = 1.0
                t.stopped = False
                if keeporiginal:
                    t.original = part[s:e]
                if positions:
                    t.pos = start_pos + pos0 + p
                if chars:
                    t.startchar, t.endchar = start_char + char0 + s, start_char + char0 + e
                yield t
            char0 += len(part) + len(NOTE_SEP)
            pos0 += len(positional) + NOTE_GAP


def make_analyzer(
    splits: dict[str, tuple[str, ...]] | None = None, compounds: dict[str, tuple[str, ...]] | None = None
) -> ArchiveTokenizer:
    return ArchiveTokenizer(splits, compounds=compounds)
