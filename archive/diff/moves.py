"""Text that moved inside a clause: deleted in one place and inserted unchanged in another.

A run of at least MOVE_MIN_CHARS content characters deleted in one place of the clause and inserted
in another (table rows that broke across pages differently, a sentence moved) becomes equal text at
its new place, marked moved, and is no longer deleted at its old one. So does a shorter changed
stretch (MOVE_WHOLE_WORDS words, MOVE_WHOLE_MIN_CHARS characters) deleted whole and inserted whole.
Such a run found in the deletes and inserts of one hunk stands where it stood: it is equal, in place,
from IN_PLACE_MIN_CHARS characters when it is IN_PLACE_SHARE of the shorter side. Listed as step 7 in
archive.diff.words, whose `_coalesce` runs `mark_moves` on the merged ops before the list-marker and
footnote passes.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from archive.diff.fastdmp import dmp
from archive.diff.tokens import boundaries, canonical, offsets

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


def mark_moves(merged: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
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

    @classmethod
    def of(cls, words: Sequence[str]) -> _Run:
        keys = [canonical(w) for w in words]
        return cls(keys, "".join(keys))

    # Only a search that finds a common run needs these: most segment pairs share no three words.
    @cached_property
    def bounds(self) -> dict[int, int]:
        return boundaries(self.keys)

    @cached_property
    def offsets(self) -> list[int]:
        return offsets(self.keys)


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
        grow = dmp.diff_commonPrefix(sa[x1:], sb[y0 + x1 - x0 :])
        right = max(k for k in range(grow + 1) if x1 + k in ba and y0 + x1 - x0 + k in bb)
        grow = dmp.diff_commonSuffix(sa[:x0], sb[:y0])
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
