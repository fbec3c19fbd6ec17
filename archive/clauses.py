"""Headings and the clause tree, built from classified lines. Pure: no I/O, no PDF library.

Rules (documented here because tests and users rely on them):
- A line is a heading when its font says so: bold and at least 10% larger than the page's body text,
  or at least 25% larger, or bold at body size *and* numbered ("3.1 Scope"). Lines with dot leaders
  ("Purpose........2") never are: they are table-of-contents entries.
- Consecutive heading lines on one page, set in the same size and tightly spaced, are one heading
  ("3.1." then "Scope and Timing"); a line that starts a new number always starts a new heading.
- Numbers: "3.6.1.", "1.", "Appendix A:", "Annex 2", "Section 4". A numbered heading's parent is the
  nearest earlier clause whose number is a prefix of its own (3.6.1 under 3.6 under 3). "Appendix X"
  goes under an "Appendices" heading if one is open. Unnumbered headings go under the nearest open
  heading set in a larger size; container headings ("Appendices", "Changelog", "Version History")
  also take the same-size unnumbered headings that follow them.
- A "Contents"/"Table of Contents" heading and everything up to the next real heading is a table of
  contents: it yields no clause and its text belongs to none.
- Front matter: everything before the first structural heading (a heading past page 1, a numbered
  one, or the contents) is one clause numbered "" and titled "Front matter"; page-1 headings (the
  document's title, version, date lines) are part of its text. Omitted when there is no such text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from archive.types import Clause, Footnote, PageBreak

FRONT_MATTER = "Front matter"

_NUMBERED = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)(?:\.|(?=\s)|$)\s*(.*)$")
_NAMED = re.compile(
    r"^(Appendix|Annex|Schedule|Exhibit|Section|Part|Chapter|Article)\s+([A-Z]|\d{1,3}|[IVX]{1,5})"
    r"(?![\w.])\s*[:.\-–—]?\s*(.*)$"
)
_TOC_TITLE = re.compile(r"^(table of )?contents$", re.I)
_DOT_LEADER = re.compile(r"(\.\s?){4,}\s*\d*\s*$")
_TOC_ENTRY = re.compile(r"(?:(?:\.\s?){3,}|\s)\s*\d{1,4}$")
_APPENDICES = re.compile(r"^(appendices|annexes|schedules)$", re.I)
_CHANGELOG = re.compile(r"^(change ?log|version history|revision history|document history)$", re.I)
_DATED = re.compile(
    r"^((January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+\d{1,2},?\s+\d{4}|\d{4}-\d{2}(-\d{2})?|(version|v)\s*\d)",
    re.I,
)
_TOL = 0.05  # relative font sizes closer than this are the same size


@dataclass
class _Open:
    """A clause that can still take children, while building the tree."""

    index: int
    size: float
    kind: str  # "appendices", "changelog" or ""
    number: str
    numbered_children: bool = False


def _kind(number: str, title: str) -> str:
    if number:
        return ""
    if _APPENDICES.match(title):
        return "appendices"
    return "changelog" if _CHANGELOG.match(title) else ""


def _adopts(o: _Open, size: float, dated: bool) -> bool:
    """Whether open clause `o` is the parent of a following unnumbered heading."""
    if o.size > size + _TOL:
        return True
    if o.size < size - _TOL:
        return False
    if o.kind == "changelog":
        return dated  # a change log holds its dated entries, nothing else
    # Appendices without numbered appendices ("Appendices", then titled ones) hold what follows.
    return o.kind == "appendices" and not o.numbered_children


def _pop_while(stack: list[_Open], cond: Callable[[_Open], bool]) -> None:
    while stack and cond(stack[-1]):
        stack.pop()


@dataclass(frozen=True)
class Line:
    """One text line of the document as the extractor saw it."""

    text: str  # normalised
    page: int
    start: int  # offsets into the document's full text
    end: int
    size: float  # font size relative to the page's body text (1.0 = body)
    bold: bool
    top: float = 0.0  # position on the page, points from the top
    font_size: float = 0.0  # absolute, points
    footnotes: tuple[Footnote, ...] = ()


@dataclass
class _Heading:
    lines: list[Line] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(ln.text for ln in self.lines)

    @property
    def size(self) -> float:
        return self.lines[0].size


def parse_number(text: str) -> tuple[str, str]:
    """Split a heading into (number, title); number is "" when there is none."""
    m = _NAMED.match(text)
    if m:
        return f"{m.group(1)} {m.group(2)}", m.group(3).strip()
    m = _NUMBERED.match(text)
    if m and (m.group(2) == "" or not m.group(2)[0].isdigit()):
        return m.group(1), m.group(2).strip()
    return "", text.strip()


# Longest heading we merge from several lines; also under the clauses.title column's 500 characters.
MAX_TITLE = 300
# What no clause number or title holds, as a regex character range: control characters (C0, DEL, C1) and
# the line and paragraph separators. A name with one is a mistake, and echoed it would break an error line.
NOT_IN_A_NAME = r"\x00-\x1f\x7f-\x9f\u2028\u2029"

# "§3.6", "§ 3.6", "Section 3.6": a number as a citation gives it (never a title: a digit must follow).
_CITED_NUMBER = re.compile(r"^(?:§|sections?\b)\s*(?=\d+(?:\.\d+)*\.?$)", re.IGNORECASE)


def page_range(start: int, end: int) -> str:
    """'9', or '16–17' (an en dash, as the pages and citations write a range)."""
    return f"{start}" if start == end else f"{start}–{end}"


def plain_number(name: str) -> str:
    """A clause's name as people cite it, less the "§" or "Section" before a number ("§3.6" -> "3.6");
    a title ("Section headings", "§ External Review") as it is."""
    return _CITED_NUMBER.sub("", name.strip())


def is_heading(line: Line) -> bool:
    text = line.text
    if not text or len(text) > 200 or _DOT_LEADER.search(text):
        return False
    if line.bold and line.size >= 1.1 or line.size >= 1.25:
        return True
    return line.bold and line.size >= 0.97 and bool(parse_number(text)[0])


def _starts_number(text: str) -> bool:
    return bool(parse_number(text)[0])


def _group_headings(lines: Sequence[Line]) -> list[_Heading | Line]:
    """Lines in order, consecutive heading lines merged into one `_Heading`."""
    out: list[_Heading | Line] = []
    for line in lines:
        if not is_heading(line):
            out.append(line)
            continue
        prev = out[-1] if out else None
        if isinstance(prev, _Heading) and _continues(prev, line):
            prev.lines.append(line)
        else:
            out.append(_Heading([line]))
    return out


def _continues(head: _Heading, line: Line) -> bool:
    last = head.lines[-1]
    if last.page != line.page or abs(last.size - line.size) > 0.05 or _starts_number(line.text):
        return False
    if _TOC_TITLE.match(head.text):
        return False  # "Contents" is complete; what follows are its entries
    number, title = parse_number(head.text)
    if number and not title:
        return True  # "3.1." alone: its title is on the next line
    if len(head.text) + 1 + len(line.text) > MAX_TITLE:  # joined by a space
        return False  # a run of large lines (a cover page, a pull quote) is not one title
    return 0 <= line.top - last.top <= 1.6 * max(last.font_size, 1.0)


def _toc_span(items: list[_Heading | Line]) -> set[int]:
    """Indexes of the table of contents: its heading and the entries after it.

    Entries are body lines, dot-leader lines, and headings whose text is set again as a heading
    later on (a contents page set in the heading font). The first heading that does not recur
    ends the contents.
    """
    start = next(
        (
            i
            for i, it in enumerate(items)
            if isinstance(it, _Heading) and _TOC_TITLE.match(it.text) and not parse_number(it.text)[0]
        ),
        None,
    )
    if start is None:
        return set()
    last_seen: dict[str, int] = {}  # heading text -> index of its last occurrence
    for j in range(start + 1, len(items)):
        it = items[j]
        if isinstance(it, _Heading):
            for text in {it.text, *(ln.text for ln in it.lines)}:
                last_seen[text] = j
    skip = {start}
    for j in range(start + 1, len(items)):
        it = items[j]
        if isinstance(it, _Heading) and not _TOC_ENTRY.search(it.text):
            recurs = last_seen.get(it.text, 0) > j or all(last_seen.get(ln.text, 0) > j for ln in it.lines)
            if not recurs:
                break
        skip.add(j)
    return skip


def build_clauses(lines: Sequence[Line], full_text: str, table_pages: frozenset[int] = frozenset()) -> list[Clause]:
    """The clause tree in document order; see the module docstring for the rules. `table_pages`: the
    pages that continue a table from the page before (each clause's `page_breaks` says so)."""
    items = _group_headings(lines)
    skip = _toc_span(items)
    clauses: list[Clause] = []
    pending_front: list[Line] = []
    started = False
    sections: list[tuple[_Heading, list[Line]]] = []
    for i, it in enumerate(items):
        if i in skip:
            started = True
            if sections:
                sections.append((_Heading(), []))  # a break: the TOC is nobody's text
            continue
        if isinstance(it, _Heading):
            structural = started or it.lines[0].page > 1 or bool(parse_number(it.text)[0])
            if structural:
                started = True
                sections.append((it, []))
                continue
            pending_front.extend(it.lines)
            continue
        if sections:
            sections[-1][1].append(it)
        else:
            pending_front.append(it)

    if pending_front:
        clauses.append(_make_clause("", FRONT_MATTER, None, 1, None, pending_front, full_text,
                                    table_pages=table_pages))

    stack: list[_Open] = []
    for head, body in sections:
        if not head.lines:
            continue
        number, title = parse_number(head.text)
        size = head.size
        if number and number[0].isdigit():
            prefixed = [o for o in stack if o.number[:1].isdigit() and number.startswith(o.number + ".")]
            if prefixed:
                while stack[-1] is not prefixed[-1]:
                    stack.pop()
            else:
                _pop_while(stack, lambda o, size=size: o.size <= size + _TOL)
        elif number:  # Appendix A, Section 4 ...
            appendix = number.split()[0].lower() in ("appendix", "annex", "schedule", "exhibit")
            _pop_while(
                stack,
                lambda o, a=appendix, size=size: not (a and o.kind == "appendices") and o.size <= size + _TOL,
            )
            if stack and stack[-1].kind == "appendices":
                stack[-1].numbered_children = True
        else:
            dated = bool(_DATED.match(title))
            _pop_while(stack, lambda o, size=size, dated=dated: not _adopts(o, size, dated))
        parent = stack[-1].index if stack else None
        level = clauses[parent].level + 1 if parent is not None else 1
        ordinal = sum(1 for c in clauses if c.parent == parent)
        clauses.append(_make_clause(number, title, parent, level, head, body, full_text, ordinal, table_pages))
        stack.append(_Open(len(clauses) - 1, size, _kind(number, title), number))
    return clauses


def _make_clause(
    number: str,
    title: str,
    parent: int | None,
    level: int,
    head: _Heading | None,
    body: list[Line],
    full_text: str,
    ordinal: int = 0,
    table_pages: frozenset[int] = frozenset(),
) -> Clause:
    head_lines = head.lines if head else []
    all_lines = head_lines + body
    start = all_lines[0].start
    end = all_lines[-1].end
    body_start = body[0].start if body else end
    raw = full_text[body_start:end] if body else ""
    text = raw.replace("\f", "\n").strip()
    lead = len(raw) - len(raw.lstrip())
    breaks, page = [], all_lines[0].page
    for ln in body:
        if ln.page != page:
            page = ln.page
            breaks.append(PageBreak(max(ln.start - body_start - lead, 0), page, page in table_pages))
    footnotes = [fn for ln in all_lines for fn in ln.footnotes]
    return Clause(
        number=number,
        title=title,
        level=level,
        parent=parent,
        ordinal=ordinal,
        text=text,
        page_start=all_lines[0].page,
        page_end=all_lines[-1].page,
        char_start=start,
        char_end=end,
        footnotes=footnotes,
        page_breaks=breaks,
    )


def descendants(tree: Sequence[Clause], pos: int) -> set[int]:
    """Positions of the clauses under `pos` (a parent always precedes its children)."""
    under: set[int] = {pos}
    for i in range(pos + 1, len(tree)):
        if tree[i].parent in under:
            under.add(i)
    return under - {pos}
