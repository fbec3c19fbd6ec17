"""Citation resolution over clause texts: where a quote stands, how to cite it, what is closest.

Matching works on a *compact* form of both the quote and the clause text: every character that is
not a letter or digit is dropped (whitespace, line breaks, straight and curly quotes, dashes,
hyphens) after NFKC (ligatures), lowercasing and reading "×" as x ("81×" = "81x"), and footnote
markers are dropped first: glued to a word ("risks5beyond") or set after a word's punctuation
("analysis,6 we", "adequate.2To"), as a quote copied from the PDF has them and the stored body
text does not. What PDFs do to text
(run-together words, hyphenation at line ends, typographic quotes) therefore never stops a quote
from matching, while every letter of the quote must still be there in order. An ellipsis (`...`,
`…`, `[...]`) stands for omitted words: the parts around it must appear in order in the same
clause, less than MAX_GAP characters apart.

A quote that does not match is never reported as found: the closest passages come back separately,
each with a similarity score (difflib's ratio over the compact forms, 0..1).

Footnotes are matched too, each as a view of its clause (IndexedClause.footnote_views) whose text
is the footnote as printed, marker first ("4 “Double the rate...”"), so a quote may include the
marker or not: a match there is cited as the clause, on the footnote's page ("p. 9 n. 4"), and
says which footnote (`in_footnote`). Likewise a quote that begins in a clause's heading ("3.6.
External Review We will work toward...") is matched in the heading view (IndexedClause.heading_view)
and cited as that clause (`in_heading`).
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from urllib.parse import quote as urlquote

from archive.errors import InvalidInput
from archive.search.analysis import NUMBER_GOES_ON, TIMES, marker_after_punctuation
from archive.search.index import IndexedClause

MAX_GAP = 3000  # compact characters an ellipsis may stand for
MIN_QUOTE = 8  # compact characters: shorter quotes match everywhere
CONTEXT = 32  # characters of prefix/suffix in a TextQuoteSelector
CLOSEST_MIN_SCORE = 0.5
ANCHOR_PIECES = (12, 6)  # compact characters per piece when lining a quote up with a clause
FULL_ALIGN_MAX = 200_000  # len(quote) x len(clause) beyond which difflib's full search is skipped
ANCHOR_HITS = 8  # occurrences of one piece counted (boilerplate repeats)

_RUN = re.compile(r"[^\W_]+")
_MARKER = re.compile(r"(?<=[a-z]{3})\d{1,2}(?!\d)")
# A footnote marker a quote opens with, as copied from the PDF's footnote: "4 “Double the rate...",
# "2Note that...": 1-2 digits, then (after optional space) a letter or an opening quote mark.
_LEAD_MARKER = re.compile(r"\s*\d{1,2}(?!\d)\s*(?=[^\W\d_]|[\"'\u201c\u2018])")
_ELLIPSIS = re.compile(r"\[\s*(?:\.\s*){3}\]|\[\s*…\s*\]|(?:\.\s*){3,}|…")


@lru_cache(maxsize=4096)
def compact(text: str) -> tuple[str, array]:
    """(compact form, offset in `text` of each compact character); see the module docstring.
    Offsets are an array of C ints: 4 bytes a character where a tuple costs 8 plus an int object
    each, which matters for a cache of up to 4096 whole clause texts."""
    out: list[str] = []
    idx = array("I")
    if TIMES in text:  # "81×" = "81x" (one character for one: offsets hold)
        text = text.replace(TIMES, "x")
    for m in _RUN.finditer(text):
        run, base = m.group(0), m.start()
        if run[0].isdigit() and marker_after_punctuation(text, base, run):
            lead = 2 if run[1:2].isdigit() else 1
            run, base = run[lead:], base + lead
            if not run:
                continue
        keep = [(0, len(run))]
        if any(c.isdigit() for c in run):
            keep, pos = [], 0
            numbered = NUMBER_GOES_ON.match(text, base + len(run)) is not None
            for mk in _MARKER.finditer(run):
                if numbered and mk.end() == len(run):
                    continue  # "and7.2.2": a section number run into a word
                keep.append((pos, mk.start()))
                pos = mk.end()
            keep.append((pos, len(run)))
        for a, b in keep:
            part = run[a:b]
            if part.isascii():
                out.append(part.lower())
                idx.extend(range(base + a, base + b))
                continue
            for i, ch in enumerate(part):
                for c in unicodedata.normalize("NFKC", ch).lower():
                    if c.isalnum():
                        out.append(c)
                        idx.append(base + a + i)
    return "".join(out), idx


# Digits glued to the end of a capitalised word or acronym ("CBRN3 or"): a footnote marker the
# extractor took out of the stored text (it knew the page's notes), or part of a name ("GPT4"). Only
# a quote found nowhere as given is looked for again without them (`without_glued_markers`).
_GLUED_TO_CAPITALS = re.compile(r"(?<=[A-Z])\d{1,2}(?=[\s,;:.)\"'\u201d\u2019]|$)")


def without_glued_markers(quote: str) -> str:
    """The quote with 1-2 digits glued to a capital letter's end dropped: "CBRN3 or" -> "CBRN or"."""
    return _GLUED_TO_CAPITALS.sub("", quote)


def quote_segments(quote: str) -> list[str]:
    """The compact parts of a quote between ellipses; InvalidInput if nothing citable is left."""
    segments = [compact(part)[0] for part in _ELLIPSIS.split(quote)]
    segments = [s for s in segments if s]
    if sum(len(s) for s in segments) < MIN_QUOTE:
        raise InvalidInput("the quote is too short to cite: give at least a few words")
    return segments


def unmarked_segments(quote: str) -> list[str] | None:
    """The segments of a quote that opens with a footnote marker, without that marker; None when it
    opens with none (or nothing citable is left without it). Footnotes are renumbered between
    versions ("4" in 3.1 is "8" in 3.4): a quote copied with its marker is still that footnote's
    text where the footnote bears another number (see find_after_marker)."""
    m = _LEAD_MARKER.match(quote)
    if m is None:
        return None
    try:
        return quote_segments(quote[m.end() :])
    except InvalidInput:
        return None


@dataclass(frozen=True)
class Match:
    doc: IndexedClause
    start: int  # offsets in doc.text
    end: int
    context: float = 0.0  # how well the given prefix/suffix agree (0..2)
    score: float = 1.0  # similarity (1.0 for an exact match)


def _find_all(hay: str, needle: str) -> Iterable[int]:
    i = hay.find(needle)
    while i >= 0:
        yield i
        i = hay.find(needle, i + 1)


def _context_score(hay: str, start: int, end: int, prefix: str, suffix: str) -> float:
    score = 0.0
    if prefix:
        before = hay[max(0, start - len(prefix)) : start]
        score += _common_suffix(before, prefix) / len(prefix)
    if suffix:
        after = hay[end : end + len(suffix)]
        score += _common_prefix(after, suffix) / len(suffix)
    return score


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


def find_in(
    doc: IndexedClause,
    segments: Sequence[str],
    prefix: str = "",
    suffix: str = "",
    compacted: tuple[str, array] | None = None,
) -> list[Match]:
    """Every exact (compact) occurrence of the quote's segments in one clause (`compacted`: its
    compact form when the caller has it already)."""
    hay, idx = compacted or compact(doc.text)
    if not hay:
        return []
    # By where a match ends: with an ellipsis, each earlier occurrence of the first part reaches the
    # same later parts ("Risk Reports ... external parties" matched three times over one passage);
    # the one starting last, the tightest, is the passage quoted.
    found: dict[int, Match] = {}
    first, rest = segments[0], segments[1:]
    for s0 in _find_all(hay, first):
        end = s0 + len(first)
        for seg in rest:
            j = hay.find(seg, end)
            if j < 0 or j - end > MAX_GAP:
                break
            end = j + len(seg)
        else:
            ctx = _context_score(hay, s0, end, prefix, suffix)
            found[end] = Match(doc, idx[s0], idx[end - 1] + 1, ctx)
    return list(found.values())


def find_after_marker(
    doc: IndexedClause,
    segments: Sequence[str],
    prefix: str = "",
    suffix: str = "",
    compacted: tuple[str, array] | None = None,
) -> list[Match]:
    """In a footnote view, the matches of a quote's unmarked segments (unmarked_segments) that open
    the footnote, right after its own marker, whatever that marker is."""
    if doc.footnote is None:
        return []
    hay, idx = compacted or compact(doc.text)
    lead = len(compact(doc.footnote)[0])
    if not hay.startswith(segments[0], lead):
        return []
    return [m for m in find_in(doc, segments, prefix, suffix, (hay, idx)) if m.start == idx[lead]]


def locate(
    quote: str, docs: Iterable[IndexedClause], *, prefix: str | None = None, suffix: str | None = None
) -> list[Match]:
    """Exact matches of `quote` in `docs`, narrowed per version by prefix/suffix when given."""
    segments = quote_segments(quote)
    cprefix = compact(prefix or "")[0][-CONTEXT * 2 :]
    csuffix = compact(suffix or "")[0][: CONTEXT * 2]
    unmarked = unmarked_segments(quote)
    by_version: dict[tuple[str, str], list[Match]] = {}
    for doc in docs:
        found = find_in(doc, segments, cprefix, csuffix)
        if not found and unmarked:
            found = find_after_marker(doc, unmarked, cprefix, csuffix)
        view = doc.heading_view() if doc.footnote is None else None
        if view is not None:  # a quote that begins in the heading (else the body has it)
            found += [m for m in find_in(view, segments, cprefix, csuffix) if m.start < view.lead]
        for m in found:
            by_version.setdefault((doc.policy, doc.version), []).append(m)
    out: list[Match] = []
    for matches in by_version.values():
        if (cprefix or csuffix) and len(matches) > 1:
            best = max(m.context for m in matches)
            matches = [m for m in matches if m.context == best]
        out.extend(matches)
    return out


def _anchor(q: str, hay: str) -> int | None:
    """Where `q` lines up best in `hay` (offset in hay of q[0]), by exact hits of q's pieces (12,
    then 6 characters): the offset most pieces agree on. None when no piece occurs; the caller then
    asks difflib for the longest common run, which costs len(q) x len(hay), only for short clauses
    (a clause sharing no 8-character run with the quote is not a passage like it)."""
    for size in ANCHOR_PIECES:
        if len(q) < 2 * size:
            continue
        votes: dict[int, int] = {}
        for a in range(0, len(q) - size + 1, size // 2):
            piece = q[a : a + size]
            b = hay.find(piece)
            for _ in range(ANCHOR_HITS):
                if b < 0:
                    break
                votes[b - a] = votes.get(b - a, 0) + 1
                b = hay.find(piece, b + 1)
        if votes:
            return min(votes, key=lambda d: (-votes[d], d))
    return None


def closest_in(doc: IndexedClause, quote: str) -> Match | None:
    """The passage of `doc` most like `quote`, with its similarity (None if nothing alike)."""
    q = "".join(quote_segments(quote))
    hay, idx = compact(doc.text)
    if not hay:
        return None
    diagonal = _anchor(q, hay)
    if diagonal is None:
        if len(q) * len(hay) > FULL_ALIGN_MAX:
            return None
        sm = SequenceMatcher(None, q, hay, autojunk=False)
        a, b, size = sm.find_longest_match(0, len(q), 0, len(hay))
        if size == 0:
            return None
        diagonal = b - a
    # Anchor the quote where it lines up best, then trim to the aligned blocks.
    lo = max(0, diagonal - 20)
    hi = min(len(hay), diagonal + len(q) + 20)
    window = hay[lo:hi]
    blocks = [blk for blk in SequenceMatcher(None, q, window, autojunk=False).get_matching_blocks() if blk.size >= 3]
    if not blocks:
        return None
    s, e = lo + blocks[0].b, lo + blocks[-1].b + blocks[-1].size
    score = SequenceMatcher(None, q, hay[s:e], autojunk=False).ratio()
    return Match(doc, idx[s], idx[e - 1] + 1, score=round(score, 3))


def closest(quote: str, docs: Iterable[IndexedClause], limit: int = 3) -> list[Match]:
    """The best passages over `docs`, best first (newest first on ties), one per distinct passage."""
    by_text: dict[str, Match | None] = {}  # clauses repeated across versions are scored once
    found = []
    for d in docs:
        if d.text not in by_text:
            by_text[d.text] = closest_in(d, quote)
        m = by_text[d.text]
        if m is not None and m.score >= CLOSEST_MIN_SCORE:
            found.append(m if m.doc is d else Match(d, m.start, m.end, m.context, m.score))
    found.sort(key=lambda m: (m.score, m.doc.effective), reverse=True)
    seen: set[tuple[str, str]] = set()
    out: list[Match] = []
    for m in found:
        key = (m.doc.policy, compact(m.doc.text[m.start : m.end])[0])
        if key in seen:
            continue
        seen.add(key)
        out.append(m)
        if len(out) == limit:
            break
    return out


def also_in(m: Match, docs: Iterable[IndexedClause]) -> list[str]:
    """Other versions holding the same passage as `m` (same compact text)."""
    passage = compact(m.doc.text[m.start : m.end])[0]
    return sorted(
        {
            d.version
            for d in docs
            if d.policy == m.doc.policy and d.version != m.doc.version and passage in compact(d.text)[0]
        }
    )


# --- presenting a match ------------------------------------------------------------------------


def _version_name(label: str) -> str:
    return f"v{label}" if re.fullmatch(r"\d+(?:\.\d+)*", label) else label


def section_name(number: str, title: str) -> str:
    if number and number[0].isdigit():
        return f"§{number}"
    if number:
        return number
    return f'"{title}"' if title else "front matter"


def citation(doc: IndexedClause, page_first: int, page_last: int) -> str:
    """`Anthropic, Responsible Scaling Policy v3.1 (effective 2026-04-02), §3.6, p. 14`; in a
    footnote, `..., §1, p. 9 n. 4`."""
    pages = f"p. {page_first}" if page_first == page_last else f"pp. {page_first}–{page_last}"
    if doc.footnote:
        pages += f" n. {doc.footnote}"
    who = f"{doc.publisher}, " if doc.publisher else ""
    return (
        f"{who}{doc.policy_title} {_version_name(doc.version)} (effective {doc.effective}), "
        f"{section_name(doc.number, doc.title)}, {pages}"
    )


def permalink(doc: IndexedClause) -> str:
    """Stable path of the clause in that version (numbers, else titles, url-quoted)."""
    return (
        f"/policies/{urlquote(doc.policy, safe='')}/versions/{urlquote(doc.version, safe='')}"
        f"/clauses/{urlquote(doc.label, safe='')}"
    )


def clause_ref(doc: IndexedClause) -> dict:
    return {"number": doc.number, "title": doc.title, "label": doc.label, "lineage": doc.lineage}


FRAGMENT_WORDS = 4  # words of a long quote's start and of its end in a text fragment
_FRAGMENT_WINDOW = 120  # characters each side in which to find the words around a passage


@lru_cache(maxsize=1024)  # a passage standing in many versions is one text: described once
def text_fragment(text: str, start: int, end: int, shown_from: int = 0) -> str:
    """A Text Fragment directive (`:~:text=prefix-,start,end,-suffix`, the WICG scroll-to-text
    fragment that browsers support) for `text[start:end]`, to append to the fragment of a page showing
    the text from `shown_from` on: the browser scrolls to the passage and highlights it; where it
    cannot find it, the rest of the fragment (a clause anchor) still applies. Browsers match whole
    words, so the passage widens to the whitespace around it ("expectdouble", run together in the
    PDF, for a quote that begins "double"). A long passage is given by its first and last
    FRAGMENT_WORDS words (a range, which may cross paragraphs); up to two words before and after it
    tell repeated passages apart."""
    start = max(start, shown_from)
    if start >= end:  # nothing of the passage is shown in the text a page has
        return ""
    while start > shown_from and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    words = _fragment_words(text[start:end])
    if not words:
        return ""
    # The directive's delimiters stand in as control characters, so that one percent-encoding of the
    # whole covers every part; then "," and "-" take their places.
    if len(words) <= 2 * FRAGMENT_WORDS:
        raw = " ".join(words)
    else:
        raw = " ".join(words[:FRAGMENT_WORDS]) + "\x00" + " ".join(words[-FRAGMENT_WORDS:])
    # A window of text on each side, less any word it cuts, not the whole clause split on every call.
    lo, hi = max(shown_from, start - _FRAGMENT_WINDOW), min(len(text), end + _FRAGMENT_WINDOW)
    before = _fragment_words(text[lo:start])[1 if lo > shown_from else 0 :]
    after = _fragment_words(text[end:hi])[: -1 if hi < len(text) else None]
    if before[-2:]:
        raw = " ".join(before[-2:]) + "\x01\x00" + raw
    if after[:2]:
        raw += "\x00\x01" + " ".join(after[:2])
    # urllib's quote keeps "-", which inside a part must be encoded: it delimits prefix and suffix.
    encoded = urlquote(raw, safe="").replace("-", "%2D")
    return ":~:text=" + encoded.replace("%00", ",").replace("%01", "-")


def _fragment_words(text: str) -> list[str]:
    """Words, without the two control characters text_fragment lends its delimiters (a PDF's text
    could hold one)."""
    if "\x00" in text or "\x01" in text:
        text = text.replace("\x00", "").replace("\x01", "")
    return text.split()


def describe(m: Match, *, with_score: bool = False) -> dict:
    """A match as the CLI's --json and the API serve it. In a footnote, `in_footnote` is its
    marker, `clause_char_*` are offsets in the footnote's text and `char_*` are None (footnotes
    are not part of the version's body text). A match that begins in the clause's heading has
    `in_heading` true and `clause_char_*` counted from the heading's first character. `text_fragment`
    opens a page showing the clause at the quote (see text_fragment)."""
    doc = m.doc
    first, last = doc.page_at(m.start), doc.page_at(max(m.start, m.end - 1))
    exact = doc.text[m.start : m.end]
    in_note = doc.footnote is not None
    # A page shows a heading apart from the body and a footnote's marker as a list number: the
    # fragment finds the rest of the quote.
    shown_from = doc.lead or (len(doc.footnote) + 1 if in_note else 0)
    out = {
        "policy": doc.policy,
        "policy_title": doc.policy_title,
        "version": doc.version,
        "effective": doc.effective,
        "clause": clause_ref(doc),
        "page": first,
        "page_end": last,
        "char_start": None if in_note else doc.body_offset + m.start,
        "char_end": None if in_note else doc.body_offset + m.end,
        "clause_char_start": m.start,
        "clause_char_end": m.end,
        "in_footnote": doc.footnote,
        "in_heading": doc.lead > 0,
        "text": exact,
        "citation": citation(doc, first, last),
        "permalink": permalink(doc),
        "selector": {
            "type": "TextQuoteSelector",
            "exact": exact,
            "prefix": doc.text[max(0, m.start - CONTEXT) : m.start],
            "suffix": doc.text[m.end : m.end + CONTEXT],
        },
        "text_fragment": text_fragment(doc.text, m.start, m.end, shown_from),
    }
    if with_score:
        out["score"] = m.score
    return out
