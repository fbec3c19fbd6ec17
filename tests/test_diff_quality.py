"""Redline quality on the ingested corpus: text moved inside a clause, footnote order, run-together
section numbers, and the changelog audit's direction, table changelogs, list sentences and rewrites."""

from __future__ import annotations

import json
import re

import pytest

from archive.db.engine import read_session
from archive.diff.changelog import entries, items, relate
from archive.diff.tokens import canonical
from archive.diff.words import diff_words
from archive.services import histories, redlines

RSP = "anthropic-rsp"
NONCOMPLIANCE = "anthropic-rsp-noncompliance"


@pytest.fixture(scope="module")
def session(corpus_engine):
    with read_session(corpus_engine) as s:
        yield s


def by_clause(redline: dict) -> dict[str, dict]:
    return {(c["to_clause"] or c["from_clause"])["number"] or (c["to_clause"] or c["from_clause"])["title"]: c
            for c in redline["changes"]}


def ops_text(change: dict, op: str) -> str:
    return " ".join(o["text"] for o in change["ops"] if o["op"] == op and not o.get("moved"))


# -- text moved inside a clause ------------------------------------------------------------------

LONG = "the quick brown fox jumps over the lazy dog while the cat watches from the warm windowsill"
# Longer than LONG, so the word diff keeps it in place and LONG is what moves.
MIDDLE = ("Middle words stay where they are for this test because they outnumber the words of the passage "
          "that moves from before them to after them in the newer text of the clause.")


def test_a_long_passage_moved_inside_a_clause_is_equal_at_its_new_place() -> None:
    a = f"Opening words stay here. {LONG} {MIDDLE} Closing words end it."
    b = f"Opening words stay here. {MIDDLE} {LONG} Closing words end it."
    ops = diff_words(a, b)
    assert all(o.op == "equal" for o in ops), ops
    moved = [o for o in ops if o.moved]
    assert len(moved) == 1 and moved[0].text.strip() == LONG
    # Read in order, the equal text is the newer text.
    assert " ".join(o.text.strip() for o in ops) == b
    assert moved[0].as_dict() == {"op": "equal", "text": moved[0].text, "moved": True}
    assert "moved" not in ops[0].as_dict()


def test_a_moved_passage_matches_across_run_together_words() -> None:
    a = f"Start here. {LONG} {MIDDLE} End."
    b = f"Start here. {MIDDLE} " + LONG.replace("brown fox", "brownfox").replace("the warm", "thewarm") + " End."
    ops = diff_words(a, b)
    assert all(o.op == "equal" for o in ops), ops


def test_a_short_phrase_in_two_places_is_not_a_move() -> None:
    ops = diff_words("alpha beta gamma delta. risk report. epsilon zeta.", "alpha beta risk report. gamma delta. zeta.")
    assert not any(o.moved for o in ops)
    assert any(o.op == "delete" for o in ops)


def test_a_short_stretch_deleted_whole_and_inserted_whole_elsewhere_is_a_move() -> None:
    # A table cell's last line that a page break put after the next cell (3.0 -> 3.1 section 1).
    a = "First cell text stays. of AI this advanced. Second cell text is long enough to stay in place here."
    b = "First cell text stays. Second cell text is long enough to stay in place here. of AI this advanced."
    ops = diff_words(a, b)
    assert all(o.op == "equal" for o in ops), ops
    assert [o.text.strip() for o in ops if o.moved] == ["of AI this advanced."]
    # Part of a changed stretch is no evidence: "of AI this" alone inside a rewritten sentence stays.
    ops = diff_words("Keep this. of AI this era we said. Then the rest follows in order.",
                     "Keep this. Then the rest follows in order. The risk of AI this time.")
    assert not any(o.moved for o in ops)


def _words(seed: int, n: int = 40) -> str:
    """n distinct made-up words of eight letters (none shared between seeds)."""
    return " ".join("".join(chr(97 + (seed * 131 + k * 17 + m * 7) % 26) for m in range(8)) + "q" * seed
                    for k in range(n))


def test_a_passage_between_two_changes_of_one_hunk_stays_in_place() -> None:
    """The word diff's cleanup folds a passage standing between two long rewrites into one change, too
    long for the character refinement (3.2 -> 3.3 §3.1); found again in both its delete and its
    insert, it did not move: it is equal where it stands, and the change around it splits in two."""
    kept = "Within thirty days of determining that we have an internally deployed model that"
    first_a, first_b, second_a, second_b = (_words(seed) for seed in (1, 2, 3, 4))
    a = f"Opening words stay here. {first_a} {kept} {second_a}"
    b = f"Opening words stay here. {first_b} {kept} {second_b}"
    ops = [(o.op, o.text.strip(), o.moved) for o in diff_words(a, b)]
    assert ("equal", kept, False) in ops, ops
    assert [text for op, text, _ in ops if op == "delete"] == [first_a, second_a]
    assert [text for op, text, _ in ops if op == "insert"] == [first_b, second_b]


def test_v3_3_second_bullet_is_not_moved(session) -> None:
    """3.2 -> 3.3 §3.1: both bullets were rewritten around the second bullet's unchanged opening."""
    sec = by_clause(redlines.compare(session, RSP, "3.2", "3.3"))["3.1"]
    opening = "● Within 30 days of determining that we have an internally deployed model that"
    assert not any(o.get("moved") for o in sec["ops"])
    assert any(o["op"] == "equal" and opening in o["text"] for o in sec["ops"])
    deletes = [o["text"] for o in sec["ops"] if o["op"] == "delete"]
    # No deletion joins the end of the first bullet to the rest of the second.
    first = next(d for d in deletes if "any of the models covered in the most recent Risk Report" in d)
    assert "is in-scope" not in first, deletes


def test_table_rows_that_broke_across_pages_differently_are_no_change(session) -> None:
    """3.3 sets the section 1 table across its pages differently: 3.2's rows come in another order.
    That is neither a deletion and insertion nor a move: the text reads unchanged where 3.3 has it."""
    sec1 = by_clause(redlines.compare(session, RSP, "3.2", "3.3"))["1"]
    deleted, inserted = ops_text(sec1, "delete"), ops_text(sec1, "insert")
    for unchanged in ("tractable to assess than capabilities in other domains",
                      "Even malicious employees and other insiders with maximal levels of access"):
        assert unchanged not in deleted and unchanged not in inserted, unchanged
        assert any(o["op"] == "equal" and unchanged in o["text"] for o in sec1["ops"]), unchanged
    assert not any(o.get("moved") for o in sec1["ops"])
    # The real change, the new CBRN threshold wording, is still there.
    assert "functionally substitute for the scarce human expertise" in inserted
    assert "significantly help threat actors" in deleted
    assert sec1["similarity"] >= 0.9, sec1["similarity"]


def test_the_v3_0_to_v3_1_threshold_change_is_untouched_by_moves(session) -> None:
    sec1 = by_clause(redlines.compare(session, RSP, "3.0", "3.1"))["1"]
    assert "compress two years of 2018" in ops_text(sec1, "delete")
    assert "double the rate of" in ops_text(sec1, "insert")
    # What the table's page breaks did is no change: the header row printed on one more page (the
    # extractor keeps its first printing only) and a cell's last line set after the next cell.
    changed = ops_text(sec1, "delete") + " " + ops_text(sec1, "insert")
    assert "Capability or usage threshold" not in changed
    assert "of AI this advanced" not in changed


# -- noise the extraction adds ---------------------------------------------------------------------

def test_run_together_section_numbers_keep_their_digits() -> None:
    assert canonical("and7.2.2,we") == "and7.2.2,we"
    assert canonical("risks5beyond") == "risksbeyond"  # a glued footnote marker still goes
    assert canonical("3).1") == canonical("3).2") == "3)."  # a marker after "(see Section 3)."


def test_v2_2_spacing_of_section_references_is_no_change(session) -> None:
    ch = by_clause(redlines.compare(session, RSP, "2.0", "2.2", changed_only=False))
    for number in ("3.3", "4.3"):
        changed = ops_text(ch[number], "delete") + ops_text(ch[number], "insert")
        assert "7.1.4" not in changed, (number, changed)


def test_footnotes_compare_in_number_order(session) -> None:
    """2.0 stores §7.1's notes in page-foot order ([15], [17], [16]); 2.2 in number order."""
    assert by_clause(redlines.compare(session, RSP, "2.0", "2.2", changed_only=False))["7.1"]["kind"] == "unchanged"


def test_a_footnote_stays_with_the_clause_of_its_marker_across_a_page_break(session) -> None:
    """2.2 prints §2's note 1 ("We hope to publish updates ...", marker "(see Section 3).1") at the foot
    of the page where §3.1 begins: it is §2's note, so §3.1 is unchanged from 2.0 and the audit does
    not list it."""
    redline = redlines.compare(session, RSP, "2.0", "2.2", changed_only=False)
    ch = by_clause(redline)
    assert ch["3.1"]["kind"] == "unchanged"
    assert "We hope to publish updates" not in ops_text(ch["2"], "delete") + ops_text(ch["2"], "insert")
    assert "3.1" not in [u["clause"] for u in redline["audit"]["unmentioned"]]


def test_a_heading_without_text_adds_no_empty_op(session) -> None:
    appendices = by_clause(redlines.compare(session, RSP, "3.0", "3.1"))["Appendices"]
    assert appendices["kind"] == "added" and appendices["ops"] == []


# -- the changelog audit ---------------------------------------------------------------------------

def test_backwards_or_same_version_comparisons_have_no_audit(session) -> None:
    assert redlines.compare(session, RSP, "3.0", "3.1")["audit"] is not None
    assert redlines.compare(session, RSP, "3.1", "3.0")["audit"] is None
    assert redlines.compare(session, RSP, "3.1", "3.1")["audit"] is None
    assert redlines.compare(session, NONCOMPLIANCE, "2026-02", "2025-12")["audit"] is None


def test_a_changelog_table_of_dated_rows_is_audited(session) -> None:
    audit = redlines.compare(session, NONCOMPLIANCE, "2025-12", "2026-02")["audit"]
    assert audit is not None
    assert [e["title"] for e in audit["entries"]] == ["February 2026"]
    assert [i["text"] for i in audit["items"]] == [
        "Updated to expand reporting channels",
        "introduce a pathway for employees to make informal inquiries about potential RSP violations",
        "align with RSP Version 3.0.",
    ]
    assert audit["counts"]["accounted"] >= 2


def test_3_3_to_3_4_coverage_date_change_is_announced(session) -> None:
    """3.4's item 3 prints "givencoverage dateup": the changelog's own run-togethers are re-split."""
    audit = redlines.compare(session, RSP, "3.3", "3.4")["audit"]
    changes = {c["clause"]: c for c in audit["changes"]}
    assert 3 in changes["3.3"]["items"]
    assert not audit["unmentioned"]


def test_one_sentence_announcing_three_changes_is_three_items(session) -> None:
    audit = redlines.compare(session, RSP, "3.1", "3.2")["audit"]
    texts = [i["text"] for i in audit["items"]]
    assert len(texts) == 3 and texts[2].startswith("formalizes a requirement that we provide the LTBT")
    changes = {c["clause"]: c for c in audit["changes"]}
    assert 3 in changes["4"]["items"]  # "We will regularly brief the LTBT" (briefings / brief)


def test_a_comprehensive_rewrite_accounts_for_every_change(session) -> None:
    audit = redlines.compare(session, RSP, "2.2", "3.0")["audit"]
    assert [i["rewrite"] for i in audit["items"]] == [True]
    assert audit["changes"] and all(c["accounted"] for c in audit["changes"])
    assert not audit["unmentioned"]


def test_pointer_sentences_are_not_items(session) -> None:
    audit = redlines.compare(session, RSP, "1.0", "3.4")["audit"]
    texts = " | ".join(i["text"] for i in audit["items"])
    assert "seehere" not in texts and "see here" not in texts
    assert "most notable changes below" not in texts


@pytest.mark.parametrize(("sentence", "parts"), [
    ("Updated to expand reporting channels, introduce a pathway for staff, and align with RSP 3.0.", 3),
    ("This update authorizes A to do x, gives B the power to do y, and formalizes a rule for z.", 3),
    ("Such capabilities could lead to rapid, unpredictable advances in AI, potentially outpacing us, and may "
     "also serve as a warning.", 1),
    ("We disaggregated thresholds, separating them into levels (the ability to do x, and the ability to do y) "
     "and provided detail.", 1),
    ("It now requires reports be shared with 200 employees, rather than with all staff.", 1),
])
def test_series_split(sentence: str, parts: int) -> None:
    assert len(items.series(sentence)) == parts


@pytest.mark.parametrize(("line", "date"), [
    ("February 2026", (2026, 2, None)), ("Feb 2026", None), ("March 3, 2026", (2026, 3, 3)),
    ("3 March 2026", (2026, 3, 3)), ("2026-02-12", (2026, 2, 12)), ("2026-02", (2026, 2, None)),
    ("Updated in February 2026", None),
])
def test_row_dates(line: str, date) -> None:
    assert entries.row_date(line) == date


def test_terms_meet_across_plural_and_ing() -> None:
    assert relate.term("briefings") == relate.term("brief") == "brief"
    assert relate.term("risks") == relate.term("risk")
    assert relate.term("process") == "proces" and relate.term("during") == "during"


# -- rendering: what a change without a counterpart or without text shows --------------------------


def test_rendered_added_and_removed_clauses_claim_no_similarity_and_no_sameness(session) -> None:
    from archive.diff.render import render_html, render_text

    rewrite = redlines.compare(session, RSP, "1.0", "2.0")
    text, html = render_text(rewrite), render_html(rewrite)
    assert "similarity 0%" not in text and "similarity 0%" not in html
    # 1.0's "ASL-2 Commitments" heading has no text of its own: it was removed, not "unchanged".
    assert "(unchanged)" not in text and "(unchanged)" not in html
    assert ("@@ removed: ASL-2 Commitments (p. 5)\n  changelog: not mentioned (heading only)\n"
            "  (a heading only: no text of its own)") in text, text[:3000]
    sec = redlines.compare(session, RSP, "3.0", "3.1")
    heading_only = '<div class="body"><em>(a heading only: no text of its own)</em>'
    said = '<p class="pages">Changelog: editorial, under its note on minor edits</p>'
    assert f"Appendices (p. 16)</h2>\n{said}\n{heading_only}" in render_html(sec)
    assert "similarity 95%" in render_text(sec)  # a clause and its counterpart still say how alike they are
    assert "not in changelog: ASL-2 Commitments (removed, heading only)" in text
    assert re.search(r'<li><a href="#change-\d+">ASL-2 Commitments</a> \(removed, heading only\)</li>', html)


def test_rendered_text_of_a_span_puts_a_revision_s_silence_before_another_s_item(session) -> None:
    """3.0 -> 3.4: §3.6 changed unannounced in 3.1, and again in a revision whose item accounts for that."""
    from archive.diff.render import render_text

    span = redlines.compare(session, RSP, "3.0", "3.4", clause="3.6")
    said = span["audit"]["changes"][0]
    assert not said["accounted"] and said["items"], said
    text = render_text(span, width=0)
    line = next(x for x in text.splitlines() if x.startswith("  changelog: "))
    assert line.startswith(
        "  changelog: not announced in version 3.1; its change in another revision: item 1 of “April 29, 2026"), line


def test_rendered_split_names_its_source_and_how_much_of_it_came_from_there() -> None:
    from archive.diff.render import render_text

    ref = {"id": 0, "number": "2.1", "title": "Scope", "page_start": 3, "page_end": 3}
    new = {"id": 4, "number": "2.4", "title": "Exceptions", "page_start": 5, "page_end": 5}
    change = {"kind": "added", "from_clause": None, "to_clause": new, "similarity": 0.857, "relation": "split",
              "related": ref, "ops": [{"op": "insert", "text": "Text that stood in 2.1 before."}]}
    redline = {"policy": "demo", "from": {"label": "1"}, "to": {"label": "2"},
               "summary": {"added": 1}, "changes": [change], "audit": None}
    head = "@@ added: 2.4 Exceptions (p. 5)  (split off from 2.1 Scope (p. 3) (86% of its text))"
    assert head in render_text(redline)


def test_standalone_html_folds_long_unchanged_text_and_loses_none(session) -> None:
    """3.0 -> 3.1 Introduction: one inserted "with" in ~600 words. The page shows it with context and
    folds the rest into <details> (as the web pages do); every word of the clause is still in the page."""
    import html as htmllib
    import re

    from archive.diff.render import FOLD_CONTEXT, render_html, render_text

    red = redlines.compare(session, RSP, "3.0", "3.1")
    intro = by_clause(red)["Introduction"]
    page = render_html({**red, "changes": [intro]})
    body = page.split('<div class="body">', 1)[1].split("</div>", 1)[0]
    folds = re.findall(r'<details class="fold"><summary>… (\d+) unchanged words</summary>', body)
    assert len(folds) == 2, body[:500]
    shown = re.sub(r"<details.*?</details>", " ", body)  # what a reader sees before opening a fold
    assert "<ins>with </ins>" in shown
    assert len(re.sub(r"<[^>]+>", " ", shown).split()) == 2 * FOLD_CONTEXT + 1  # context each side, and the change
    body = re.sub(r'<span class="note-mark">note (\w+)</span>', r"[^\1]", body)  # a footnote's mark, labelled
    words = htmllib.unescape(re.sub(r"<summary>.*?</summary>|<[^>]+>", " ", body)).split()
    assert words == " ".join(o["text"] for o in intro["ops"]).split()
    assert sum(map(int, folds)) == len(words) - 2 * FOLD_CONTEXT - 1
    # The terminal view elides the same runs, with fewer words of context.
    text = render_text({**red, "changes": [intro]})
    assert "+ with" in text and text.count("…") == 2
    # The audit box's heading has no rule of its own above it.
    assert ".audit h2{border-top:0" in page


def test_long_inserts_and_deletes_are_blocks_short_ones_inline(session) -> None:
    """2.2 -> 3.0: a whole removed clause is one labelled block, not a struck-through paragraph; the
    front matter's changed version number stays an inline <del>."""
    from archive.diff.render import BLOCK_WORDS, fold_ops, render_html

    red = redlines.compare(session, RSP, "2.2", "3.0")
    summary, front = by_clause(red)["Executive Summary"], by_clause(red)["Front matter"]
    page = render_html({**red, "changes": [summary, front]})
    assert summary["kind"] == "removed" and page.count('<del class="block">') == 1
    assert "<del>2.2 </del>" in page
    assert [o.get("block", False) for o in fold_ops(summary["ops"])] == [True]
    edge = " ".join(["w"] * BLOCK_WORDS)
    ops = [{"op": "equal", "text": "a "}, {"op": "insert", "text": edge}, {"op": "delete", "text": edge[2:]}]
    assert [o.get("block", False) for o in fold_ops(ops)] == [False, True, False]


def test_text_view_wraps_long_lines_and_keeps_every_word(session) -> None:
    """2.2 -> 3.0: whole removed and added clauses are paragraphs; the text view wraps them at 100
    columns, each continuation keeping its '- '/'+ ' prefix, and loses no word."""
    from archive.diff.render import TEXT_WIDTH, render_text

    red = redlines.compare(session, RSP, "2.2", "3.0")
    wrapped, flat = render_text(red), render_text(red, width=0)
    assert max(map(len, flat.splitlines())) > 1000
    long_lines = [ln for ln in wrapped.splitlines() if len(ln) > TEXT_WIDTH]
    assert all(len(ln.split()) <= 2 for ln in long_lines), long_lines  # only a prefix and one unbreakable word

    def by_prefix(text: str, prefix: str) -> list[str]:
        return [w for ln in text.splitlines() if ln.startswith(prefix) for w in ln[len(prefix):].split()]

    for prefix in ("- ", "+ "):
        assert by_prefix(wrapped, prefix) == by_prefix(flat, prefix)
    summary = wrapped.split("@@ removed: Executive Summary", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert summary[0].startswith("  changelog: item ")  # what the audit says of it, then the text
    assert len(summary) > 10 and all(ln.startswith("- ") for ln in summary[1:])


def test_unchanged_text_keeps_the_spaces_the_newer_pdf_lost(session) -> None:
    """3.1's §3.6 reads "covershighly capablemodels and issignificantly redacted,defined asfollows" where 3.0
    (and the publisher's text) has the spaces: the redline shows them, as it does the rest of 3.1's."""
    spaced = "covers highly capable models and is significantly redacted, defined as follows:"
    sec = by_clause(redlines.compare(session, RSP, "3.0", "3.1"))["3.6"]
    equal = " ".join(" ".join(o["text"].split()) for o in sec["ops"] if o["op"] == "equal")
    assert spaced in equal and "covershighly" not in equal
    assert "“highly capable” if we conclude" in equal and "redactions omit" in equal
    # Backwards the newer is 3.0, spaced already.
    back = by_clause(redlines.compare(session, RSP, "3.1", "3.0"))["3.6"]
    assert spaced in " ".join(" ".join(o["text"].split()) for o in back["ops"] if o["op"] == "equal")


def test_a_contents_page_s_dot_leaders_are_shown_short(session) -> None:
    """1.0's front matter holds its contents page ("Framework......2", 13 lines of some 130 dots): shown as
    "Framework … 2" in the text and HTML views, kept as printed in the JSON."""
    from archive.diff.render import render_html, render_text

    red = redlines.compare(session, RSP, "1.0", "2.0")
    front = next(c for c in red["changes"] if (c["from_clause"] or {}).get("title") == "Front matter")
    assert sum(o["text"].count("." * 20) for o in front["ops"]) >= 13  # the JSON: as printed
    text, html = render_text(red, width=0), render_html(red)
    for shown in (text, html):
        assert "....." not in shown
        assert "Framework … 2 Initial Commitments … 3" in shown


def test_text_view_headers_wrap_at_the_width_too(session) -> None:
    """1.0 -> 3.4: the audit's list of entries (259 columns) and each change's header wrap like the
    text, continuing under their label; at width 0 each stays one line, as printed before."""
    from archive.diff.render import render_text

    red = redlines.compare(session, RSP, "1.0", "3.4")
    narrow, flat = render_text(red, width=40), render_text(red, width=0)
    over = [ln for ln in narrow.splitlines() if len(ln) > 40 and len(ln.split()) > 2]
    assert not over, over[:3]
    assert narrow.count("\n@@ ") == flat.count("\n@@ ") > 10  # each header starts one line with "@@"
    audit = [ln for ln in flat.splitlines() if ln.startswith("changelog audit: ")]
    assert len(audit) == 1 and len(audit[0]) > 200
    assert narrow.split("changelog audit: ", 1)[1].split("\n")[1].startswith(" " * len("changelog audit: "))
    def words(text: str) -> list[str]:  # less the prefixes a wrapped op line repeats
        return [w for w in text.split() if w not in {"-", "+", "~"}]

    assert words(narrow) == words(flat)  # the same words, only the line breaks differ
    # A wrapped header keeps the two spaces that set its fields apart.
    retitled = render_text(redlines.compare(session, RSP, "2.0", "2.2"))
    assert "(RSP v2.0) (p. 21–22)  similarity 99.9%\n   (retitled)\n" in retitled


def test_a_new_heading_is_accounted_for_through_its_subsections(session) -> None:
    """1.0 -> 2.0: "3 Capability Assessment" is a heading over 3.1-3.3, with no text of its own. The
    items that account for its subsections account for it; 1.0's flat "ASL-2 Commitments" heading
    has no subsections to go by and stays unmentioned."""
    audit = redlines.compare(session, RSP, "1.0", "2.0")["audit"]
    by = {c["clause"]: c for c in audit["changes"]}
    heading = by["3"]
    assert heading["accounted"] and heading["via_subsections"]
    assert heading["items"] == sorted({n for k in ("3.1", "3.2", "3.3") for n in by[k]["items"]})
    assert not any("3" in i["clauses"] for i in audit["items"])  # not one of the items' own matches
    assert [u["clause"] for u in audit["unmentioned"]] == [
        "ASL-2 Commitments", "ASL-2 Deployment Measures", "ASL-3 Commitments", "4", "5", "6.1"]
    assert not by["3.1"]["via_subsections"]


def test_a_rare_phrase_vouches_only_for_one_of_the_changes_likeliest_items(session) -> None:
    """3.3 -> 3.4 §3.6.2 (several external reviewers, each shown part of a Risk Report) is item 5's. Item 2
    (Risk Reports shared with at least 200 employees) shares only "shared with at least" with it, a rare
    phrase, at under half item 5's score and under 0.6 of its own best match (§4): not its item."""
    audit = redlines.compare(session, RSP, "3.3", "3.4")["audit"]
    by = {c["clause"]: c["items"] for c in audit["changes"]}
    assert by["3.6.2"] == [5]
    assert 2 in by["4"] and 2 in by["3.5"]  # item 2's own clauses keep it
    assert audit["counts"]["unmentioned"] == 0


def test_the_method_page_reports_the_audits_the_archive_computes(session) -> None:
    """docs/redlines.md's table of consecutive audits is what the corpus gives."""
    import re

    from archive.settings import PROJECT_ROOT

    doc = (PROJECT_ROOT / "docs" / "redlines.md").read_text()
    rows = re.findall(r"^\| ([\d.]+) -> ([\d.]+) \| (\d+) \| (\d+) \| (\d+) \| (\d+)", doc, flags=re.M)
    assert len(rows) == 7  # every consecutive pair of the RSP
    for a, b, *figures in rows:
        counts = redlines.compare(session, RSP, a, b)["audit"]["counts"]
        shown = [counts["audited"], counts["substantive"], counts["editorial"], counts["unmentioned"]]
        assert shown == [int(x) for x in figures], (a, b)
    # The figures its "where it is weak" notes quote (prose: its lines joined).
    doc = " ".join(doc.split())
    rewrite = redlines.compare(session, RSP, "1.0", "2.0")["audit"]
    accounted, audited = map(int, re.search(r"says that (\d+) of (\d+) changes are accounted for", doc).groups())
    assert (rewrite["counts"]["accounted"], rewrite["counts"]["audited"]) == (accounted, audited)
    widest = int(re.search(r"one item covering up to (\d+) clauses", doc).group(1))
    assert max(len(i["clauses"]) for i in rewrite["items"]) == widest
    vague = redlines.compare(session, NONCOMPLIANCE, "2025-12", "2026-02")["audit"]
    unmentioned, of = map(int, re.search(r"lists (\d+) of (\d+) as not mentioned", doc).groups())
    assert (vague["counts"]["unmentioned"], vague["counts"]["audited"]) == (unmentioned, of)


# -- renumbered list items -------------------------------------------------------------------------

LIST_A = ("We commit to the following.\n\n1.\nAlpha: the first item.\n\n2.\nInternal transparency: we share.\n\n"
          "3.\nNoncompliance reporting: we investigate.\nAs Section\n3. says.")
LIST_B = ("We commit to the following.\n\n1.\nAlpha: the first item.\n\n2.\nLong Term Benefit Trust: we brief it.\n\n"
          "3.\nInternal transparency: we share.\n\n4.\nNoncompliance reporting: we investigate.\nAs Section\n4. says.")


def test_an_inserted_list_item_carries_its_own_marker_and_the_next_items_are_not_renumbered_changes() -> None:
    ops = [(o.op, o.text.strip()) for o in diff_words(LIST_A, LIST_B) if o.op != "equal"]
    # The reference "Section 3." that wrapped to a line's start is content, not a list marker.
    assert ops == [("insert", "2. Long Term Benefit Trust: we brief it."), ("delete", "3."), ("insert", "4.")]
    # Equal text reads as the newer version numbers it.
    assert " ".join(o.text.strip() for o in diff_words(LIST_A, LIST_B) if o.op != "delete") == " ".join(LIST_B.split())


def test_a_deleted_list_item_carries_its_own_marker() -> None:
    ops = [(o.op, o.text.strip()) for o in diff_words(LIST_B, LIST_A) if o.op != "equal"]
    assert ops == [("delete", "2. Long Term Benefit Trust: we brief it."), ("delete", "4."), ("insert", "3.")]


def test_deleted_items_after_a_renumbered_one_carry_the_older_numbers() -> None:
    """3.2 -> 2.0 §4: 3.2 numbers "Employee agreements" 5 where 2.0 numbers it 6; the two items deleted
    after it are 3.2's 6 and 7, not "7." twice (the newer marker the equal text shows)."""
    older = ("We commit.\n\n5.\nEmployee agreements: none.\n\n6.\nInternal review: yearly.\n\n"
             "7.\nProcedural review: annual.\n\n8.\nPolicy changes: proposed.")
    newer = "We commit.\n\n6.\nEmployee agreements: none.\n\n7.\nPolicy changes: proposed."
    assert [(o.op, o.text.strip()) for o in diff_words(older, newer)] == [
        ("equal", "We commit. 6. Employee agreements: none."),
        ("delete", "6. Internal review: yearly. 7. Procedural review: annual."),
        ("equal", "7. Policy changes: proposed.")]
    assert [(o.op, o.text.strip()) for o in diff_words(newer, older)] == [
        ("equal", "We commit. 5. Employee agreements: none."),
        ("insert", "6. Internal review: yearly. 7. Procedural review: annual."),
        ("equal", "8. Policy changes: proposed.")]


def test_governance_items_deleted_backwards_read_as_the_older_version_numbers_them(session) -> None:
    for older, newer in (("3.2", "2.0"), ("3.3", "2.2"), ("3.4", "2.2")):
        red = redlines.compare(session, RSP, older, newer)
        deleted = [o["text"] for c in red["changes"] for o in c["ops"] if o["op"] == "delete"]
        review = [t for t in deleted if "Internal review:" in t and "regularly conduct" in t]
        assert len(review) == 1 and review[0].startswith("6. Internal review:"), (older, newer, review)
        assert "7. Procedural compliance review:" in review[0]


def test_a_list_changing_style_still_shows() -> None:
    a = "Steps:\n● Assess the model.\n● Report the result."
    b = "Steps:\n1. Assess the model.\n2. Report the result."
    assert [(o.op, o.text.strip()) for o in diff_words(a, b) if o.op != "equal"] == [
        ("delete", "●"), ("insert", "1."), ("delete", "●"), ("insert", "2.")]


def test_inline_enumerations_are_compared_as_written() -> None:
    # "(2)" inside a sentence is no list marker: renumbering it is a change a reader should see.
    a = "The RSO will (1) propose updates; and (2) approve decisions."
    b = "The RSO will (1) propose updates; and (3) approve decisions."
    changed = [(o.op, o.text.strip()) for o in diff_words(a, b) if o.op != "equal"]
    assert changed == [("delete", "(2)"), ("insert", "(3)")]


def test_governance_list_in_3_2_adds_one_item_and_renumbers_nothing(session) -> None:
    for older in ("3.1", "3.0"):
        change = by_clause(redlines.compare(session, RSP, older, "3.2"))["4"]
        changed = [o for o in change["ops"] if o["op"] != "equal"]
        assert [o["op"] for o in changed] == ["insert"], [o["text"][:40] for o in changed]
        assert changed[0]["text"].startswith("2. Long Term Benefit Trust:")
    # Backwards, the same item is deleted, its marker with it.
    change = by_clause(redlines.compare(session, RSP, "3.2", "3.1"))["4"]
    assert [o["text"][:30] for o in change["ops"] if o["op"] != "equal"] == ["2. Long Term Benefit Trust: We"]


# -- an enumerated item that announces minor edits ---------------------------------------------------


def test_an_enumerated_item_announcing_minor_edits_is_the_note_not_a_missing_change(session) -> None:
    entry = ("This update (1) revises our threshold for novel chemical/biological weapons production; (2) refines "
             "our approach to off-cycle updates; and (3) makes minor terminology changes.")
    found, note = items.split_items(entry)
    assert len(found) == 3 and note == found[2] == "makes minor terminology changes."
    for older in ("3.2", "3.0"):
        audit = redlines.compare(session, RSP, older, "3.3")["audit"]
        assert audit["editorial_note"] == "makes minor terminology changes.", older
        editorial = [i["n"] for i in audit["items"] if i["editorial"]]
        assert len(editorial) == 1 and editorial[0] not in audit["items_without_change"], (older, audit["items"])
    html = redlines.render_html(redlines.compare(session, RSP, "3.2", "3.3"))
    assert "makes minor terminology changes. <em>→ a note on minor edits, for editorial changes</em>" in html
    # Across several entries each entry's own note counts, not only the newest's (3.4 has one of its own).
    for older in ("3.0", "2.2"):
        audit = redlines.compare(session, RSP, older, "3.4")["audit"]
        editorial = [i for i in audit["items"] if i["editorial"]]
        assert [i["text"] for i in editorial if "3.3" in i["entry"]] == ["makes minor terminology changes."], older
        assert not {i["n"] for i in editorial} & set(audit["items_without_change"]), older


def test_a_change_names_first_the_item_it_carries_most_of(session) -> None:
    """3.3's §3.1 holds all of the item on off-cycle updates (its new text is headed "Off-cycle updates")
    and a part of the chemical/biological threshold item, which scores higher on its rarer words alone;
    3.4's §3.5 adds the disclosure of redactions its item 4 announces, and a phrase on employees that
    item 2 (about §3.6's sharing) also has. The one item a summary names is the first."""
    for older, newer, clause, first, other in (
        ("3.2", "3.3", "3.1", "refines our approach to off-cycle updates", "revises our threshold"),
        ("3.3", "3.4", "3.5", "It requires us to publicly disclose", "It now requires that fully unredacted"),
    ):
        audit = redlines.compare(session, RSP, older, newer)["audit"]
        texts = {i["n"]: i["text"] for i in audit["items"]}
        named = [texts[n] for n in next(c for c in audit["changes"] if c["clause"] == clause)["items"]]
        assert len(named) == 2 and named[0].startswith(first) and named[1].startswith(other), (clause, named)
    step = next(s for s in histories.clause_history(session, RSP, "3.1")["versions"] if s["version"] == "3.3")
    assert "refines our approach to off-cycle updates" in json.dumps(step), step


# -- run-together words, footnote markers, titles, determinism ---------------------------------------


def test_a_sentence_or_word_run_into_the_next_compares_as_two_words() -> None:
    # 3.0 -> 3.1 §3.4: "feedback:We" is "feedback: We"; only what changed after it is a change.
    ops = diff_words("Internal feedback: Separate internal reviewers will provide comments.",
                     "Internal feedback:We will solicit internal comments.")
    assert [(o.op, o.text.strip()) for o in ops if o.op != "equal"] == [
        ("delete", "Separate internal reviewers will provide"), ("insert", "We will solicit internal")]
    # The ops show each text as printed: no space where the PDF had none, the older text's where it had.
    assert "".join(o.text for o in ops if o.op != "delete") == "Internal feedback:We will solicit internal comments."
    assert "".join(o.text for o in ops if o.op != "insert") == (
        "Internal feedback: Separate internal reviewers will provide comments.")
    # A capital run into a lowercase word ("unredactedRisk"), a label into its text ("CBRN-4:The").
    same = diff_words("final, unredacted Risk Reports. CBRN-4: The ability",
                      "final, unredactedRisk Reports. CBRN-4:The ability")
    assert [(o.op, o.text) for o in same] == [("equal", "final, unredactedRisk Reports. CBRN-4:The ability")]
    # A brand spelled so is split to compare, and quoted as printed on either side.
    gone = diff_words("the Navex EthicsPoint hotline", "the hotline")
    assert [(o.op, o.text.strip()) for o in gone if o.op != "equal"] == [("delete", "Navex EthicsPoint")]
    # Abbreviations stay whole.
    assert [o.text for o in diff_words("the U.S. and e.g. this", "the U.S. and e.g. that")][0] == "the U.S. and e.g. "


def test_a_run_shared_by_the_deletion_and_insertion_of_one_change_is_unchanged_in_place() -> None:
    a = "Scope. A Risk Report will cover all publicly deployed models at the time of its publication."
    b = ("Scope. A Risk Report will cover the risks as of a coverage date. It will cover all publicly deployed "
         "models as of the coverage date.")
    equal = [o.text.strip() for o in diff_words(a, b) if o.op == "equal"]
    assert "all publicly deployed models" in equal, diff_words(a, b)


def test_a_footnote_marker_stays_with_its_note() -> None:
    a = "Intro text here. [^4] Double the rate means something."
    b = "Intro text here. [^4] In particular, weapons are hundreds. [^8] Double the rate means something."
    # The new note 4 carries its marker; the old note 4, now 8, keeps its own.
    assert [(o.op, o.text.strip()) for o in diff_words(a, b)] == [
        ("equal", "Intro text here."), ("insert", "[^4] In particular, weapons are hundreds."),
        ("equal", "[^8] Double the rate means something.")]
    # A marker ending an insertion with no marker before it starts the unchanged text after it.
    c = "Intro text here. In particular, weapons are hundreds. [^8] Double the rate means something."
    assert [(o.op, o.text.strip()) for o in diff_words(a.replace(" [^4]", ""), c)] == [
        ("equal", "Intro text here."), ("insert", "In particular, weapons are hundreds."),
        ("equal", "[^8] Double the rate means something.")]


def test_a_deleted_footnote_is_shown_whole_from_its_marker() -> None:
    """2.0 -> 2.2 §2 deleted note 1 before two others: not "[^1] We | - will specify ... [^2] We | hope"."""
    older = "Text. [^1] We will specify this. [^2] We hope to publish. [^3] We recognize it."
    newer = "Text. [^1] We hope to publish. [^2] We recognize it."
    assert [(o.op, o.text.strip()) for o in diff_words(older, newer)] == [
        ("equal", "Text."), ("delete", "[^1] We will specify this."),
        ("equal", "[^1] We hope to publish. [^2] We recognize it.")]
    assert [(o.op, o.text.strip()) for o in diff_words(newer, older)] == [
        ("equal", "Text."), ("insert", "[^1] We will specify this."),
        ("equal", "[^2] We hope to publish. [^3] We recognize it.")]


def test_a_note_slides_back_only_over_words_both_texts_share() -> None:
    """An equal run may hold a marker on one side only (its key is empty): sliding a deleted note back
    over it would carry a real word of the older text past the note ("reports")."""
    older = "Intro. We may then review reports [^1] Notes are shared. [^2] We keep it."
    newer = "Intro. We review reports We keep it."
    ops = diff_words(older, newer)
    kept = " ".join(o.text.strip() for o in ops if o.op != "insert")
    assert kept.replace("[^1] ", "").split() == older.replace("[^1] ", "").split(), ops
    assert " ".join(o.text.strip() for o in ops if o.op != "delete").split() == newer.split()


def test_the_note_2_2_dropped_from_section_2_reads_whole(session) -> None:
    change = by_clause(redlines.compare(session, RSP, "2.0", "2.2"))["2"]
    deleted = [o["text"] for o in change["ops"] if o["op"] == "delete" and "will specify these" in o["text"]]
    assert len(deleted) == 1 and deleted[0].startswith("[^1] We will specify these requirements"), deleted
    assert "[^2]" not in deleted[0]


def test_a_retitled_clause_shows_what_changed_in_its_title(session) -> None:
    change = by_clause(redlines.compare(session, RSP, "2.0", "2.2"))["October 15, 2024 (RSP v2.0)"]
    assert [(o["op"], o["text"]) for o in change["ops"]] == [
        ("equal", "October 15, 2024 "), ("insert", "(RSP v2.0) "), ("equal", "¶ ")] + [
        (o["op"], o["text"]) for o in change["ops"][3:]]
    assert change["similarity"] == 0.999  # changed, so never 1.0
    assert change["relation"] == "retitled"


def test_3_0_to_3_4_governance_shows_the_new_item_and_the_new_sentence_only(session) -> None:
    change = by_clause(redlines.compare(session, RSP, "3.0", "3.4"))["4"]
    inserted = [o["text"] for o in change["ops"] if o["op"] == "insert"]
    assert inserted[0].startswith("2. Long Term Benefit Trust:") and inserted[0].endswith("risk analyses. ")
    assert inserted[1].startswith("a large number of Anthropic employees (at least 200).")
    assert not [o for o in change["ops"] if o["op"] == "delete"]


def test_an_items_score_does_not_depend_on_the_order_of_a_set() -> None:
    """Scores were summed over a set of terms, whose order follows the hash seed: rounding then tipped
    a threshold, and 1.0 -> 3.0's audit credited §3.3 with item 37 in one run and not the next."""
    rel = relate.Relater.__new__(relate.Relater)
    for k in range(30):  # thirty sets of three terms: their orders differ, the sum must not
        terms = {f"t{k}a", f"t{k}b", f"t{k}c"}
        rel.idf = dict(zip(sorted(terms), (0.1, 0.2, 0.3), strict=True))
        rel.item_terms, rel.item_refs, rel.rare_bigrams, rel.item_bigram_set = [terms], [set()], [set()], set()
        rel.stem = relate._Stemmer(None)
        assert rel.score_all(set(terms), [], set())[0] == (0.6, 3, False)


def test_a_title_part_of_the_others_carries_a_clause_across_the_rewrite(session) -> None:
    red = redlines.compare(session, RSP, "2.2", "3.0")
    change = by_clause(red)["4"]
    assert (change["kind"], change["relation"], change["from_clause"]["number"]) == ("renumbered", "retitled", "7.1")
    assert [(o["op"], o["text"]) for o in change["ops"][:3]] == [
        ("delete", "Internal "), ("equal", "Governance "), ("equal", "¶ ")]
    # "7 Governance and Transparency", a heading sharing no text with §4, is not taken for it.
    assert by_clause(red)["7"]["kind"] == "removed"
    steps = histories.clause_history(session, RSP, "4", "3.4")["versions"]
    assert [(s["version"], s["clause"]["number"]) for s in steps][:3] == [("2.0", "7.1"), ("2.2", "7.1"), ("3.0", "4")]


def test_a_number_or_reference_that_wrapped_onto_its_own_line_is_no_list_marker() -> None:
    for a, b in (("The multiplier ever exceeds\n4.\nThen we stop.", "The multiplier ever exceeds\n8.\nThen we stop."),
                 ("As set out in Appendix\nC.\nMore.", "As set out in Appendix\nD.\nMore."),
                 ('Run it on ("Machine 1").', 'Run it on ("Machine 2").')):
        changed = [(o.op, o.text.strip()) for o in diff_words(a, b) if o.op != "equal"]
        assert len(changed) == 2 and changed[0][0] == "delete" and changed[1][0] == "insert", (a, changed)
    # A list's last item after "; and", alone on its line, is still a list marker.
    a = "Steps:\n1.\nAssess; and\n2.\nReport."
    b = "Steps:\n1.\nAssess;\n2.\nReview; and\n3.\nReport."
    assert [(o.op, o.text.strip()) for o in diff_words(a, b) if o.op != "equal"] == [
        ("delete", "and"), ("insert", "2. Review; and")]


def test_a_list_changing_case_or_kind_of_label_still_shows() -> None:
    for old, new in (("A.", "a."), ("1.", "a."), ("(a)", "(1)")):
        a, b = f"Steps:\n{old}\nAssess the model.", f"Steps:\n{new}\nAssess the model."
        assert [(o.op, o.text.strip()) for o in diff_words(a, b) if o.op != "equal"] == [
            ("delete", old), ("insert", new)], (old, new)


def test_a_retitled_clauses_similarity_is_of_its_body(session) -> None:
    """The title's words are in the ops but not in the texts the similarity divides by."""
    change = by_clause(redlines.compare(session, RSP, "2.2", "3.0"))["4"]
    body = [o for o in change["ops"][change["ops"].index({"op": "equal", "text": "¶ "}) + 1:]]
    def letters(op: str) -> int:
        return sum(len(canonical(w)) for o in body if o["op"] == op for w in o["text"].split())

    # Equal text stands in both texts: 2 * kept over both texts' letters.
    kept = letters("equal")
    assert change["similarity"] == round(2 * kept / (2 * kept + letters("delete") + letters("insert")), 3)


def test_the_text_redline_says_what_the_changelog_says_of_each_change(session) -> None:
    text = redlines.render_text(redlines.compare(session, RSP, "3.0", "3.1"))
    blocks = {b.split("\n")[0]: b for b in text.split("\n@@ ")[1:]}
    said = {head.split("  ")[0]: next((ln.strip() for ln in b.split("\n") if ln.startswith("  changelog: ")), None)
            for head, b in blocks.items()}
    assert said["modified: 1 Our Recommendations for Industry-Wide Safety (p. 4–9 → 4–10)"] == (
        "changelog: item 1: how we operationalize the Automated R&D capability threshold")
    assert said["modified: 3.1 Scope and Timing (p. 10 → 11)"] == "changelog: not mentioned (substantive)"
    assert said["modified: Introduction (p. 3–4)"] == "changelog: editorial, under its note on minor edits"


def test_an_entry_of_headed_paragraphs_is_one_item_per_paragraph(session) -> None:
    """2.0's changelog entry: an introduction, then paragraphs headed "ASL definition changed:", ...
    Each is one item a reader can find, not one per sentence (31 before)."""
    entry = ("RSP-2024: This update introduces a new approach. We describe the most notable changes below.\n\n"
             "ASL definition changed: The term now refers to safeguards. We also introduced thresholds.\n\n"
             "AI R&D threshold added: We added a new threshold.")
    found, note = items.split_items(entry)
    assert note is None and found == [
        "RSP-2024: This update introduces a new approach.",  # its pointer sentence left out
        "ASL definition changed: The term now refers to safeguards. We also introduced thresholds.",
        "AI R&D threshold added: We added a new threshold."]
    audit = redlines.compare(session, RSP, "1.0", "2.0")["audit"]
    assert [i["text"].split(":")[0] for i in audit["items"]][:4] == [
        "RSP-2024", "ASL definition changed", "ARA threshold now a checkpoint", "AI R&D threshold added"]
    assert len(audit["items"]) == 12


def test_an_entry_of_one_headed_paragraph_is_one_item(session) -> None:
    """2.2's entry is one paragraph headed "ASL-3 Security:": one announcement with its reasons, not
    four items of which three ("Previously, only ...", "For AI R&D-4, ...") announce nothing."""
    found, _ = items.split_items("ASL-3 Security: This update excludes insiders. Previously, only some were. "
                                 "For AI R&D-4, the threat models differ.")
    assert found == ["ASL-3 Security: This update excludes insiders. Previously, only some were. "
                     "For AI R&D-4, the threat models differ."]
    # A lead-in ending in a colon, or a one-word label, then sentences: still cut into sentences.
    for lead in ("We changed the following:", "Update:", "Key Changes:\n"):
        assert len(items.split_items(f"{lead} We moved the cadence. We also moved the appendix.")[0]) == 2, lead
    audit = redlines.compare(session, RSP, "2.0", "2.2")["audit"]
    mine = [i for i in audit["items"] if i["entry"] == "May 14, 2025 (RSP v2.2)"]
    assert len(mine) == 1 and mine[0]["text"].startswith("ASL-3 Security: This update excludes"), mine
    assert "4.2" in mine[0]["clauses"]


def test_a_heading_gives_both_versions_pages_where_they_differ(session) -> None:
    """Deleted text stands on the older version's page: the noncompliance policy's "What Can be
    Reported" is on p. 3 of 2025-12 and p. 5 of 2026-02 (its deletion "HRBP." is on p. 3)."""
    from archive.diff.render import render_html, render_text

    red = redlines.compare(session, "anthropic-rsp-noncompliance", "2025-12", "2026-02")
    text, html = render_text(red), render_html(red)
    assert "@@ modified: What Can be Reported (p. 3 → 5)  similarity" in text
    assert "@@ modified: Roles and Responsibilities (p. 2–3 → 4–5)" in text
    assert "What Can be Reported (p. 3 → 5)</h2>" in html
    assert "@@ modified: Purpose (p. 2)  similarity" in text  # the same page on both sides: once


def test_a_long_changelog_item_wraps_under_its_label_and_is_cut_at_a_word(session) -> None:
    from archive.diff.render import render_text

    red = redlines.compare(session, "anthropic-rsp-noncompliance", "2025-12", "2026-02")
    block = render_text(red, width=60).split("@@ modified: Scope")[1].split("\n@@ ")[0]
    said = [ln for ln in block.split("\n") if ln.startswith("  changelog: ") or ln.startswith(" " * 13)]
    assert said[0] == "  changelog: item 2: introduce a pathway for employees to"
    assert all(ln.startswith(" " * 13) and not ln.startswith(" " * 14) for ln in said[1:])
    assert " ".join(ln.strip() for ln in said).endswith("about potential RSP violations")
    assert not any(ln.startswith("~") for ln in block.split("\n"))  # no moved text here
    # An item too long for two lines is cut where a word ends.
    long = {**red["audit"]["items"][1], "text": "word " * 40 + "lastword"}
    red["audit"]["items"][1] = long
    cut = render_text(red, width=0).split("@@ modified: Scope")[1].split("\n")[1]
    assert cut.endswith("word…") and "wor…" not in cut


def test_a_word_newly_spelled_with_a_hyphen_shows(session) -> None:
    """2025-12's "Board reporting of noncompliance reports" reads "non-compliance" in 2026-02: a change
    (quoting the older text from the redline must not give the newer spelling)."""
    red = redlines.compare(session, "anthropic-rsp-noncompliance", "2025-12", "2026-02",
                           clause="Roles and Responsibilities")
    (roles,) = red["changes"]
    ops = [(o["op"], o["text"].strip()) for o in roles["ops"]]
    at = ops.index(("delete", "noncompliance"))
    assert ops[at + 1] == ("insert", "non-compliance")
    assert ops[at - 1][1].endswith("Board reporting of") and ops[at + 2][1].startswith("reports")
