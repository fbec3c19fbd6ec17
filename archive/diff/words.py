"""Word-level changes between two texts, insensitive to the noise of PDF extraction.

How it works (steps 1 and 2, the words and their canonical keys, are archive.diff.tokens):
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
   archive.diff.tokens finds list markers (its step 3). Only markers of one style count as
   renumbered; "●" becoming "1." is a change of format and still shows. An inserted or deleted item
   is shown with its own marker in front, not the next one's.
6. A footnote marker ending an insertion before unchanged text starts that text (it marks the note
   that follows), and a retitled clause's title is diffed word by word (archive.diff.redline).
7. Text deleted in one place of the clause and inserted unchanged in another is equal text at its new
   place, marked moved (archive.diff.moves).

Equal text is shown as the newer version prints it, except where it lost spaces the older version has
("covershighly" in 3.1, "covers highly" in 3.0, as in the publisher's text): then as the older prints
it. Whitespace in op texts is collapsed to one space.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

from archive.diff.fastdmp import dmp
from archive.diff.moves import mark_moves
from archive.diff.tokens import (
    AFTER_SENTENCE,
    GLUE,
    LIST_MARKER,
    MARKER_TOKEN,
    analyse,
    boundaries,
    canonical,
    canonical_length,
    join_words,
    offsets,
)

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
# A refined equal stretch shorter than this (canonical characters) is folded into the change, so a
# rewritten sentence does not come out as confetti around shared little words.
MIN_EQUAL_CHARS = 4


def _renumbered(old: str, new: str) -> bool:
    """Two list markers of one style ("3." and "4.", "(b)" and "(c)")."""
    def style(marker: str) -> str:  # "(b)" -> "(a)", "C." -> "A.", "12." -> "0."
        return re.sub(r"[A-Z]+", "A", re.sub(r"[a-z]+", "a", re.sub(r"\d+", "0", marker)))

    return style(old) == style(new)


@dataclass(frozen=True)
class Op:
    op: str  # "equal" | "insert" | "delete"
    text: str
    moved: bool = False  # equal text that stands elsewhere in the older version's clause

    def as_dict(self) -> dict:
        return {"op": self.op, "text": self.text, "moved": True} if self.moved else {"op": self.op, "text": self.text}


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
        p = dmp.diff_commonPrefix(ca, cb)
        q = dmp.diff_commonSuffix(ca[p:], cb[p:])
        diffs = [(0, ca[:p]), (-1, ca[p : len(ca) - q]), (1, cb[p : len(cb) - q]), (0, ca[len(ca) - q :])]
        diffs = [d for d in diffs if d[1]]
        dmp.diff_cleanupSemantic(diffs)
    else:
        diffs = dmp.diff_semantic(ca, cb)
    out = []
    i = j = 0
    for op, s in diffs:
        out.append((op, i, j, len(s)))
        if op <= 0:
            i += len(s)
        if op >= 0:
            j += len(s)
    return out


def _refine(ka: Sequence[str], kb: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    """Split one changed hunk into (op, a0, a1, b0, b1) pieces, equal only where letters agree."""
    sa, sb = "".join(ka), "".join(kb)
    if sa == sb:
        return [("equal", 0, len(ka), 0, len(kb))]
    ba, bb = boundaries(ka), boundaries(kb)
    equal_spans: list[tuple[int, int, int, int]] = []  # canonical (a_start, a_end, b_start, b_end)
    if len(sa) <= REFINE_MAX_CHARS and len(sb) <= REFINE_MAX_CHARS and sa and sb:
        diffs = dmp.diff_semantic(sa, sb)
        x = y = 0
        for op, s in diffs:
            if op == 0:
                equal_spans.append((x, x + len(s), y, y + len(s)))
            if op <= 0:
                x += len(s)
            if op >= 0:
                y += len(s)
    else:  # common prefix and suffix only
        p = dmp.diff_commonPrefix(sa, sb)
        if p:
            equal_spans.append((0, p, 0, p))
        q = dmp.diff_commonSuffix(sa[p:], sb[p:])
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
            raw.append(("equal", _shown_equal(da, ib, ka[a0:a1], kb[b0:b1])))
            continue
        if "".join(ka[a0:a1]):
            raw.append(("delete", da))
        # (else a lone dash or marker went away: noise)
        raw.append(("insert" if "".join(kb[b0:b1]) else "equal", ib))
    return _coalesce(raw)


def _shown_equal(da: Sequence[str], ib: Sequence[str], ka: Sequence[str], kb: Sequence[str]) -> Sequence[str]:
    """Equal text as shown: the newer version's words `ib`, except a stretch that is the older text's
    with spaces the PDF lost (3.1's "covershighly capablemodels", 3.0's "covers highly capable
    models"), shown as the older prints it, as the publisher's text does. Stretches are cut where both
    sides have a word boundary (`ka`, `kb`: the words' keys); only spaces may differ in a stretch so
    shown: a quote style, a dash or a marker is shown as the newer prints it. A span whose letters
    differ (a renumbered list marker, "9." for "10.") is the newer's whole."""
    if list(da) == list(ib) or "".join(ka) != "".join(kb):
        return ib
    oa, ob = offsets(ka), offsets(kb)
    out: list[str] = []
    i = j = 0
    while i < len(da) or j < len(ib):
        # A word with no letters (a footnote marker, a dash) is no stretch: the newer's is shown.
        if i < len(da) and not ka[i]:
            i += 1
            continue
        if j < len(ib) and not kb[j]:
            out.append(ib[j])
            j += 1
            continue
        # Both sides have letters left here, and as many of them: grow to the next common boundary.
        i1, j1 = i + 1, j + 1
        while oa[i1] != ob[j1]:
            if oa[i1] < ob[j1]:
                i1 += 1
            else:
                j1 += 1
        sa, sb = da[i:i1], ib[j:j1]
        lost = len(sa) > len(sb) and "".join(sa).replace(GLUE, "") == "".join(sb).replace(GLUE, "")
        out += sa if lost else sb
        i, j = i1, j1
    return out


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
                      if MARKER_TOKEN.match(words[c0 - n]) and MARKER_TOKEN.match(other[o0 - n])
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
    return bool(LIST_MARKER.match(words[k])) and (
        k == 0 or words[k - 1][-1] in AFTER_SENTENCE or words[k - 1].lower() in ("and", "or"))


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
        notes = bool(MARKER_TOKEN.match(before[-1]) and MARKER_TOKEN.match(words[-1]))  # "[^4]", "[^8]"
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
    merged = _notes_with_their_text(_items_with_their_markers(mark_moves(_merge(raw))))
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
        while op == "insert" and after_op == "equal" and n < len(words) - 1 and MARKER_TOKEN.match(words[-1 - n]):
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
