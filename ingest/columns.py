"""Reading order of pages set in columns: the left column top to bottom, then the next one.

`ingest.pdf` groups a page's glyphs into lines by baseline. On a page in two or three columns that
puts the left and right columns' lines side by side into one line ("...consectetuer adip- nec,
suscipit a, ipsum...") and the text reads across the gutter. Here the baseline groups are re-cut:

1. Each group is split into *segments* at gaps wider than GAP_EM ems. Word spaces mostly stay
   under that; the stretched spaces of a justified line may not, but they open at random places,
   where a gutter stays open at one x line after line.
2. A gutter is a vertical line x, in the middle part of the text area (not within EDGE of either
   side), that no segment of a run of consecutive groups crosses. The x crossed by no segment of the
   most groups (and splitting the most into two sides) is tried.
3. A run of groups not crossing x is a band in columns only if it looks like prose on both sides:
   at least MIN_LINES lines each side, each side at least MIN_SIDE of the text width, and most lines
   of a side filling it (median width at least FULL of the side's width) with MIN_WORDS words or
   more. A side that most lines (PROSE) leave open at one x is cut again and both parts must pass
   (three columns); a table's cells fail there. A table, a contents page (titles, then far right a
   page number) or a form fails these and keeps its rows.
4. A band's left parts come first, then its right parts; each side is looked at again for a further
   gutter (three columns). Groups crossing x (a title over both columns, a full-width table) stay
   where they are, between bands.

A page with no band in columns is returned as it came, group for group.
"""

from __future__ import annotations

from statistics import median

Seg = tuple[float, float, int]  # x0, x1, words

GAP_EM = 0.8
WORD_EM = 0.2  # as ingest.pdf splits words
EDGE = 0.2
MIN_LINES = 4
MIN_SIDE = 0.25
FULL = 0.6
PROSE = 0.8
MIN_WORDS = 3
_MAX_DEPTH = 2  # cuts nested at most this deep: a page in two, each half in two at most


def reading_order(groups: list[list[dict]], depth: int = 0) -> list[list[dict]]:
    """Baseline groups of upright glyphs (top to bottom) in reading order; see the module docstring."""
    if depth >= _MAX_DEPTH or len(groups) < 2 * MIN_LINES:
        return groups
    segs = [_segments(g) for g in groups]
    x0 = min(s[0] for ss in segs for s in ss)
    x1 = max(s[1] for ss in segs for s in ss)
    width = x1 - x0
    if width <= 0:
        return groups
    x = _best_gutter(segs, x0 + EDGE * width, x1 - EDGE * width)
    if x is None:
        return groups
    out: list[list[dict]] = []
    k = 0
    while k < len(groups):
        if _crosses(segs[k], x):
            out.append(groups[k])
            k += 1
            continue
        end = k
        while end < len(groups) and not _crosses(segs[end], x):
            end += 1
        band = range(k, end)
        if _in_columns([segs[i] for i in band], x, width, depth):
            left = [[c for c in groups[i] if _center(c) < x] for i in band]
            right = [[c for c in groups[i] if _center(c) >= x] for i in band]
            out += reading_order([g for g in left if g], depth + 1)
            out += reading_order([g for g in right if g], depth + 1)
        else:
            out += [groups[i] for i in band]
        k = end
    return out


def _center(c: dict) -> float:
    return (c["x0"] + c["x1"]) / 2


def _segments(group: list[dict]) -> list[Seg]:
    """The runs of a baseline group between gaps wider than GAP_EM ems: (x0, x1, words in it)."""
    out: list[Seg] = []
    start = end = 0.0
    words = 0
    space = False
    for c in sorted(group, key=lambda c: c["x0"]):
        if c["text"].isspace():
            space = True
            continue
        if not words or c["x0"] - end > GAP_EM * c["size"]:
            if words:
                out.append((start, end, words))
            start, end, words = c["x0"], c["x1"], 1
        else:
            words += space or c["x0"] - end > WORD_EM * c["size"]
            end = max(end, c["x1"])
        space = False
    if not words:
        return [(group[0]["x0"], group[0]["x1"], 0)]
    out.append((start, end, words))
    return out


def _crosses(segs: list[Seg], x: float) -> bool:
    return any(a <= x <= b for a, b, _ in segs)


def _best_gutter(segs: list[list[Seg]], lo: float, hi: float) -> float | None:
    """The x between lo and hi that the most groups have text on both sides of without crossing it:
    tried at the middle of every wide gap found there."""
    candidates = {
        round((a[1] + b[0]) / 2)
        for ss in segs
        for a, b in zip(ss, ss[1:], strict=False)
        if lo <= (a[1] + b[0]) / 2 <= hi
    }
    best, best_split = None, 0
    for x in sorted(candidates):
        split = sum(
            1 for ss in segs if not _crosses(ss, x) and ss[0][0] < x < ss[-1][1]
        )
        if split > best_split:
            best, best_split = x, split
    return best if best_split >= MIN_LINES else None


def _in_columns(band: list[list[Seg]], x: float, width: float, depth: int = 0) -> bool:
    """Prose on both sides of x (see the module docstring, step 3)."""
    return all(
        _prose(side, width, depth)
        for side in ([[s for s in ss if s[1] < x] for ss in band], [[s for s in ss if s[0] > x] for ss in band])
    )


def _prose(side: list[list[Seg]], width: float, depth: int) -> bool:
    """Full lines of running text; or (three columns) two such columns of its own."""
    lines = [ss for ss in side if ss]
    if len(lines) < MIN_LINES:
        return False
    lo, hi = min(ss[0][0] for ss in lines), max(ss[-1][1] for ss in lines)
    side_width = hi - lo
    if side_width < MIN_SIDE * width:
        return False
    # Stretched spaces of justified lines open wide gaps too, but at random places; a gap that most
    # lines keep open at one x is a further gutter (or a table's column: its cells are no prose).
    inner = _best_gutter(lines, lo + EDGE * side_width, hi - EDGE * side_width)
    if inner is not None:
        kept = [ss for ss in lines if not _crosses(ss, inner)]
        if len(kept) >= PROSE * len(lines):
            return depth + 1 < _MAX_DEPTH and _in_columns(kept, inner, side_width, depth + 1)
    return (
        median(ss[-1][1] - ss[0][0] for ss in lines) >= FULL * side_width
        and median(sum(s[2] for s in ss) for ss in lines) >= MIN_WORDS
    )
