"""Table header rows that the typesetter repeats at the top of every page a table continues on.

A table that breaks across pages prints its header row again at the top of each continuation page
(the RSP 3.x section 1 table: "Capability or usage threshold / Mitigations—our plan as a company /
Mitigations—ambitious industry-wide recommendations" on 4 pages in 3.0, 5 in 3.1). Kept in the body,
every copy becomes clause text, and a redline shows one more copy as an insertion only because the
table broke across one more page. Page breaks must never show as changes, so the copies go.

The rule (`repeated_tops`), on each page's body lines (running headers and footers, page numbers and
footnotes already removed):
- the block is the longest run of first lines of a page equal, line by line, to the first lines of
  the previous page; when the previous page's own top was such a copy, no longer than that copy (the
  block is the one printed first, never more);
- it counts only with at least MIN_LINES lines and MIN_WORDS words, and with text after it on both
  pages (a header row heads rows; a page equal to the previous page's top is left alone);
- lines are compared after whitespace normalisation, with footnote markers glued to a word's end
  folded away ("company3" = "company": the publisher's copies carry the marker on pages whose note
  is elsewhere, the first occurrence loses it to its note).
The first occurrence is content and stays; only the copies are reported. A page that merely begins
with the same single line is untouched (a running header is `pdf.split_running`'s business).

A table that starts mid-page (the noncompliance policy's "Role / Responsibilities", two one-word
cells) has its header under text on the previous page, so the rule above never sees it. Given where
blank lines fall (`blank_before`), a page top is also a copy when it is a header row of short cells
(`_mid_page_header`): MIN_LINES to MAX_CELLS lines of at most CELL_WORDS words each, none ending a
sentence, set apart by a blank line before and after it on the previous page and after it on this
one, as a table's header row is from the text above and the rows below. The pages after a copy may
repeat it again (the first rule, where the block's words need not reach MIN_WORDS: it is already
known as a header). A sentence never qualifies: its lines end in punctuation or run longer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.normalize import normalize_line

MIN_LINES = 2
MIN_WORDS = 5
# A header row found mid-page (see the module docstring): its cells, one per line, are short labels.
MAX_CELLS = 6
CELL_WORDS = 4
_SENTENCE_END = (".", ",", ";", ":", "!", "?")

# A footnote marker glued to the end of a word: 1-3 digits after a letter, before a space or the end.
_GLUED_MARKER = re.compile(r"(?<=[^\W\d_])\d{1,3}(?=[\s.,;:)\]]|$)")


def _key(text: str) -> str:
    return _GLUED_MARKER.sub("", normalize_line(text))


def repeated_tops(pages: Sequence[Sequence[str]], blank_before: Sequence[Sequence[bool]] | None = None) -> list[int]:
    """Per page, how many of its first lines are a repeated table header (0: none); see the module doc.
    `blank_before`: per page and line, whether a blank line stands before it (without it, only the
    first rule applies)."""
    keys = [[_key(t) for t in lines] for lines in pages]
    counts = [0] * len(keys)
    for i in range(1, len(keys)):
        prev, cur = keys[i - 1], keys[i]
        k = 0
        limit = min(len(prev), len(cur), counts[i - 1] or len(cur))
        while k < limit and cur[k] == prev[k]:
            k += 1
        if k == len(cur) or k == len(prev):
            continue  # nothing follows the block on one of the pages: not a header row over rows
        block = [t for t in cur[:k] if t]
        # A copy of the previous page's copy is one whatever its words (a short header found mid-page).
        known = counts[i - 1] == k
        if len(block) >= MIN_LINES and (known or sum(len(t.split()) for t in block) >= MIN_WORDS):
            counts[i] = k
        elif blank_before is not None and not counts[i - 1]:
            counts[i] = _mid_page_header(prev, cur, blank_before[i - 1], blank_before[i])
    return counts


def _mid_page_header(prev: list[str], cur: list[str], gaps_prev: Sequence[bool], gaps_cur: Sequence[bool]) -> int:
    """How many first lines of `cur` are a header row of short cells printed under text on the previous
    page (see the module docstring), or 0."""
    for k in range(min(MAX_CELLS, len(cur) - 1), MIN_LINES - 1, -1):
        block = cur[:k]
        cells = all(0 < len(t.split()) <= CELL_WORDS and not t.endswith(_SENTENCE_END) for t in block)
        if not cells or not gaps_cur[k]:
            continue
        for p in range(1, len(prev) - k):
            if gaps_prev[p] and gaps_prev[p + k] and prev[p : p + k] == block:
                return k
    return 0
