"""Table text that a page break put in another order is unchanged, not moved (archive.diff.reflow),
and the page breaks that tell it: recorded by the extractor for each clause, kept by the store."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from api.caching import version_etag
from archive.db import storage
from archive.db.engine import read_session
from archive.diff import redline as rl
from archive.diff.reflow import settle
from archive.diff.words import diff_words
from archive.services import redlines
from archive.types import Clause, PageBreak

RSP = "anthropic-rsp"
NONCOMPLIANCE = "anthropic-rsp-noncompliance"

# A table row across pages 8 and 9. In the older version the first cell's tail ends page 8, before
# the other cells' parts there; in the newer one the break fell earlier in that cell, so its tail
# begins page 9 and reads after those cells: the word diff finds a move.
HEAD, TAIL = "Opening cell words stay put here.", "Tail of the first cell is long and runs on for a while."
CELLS, NEXT = "Other cells on this page.", "Next page text of the first cell."
OLDER = f"{HEAD} {TAIL}\n{CELLS}\n{NEXT}"
NEWER = f"{HEAD}\n{CELLS}\n{TAIL} {NEXT}"


def _clause(text: str, breaks: list[PageBreak] | None, page_start: int = 8) -> Clause:
    return Clause(number="1", title="Table", level=1, parent=None, ordinal=0, text=text, page_start=page_start,
                  page_end=max([page_start, *(b.page for b in breaks or [])]), char_start=0, char_end=len(text),
                  page_breaks=breaks)


def _settled(older: str, newer: str, older_breaks: list[PageBreak] | None, newer_breaks: list[PageBreak] | None,
             older_start: int = 8, newer_start: int = 8):
    """The word diff of two texts, then `settle`; the diff alone must have found a move."""
    ops = diff_words(older, newer)
    assert any(o.moved for o in ops), ops
    return settle(ops, _clause(older, older_breaks, older_start), _clause(newer, newer_breaks, newer_start),
                  older, newer)


def _moved(ops) -> list[str]:
    return [o.text.strip() for o in ops if o.moved]


def _break(text: str, at: str, page: int, table: bool = True) -> PageBreak:
    return PageBreak(text.index(at), page, table)


def test_a_cell_tail_a_table_page_break_pushed_to_the_next_page_is_unchanged_text() -> None:
    ops = _settled(OLDER, NEWER, [_break(OLDER, NEXT, 9)], [_break(NEWER, TAIL, 9)])
    assert [(o.op, o.moved) for o in ops] == [("equal", False)], ops
    assert ops[0].text == f"{HEAD} {CELLS} {TAIL} {NEXT}"  # the newer version's order, every word once


def test_each_version_is_judged_by_its_own_page_numbers() -> None:
    """Text added before the table pushes it two pages on in the newer version: pages 10 and 11 there."""
    ops = _settled(OLDER, NEWER, [_break(OLDER, NEXT, 9)], [_break(NEWER, TAIL, 11)], newer_start=10)
    assert _moved(ops) == []


def test_the_same_reorder_at_a_page_break_outside_a_table_stays_a_move() -> None:
    ops = _settled(OLDER, NEWER, [_break(OLDER, NEXT, 9, table=False)], [_break(NEWER, TAIL, 9, table=False)])
    assert _moved(ops) == _moved(diff_words(OLDER, NEWER))


def test_a_move_across_a_break_that_fell_at_the_same_text_stays_a_move() -> None:
    """Page 9 begins with the same words in both versions: the break did not move, so a sentence that
    crossed it moved for real."""
    first, moved, second = ("First cell text stays.", "This sentence moved for real.",
                            "Second cell text is long enough to stay in place here.")
    older, newer = f"{first} {moved}\n{second}", f"{first}\n{second} {moved}"
    ops = _settled(older, newer, [_break(older, second, 9)], [_break(newer, second, 9)])
    assert _moved(ops) == [moved]


def test_a_move_within_one_page_of_a_table_stays_a_move() -> None:
    """A table page break after the page, in both versions: the sentence moved without crossing it."""
    first, moved, rest = ("Intro sentence stays here.", "This sentence really moved within the page.",
                          "Other text stays here too.")
    end = "Text on the next page of the table."
    older, newer = f"{first} {moved} {rest}\n{end}", f"{first} {rest} {moved}\n{end}"
    ops = _settled(older, newer, [_break(older, end, 9)], [_break(newer, end, 9)])
    assert _moved(ops) == _moved(diff_words(older, newer)) != []


def test_a_move_farther_than_the_two_pages_around_a_table_break_stays_a_move() -> None:
    # A line stood on page 8 and now stands on page 10: no one page break of the table explains it.
    line = "A short tail line."
    cells = "Other cells on this page are long enough to stay where they are in the diff."
    older, newer = f"{HEAD} {line}\n{cells}\n{NEXT}", f"{HEAD}\n{cells}\n{NEXT}\n{line}"
    ops = _settled(older, newer, [_break(older, NEXT, 9)], [_break(newer, NEXT, 9), _break(newer, line, 10)])
    assert _moved(ops) == [line]


def test_without_recorded_page_breaks_on_either_side_a_move_stays_a_move() -> None:
    """A clause extracted before extractor 7 has no page breaks recorded (None): nothing tells reflow
    from a move, even when the other version's clause has them."""
    alone = _moved(diff_words(OLDER, NEWER))
    assert _moved(_settled(OLDER, NEWER, None, None)) == alone
    assert _moved(_settled(OLDER, NEWER, None, [_break(NEWER, TAIL, 9)])) == alone
    assert _moved(_settled(OLDER, NEWER, [_break(OLDER, NEXT, 9)], None)) == alone


@pytest.fixture(scope="module")
def session(corpus_engine):
    with read_session(corpus_engine) as s:
        yield s


def test_clauses_record_their_page_breaks_and_the_table_ones(session) -> None:
    tree = {c.number or c.title: c for c in storage.clauses(session, RSP, "3.4")}
    sec1 = tree["1"]
    assert [(b.page, b.table) for b in sec1.page_breaks] == [
        (5, False), (6, False), (7, True), (8, True), (9, True), (10, True)
    ]
    # Each break points where its page's text begins in the clause's text.
    tail = sec1.text[sec1.page_breaks[-1].offset:]
    assert tail.startswith("factors, such as increased\n"), tail[:60]
    # A clause on one page has none; one crossing a page of plain text has one, not a table's.
    assert tree["3.2"].page_breaks == [] and tree["3.2"].page_start == tree["3.2"].page_end
    assert [(b.page, b.table) for b in tree["3.1"].page_breaks] == [(12, False)]
    # The noncompliance policy's roles table, whose header row repeats on the page it continues on.
    tree = {c.title: c for c in storage.clauses(session, NONCOMPLIANCE, "2026-02")}
    roles = tree["Roles and Responsibilities"]
    assert [(b.page, b.table) for b in roles.page_breaks] == [(5, True)]


def test_no_consecutive_redline_of_the_corpus_shows_table_reflow_as_moved(session) -> None:
    """Every move the word diff finds in the corpus is a table cell a page break set in another order
    (3.2 -> 3.3 alone had eight in section 1): none is shown as moved, and none as deleted or inserted."""
    for slug in (RSP, NONCOMPLIANCE):
        labels = [v.label for v in storage.list_versions(session, slug)]
        for a, b in zip(labels, labels[1:], strict=False):
            red = redlines.compare(session, slug, a, b)
            moved = [o["text"][:40] for c in red["changes"] for o in c["ops"] if o.get("moved")]
            assert moved == [], (slug, a, b, moved)
    sec1 = next(c for c in redlines.compare(session, RSP, "3.3", "3.4")["changes"] if c["to_clause"]["number"] == "1")
    changed = " ".join(o["text"] for o in sec1["ops"] if o["op"] != "equal")
    for reflowed in ("factors, such as increased headcount", "Publish Risk Reports with the"):
        assert reflowed not in changed
        assert any(reflowed in o["text"] for o in sec1["ops"] if o["op"] == "equal"), reflowed
    # What 3.4 did change there still shows.
    assert "and the fastest rate of extended progress" in changed and "seems likely to" in changed


def test_the_word_diff_alone_still_finds_those_moves(session) -> None:
    """The check above is not vacuous: without the clauses' page breaks the same texts give moves."""
    ca, cb = storage.clauses(session, RSP, "3.2"), storage.clauses(session, RSP, "3.3")
    for c in ca + cb:
        c.page_breaks = None
    red = rl.compute(RSP, {"label": "3.2"}, {"label": "3.3"}, ca, cb)
    sec1 = next(c for c in red["changes"] if c["to_clause"] and c["to_clause"]["number"] == "1")
    assert sum(bool(o.get("moved")) for o in sec1["ops"]) >= 5


def test_a_re_extraction_that_keeps_the_text_still_changes_the_redline_key(session) -> None:
    """Page breaks are not in the text's hash: recording them (a re-extraction of the same text) must
    not leave a redline computed without them under the same key, nor the same ETag."""
    va, vb = storage.get_version(session, RSP, "3.2"), storage.get_version(session, RSP, "3.3")
    later = dataclasses.replace(vb, extracted_at=vb.extracted_at + dt.timedelta(seconds=1))
    assert redlines.redline_key(RSP, va, later) != redlines.redline_key(RSP, va, vb)
    assert version_etag(later) != version_etag(vb)
