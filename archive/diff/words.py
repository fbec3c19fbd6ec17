"""Word-level changes between two texts, insensitive to the noise of PDF extraction.

How it works:
1. Both texts are normalised (NFKC for ligatures, soft hyphens and form feeds dropped, a hyphen at a
   line end between lowercase letters joined) and split into words at whitespace, and where the PDF
   lost a space between two words in a way a word never is: after a footnote marker ("risks5 beyond"),
   between a sentence or label and a capital ("feedback:We", "production.AI"), and before a capital
   after four lowercase letters ("unredactedRisk"). The last two are compared as two words and shown
   as printed: the second word carries GLUE, and op texts join it to the first without a space.
2. Every word gets a *canonical key*: quote styles (and × / x) unified, dashes, hyphens and the
   caret of a spelled-out superscript ("35^2" / "352") dropped, except a hyphen between two letters
   ("non-compliance" is not "noncompliance": ingest has already told a line-end hyphen's kind),
   footnote markers glued to a word removed ("risks5beyond" -> "risksbeyond", "face.1Where",
   "4“Double", "[^4]"; not "and7.2.2", a run-together section number).
3. Words are mapped to single characters (one per distinct key) and diffed with diff-match-patch,
   then `diff_cleanupSemantic`; a change therefore never splits a word. A long clause sharing almost
   no words with its counterpart (REWRITE_JACCARD) is one delete and one insert.
4. Each changed hunk (the deletes and inserts between two equal runs) is compared on its canonical
   form with all spaces removed: if the letters are the same ("containssufficient" vs "contains
   sufficient", a moved page break, a quote style) the hunk is noise and becomes equal. Otherwise the
   hunk is refined with a character diff of those space-free strings, and only equal stretches that
   start and end on a word boundary on *both* sides are kept as equal, so words are still whole.
5. A list item's number that changed because an item was added or removed above it ("3." now "4.",
   "(b)" now "(c)") is noise, like a renumbered footnote: equal, shown as the newer version numbers it.
   A list marker is a number, letter or roman numeral with "." or ")" (or in parentheses), or a
   bullet, that starts a line after a sentence or a list's end (".:;!?" or a closing parenthesis) or
   the clause's start, or stands alone on its line after "and" or "or": not "Section\n3." or
   "exceeds\n4.", a reference or a number that wrapped. Only markers of one style count as
   renumbered; "●" becoming "1." is a change of format and still shows. An inserted or deleted item
   is shown with its own marker in front, not the next one's.
6. A footnote marker ending an insertion before unchanged text starts that text (it marks the note
   that follows), and a retitled clause's title is diffed word by word (archive.diff.redline).
7. A run of at least MOVE_MIN_CHARS content characters deleted in one place of the clause and inserted
   in another (table rows that broke across pages differently, a sentence moved) becomes equal text at
   its new place, marked moved, and is no longer deleted at its old one. So does a shorter changed
   stretch (MOVE_WHOLE_WORDS words, MOVE_WHOLE_MIN_CHARS characters) deleted whole and inserted whole.
   Such a run found in the deletes and inserts of one hunk stands where it stood: it is equal, in place,
   from IN_PLACE_MIN_CHARS characters when it is IN_PLACE_SHARE of the shorter side.

Equal text is shown as the newer version prints it. Whitespace in op texts is collapsed to one space.
"""

from __future__ import annotations

import difflib
import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, chain

from archive.diff.fastdmp import FastDiffMatchPatch

# Hunks whose space-free forms are both longer than this skip the character refinement (a rewrite,
# not a spacing accident); their edges are still trimmed on common word boundaries.
REFINE_MAX_CHARS = 600
# A clause pair of at least REWRITE_MIN_WORDS words on each side whose distinct canonical words
# overlap less than this (Jaccard: shared / all distinct words) is a rewrite: diffed as one delete and
# one insert (after any common prefix and suffix) instead of a minimal word diff. Honest because the
# few words such texts share ("the", "policy", a stray phrase) are coincidences a reader cannot use;
# a minimal diff would only scatter them as confetti, at the cost of Myers' O(ND) search with D near
# N (2.2 -> 3.0 Introduction: 703 vs 791 words, Jaccard 0.16, ~115 ms in pure Python). Every other
# clause pair of that length in the corpus overlaps by 0.65 or more.
REWRITE_MIN_WORDS = 100
REWRITE_JACCARD = 0.2
# Text deleted in one place of a clause and inserted in another counts as moved (equal, at its new
# place) from this many content characters (about ten words): less could be a coincidence of phrasing.
MOVE_MIN_CHARS = 60
# A run of this many content characters (about four words) found in both the deletion and the
# insertion of one change did not move and is no change: equal where it stands. The word diff folds
# such a run into a change when the words around it changed ("Internal transparency: We will share
# final," between 3.4's new item and its rewording). It is the same place, so less evidence will do.
IN_PLACE_MIN_CHARS = 24
# ...when it is at least this share of the shorter side, too: two rewritten passages (2.2 -> 3.0's
# Introduction) share phrases like "Responsible Scaling Policy" by coincidence of subject.
IN_PLACE_SHARE = 0.2
# A whole changed stretch that reappears whole elsewhere in the clause (a table cell's last line that a
# page break put after the next cell: "of AI this advanced.") is moved from this size: that its edges
# coincide on both sides is the evidence a shorter run lacks.
MOVE_WHOLE_WORDS = 3
MOVE_WHOLE_MIN_CHARS = 12
# A refined equal stretch shorter than this (canonical characters) is folded into the change, so a
# rewritten sentence does not come out as confetti around shared little words.
MIN_EQUAL_CHARS = 4

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
                         "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'",
                         "×": "x"})  # "3×" and "3x" are one multiplier, typeset two ways
# Dashes and hyphens, and the caret of a superscript that extraction spelled out ("35^2" where another
# printing of the same text gives "352"): none of them is content.
_DASH_CHARS = "-‐‑‒–—―−\u00ad^"
_NO_DASHES = str.maketrans("", "", _DASH_CHARS)
_QUOTES_NO_DASHES = {**_QUOTES, **_NO_DASHES}
# A hyphen between two letters is spelling ("non-compliance"), kept; next to a digit ("ASL-3",
# "covid-19") or alone it goes with the dashes.
_INNER_HYPHEN = re.compile(r"(?<=[^\W\d_])[-‐‑](?=[^\W\d_])")
# Not before ".2" or ",2": "and7.2.2" is a run-together section number, not a marker.
_MARKER_AFTER_WORD = re.compile(r"(?<=[a-z]{2})\d{1,2}(?!\d|[.,]\d)")
# After punctuation that follows a word or a closing parenthesis ("face.1", "(see Section 3).1").
_MARKER_AFTER_PUNCT = re.compile(r"(?:(?<=[a-z][.,;:!?)\"'])|(?<=\)[.,;:]))\d{1,2}(?=[A-Za-z\"]|$)")
# Before a capital or an opening quote and its word ("4“Double", "10A"); not before a closing quote
# ('("Machine 1").' keeps its 1).
_MARKER_LEADING = re.compile(r"^\d{1,2}(?=[A-Z]|\"[A-Za-z])")
_DIGIT = re.compile(r"\d")
_MARKER_TOKEN = re.compile(r"^\[\^?\w{1,3}\]$")
_LINE_HYPHEN = re.compile(r"(?<=[a-z])-\s*\n\s*(?=[a-z])")
_WORD = re.compile(r"\S+")
# ASCII letters and the punctuation `canonical` leaves alone: a word made only of these is its own key
# (nine distinct words in ten), known without a regex pass.
_AS_IS = frozenset(string.ascii_letters + ".,;:!?()'\"/&%")
# A list item's marker (module docstring, step 5): a number, letter or numeral with "." or ")" or in
# parentheses, or a bullet; told from "Section 3." by the end of what comes before it.
_LABEL = r"(?:\d{1,2}|[a-zA-Z]|[ivxIVX]{1,4})"
_LIST_MARKER = re.compile(rf"^(?:{_LABEL}[.)]|\({_LABEL}\)|[●•◦▪‣○■□])$")
_AFTER_SENTENCE = frozenset(".:;!?)")
# Marks a word that the PDF ran into the word before it, once the two are split (never printed).
GLUE = "\u2063"
# A sentence or a label run into the next one where the PDF had no space ("feedback:We",
# "production.AI"): a space, so the words on either side compare as words. Before a full stop, three
# lowercase letters, so "U.S." and "e.g." stay whole.
# After a colon or semicolon one letter or digit will do ("CBRN-4:The"). Punctuation first: found fast.
_GLUED_SENTENCE = re.compile(r"[.,!?)](?=[A-Z])(?<=[a-z]{3}.)|[:;](?=[A-Z])(?<=[^\W_].)")
# A capitalised word run into a lowercase one ("unredactedRisk", "introducedCapability"): split before
# the capital after four lowercase letters. A brand spelled so ("EthicsPoint") is split too, and still
# shown as printed (GLUE), its letters compared as before.
_GLUED_CAPITAL = re.compile(r"[A-Z](?=[a-z])(?<=[a-z]{4}.)")
# A footnote marker glued between two words ("risks5beyond", "face.1Where") separates them.
# After two lowercase letters and before a letter, or after a lowercase letter and a closing mark and
# before a letter or an opening quote. Found from the digits (a pattern opening with lookbehinds is
# tried at every character: five times slower), then checked where they stand.
_GLUED_DIGITS = re.compile(r"\d\d?(?=[A-Za-z“\"])")
_LOWER = frozenset(string.ascii_lowercase)
_CLOSING = frozenset(".,;:)\"'”’")


def _unglue_markers(text: str) -> str:
    def space_after(m: re.Match) -> str:
        at = m.start()
        before, last = (text[at - 2], text[at - 1]) if at >= 2 else ("", "")
        after = text[m.end()]
        if before in _LOWER and (last in _LOWER and after.isascii() and after.isalpha() or last in _CLOSING):
            return m.group() + " "
        return m.group()

    return _GLUED_DIGITS.sub(space_after, text)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "").replace("\f", "\n")
    return _LINE_HYPHEN.sub("", text)


@lru_cache(maxsize=1 << 16)
def canonical(word: str) -> str:
    """The part of a word that counts as content (see the module docstring). Memoised: a document
    repeats a few thousand distinct words, and every pass (alignment, diff, similarity) needs them."""
    if word.isascii() and _AS_IS.issuperset(word):
        return word
    return _canonical_by_rules(word)


def _canonical_by_rules(word: str) -> str:
    if word.startswith(GLUE):
        return canonical(word[1:])
    if _MARKER_TOKEN.match(word):
        return ""
    if not _DIGIT.search(word):  # every marker pattern needs a digit: one pass does the rest
        if "-" in word or "‐" in word or "‑" in word:
            word = _INNER_HYPHEN.sub("\ue000", word)
            return word.translate(_QUOTES_NO_DASHES).replace("\ue000", "-")
        return word.translate(_QUOTES_NO_DASHES)
    w = word.translate(_QUOTES)
    w = _MARKER_LEADING.sub("", w)
    w = _MARKER_AFTER_WORD.sub("", w)
    w = _MARKER_AFTER_PUNCT.sub("", w)
    return w.translate(_NO_DASHES)  # after the markers: "covid-19" keeps its 19


def _separated(text: str) -> str:
    """The text with a space wherever its words are split (see the module docstring, step 1). Where the
    PDF ran two words together the second begins with GLUE: compared as two, shown as printed."""
    text = _unglue_markers(normalize(text))
    return _GLUED_CAPITAL.sub(" " + GLUE + r"\g<0>", _GLUED_SENTENCE.sub(r"\g<0> " + GLUE, text))


def tokens(text: str) -> list[str]:
    """The words of a text as printed (footnote markers glued to a word set apart)."""
    return _WORD.findall(_unglue_markers(normalize(text)))


def compared_words(text: str) -> list[str]:
    """The words of a text as the diff compares them: `tokens`, with run-together words split (the
    second marked with GLUE). What `analyse` gives, without the list markers it also finds."""
    return _WORD.findall(_separated(text))


def join_words(words: Sequence[str]) -> str:
    """Words as text: a space between two, none before a word that was run into the one before it."""
    return " ".join(words).replace(" " + GLUE, "").removeprefix(GLUE)


def _words_and_list_markers(text: str) -> tuple[list[str], frozenset[int]]:
    """The words of a text as compared (tokens(text), with run-together words split and marked with
    GLUE), and the indices of those that are list markers (module docstring, step 5): that needs the
    lines, which the words alone have lost."""
    words: list[str] = []
    markers: list[int] = []
    for line in _separated(text).split("\n"):
        ws = line.split()  # the same whitespace as _WORD's \S+
        if not ws:
            continue
        first = ws[0]
        if _LIST_MARKER.match(first) and (
            not words or words[-1][-1] in _AFTER_SENTENCE
            # Alone on its line, a list's last item may follow "; and": "exceeds\n4." is no marker.
            or len(ws) == 1 and words[-1].lower() in ("and", "or")
        ):
            markers.append(len(words))
        words += ws
    return words, frozenset(markers)


def _renumbered(old: str, new: str) -> bool:
    """Two list markers of one style ("3." and "4.", "(b)" and "(c)")."""
    def style(marker: str) -> str:  # "(b)" -> "(a)", "C." -> "A.", "12." -> "0."
        return re.sub(r"[A-Z]+", "A", re.sub(r"[a-z]+", "a", re.sub(r"\d+", "0", marker)))

    return style(old) == style(new)


@dataclass(frozen=True)
class Analysed:
    """One text as every pass sees it: its words, their canonical keys, and the space-free letters."""

    words: tuple[str, ...]
    keys: tuple[str, ...]
    letters: str  # "".join(keys)
    list_markers: frozenset[int]  # indices of the words that are list markers


@lru_cache(maxsize=2048)  # a few MB at most: words and keys of as many clause texts
def analyse(text: str) -> Analysed:
    """Tokenised once per distinct text (a clause is seen by alignment, diff, similarity and audit)."""
    found, markers = _words_and_list_markers(text)
    words = tuple(found)
    keys = tuple(map(canonical, words))
    return Analysed(words, keys, "".join(keys), markers)


def canonical_length(text: str) -> int:
    """Number of content characters in a text (the denominator of similarities)."""
    return len(analyse(text).letters)


def clear_caches() -> None:
    """Forget memoised words and texts (benchmarks call this so a cold run is really cold)."""
    canonical.cache_clear()
    analyse.cache_clear()


@dataclass(frozen=True)
class Op:
    op: str  # "equal" | "insert" | "delete"
    text: str
    moved: bool = False  # equal text that stands elsewhere in the older version's clause

    def as_dict(self) -> dict:
        return {"op": self.op, "text": self.text, "moved": True} if self.moved else {"op": self.op, "text": self.text}


_dmp = FastDiffMatchPatch()  # the library's diffs, found faster
_dmp.Diff_Timeout = 0  # deterministic: never give up half way


def _encode(a: Sequence[str], b: Sequence[str]) -> tuple[str, str]:
    """One character per distinct word, numbered from U+0100 in order of first appearance (A, then B),
    skipping the surrogate block."""
    distinct = dict.fromkeys(chain(a, b))
    codes = chain(range(0x100, 0xD800), range(0xE000, 0x110000))
    table = dict(zip(distinct, map(chr, codes), strict=False))
    get = table.__getitem__
    return "".join(map(get, a)), "".join(map(get, b))


def _is_rewrite(ka: Sequence[str], kb: Sequence[str]) -> bool:
    """A long clause whose vocabulary was replaced (see REWRITE_JACCARD)."""
    if min(len(ka), len(kb)) < REWRITE_MIN_WORDS:
        return False
    sa, sb = set(ka), set(kb)
    return len(sa & sb) < REWRITE_JACCARD * len(sa | sb)


def _word_diff(ka: Sequence[str], kb: Sequence[str]) -> list[tuple[int, int, int, int]]:
    """Segments (op, count) over the two key lists as (op, i, j, n): op -1/0/1 at A index i, B index j."""
    ca, cb = _encode(ka, kb)
    if _is_rewrite(ka, kb):  # common prefix and suffix, then one delete and one insert
        p = _dmp.diff_commonPrefix(ca, cb)
        q = _dmp.diff_commonSuffix(ca[p:], cb[p:])
        diffs = [(0, ca[:p]), (-1, ca[p : len(ca) - q]), (1, cb[p : len(cb) - q]), (0, ca[len(ca) - q :])]
        diffs = [d for d in diffs if d[1]]
        _dmp.diff_cleanupSemantic(diffs)
    else:
        diffs = _dmp.diff_semantic(ca, cb)
    out = []
    i = j = 0
    for op, s in diffs:
        out.append((op, i, j, len(s)))
        if op <= 0:
            i += len(s)
        if op >= 0:
            j += len(s)
    return out


def _boundaries(keys: Sequence[str]) -> dict[int, int]:
    """Canonical char offset -> number of words before it, at every word boundary."""
    pos = {0: 0}
    n = 0
    for idx, k in enumerate(keys):
        n += len(k)
        pos[n] = idx + 1  # words with empty keys share an offset; the later index wins
    return pos


def _refine(ka: Sequence[str], kb: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    """Split one changed hunk into (op, a0, a1, b0, b1) pieces, equal only where letters agree."""
    sa, sb = "".join(ka), "".join(kb)
    if sa == sb:
        return [("equal", 0, len(ka), 0, len(kb))]
    ba, bb = _boundaries(ka), _boundaries(kb)
    equal_spans: list[tuple[int, int, int, int]] = []  # canonical (a_start, a_end, b_start, b_end)
    if len(sa) <= REFINE_MAX_CHARS and len(sb) <= REFINE_MAX_CHARS and sa and sb:
        diffs = _dmp.diff_semantic(sa, sb)
        x = y = 0
        for op, s in diffs:
            if op == 0:
                equal_spans.append((x, x + len(s), y, y + len(s)))
            if op <= 0:
                x += len(s)
            if op >= 0:
                y += len(s)
    else:  # common prefix and suffix only
        p = _dmp.diff_commonPrefix(sa, sb)
        if p:
            equal_spans.append((0, p, 0, p))
        q = _dmp.diff_commonSuffix(sa[p:], sb[p:])
        if q:
            equal_spans.append((len(sa) - q, len(sa), len(sb) - q, len(sb)))
    pieces: list[tuple[str, int, int, int, int]] = []
    wa = wb = 0  # words consumed so far
    for xa, xe, ya, _ye in equal_spans:
        # Shrink the span to offsets that are word boundaries on both sides (same shift on each).
        start = next((d for d in range(xe - xa + 1) if xa + d in ba and ya + d in bb), None)
        if start is None:
            continue
        end = next((d for d in range(xe - xa, start - 1, -1) if xa + d in ba and ya + d in bb), None)
        if end is None or end - start < MIN_EQUAL_CHARS and not (xa + start == 0 and xa + end == len(sa)):
            continue
        a0, a1 = ba[xa + start], ba[xa + end]
        b0, b1 = bb[ya + start], bb[ya + end]
        if a0 < wa or b0 < wb:
            continue
        if a0 > wa or b0 > wb:
            pieces.append(("change", wa, a0, wb, b0))
        pieces.append(("equal", a0, a1, b0, b1))
        wa, wb = a1, b1
    if wa < len(ka) or wb < len(kb):
        pieces.append(("change", wa, len(ka), wb, len(kb)))
    return pieces


Span = tuple[str, int, int, int, int]  # ("equal" | "change", a0, a1, b0, b1): word ranges of A and B


def diff_words(a: str, b: str) -> list[Op]:
    """Ops turning text `a` into text `b`; see the module docstring for what counts as a change."""
    xa, xb = analyse(a), analyse(b)
    wa, wb, ka, kb = xa.words, xb.words, xa.keys, xb.keys
    if ka == kb:  # what the diff below returns for equal keys, without running it
        return [Op("equal", join_words(wb))] if wb else []
    spans = _spans(ka, kb)
    ma, mb = xa.list_markers, xb.list_markers
    if ma and mb:
        spans = _items_keep_their_markers(_without_renumbering(spans, wa, wb, ma, mb), wa, wb, ma, mb)
    if "[^" in a or "[^" in b:
        spans = _notes_start_changes(spans, wa, wb, xa.keys, xb.keys)
    raw: list[tuple[str, Sequence[str]]] = []
    for kind, a0, a1, b0, b1 in spans:
        da, ib = wa[a0:a1], wb[b0:b1]
        if kind == "equal" or "".join(ka[a0:a1]) == "".join(kb[b0:b1]):  # only markers or dashes differ
            raw.append(("equal", ib))
            continue
        if "".join(ka[a0:a1]):
            raw.append(("delete", da))
        # (else a lone dash or marker went away: noise)
        raw.append(("insert" if "".join(kb[b0:b1]) else "equal", ib))
    return _coalesce(raw)


def _spans(ka: Sequence[str], kb: Sequence[str]) -> list[Span]:
    """The word diff of two key lists as equal and changed spans, each changed hunk refined (step 4)."""
    segs = _word_diff(ka, kb)
    spans: list[Span] = []
    k = 0
    while k < len(segs):
        op, i, j, n = segs[k]
        if op == 0:
            spans.append(("equal", i, i + n, j, j + n))
            k += 1
            continue
        # Gather the whole hunk of deletes and inserts up to the next equal run.
        i0, j0 = i, j
        i1, j1 = i, j
        while k < len(segs) and segs[k][0] != 0:
            op, i, j, n = segs[k]
            if op < 0:
                i1 = i + n
            else:
                j1 = j + n
            k += 1
        spans += [(kind, i0 + a0, i0 + a1, j0 + b0, j0 + b1) for kind, a0, a1, b0, b1 in _refine(ka[i0:i1], kb[j0:j1])]
    return spans


def _renumbered_at(
    wa: Sequence[str], wb: Sequence[str], ma: frozenset[int], mb: frozenset[int], i: int, j: int
) -> bool:
    """Whether word i of A and word j of B are list markers of one style (a renumbered item)."""
    return i in ma and j in mb and _renumbered(wa[i], wb[j])


def _without_renumbering(
    spans: list[Span], wa: Sequence[str], wb: Sequence[str], ma: frozenset[int], mb: frozenset[int]
) -> list[Span]:
    """A renumbered list item's marker at either end of a change is no change (step 5): equal."""
    out: list[Span] = []
    for kind, a0, a1, b0, b1 in spans:
        if kind == "equal":
            out.append((kind, a0, a1, b0, b1))
            continue
        lead = 0
        while a0 + lead < a1 and b0 + lead < b1 and _renumbered_at(wa, wb, ma, mb, a0 + lead, b0 + lead):
            lead += 1
        trail = 0
        while a0 + lead < a1 - trail and b0 + lead < b1 - trail and _renumbered_at(
            wa, wb, ma, mb, a1 - trail - 1, b1 - trail - 1
        ):
            trail += 1
        pieces = [("equal", a0, a0 + lead, b0, b0 + lead), ("change", a0 + lead, a1 - trail, b0 + lead, b1 - trail),
                  ("equal", a1 - trail, a1, b1 - trail, b1)]
        out += [p for p in pieces if p[1] < p[2] or p[3] < p[4]]
    return out


def _items_keep_their_markers(
    spans: list[Span], wa: Sequence[str], wb: Sequence[str], ma: frozenset[int], mb: frozenset[int]
) -> list[Span]:
    """A list item inserted or deleted whole comes out of the word diff with the next item's marker:
    its own was matched (equal, or renumbered: step 5) to the marker standing there in the other text.
    Slide the change one word back, so it carries its own marker, and pair the next item's marker
    with the one it was matched to. Done here, where both texts' words are known: equal text shows the
    newer words, so a deleted item must take its marker from the older text (3.2 -> 2.0: 3.2's "6.
    Internal review" was deleted after "Employee agreements", which 2.0 numbers 6 and 3.2 numbers 5)."""
    out = list(spans)
    for k in range(1, len(out)):
        kind, a0, a1, b0, b1 = out[k]
        before = out[k - 1]
        if kind == "equal" or before[0] != "equal" or before[1] == before[2] or before[3] == before[4]:
            continue
        if k + 1 < len(out) and out[k + 1][0] != "equal":
            continue
        i, j = a0 - 1, b0 - 1  # the markers the equal text ends with
        if i not in ma or j not in mb:
            continue
        deleted = b0 == b1 and a1 - a0 >= 2 and a1 - 1 in ma and _renumbered(wa[i], wa[a1 - 1])
        inserted = a0 == a1 and b1 - b0 >= 2 and b1 - 1 in mb and _renumbered(wb[j], wb[b1 - 1])
        if not (deleted or inserted):
            continue
        # One word back on both sides: the equal text gives up its markers, the change takes its own
        # side's, and the marker ending the change pairs with the other side's as the next equal text.
        _slide_back(out, k, 1)
    return [s for s in out if s[1] < s[2] or s[3] < s[4]]


def _notes_start_changes(
    spans: list[Span], wa: Sequence[str], wb: Sequence[str], ka: Sequence[str], kb: Sequence[str]
) -> list[Span]:
    """A footnote inserted or deleted whole, before another note, may come out of the word diff
    starting after its marker and the words it shares with the next note's start: 2.0 -> 2.2 read
    "[^1] We | - will specify ... checkpoint. [^2] We | hope to publish ...", since a note's marker
    is no content (its key is empty). Where the change can slide back (the words before it are, by
    their keys, the words it ends with) to start at a note's marker, slide it: the note is shown
    whole, "- [^1] We will specify ... checkpoint." and then "[^1] We hope ..." unchanged."""
    out = list(spans)
    for k in range(1, len(out)):
        kind, a0, a1, b0, b1 = out[k]
        before = out[k - 1]
        if kind == "equal" or before[0] != "equal" or (a0 < a1) == (b0 < b1):
            continue
        if k + 1 < len(out) and out[k + 1][0] != "equal":
            continue
        words, keys, c0, c1 = (wa, ka, a0, a1) if a0 < a1 else (wb, kb, b0, b1)
        other, o0 = (wb, b0) if a0 < a1 else (wa, a0)  # the side with no words in the change
        room = min(c1 - c0 - 1, before[2] - before[1], before[4] - before[3])
        # Both sides give up the same words (by key), a marker first: an equal span may be longer on one
        # side (a marker, whose key is empty, ending it), and a shift must take no real word with it.
        shift = next((n for n in range(1, room + 1)
                      if _MARKER_TOKEN.match(words[c0 - n]) and _MARKER_TOKEN.match(other[o0 - n])
                      and keys[c0 - n : c0] == keys[c1 - n : c1] == ka[a0 - n : a0] == kb[b0 - n : b0]), 0)
        if shift:
            _slide_back(out, k, shift)
    return [s for s in out if s[1] < s[2] or s[3] < s[4]]


def _slide_back(out: list[Span], k: int, n: int) -> None:
    """In place: the change out[k], between equal spans (or last), moved n words back on both sides.
    The equal span before gives up its last n words, and the next one (made if out[k] was last) takes
    the change's last n words with the other side's words they now pair with."""
    kind, a0, a1, b0, b1 = out[k]
    before = out[k - 1]
    nxt = out[k + 1] if k + 1 < len(out) else ("equal", a1, a1, b1, b1)
    out[k - 1 : k + 2] = [("equal", before[1], a0 - n, before[3], b0 - n), (kind, a0 - n, a1 - n, b0 - n, b1 - n),
                          ("equal", a1 - n, nxt[2], b1 - n, nxt[4])]


def _is_item_marker(words: Sequence[str], k: int) -> bool:
    """Whether words[k] reads as a list item's marker: marker-shaped, first, or after a sentence's end
    or a list's "and".
    (The ops have lost the lines that `analyse` tells markers by; this is what is left.)"""
    return bool(_LIST_MARKER.match(words[k])) and (
        k == 0 or words[k - 1][-1] in _AFTER_SENTENCE or words[k - 1].lower() in ("and", "or"))


def _previous_marker(marker: str) -> str | None:
    """The list marker before `marker` in its style ("7." -> "6.", "(d)" -> "(c)"); None where there
    is none or it cannot be told (a bullet, a roman numeral, the first item)."""
    m = re.fullmatch(r"(\(?)(\d+|[a-zA-Z])([.)])", marker)
    if m is None:
        return None
    open_, label, close = m.groups()
    if label.isdigit():
        return f"{open_}{int(label) - 1}{close}" if int(label) > 1 else None
    if label in "aA" or label in "iIvVxX" and open_ == "(":  # "(i)" may be a roman one: not told
        return None
    return f"{open_}{chr(ord(label) - 1)}{close}"


def _items_with_their_markers(merged: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """A list item inserted (or deleted) whole comes out of the word diff with the next item's marker
    ("2. | + Long Term ... analyses. 3. | Internal ..."): its own marker was matched as equal to the
    marker standing there before. Slide it one word back, so the item carries its own marker and the
    next marker stands, renumbered, before the next item (step 5). So with a footnote inserted before
    others (3.3's new note 4 and the old note 4, now 8): "+ [^4] In particular ..." then "[^8] Double"."""
    out = [(op, list(words)) for op, words in merged]
    for k in range(1, len(out)):
        op, words = out[k]
        before = out[k - 1][1]
        after = out[k + 1] if k + 1 < len(out) else None
        if op not in ("insert", "delete") or out[k - 1][0] != "equal" or (after is not None and after[0] != "equal"):
            continue
        if len(words) < 2 or not before:
            continue
        items = (_is_item_marker(before, len(before) - 1) and _is_item_marker(words, len(words) - 1)
                 and _renumbered(before[-1], words[-1]))
        notes = bool(_MARKER_TOKEN.match(before[-1]) and _MARKER_TOKEN.match(words[-1]))  # "[^4]", "[^8]"
        if not (items or notes):
            continue
        moved, stays = before.pop(), words.pop()
        own = moved  # the equal text's marker is the newer text's: right for an insertion
        if op == "delete" and items:
            # A deleted item's own marker is the older text's: the one before the first older marker
            # the deletion holds (3.2's "6." before "7.", where the newer text's equal marker says "6."
            # for 3.2's "5."). The `_items_keep_their_markers` pass does this where spans tell it.
            first = next((w for n, w in enumerate(words) if _is_item_marker(words, n) and _renumbered(w, stays)),
                         stays)
            own = _previous_marker(first) or moved
        out[k] = (op, [own, *words])
        # An inserted item's successor keeps B's new marker; a deleted one's, B's marker that was here.
        head = stays if op == "insert" else moved
        if after is not None:
            after[1].insert(0, head)
        else:
            out.append(("equal", [head]))
    return [(op, words) for op, words in out if words]


def _coalesce(raw: list[tuple[str, Sequence[str]]]) -> list[Op]:
    merged = _notes_with_their_text(_items_with_their_markers(_moves(_merge(raw))))
    # Words keep the space that followed them; only the very last op ends without one. So does an op of
    # the newer text (equal, insert) whose last word the PDF ran into the newer text's next word
    # ("feedback:" + "We"); a deletion between them then starts with the space the older text had.
    texts = [join_words(words) for _op, words in merged]
    spaced = [n + 1 < len(merged) for n in range(len(merged))]
    lead = [False] * len(merged)
    for n, (op, _words) in enumerate(merged):
        if op == "delete":
            continue
        nxt = next((k for k in range(n + 1, len(merged)) if merged[k][0] != "delete"), None)
        if nxt is not None and merged[nxt][1][0].startswith(GLUE):
            spaced[n] = False
            lead[n + 1] = merged[n + 1][0] == "delete"
    ops: list[Op] = []
    for n, (op, _words) in enumerate(merged):
        text = (" " if lead[n] else "") + texts[n] + (" " if spaced[n] else "")
        ops.append(Op("equal", text, moved=True) if op == "moved" else Op(op, text))
    return ops


def _notes_with_their_text(merged: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """A footnote marker ("[^8]") ending an insertion, before equal text, starts that text: it is the
    marker of the unchanged note that follows, which the word diff was free to put on either side (a
    marker is no content). Only B's markers move this way: equal text is B's."""
    out = [(op, list(words)) for op, words in merged]
    for (op, words), (after_op, after) in zip(out, out[1:], strict=False):
        n = 0
        while op == "insert" and after_op == "equal" and n < len(words) - 1 and _MARKER_TOKEN.match(words[-1 - n]):
            n += 1
        if n:
            after[:0] = words[-n:]
            del words[-n:]
    return out


def _merge(raw: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[str, list[str]]]:
    """Adjacent pieces of one kind joined; inside a change, deletes before inserts."""
    merged: list[tuple[str, list[str]]] = []
    for op, words in raw:
        if not words:
            continue
        if merged and merged[-1][0] == op:
            merged[-1][1].extend(words)
        elif op == "delete" and len(merged) >= 1 and merged[-1][0] == "insert":
            # Keep deletes before inserts inside a change; merge with an earlier delete if any.
            ins = merged.pop()
            if merged and merged[-1][0] == "delete":
                merged[-1][1].extend(words)
            else:
                merged.append(("delete", list(words)))
            merged.append(ins)
        else:
            merged.append((op, list(words)))
    return merged


def _moves(merged: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """Text deleted in one place of a clause and inserted unchanged in another (a sentence moved, or a
    table cell a page break set in another order, which archive.diff.reflow then unmarks) becomes
    equal text at its new place, marked "moved", and leaves its old place: a run of at least
    MOVE_MIN_CHARS content characters, its letters the same (spacing, quotes and markers aside), whole
    words on both sides. Biggest runs first. A run found in the delete and the insert of one change
    did not move: it becomes equal in place, splitting that change in two (the word diff's cleanup
    had folded it in)."""
    n_del = sum(op == "delete" for op, _ in merged)
    if not n_del or n_del == len(merged) or not any(op == "insert" for op, _ in merged):
        return merged
    segs = [[op, words, k] for k, (op, words) in enumerate(merged)]  # k: a segment id for the memo
    next_id = len(segs)
    memo: dict[tuple[int, int, bool], tuple[int, int, int, int, int] | None] = {}
    grams: dict[int, set[tuple[str, ...]]] = {}
    runs: dict[int, _Run] = {}  # by segment id: its keys and letters, worked out once
    matchers: dict[int, difflib.SequenceMatcher] = {}  # by insert id: its keys indexed once

    def run_of(seg: list) -> _Run:
        if seg[2] not in runs:
            runs[seg[2]] = _Run.of(seg[1])
        return runs[seg[2]]

    def matcher_of(seg: list) -> difflib.SequenceMatcher:
        if seg[2] not in matchers:
            matchers[seg[2]] = difflib.SequenceMatcher(None, None, run_of(seg).keys, autojunk=False)
        return matchers[seg[2]]

    def gram_set(seg: list) -> set[tuple[str, ...]]:
        if seg[2] not in grams:
            keys = [k for k in map(canonical, seg[1]) if k]
            grams[seg[2]] = set(zip(keys, keys[1:], keys[2:], strict=False))
        return grams[seg[2]]

    while True:
        best = None
        where = {seg[2]: k for k, seg in enumerate(segs)}
        inserts = [s for s in segs if s[0] == "insert"]
        for d in (s for s in segs if s[0] == "delete"):
            for i in inserts:
                # The delete and insert of one hunk: a run in both stands where it stood (less evidence needed).
                in_place = where[d[2]] + 1 == where[i[2]]
                key = (d[2], i[2], in_place)
                if key not in memo:
                    # Only pairs sharing some three-word run can share that many letters.
                    least = IN_PLACE_MIN_CHARS if in_place else MOVE_MIN_CHARS
                    run = _whole(run_of(d), run_of(i)) or (
                        _common_run(run_of(d), run_of(i), least, matcher_of(i))
                        if not gram_set(d).isdisjoint(gram_set(i)) else None
                    )
                    if run and in_place and run[4] < MOVE_MIN_CHARS and run[4] < IN_PLACE_SHARE * min(
                        len(run_of(d).letters), len(run_of(i).letters)
                    ):
                        run = None  # a phrase two rewritten passages happen to share
                    memo[key] = run
                run = memo[key]
                if run is not None and (best is None or run[4] > best[2][4]):
                    best = (d, i, run)
        if best is None:
            return _join_equal([(op, words) for op, words, _ in segs])
        d, i, (a0, a1, b0, b1, _n) = best
        at = segs.index(d)
        if segs[at + 1 : at + 2] == [i]:
            # The delete and insert of one hunk: the run stands between the same equal text on both
            # sides, so it did not move; the word diff's cleanup only folded it into the change.
            pieces = [["delete", d[1][:a0]], ["insert", i[1][:b0]], ["equal", i[1][b0:b1]],
                      ["delete", d[1][a1:]], ["insert", i[1][b1:]]]
            for piece in pieces:
                piece.append(next_id)
                next_id += 1
            segs[at : at + 2] = [p for p in pieces if p[1]]
            continue
        at = segs.index(i)
        pieces = [["insert", i[1][:b0]], ["moved", i[1][b0:b1]], ["insert", i[1][b1:]]]
        for piece in pieces:
            piece.append(next_id)
            next_id += 1
        segs[at : at + 1] = [p for p in pieces if p[1]]
        rest = d[1][:a0] + d[1][a1:]  # what stays deleted: the run now stands at its new place
        at = segs.index(d)
        segs[at : at + 1] = [["delete", rest, next_id]] if rest else []
        next_id += 1


def _join_equal(segs: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """Adjacent equal pieces as one (a run restored in place can meet the equal text around it)."""
    out: list[tuple[str, list[str]]] = []
    for op, words in segs:
        if out and op == "equal" and out[-1][0] == "equal":
            out[-1] = ("equal", out[-1][1] + words)
        else:
            out.append((op, words))
    return out


def _whole(wa: _Run, wb: _Run) -> tuple[int, int, int, int, int] | None:
    """A whole deleted stretch inserted whole elsewhere, letter for letter, of at least MOVE_WHOLE_WORDS
    words and MOVE_WHOLE_MIN_CHARS content characters: as `_common_run` gives it."""
    if min(len(wa.keys), len(wb.keys)) < MOVE_WHOLE_WORDS:
        return None
    if len(wa.letters) < MOVE_WHOLE_MIN_CHARS or wa.letters != wb.letters:
        return None
    return 0, len(wa.keys), 0, len(wb.keys), len(wa.letters)


@dataclass
class _Run:
    """One side of a run search: the words' keys, their letters, and where words start in them."""

    keys: list[str]
    letters: str
    bounds: dict[int, int]
    offsets: list[int]

    @classmethod
    def of(cls, words: Sequence[str]) -> _Run:
        keys = [canonical(w) for w in words]
        return cls(keys, "".join(keys), _boundaries(keys), _offsets(keys))


def _common_run(
    ra: _Run, rb: _Run, least: int, matcher: difflib.SequenceMatcher
) -> tuple[int, int, int, int, int] | None:
    """The longest run of whole words of `ra` whose content letters are those of a run of `rb`, as
    (a0, a1, b0, b1, content characters), if it reaches `least`: the longest run of equal word keys
    (and where that falls short, the longest beside it), grown letter by letter at both ends over
    run-together words ("capablemodels" against "capable models") and cut back to the last word
    boundary the two sides share. `matcher`: one already holding `rb`'s keys as its second sequence."""
    ka, kb = ra.keys, rb.keys
    matcher.set_seq1(ka)
    i, j, n = matcher.find_longest_match(0, len(ka), 0, len(kb))
    if not n:
        return None
    sa, sb, ba, bb, oa, ob = ra.letters, rb.letters, ra.bounds, rb.bounds, ra.offsets, rb.offsets
    def grown(i: int, j: int, n: int) -> tuple[int, int, int]:
        """(x0, y0, size) in content characters: the run grown to the right, then to the left, on
        letters, to the farthest word boundary both sides share."""
        x0, x1, y0 = oa[i], oa[i + n], ob[j]
        grow = _dmp.diff_commonPrefix(sa[x1:], sb[y0 + x1 - x0 :])
        right = max(k for k in range(grow + 1) if x1 + k in ba and y0 + x1 - x0 + k in bb)
        grow = _dmp.diff_commonSuffix(sa[:x0], sb[:y0])
        left = max(k for k in range(grow + 1) if x0 - k in ba and y0 - k in bb)
        return x0 - left, y0 - left, x1 + right - (x0 - left)

    best = grown(i, j, n)
    if best[2] < least:
        # The most words may not be the most letters ("the time of" against "internally deployed
        # models"), and a run may cross the longest (before it on one side, after it on the other):
        # the longest of each of the four regions beside it, grown too.
        la, lb = len(ka), len(kb)
        for a0, a1, b0, b1 in ((0, i, 0, j), (i + n, la, j + n, lb), (0, i, j + n, lb), (i + n, la, 0, j)):
            # A region too small to hold `least` letters on either side cannot help (grown runs reach
            # into the run found only where it is equal, so its letters are not counted).
            if min(oa[a1] - oa[a0], ob[b1] - ob[b0]) + best[2] < least:
                continue
            blk = matcher.find_longest_match(a0, a1, b0, b1)
            if blk.size and (run := grown(*blk))[2] > best[2]:
                best = run
    x0, y0, size = best
    if size < least:
        return None
    return ba[x0], ba[x0 + size], bb[y0], bb[y0 + size], size


def _offsets(keys: Sequence[str]) -> list[int]:
    """Content character offset of each word start, and of the end."""
    return [0, *accumulate(map(len, keys))]


def is_unchanged(ops: list[Op]) -> bool:
    return all(o.op == "equal" for o in ops)


def equal_length(ops: list[Op]) -> int:
    """Content characters the ops keep equal."""
    return sum(map(len, map(canonical, chain.from_iterable(o.text.split() for o in ops if o.op == "equal"))))


def similarity(a: str, b: str, ops: list[Op] | None = None) -> float:
    """Share of content (canonical characters) the two texts have in common, 0..1."""
    ops = diff_words(a, b) if ops is None else ops
    eq = equal_length(ops)
    la, lb = canonical_length(a), canonical_length(b)
    if la + lb == 0:
        return 1.0
    return round(min(1.0, 2 * eq / (la + lb)), 3)
