"""Table text that a page break set in another order: unchanged, not moved.

Text extraction reads a page's table columns one after the other, so a table row that breaks across
two pages comes out as its cells' parts on the first page, then their parts on the next. Where the
break falls differs between versions (a few words added above push it down), so a cell's last lines
read before the next cells in one version and after them in the other, and the word diff finds text
moved (`archive.diff.words._moves`): those lines, or the cells they now follow. Nothing moved: only
the page break did, and page breaks never show as changes.

A moved stretch is such reflow when each piece of it (the longest stretches found exactly once in the
older text, at least MIN_PIECE letters) and the place it left are, in each version, on one page or on
the two pages around a page break that continues a table (`PageBreak.table`: the later page repeats
the table's header row), and in at least one version on the two sides of that break. Each side is
judged by its own pages. The place a piece left is where the CONTEXT letters before it (else after
it) in the one version stand in the other, found exactly once. It is then unchanged text at its place
in the newer version. A stretch found more than once in the newer text, a piece or context found
more than once, a move within one page, and every move of a clause whose page breaks were not
recorded (extracted before extractor 7) stay moves.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from archive.diff.words import Op, analyse, canonical, compared_words
from archive.types import Clause

MIN_PIECE = 12  # letters: as short a stretch as a whole-stretch move may be (words.MOVE_WHOLE_MIN_CHARS)
CONTEXT = 40  # letters beside a moved piece by which the place it left is found in the other text


def _letters(text: str) -> str:
    """The compared letters of `text` (what `analyse(text).letters` holds), without memoising them:
    the texts here are slices and ops, seen once."""
    return "".join(map(canonical, compared_words(text)))


def _pager(c: Clause, text: str) -> Callable[[int], int]:
    """The page on which the letter at a position of `text`'s letters stands (`text` begins with the
    clause's own text, where its page breaks' offsets point)."""
    starts, at, done = [], 0, 0
    for b in c.page_breaks or []:  # a break is at a line's start: no word spans it
        at += len(_letters(text[done : b.offset]))
        starts.append(at)
        done = b.offset
    pages = [b.page for b in c.page_breaks or []]

    def page(at: int) -> int:
        k = bisect_right(starts, at)
        return pages[k - 1] if k else c.page_start

    return page


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


def _place(source: str, start: int, end: int, target: str) -> int | None:
    """Where the stretch source[start:end] would stand in `target`, as the gap before that letter: after
    the CONTEXT letters before it there, or else before those after it, whichever is found exactly
    once; then the same with half as many (the words right beside it may stand where more of the text
    around changed), then with two and four times as many (a table repeats phrases from row to row)."""
    for size in (CONTEXT, CONTEXT // 2, 2 * CONTEXT, 4 * CONTEXT):
        before, after = source[max(0, start - size) : start], source[end : end + size]
        for context, shift in ((before, len(before)), (after, 0)):
            if len(context) >= MIN_PIECE:
                at = target.find(context)
                if at >= 0 and target.find(context, at + 1) < 0:
                    return at + shift
    return None


def _side(page: Callable[[int], int], tables: set[int], start: int, end: int, gap: int) -> int | None:
    """In one version, where a piece (letters start..end) stands against the place it left or went to
    there (`gap`, on either page where a break falls right at it): 0 on the same page, 1 on the two
    pages around a break continuing a table, None anywhere else."""
    own = {page(start), page(end)}
    near = {page(gap), page(gap - 1)} if gap > 0 else {page(gap)}
    pages = own | near
    if max(pages) - min(pages) > 1 or (len(pages) > 1 and max(pages) not in tables):
        return None
    return 0 if own & near else 1


def settle(ops: list[Op], ca: Clause, cb: Clause, ta: str, tb: str) -> list[Op]:
    """`ops` (the word diff of texts `ta` and `tb` of clauses `ca` and `cb`) with the moves that are
    table reflow (see the module docstring) made unchanged text, joined to the unchanged text around."""
    if ca.page_breaks is None or cb.page_breaks is None or not any(o.moved for o in ops):
        return ops
    tables_a = {b.page for b in ca.page_breaks if b.table}
    tables_b = {b.page for b in cb.page_breaks if b.table}
    if not tables_a and not tables_b:
        return ops
    older, newer = analyse(ta).letters, analyse(tb).letters  # as the word diff just had them
    pagers: list[Callable[[int], int]] = []  # made once, and only when a move needs them

    def reflowed(o: Op) -> bool:
        block = _letters(o.text)
        at = newer.find(block)
        pieces = _pieces(block, older) if at >= 0 and newer.find(block, at + 1) < 0 else None
        if pieces is None:  # where it stands now, or where it came from, is not known for sure
            return False
        if not pagers:
            pagers.extend((_pager(ca, ta), _pager(cb, tb)))
        page_a, page_b = pagers
        for k, in_a, n in pieces:
            in_b = at + k
            left_b = _place(older, in_a, in_a + n, newer)  # the place it left, in the newer text
            went_a = _place(newer, in_b, in_b + n, older)  # the place it went to, in the older text
            if left_b is None or went_a is None:
                return False
            sides = (_side(page_a, tables_a, in_a, in_a + n - 1, went_a),
                     _side(page_b, tables_b, in_b, in_b + n - 1, left_b))
            if None in sides or 1 not in sides:
                return False
        return True

    out: list[Op] = []
    for o in ops:
        if o.moved and reflowed(o):
            o = Op("equal", o.text)
        if out and o.op == "equal" and not o.moved and out[-1].op == "equal" and not out[-1].moved:
            out[-1] = Op("equal", out[-1].text + o.text)
        else:
            out.append(o)
    return out
