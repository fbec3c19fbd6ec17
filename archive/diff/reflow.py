"""Table text that a page break set in another order: unchanged, not moved.

Text extraction reads a page's table columns one after the other, so a table row that breaks across
two pages comes out as its cells' parts on the first page, then their parts on the next. Where the
break falls differs between versions (a few words added above push it down), so a cell's last lines
read before the next cells in one version and after them in the other, and the word diff finds text
moved (`archive.diff.moves`): those lines, or the cells they now follow. Nothing moved: only
the page break did, and page breaks never show as changes.

A moved stretch is such reflow when, for each piece of it (the longest stretches found exactly once
in the older text, at least MIN_PIECE letters):
- in each version, the piece and its counterpart place (in the older version where it went to, in
  the newer where it left) lie on one page or on the two pages around a page break that continues a
  table (`PageBreak.table`: the later page repeats the table's header row); each version is judged
  by its own pages;
- in at least one version they lie on the two sides of such a break, and that break moved: the text
  that begins the later page there begins no page of the other version.
A counterpart place is where the CONTEXT letters before the piece (else after it) in one version stand
in the other, found exactly once (then half, twice and four times as many letters). The stretch is
then unchanged text at its place in the newer version.

What stays a move: a stretch found more than once in the newer text, a piece or place not found for
sure, a move within one page, a move across a break that fell at the same text in both versions, and
every move of a clause whose page breaks were not recorded (extracted before extractor 7, either
side). What this cannot tell: a real move between the two pages around a table break that moved,
or beside a piece that is reflow, reads as unchanged text; inside a table whose rows reflowed, text
order says nothing, and saying nothing there is better than a false "moved".
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from archive.diff.tokens import analyse, canonical, compared_words
from archive.diff.words import Op
from archive.types import Clause

MIN_PIECE = 12  # letters: as short a stretch as a whole-stretch move may be (moves.MOVE_WHOLE_MIN_CHARS)
CONTEXT = 40  # letters beside a moved piece by which its counterpart place is found in the other text


def _letters(text: str) -> str:
    """The compared letters of `text` (what `analyse(text).letters` holds), without memoising them:
    the texts here are slices and ops, seen once."""
    return "".join(map(canonical, compared_words(text)))


@dataclass
class _Pages:
    """One version's clause text as letters, and the pages they stand on."""

    letters: str
    first: int  # the page of letters before the first break
    starts: list[int]  # letters offset where each break's page begins
    pages: list[int]  # and that page's number
    tables: set[int]  # the pages that continue a table

    @classmethod
    def of(cls, c: Clause, text: str) -> _Pages:
        """`text` begins with the clause's own text, where its page breaks' offsets point."""
        breaks = c.page_breaks or []
        starts, at, done = [], 0, 0
        for b in breaks:  # a break is at a line's start: no word spans it
            at += len(_letters(text[done : b.offset]))
            starts.append(at)
            done = b.offset
        return cls(analyse(text).letters, c.page_start, starts, [b.page for b in breaks],
                   {b.page for b in breaks if b.table})

    def page(self, at: int) -> int:
        k = bisect_right(self.starts, at)
        return self.pages[k - 1] if k else self.first

    def opening(self, page: int) -> str:
        """The letters that begin `page` ("" if no break begins it)."""
        if page not in self.pages:
            return ""
        start = self.starts[self.pages.index(page)]
        return self.letters[start : start + 2 * MIN_PIECE]

    def begins_a_page(self, letters: str) -> bool:
        return any(self.letters.startswith(letters, s) for s in self.starts)

    def side(self, start: int, end: int, gap: int) -> int | None:
        """Where a piece (letters start..end) stands against its counterpart place (`gap`, on either
        page where a break falls right at it): 0 on one page, the later page's number on the two pages
        around a break continuing a table, None anywhere else."""
        own = {self.page(start), self.page(end)}
        near = {self.page(gap), self.page(gap - 1)} if gap > 0 else {self.page(gap)}
        pages = own | near
        if max(pages) - min(pages) > 1 or (len(pages) > 1 and max(pages) not in self.tables):
            return None
        return 0 if own & near else max(pages)


def _place(source: str, start: int, end: int, target: str) -> int | None:
    """Where the stretch source[start:end] would stand in `target`, as the gap before that letter: after
    the CONTEXT letters before it there, or else before those after it, whichever is found exactly
    once; then the same with half as many (the words right beside it may stand where more of the text
    around changed), then with two and four times as many (a table repeats phrases from row to row).
    A neighbour that is itself reflow serves as well as any: where a table's page breaks reflowed, the
    cells around a piece moved too, and asking for unmoved neighbours there finds none."""
    for size in (CONTEXT, CONTEXT // 2, 2 * CONTEXT, 4 * CONTEXT):
        for context, before in ((source[max(0, start - size) : start], True), (source[end : end + size], False)):
            if len(context) >= MIN_PIECE:
                at = target.find(context)
                if at >= 0 and target.find(context, at + 1) < 0:
                    return at + len(context) if before else at
    return None


def _pieces(block: str, older: str) -> list[tuple[int, int, int]] | None:
    """`block` cut into the longest stretches found in `older`, as (offset in block, offset in older,
    length); None when a piece is shorter than MIN_PIECE or found twice."""
    out, k = [], 0
    while k < len(block):
        lo, hi = 0, len(block) - k  # the longest prefix of block[k:] in older (shorter ones are too)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if block[k : k + mid] in older:
                lo = mid
            else:
                hi = mid - 1
        piece = block[k : k + lo]
        at = older.find(piece)
        if lo < MIN_PIECE or older.find(piece, at + 1) >= 0:
            return None
        out.append((k, at, lo))
        k += lo
    return out


def settle(ops: list[Op], ca: Clause, cb: Clause, ta: str, tb: str) -> list[Op]:
    """`ops` (the word diff of texts `ta` and `tb` of clauses `ca` and `cb`) with the moves that are
    table reflow (see the module docstring) made unchanged text, joined to the unchanged text around."""
    if ca.page_breaks is None or cb.page_breaks is None or not any(o.moved for o in ops):
        return ops
    if not any(b.table for b in (*ca.page_breaks, *cb.page_breaks)):
        return ops
    older, newer = analyse(ta).letters, analyse(tb).letters  # as the word diff just had them
    # Each move: where it stands in the newer text, and its pieces in the older (None: not known).
    found: dict[int, tuple[int, list[tuple[int, int, int]]] | None] = {}
    for n, o in enumerate(ops):
        if o.moved:
            block = _letters(o.text)
            at = newer.find(block)
            pieces = _pieces(block, older) if at >= 0 and newer.find(block, at + 1) < 0 else None
            found[n] = (at, pieces) if pieces else None
    if not any(found.values()):
        return ops
    pa, pb = _Pages.of(ca, ta), _Pages.of(cb, tb)

    def broke_elsewhere(here: _Pages, there: _Pages, page: int) -> bool:
        """Whether the break before `page` (of `here`) fell at other text in the other version."""
        opening = here.opening(page)
        return bool(opening) and not there.begins_a_page(opening)

    def reflowed(at: int, pieces: list[tuple[int, int, int]]) -> bool:
        for k, in_a, size in pieces:
            in_b = at + k
            left_b = _place(older, in_a, in_a + size, newer)  # where it stood, in the newer text
            went_a = _place(newer, in_b, in_b + size, older)  # where it went, in the older
            if left_b is None or went_a is None:
                return False
            side_a = pa.side(in_a, in_a + size - 1, went_a)
            side_b = pb.side(in_b, in_b + size - 1, left_b)
            if side_a is None or side_b is None or not (side_a or side_b):
                return False
            if side_a and not broke_elsewhere(pa, pb, side_a) or side_b and not broke_elsewhere(pb, pa, side_b):
                return False
        return True

    out: list[Op] = []
    for n, o in enumerate(ops):
        if (f := found.get(n)) is not None and reflowed(*f):
            o = Op("equal", o.text)
        if out and o.op == "equal" and not o.moved and out[-1].op == "equal" and not out[-1].moved:
            out[-1] = Op("equal", out[-1].text + o.text)
        else:
            out.append(o)
    return out
