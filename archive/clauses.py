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
from collections.abc import Sequence
from dataclasses import dataclass, field

from archive.types import Clause, Footnote

FRONT_MATTER = "Front matter"

_NUMBERED = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)(?:\.|(?=\s)|$)\s*(.*)$")
_NAMED = re.compile(
    r"^(Appendix|Annex|Schedule|Exhibit|Section|Part|Chapter|Article)\s+([A-Z]|\d{1,3}|[IVX]{1,5})"
    r"(?![\w.])\s*[:.\-–—]?\s*(.*)$"
)
_TOC_TITLE = re.compile(r"^(table of )?contents$", re.I)
_DOT_LEADER = re.compile(r"(\.\s?){4,}\s*\d*\s*$")
_TOC_ENTRY = re.compile(r"(?:(?:\.\s?){3,}|\s)\s*\d{1,4}$")
_CONTAINER = re.compile(
    r"^(appendices|annexes|schedules|change ?log|version history|revision history|document history)$",
    re.I,
)
_APPENDIX_CONTAINER = re.compile(r"^(appendices|annexes|schedules)$", re.I)


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
    number, title = parse_number(head.text)
    if number and not title:
        return True  # "3.1." alone: its title is on the next line
    return 0 <= line.top - last.top <= 1.6 * max(last.font_size, 1.0)


def _is_number_prefix(parent: str, child: str) -> bool:
    return child.startswith(parent + ".")


def build_clauses(lines: Sequence[Line], full_text: str) -> list[Clause]:
    """The clause tree in document order; see the module docstring for the rules."""
    items = _group_headings(lines)
    # Find the table of contents span (indexes into items) so it yields nothing.
    skip: set[int] = set()
    for i, it in enumerate(items):
        if isinstance(it, _Heading) and _TOC_TITLE.match(it.text) and not parse_number(it.text)[0]:
            skip.add(i)
            j = i + 1
            while j < len(items):
                nxt = items[j]
                if isinstance(nxt, _Heading) and not (
                    _TOC_ENTRY.search(nxt.text) and nxt.lines[0].page <= it.lines[0].page + 1
                ):
                    break
                skip.add(j)
                j += 1
            break

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
        clauses.append(_make_clause("", FRONT_MATTER, None, 1, None, pending_front, full_text))

    # Parent stack: (clause index, heading size, is container, number).
    stack: list[tuple[int, float, bool, str]] = []
    for head, body in sections:
        if not head.lines:
            continue
        number, title = parse_number(head.text)
        size = head.size
        container = not number and bool(_CONTAINER.match(title))
        parent: int | None = None
        if number and number[0].isdigit():
            cands = [s for s in stack if s[3] and s[3][0].isdigit() and _is_number_prefix(s[3], number)]
            if cands:
                parent = cands[-1][0]
                while stack and stack[-1][0] != parent:
                    stack.pop()
            else:
                # A top-level number closes everything except a larger heading above it.
                while stack and stack[-1][1] <= size + 0.05:
                    stack.pop()
                parent = stack[-1][0] if stack else None
        elif number:  # Appendix A, Section 4 ...
            kind = number.split()[0].lower()
            while stack and not (
                stack[-1][2]
                and _APPENDIX_CONTAINER.match(clauses[stack[-1][0]].title)
                and kind in ("appendix", "annex", "schedule", "exhibit")
            ) and stack[-1][1] <= size + 0.05:
                stack.pop()
            parent = stack[-1][0] if stack else None
        else:
            while stack:
                top_idx, top_size, top_container, _ = stack[-1]
                if top_size > size + 0.05 or (
                    top_container and not container and top_size >= size - 0.05
                ):
                    break
                stack.pop()
            parent = stack[-1][0] if stack else None
        level = clauses[parent].level + 1 if parent is not None else 1
        ordinal = sum(1 for c in clauses if c.parent == parent)
        clauses.append(_make_clause(number, title, parent, level, head, body, full_text, ordinal))
        stack.append((len(clauses) - 1, size, container, number))
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
) -> Clause:
    head_lines = head.lines if head else []
    all_lines = head_lines + body
    start = all_lines[0].start
    end = all_lines[-1].end
    body_start = body[0].start if body else end
    text = full_text[body_start:end].replace("\f", "\n").strip() if body else ""
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
    )
