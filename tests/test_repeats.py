"""Table headers repeated at page tops (ingest/repeats.py): the rule, and what it does to the corpus.

The RSP 3.x section 1 table repeats its header row at the top of every page it continues on (3.0 on
4 pages, 3.1 on 5): only the first printing is clause text, so a redline never shows a page break.
"""

from __future__ import annotations

import pytest

from archive.db import storage
from archive.db.engine import read_session
from archive.services import redlines
from archive.services import search as search_service
from archive.types import Footnote
from ingest.pdf import RawLine, assemble
from ingest.repeats import repeated_tops

RSP = "anthropic-rsp"
HEADER = "Capability or usage threshold"
# The header row as the 3.x PDFs print it (the reference text's lines after [[page 6]] .. [[page 10]]).
ROW = ["Capability or usage threshold", "Mitigations—our plan as a", "company", "Mitigations—ambitious recommendations"]


# --- the rule -------------------------------------------------------------------------------------


def test_a_header_row_repeated_on_continuation_pages_is_found_after_its_first_printing() -> None:
    pages = [["Intro text."], [*ROW, "row one"], [*ROW, "row two"], [*ROW, "row three", "more"], ["After."]]
    assert repeated_tops(pages) == [0, 0, 4, 4, 0]


def test_footnote_marker_glued_to_a_copy_and_whitespace_do_not_matter() -> None:
    copy = ["Capability  or usage threshold", "Mitigations—our plan as a ", "company3", ROW[3]]
    assert repeated_tops([[*ROW, "row one"], [*copy, "row two"]]) == [0, 4]


def test_one_identical_line_at_a_page_top_is_kept() -> None:
    # Even a long line: one line is what a running header or a repeated title looks like, not a header row.
    line = "Frontier Safety Roadmap and the risk reports we publish"
    assert repeated_tops([[line, "first page text"], [line, "second page text"]]) == [0, 0]


def test_a_block_of_too_few_words_is_kept() -> None:
    # Two lines but four words, at the tops of two pages (without blank lines to tell a header row by).
    assert repeated_tops([["Role", "Responsibilities", "a"], ["Role", "Responsibilities", "b"]]) == [0, 0]
    assert repeated_tops([["Risk level", "Mitigation plan", "a"], ["Risk level", "Mitigation plan", "b"]]) == [0, 0]


def test_only_page_tops_count_and_a_block_must_head_something() -> None:
    # The header under text on the previous page (a table starting mid-page): not compared.
    assert repeated_tops([["Some text.", *ROW, "row one"], [*ROW, "row two"]]) == [0, 0]
    # A page that is nothing but the previous page's top, or two identical pages: left alone.
    assert repeated_tops([[*ROW, "row one"], list(ROW)]) == [0, 0]
    assert repeated_tops([[*ROW, "row one"], [*ROW, "row one"]]) == [0, 0]


# The noncompliance policy's table starts mid-page under a paragraph; its header row, two one-word
# cells, is printed again at the top of the next page. Blank lines set a header row apart.
INTRO = ["The successful implementation of this policy requires", "collaboration across roles."]
SHORT = ["Role", "Responsibilities"]


def _gaps(lines: list[str], starts: set[int]) -> list[bool]:
    return [k in starts for k in range(len(lines))]


def test_a_short_header_row_under_text_is_found_again_at_the_next_page_tops() -> None:
    first = [*INTRO, *SHORT, "Responsible Scaling", "Officer", "● Receive reports"]
    second = [*SHORT, "● Ensure timely reporting", "Managers"]
    third = [*SHORT, "● Assist in monitoring"]
    pages = [first, second, third]
    gaps = [_gaps(first, {2, 4}), _gaps(second, {2, 3}), _gaps(third, {2})]
    assert repeated_tops(pages, gaps) == [0, 2, 2]
    assert repeated_tops(pages) == [0, 0, 0]  # without the blank lines: only the first rule


@pytest.mark.parametrize(
    ("top", "first_gaps", "second_gaps"),
    [
        (["Role", "Responsibilities"], {2}, {2}),  # not set apart from the text below it on the previous page
        (["Role", "Responsibilities"], {2, 4}, set()),  # nor from the text below it on this page
        (["Role", "Responsibilities"], {4}, {2}),  # nor from the text above it on the previous page
        (["We will:", "Resource"], {2, 4}, {2}),  # a line ending like a sentence is no header cell
        (["Role", "Responsibilities of the RSO and delegates"], {2, 4}, {2}),  # a cell of five words
    ],
)
def test_a_mid_page_block_that_is_not_a_header_row_is_kept(top, first_gaps, second_gaps) -> None:
    first = [*INTRO, *top, "Responsible Scaling", "Officer"]
    second = [*top, "● Ensure timely reporting"]
    assert repeated_tops([first, second], [_gaps(first, first_gaps), _gaps(second, second_gaps)]) == [0, 0]


def test_a_copy_is_never_longer_than_the_block_before_it() -> None:
    # Pages 2 and 3 share a first row too: page 3 loses only the header, like page 2.
    pages = [[*ROW, "row one"], [*ROW, "(continued)", "row two"], [*ROW, "(continued)", "row three"]]
    assert repeated_tops(pages) == [0, 4, 4]


def _line(text: str, top: float) -> RawLine:
    return RawLine(words=text.split(), markers=[], top=top, bottom=top + 10, size=10.0, bold=False)


def _page(texts: list[str]) -> list[RawLine]:
    return [_line(t, 100 + 14 * i) for i, t in enumerate(texts)]


def test_assemble_moves_copies_to_the_page_header_and_keeps_short_or_single_lines() -> None:
    body = ["The table below sets out our plan.", "It continues over the next pages."]
    doc = assemble(
        [
            _page(body),
            _page([*ROW, "Row one of the table."]),
            _page([*ROW, "Row two of the table."]),
            _page(["Role", "Responsibilities", "Row three."]),
            _page(["Role", "Responsibilities", "Row four."]),
            _page(["Same single line at the top of the page", "Page six."]),
            _page(["Same single line at the top of the page", "Page seven."]),
        ]
    )
    texts = [p.text for p in doc.pages]
    assert texts[1].startswith(HEADER) and HEADER not in texts[2]
    assert doc.pages[2].header.split("\n") == ROW and texts[2] == "Row two of the table."
    assert texts[4] == "Role\nResponsibilities\nRow four." and not doc.pages[4].header
    assert texts[6].startswith("Same single line") and not doc.pages[6].header
    assert doc.full_text.count(HEADER) == 1
    # Clause text is still a slice of the full text (search pages and citation offsets rely on it).
    (front,) = doc.clauses
    assert front.text.count(HEADER) == 1 and "Row two of the table." in front.text
    assert front.text == doc.full_text[front.char_start : front.char_end].replace("\f", "\n").strip()


def test_a_note_marked_in_a_dropped_copy_stays_with_the_clause() -> None:
    copy = _page([*ROW, "Row two of the table."])
    copy[2].footnotes.append(Footnote("3", "A note printed again under the copy.", 3))
    doc = assemble([_page(["Text before the table."]), _page([*ROW, "Row one of the table."]), copy])
    (front,) = doc.clauses
    assert [n.text for n in front.footnotes] == ["A note printed again under the copy."]


# --- the corpus -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def session(corpus_engine):
    with read_session(corpus_engine) as s:
        yield s


def _clause(session, label: str, number: str):
    return next(c for c in storage.clauses(session, RSP, label) if c.number == number)


@pytest.mark.parametrize("label", ["3.0", "3.1", "3.4"])
def test_section_1_holds_the_table_header_once(session, label) -> None:
    sec1 = _clause(session, label, "1")
    assert sec1.text.count(HEADER) == 1
    assert sec1.text.count("Mitigations—ambitious industry-wide recommendations") == 1
    assert "company3" not in sec1.text


def test_pages_keep_what_was_printed(session) -> None:
    pages = {p.number: p for p in storage.pages(session, RSP, "3.1")}
    assert pages[6].text.startswith(HEADER)  # the first printing is content
    for n in (7, 8, 9, 10):  # the copies are the page's header, not its body
        assert pages[n].header.startswith(HEADER) and HEADER not in pages[n].text
    assert not any(HEADER in p.header for p in storage.pages(session, RSP, "2.2"))


def test_redline_3_0_to_3_1_shows_no_header_copy(session) -> None:
    r = redlines.compare(session, RSP, "3.0", "3.1", clause="1")
    (sec1,) = [c for c in r["changes"] if (c["to_clause"] or c["from_clause"])["number"] == "1"]
    inserted = [o["text"] for o in sec1["ops"] if o["op"] == "insert"]
    assert inserted and not any(HEADER in t or "ambitious industry-wide" in t for t in inserted)
    assert "double the rate of" in " ".join(inserted).lower()  # the real change is still shown


def test_search_and_citations_stay_on_the_printed_page(corpus_settings, session) -> None:
    full = storage.version_text(session, RSP, "3.1")
    # The header is quoted from one place now: its first printing, on p. 6.
    header = f"{HEADER} Mitigations—our plan as a company"
    r = search_service.resolve(corpus_settings, session, quote=header, policy=RSP, version="3.1")
    assert r["status"] == "found"
    (m,) = r["matches"]
    assert (m["clause"]["number"], m["page"]) == ("1", 6)
    # Text after a dropped copy keeps its page and its offsets into the version's full text.
    quote = "safety. Down the line, this possibility may come to apply to AI"  # top of p. 8
    r = search_service.resolve(corpus_settings, session, quote=quote, policy=RSP, version="3.1")
    (m,) = r["matches"]
    assert (m["clause"]["number"], m["page"]) == ("1", 8)
    assert " ".join(full[m["char_start"] : m["char_end"]].split()) == quote


@pytest.mark.parametrize("label", ["2025-12", "2026-02"])
def test_the_noncompliance_roles_table_holds_its_header_row_once(session, label) -> None:
    (roles,) = [c for c in storage.clauses(session, "anthropic-rsp-noncompliance", label)
                if c.title == "Roles and Responsibilities"]
    assert roles.text.count("Role\nResponsibilities") == 1
    assert "Assist in policy compliance monitoring" in roles.text  # the rows after the page break stay


def test_noncompliance_redline_shows_no_header_row_copy(session) -> None:
    r = redlines.compare(session, "anthropic-rsp-noncompliance", "2025-12", "2026-02",
                         clause="Roles and Responsibilities")
    (roles,) = r["changes"]
    changed = " ".join(o["text"] for o in roles["ops"] if o["op"] != "equal")
    assert "Responsibilities" not in changed
    assert "Immediately escalate concerns" in changed  # the real change is still shown
