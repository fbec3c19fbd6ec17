"""The clause tree: headings against the reference text, offsets, and the tree rules on small input."""

from __future__ import annotations

import re

import pytest

from archive.clauses import FRONT_MATTER, Line, build_clauses, parse_number
from archive.types import Footnote
from tests.pdfmaker import corpus_versions, extracted, reference_headings

VERSIONS = corpus_versions()
IDS = [f"{v.policy}-{v.version}" for v in VERSIONS]
_TOC = {"Contents", "Table of Contents"}


@pytest.mark.parametrize("v", VERSIONS, ids=IDS)
def test_every_reference_heading_is_a_clause(v) -> None:  # noqa: ANN001
    doc = extracted(v.version)
    got = [(c.number, c.title, c.page_start) for c in doc.clauses]
    want = []
    headings = reference_headings(v.text)
    toc_page = next((p for t, p in headings if t in _TOC), 0)
    for text, page in headings:
        if page in (1, toc_page):
            continue  # title page -> front matter; the contents page (its entries too) -> nothing
        number, title = parse_number(text)
        title = re.sub(r"(?<=[a-z])\d{1,2}$", "", title)  # "Measures8": a footnote marker
        want.append((number, title, page))
    assert got[0][:2] == ("", FRONT_MATTER)
    assert got[1:] == want


def test_v34_numbering_and_parents() -> None:
    doc = extracted("3.4")
    by_number = {c.number: (i, c) for i, c in enumerate(doc.clauses) if c.number}
    expected = ["1", "2", "3", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.6.1", "3.6.2", "3.6.3", "4"]
    assert [n for n in by_number if n[0].isdigit()] == expected
    assert by_number["3.6.1"][1].parent == by_number["3.6"][0]
    assert by_number["3.6"][1].parent == by_number["3"][0]
    assert by_number["3"][1].parent is None and by_number["3.1"][1].level == 2
    assert by_number["3.6.2"][1].level == 3 and by_number["3.6.2"][1].ordinal == 1
    appendices = next(i for i, c in enumerate(doc.clauses) if c.title == "Appendices")
    assert by_number["Appendix A"][1].parent == appendices
    assert by_number["Appendix B"][1].title == "Notes on ASLs"
    changelog = next(i for i, c in enumerate(doc.clauses) if c.title == "Changelog")
    assert doc.clauses[changelog].parent is None
    assert doc.clauses[-1].parent == changelog and doc.clauses[-1].title == "July 8, 2026 (RSP v3.4)"
    # "3.3. Contents" is a section, not a table of contents.
    assert by_number["3.3"][1].title == "Contents" and by_number["3.3"][1].text


@pytest.mark.parametrize("v", VERSIONS, ids=IDS)
def test_offsets_cover_heading_and_text(v) -> None:  # noqa: ANN001
    doc = extracted(v.version)
    full = doc.full_text
    last_end = 0
    for c in doc.clauses:
        span = full[c.char_start : c.char_end]
        assert c.char_start >= last_end  # document order, no overlap
        last_end = c.char_end
        if c.number or c.title != FRONT_MATTER:
            assert span.startswith(c.number.split()[0] if c.number else c.title.split()[0])
        assert c.text in span.replace("\f", "\n")
        assert span.replace("\f", "\n").strip().endswith(c.text)
        assert c.page_start <= c.page_end
        assert full[: c.char_start].count("\f") + 1 == c.page_start
    parents_ok = all(c.parent is None or c.parent < i for i, c in enumerate(doc.clauses))
    assert parents_ok


@pytest.mark.parametrize("v", VERSIONS, ids=IDS)
def test_footnotes_stay_with_their_clause(v) -> None:  # noqa: ANN001
    doc = extracted(v.version)
    on_pages = sorted((n.page, n.marker) for p in doc.pages for n in p.footnotes)
    in_clauses = sorted((n.page, n.marker) for c in doc.clauses for n in c.footnotes)
    assert on_pages == in_clauses
    for c in doc.clauses:
        for n in c.footnotes:
            assert c.page_start <= n.page <= c.page_end


def test_contents_page_gives_no_clauses() -> None:
    for version in ("2.0", "3.4", "2025-12"):
        doc = extracted(version)
        assert not any(c.title in _TOC and not c.number for c in doc.clauses)
        toc_page = 1 if version == "2025-12" else (4 if version == "2.0" else 2)
        assert not any(c.page_start == toc_page and c.title != FRONT_MATTER for c in doc.clauses)


# --- the rules on hand-made lines ----------------------------------------------------------


def _doc(rows: list[tuple[str, int, float, bool, float]]) -> tuple[list[Line], str]:
    """(text, page, relative size, bold, top) rows -> lines with offsets, and the full text."""
    lines, parts, offset, page_of_prev = [], [], 0, 1
    for text, page, size, bold, top in rows:
        if parts:
            sep = "\f" if page != page_of_prev else "\n"
            parts.append(sep)
            offset += 1
        lines.append(Line(text, page, offset, offset + len(text), size, bold, top, 10 * size))
        parts.append(text)
        offset += len(text)
        page_of_prev = page
    return lines, "".join(parts)


def test_split_heading_toc_and_tree() -> None:
    h, b = (1.3, True), (1.0, False)
    lines, full = _doc(
        [
            ("Policy Title", 1, *h, 70),
            ("Contents", 2, *h, 70),
            ("1. Scope ........ 3", 2, *b, 90),
            ("Introduction", 3, *h, 70),
            ("Intro text.", 3, *b, 90),
            ("1.", 3, *h, 120),
            ("Scope and Timing", 3, *h, 136),
            ("Scope text.", 3, *b, 160),
            ("1.1. Detail", 4, *h, 70),
            ("Detail text.", 4, *b, 90),
            ("Appendices", 4, *h, 120),
            ("Appendix A: Terms", 4, *h, 150),
            ("Terms text.", 4, *b, 170),
        ]
    )
    clauses = build_clauses(lines, full)
    rows = [(c.number, c.title, c.parent, c.level, c.ordinal, c.text) for c in clauses]
    assert rows == [
        ("", FRONT_MATTER, None, 1, 0, "Policy Title"),
        ("", "Introduction", None, 1, 1, "Intro text."),
        ("1", "Scope and Timing", None, 1, 2, "Scope text."),
        ("1.1", "Detail", 2, 2, 0, "Detail text."),
        ("", "Appendices", None, 1, 3, ""),
        ("Appendix A", "Terms", 4, 2, 0, "Terms text."),
    ]
    assert full[clauses[2].char_start : clauses[2].char_end] == "1.\nScope and Timing\nScope text."


def test_unnumbered_smaller_heading_nests_and_notes_follow_lines() -> None:
    note = Footnote("1", "A note.", 1)
    lines, full = _doc([("2. Big", 1, 1.3, True, 70), ("Small", 1, 1.1, True, 90), ("Body", 1, 1.0, False, 110)])
    lines[2] = Line("Body", 1, lines[2].start, lines[2].end, 1.0, False, 110, 10, (note,))
    clauses = build_clauses(lines, full)
    assert [(c.title, c.parent) for c in clauses] == [("Big", None), ("Small", 0)]
    assert clauses[1].footnotes == [note]


def test_parse_number() -> None:
    assert parse_number("3.6.1. Selecting external reviewers") == ("3.6.1", "Selecting external reviewers")
    assert parse_number("1.") == ("1", "")
    assert parse_number("Appendix A: Glossary") == ("Appendix A", "Glossary")
    assert parse_number("ASL-3 Deployment Standard") == ("", "ASL-3 Deployment Standard")
    assert parse_number("2024 in review") == ("", "2024 in review")
    assert parse_number("3.5x more compute") == ("", "3.5x more compute")


def test_merged_headings_stay_a_title_not_a_page():
    """A run of large lines (the Federal Register's masthead) is not merged into one huge title."""
    from pathlib import Path

    from archive.clauses import MAX_TITLE
    from ingest.pdf import extract_pdf
    from tests.conftest import WILD

    doc = extract_pdf(Path(WILD / "federal-register-2020-17221.pdf"), max_pages=100, max_bytes=10**8)
    assert doc.clauses
    assert max(len(c.title) for c in doc.clauses) <= MAX_TITLE


def test_page_breaks_point_where_each_page_begins_in_the_clause_text() -> None:
    h, b = (1.3, True), (1.0, False)
    lines, full = _doc(
        [
            ("1. Scope", 2, *h, 70),
            ("Scope text.", 2, *b, 90),
            ("More scope text.", 3, *b, 70),
            ("A table row's cell.", 4, *b, 70),
            ("2. Heading at a page's foot", 4, *h, 700),
            ("Its text, on the next page.", 5, *b, 70),
        ]
    )
    scope, heading = build_clauses(lines, full, table_pages=frozenset({4}))
    assert [(b.offset, b.page, b.table) for b in scope.page_breaks] == [(12, 3, False), (29, 4, True)]
    assert scope.text[12:].startswith("More scope") and scope.text[29:].startswith("A table row")
    # A heading that ended a page: its text begins on the next page, at offset 0.
    assert heading.page_start == 4 and [(b.offset, b.page) for b in heading.page_breaks] == [(0, 5)]
