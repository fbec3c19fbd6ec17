"""Table text that a page break put in another order: unchanged, not moved.

Text extraction reads a page's table columns one after the other, so a table row that breaks across
two pages comes out as its cells' parts on the first page, then their parts on the next. Where the
break falls differs between versions (a few words added above push it down), so a cell's last lines
read before the next cells in one version and after them in the other, and the word diff finds that
text moved (`archive.diff.words._moves`). It did not move: only the page break did, and page breaks
never show as changes.

A moved stretch is such reflow when every piece of it stands, in both versions, on the two pages
around one page break that continues a table (`PageBreak.table`: the later page repeats the table's
header row). It is then unchanged text at its place in the newer version. The stretch must be found
exactly once in the newer text, and each piece exactly once in the older (at least MIN_PIECE letters):
where it stands or came from is otherwise unknown, and the stretch stays a move. So does every move
outside a table's page breaks, and every move of a clause extracted before clauses recorded their
page breaks (extractor 7).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from archive.diff.words import Op, analyse, canonical, compared_words
from archive.types import Clause

MIN_PIECE = 12  # letters: as short a stretch as a whole-stretch move may be (words.MOVE_WHOLE_MIN_CHARS)


def _letters(text: str) -> str:
    """The compared letters of `text` (what `analyse(text).letters` holds), without memoising them:
    the texts here are slices and ops, seen once."""
    return "".join(map(canonical, compared_words(text)))


def _pager(c: Clause, text: str) -> Callable[[int], int]:
    """The page on which the letter at a position of `text`'s letters stands (`text` begins with the
    clause's own text, where its page breaks' offsets point)."""
    starts, at, done = [], 0, 0
    for b in c.page_breaks:  # a break is at a line's start: no word spans it
        at += len(_letters(text[done : b.offset]))
        starts.append(at)
        done = b.offset
    pages = [b.page for b in c.page_breaks]

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


def settle(ops: list[Op], ca: Clause, cb: Clause, ta: str, tb: str) -> list[Op]:
    """`ops` (the word diff of texts `ta` and `tb` of clauses `ca` and `cb`) with the moves that are
    table reflow (see the module docstring) made unchanged text, joined to the unchanged text around."""
    tables = {b.page for b in (*ca.page_breaks, *cb.page_breaks) if b.table}
    if not tables or not any(o.moved for o in ops):
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
            pages = {page_a(in_a), page_a(in_a + n - 1), page_b(at + k), page_b(at + k + n - 1)}
            if not any(pages <= {p - 1, p} for p in tables):
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
