"""Footnotes in search, quote lookup, phrase history and the citation check; lenient citations;
strict query syntax; hyphenated compounds. Against the ingested corpus unless said otherwise."""

from __future__ import annotations

import json
import random
import re
import shutil

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.db.engine import read_session
from archive.errors import InvalidInput, QuerySyntaxError
from archive.search import quotes as qt
from archive.search.analysis import ArchiveTokenizer, learn_compounds
from archive.search.index import FINGERPRINT_FILE, SCHEMA_VERSION, open_index
from archive.search.query import parse
from archive.services import search as svc
from tests.conftest import CORPUS

RSP = "anthropic-rsp"
# Footnote 4 of §1 in 3.1-3.2, 8 in 3.3-3.4 (page 9); 3.4 sets "81×" for "81x".
SCALEUP = "would entail something like an 81x effective scaleup"
# Footnote 8 of Appendix A in 3.1, 13 in 3.4 (page 17), unchanged.
HIGHLY_CAPABLE = "This and other italicized instances of “highly capable” use the term as defined in Section 3.6."
REDACTIONS = "We will aim to minimize redactions to the public version of the report."  # 3.0-3.4 §3.5
METRICS = "We hope to develop additional metrics for other domains over time."  # 3.0 §3.6 only
COMPRESS = "could compress two years of 2018 – 2024 AI progress into a single year"  # 3.0 §1 and §3.6


@pytest.fixture(scope="module")
def session(corpus_engine):
    with read_session(corpus_engine) as s:
        yield s


@pytest.fixture
def index(corpus_settings, session):
    """The corpus index as the service holds it now. (Not the session's `corpus_index`: in the same
    worker, test_search_corpus.py's rebuild test damages its files in place, and an index opened
    before that may then crash its process with a bus error.)"""
    return svc.ensure_index(corpus_settings, session)


@pytest.fixture(scope="module")
def client(corpus_settings):
    with TestClient(create_app(corpus_settings)) as c:
        yield c


def _check(corpus_settings, session, *citations: dict) -> list[dict]:
    return svc.check_citations(corpus_settings, session, list(citations))["results"]


# --- 1. footnotes ---------------------------------------------------------------------------------


def test_footnote_quote_resolves_to_its_clause_and_page(corpus_settings, session):
    r = svc.resolve(corpus_settings, session, quote=SCALEUP, policy=RSP)
    assert r["status"] == "found"
    assert r["versions"] == ["3.1", "3.2", "3.3", "3.4"]
    by_version = {m["version"]: m for m in r["matches"]}
    m = by_version["3.1"]
    assert m["clause"]["number"] == "1" and m["in_footnote"] == "4" and m["page"] == 9
    assert m["text"] == SCALEUP and m["char_start"] is None
    assert m["citation"].endswith("§1, p. 9 n. 4")
    assert m["permalink"] == "/policies/anthropic-rsp/versions/3.1/clauses/1"
    assert SCALEUP in m["selector"]["prefix"] + m["selector"]["exact"] + m["selector"]["suffix"]
    assert by_version["3.4"]["in_footnote"] == "8" and by_version["3.4"]["text"].startswith("would")
    assert r["history"][0]["present_in"] == ["3.1", "3.2", "3.3", "3.4"]


def test_footnote_quote_with_its_marker_resolves(corpus_settings, session):
    r = svc.resolve(corpus_settings, session, quote="8 " + HIGHLY_CAPABLE, policy=RSP, version="3.1")
    assert r["status"] == "found"
    assert r["matches"][0]["in_footnote"] == "8" and r["matches"][0]["clause"]["number"] == "Appendix A"


@pytest.mark.parametrize(
    "quote, where",
    [
        # Copied from the PDF with the marker: after an acronym, after ")." and after "x.".
        ("helping individuals create CBRN3 or cyber threats", {("1.0", "Sources of Catastrophic Risk", 3)}),
        ("alongside our Capability Reports (see Section 3).2 Overall, our decision",
         {("2.0", "2", 8), ("2.2", "2", 9)}),  # 2.2 numbers the note 1: a marker is no content
        ("one-year scaleup of 35^2 = ~1000x.23 Model Autonomy checkpoint",
         {("2.0", "Appendix C", 20), ("2.2", "Appendix C", 20)}),
        # 1.0 prints note 4's marker after ASL-2's digit ("ASL-24"): the definition is ASL-2's.
        ("We define ASL-2 as models that do not yet pose a risk of catastrophe",
         {("1.0", "ASL-2 Capabilities and Threat Models", 5)}),
        # 2.2 runs a section number into a word ("7.1.4and7.2.2"): its 7 is no marker, and the
        # sentence stands in 2.2 as in 2.0, not "removed in 2.2".
        ("as noted in Sections 7.1.4 and 7.2.2, we will solicit both internal and external expert",
         {("2.0", "3.3", 10), ("2.0", "4.3", 13), ("2.2", "3.3", 11), ("2.2", "4.3", 14)}),
    ],
)
def test_quotes_with_markers_or_numbers_as_printed_resolve(corpus_settings, session, quote, where):
    r = svc.resolve(corpus_settings, session, quote=quote, policy=RSP)
    found = {(m["version"], m["clause"]["number"] or m["clause"]["title"], m["page"]) for m in r["matches"]}
    assert found == where, r["history"]
    assert "removed in 2.2" not in r["history"][0]["summary"]


def test_a_footnote_marked_after_a_designation_stays_with_its_clause(corpus_settings, session):
    note = 'Note: We intend "ASL-N" to primarily refer to a specific set of safety measures'
    (m,) = svc.resolve(corpus_settings, session, quote=note, policy=RSP)["matches"]
    assert (m["clause"]["title"], m["in_footnote"], m["page"]) == ("ASL-2 Capabilities and Threat Models", "4", 5)


@pytest.mark.parametrize(
    "phrase, where",
    [
        ('"legal rights.12We expect that"', {(v, "3.6.2") for v in ("3.0", "3.1", "3.2", "3.3", "3.4")}),
        ('"see Section 3).2 Overall"', {("2.0", "2"), ("2.2", "2")}),
        ('"Sections 7.1.4 and 7.2.2"', {("2.0", "3.3"), ("2.0", "4.3"), ("2.2", "3.3"), ("2.2", "4.3")}),
    ],
)
def test_phrases_with_markers_or_numbers_as_printed_are_found(corpus_settings, session, phrase, where):
    hits = svc.search(corpus_settings, session, q=phrase, policy=RSP, per_page=50)["hits"]
    assert {(h["version"], h["clause"]["number"]) for h in hits} == where


def test_body_quotes_still_carry_body_offsets(corpus_settings, session):
    m = svc.resolve(corpus_settings, session, quote=REDACTIONS, policy=RSP, version="3.4")["matches"][0]
    assert m["in_footnote"] is None and isinstance(m["char_start"], int)


def test_every_footnote_resolves(corpus_settings, session, index):
    """Each footnote of the corpus, quoted whole, is found in its own clause and version, on its page."""
    checked = 0
    for doc in index.all_docs():
        for note in doc.footnotes:
            if len(qt.compact(note.text)[0]) < qt.MIN_QUOTE:
                continue
            r = svc.resolve(corpus_settings, session, quote=note.text, policy=doc.policy, version=doc.version)
            assert r["status"] in ("found", "ambiguous"), (doc.version, doc.label, note.marker)
            mine = [m for m in r["matches"] if m["in_footnote"] == note.marker]
            assert mine and mine[0]["clause"]["label"] == doc.label and mine[0]["page"] == note.page
            checked += 1
    assert checked >= 50


def _reference_lines(n: int) -> list[tuple[str, str]]:
    """`n` random lines of the reference texts with their version, headings and running headers
    left out (they are not clause text)."""
    lines = []
    for path in sorted((CORPUS / RSP / "text").glob("*.txt")):
        label = re.search(r"rsp-v([\d.]+)_", path.name).group(1)
        for line in path.read_text().splitlines():
            line = line.strip()
            if len(line) >= 30 and not line.startswith("#") and line != "Responsible Scaling Policy, Anthropic":
                lines.append((label, line))
    return random.Random(7).sample(lines, n)


def test_reference_lines_resolve(corpus_settings, session):
    """The testers' check: 200 random reference lines resolve in their version. Every failure used
    to be footnote text, or a footnote marker in the body that the stored text leaves out."""
    missed = []
    for label, line in _reference_lines(200):
        try:
            r = svc.resolve(corpus_settings, session, quote=line, policy=RSP, version=label)
        except InvalidInput:
            continue
        if r["status"] == "not_found":
            missed.append((label, line))
    # A marker glued after a capitalised word ("CBRN3") is not told from a name ("ASL3").
    assert [m for m in missed if "CBRN3" not in m[1]] == []


def test_footnote_text_is_searchable(corpus_settings, session):
    r = svc.search(corpus_settings, session, q="effective scaleup", policy=RSP, version="3.1")
    hit = next(h for h in r["hits"] if h["clause"]["number"] == "1")
    assert hit["in_footnote"] == "4" and hit["page"] == 9 and hit["pages"] == [9]
    assert "81x" in hit["snippet"]
    assert "<mark>effective</mark>" in hit["snippet"] and "<mark>scaleup</mark>" in hit["snippet"]
    phrase = svc.search(corpus_settings, session, q=f'"{SCALEUP}"', policy=RSP)
    assert sorted(h["version"] for h in phrase["hits"]) == ["3.1", "3.2", "3.3", "3.4"]
    assert {h["in_footnote"] for h in phrase["hits"]} == {"4", "8"}
    only_notes = svc.search(corpus_settings, session, q="footnotes:scaleup", policy=RSP)
    assert only_notes["total"] >= 4 and all(h["in_footnote"] for h in only_notes["hits"])


def test_body_hits_keep_their_snippets(corpus_settings, session):
    r = svc.search(corpus_settings, session, q='"minimize redactions"', policy=RSP, version="3.4")
    hit = next(h for h in r["hits"] if h["clause"]["label"] == "3.5")
    assert hit["in_footnote"] is None and "<mark>minimize</mark> <mark>redactions</mark>" in hit["snippet"]
    assert all(h["in_footnote"] is None for h in r["hits"])
    titles = svc.search(corpus_settings, session, q="title:scaleup OR title:introduction", policy=RSP)
    assert titles["total"] and all(h["in_footnote"] is None for h in titles["hits"])


def test_collapsed_versions_say_footnote(corpus_settings, session):
    r = svc.search(corpus_settings, session, q=f'"{SCALEUP}"', policy=RSP, collapse=True)
    assert r["total"] == 1
    assert {v["in_footnote"] for v in r["hits"][0]["versions"]} == {"4", "8"}
    assert {v["page"] for v in r["hits"][0]["versions"]} == {9}


def test_phrase_history_finds_footnotes(corpus_settings, session):
    r = svc.phrase_history(corpus_settings, session, SCALEUP, policy=RSP)
    assert r["found"]
    p = r["policies"][0]
    assert (p["first"]["version"], p["last"]["version"]) == ("3.1", "3.4") and p["in_latest"]
    row = next(v for v in p["versions"] if v["version"] == "3.1")
    assert row["occurrences"] == [
        {
            "clause": row["occurrences"][0]["clause"],
            "page": 9,
            "permalink": "/policies/anthropic-rsp/versions/3.1/clauses/1",
            "in_footnote": "4",
        }
    ]


def test_citation_check_sees_footnotes(corpus_settings, session):
    current, scaleup, wrong = _check(
        corpus_settings,
        session,
        {"quote": HIGHLY_CAPABLE, "policy": RSP, "version": "3.1", "section": "Appendix A"},
        {"quote": SCALEUP, "policy": RSP, "version": "3.1", "section": "1"},
        {"quote": SCALEUP, "policy": RSP, "version": "3.1", "section": "3.6"},
    )
    assert current["status"] == "current", current["detail"]
    assert current["suggested"]["version"] == "3.4" and "n. 13" in current["suggested"]["citation"]
    assert "footnote 13" in current["detail"]
    assert scaleup["status"] == "current" and scaleup["suggested"]["citation"].endswith("§1, p. 9 n. 8")
    assert wrong["status"] == "wrong" and "footnote 4 of §1" in wrong["detail"]


def test_an_index_of_the_previous_format_is_rebuilt(index, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(index.path, copy)
    assert open_index(copy, index.fingerprint) is not None
    meta = json.loads((copy / FINGERPRINT_FILE).read_text())
    assert meta["schema"] == SCHEMA_VERSION != "search-2"
    (copy / FINGERPRINT_FILE).write_text(json.dumps({**meta, "schema": "search-2"}))
    assert open_index(copy, index.fingerprint) is None  # ensure_index then rebuilds it



# --- 1b. headings ----------------------------------------------------------------------------------

# 3.0-3.4 §3.6 opens: "3.6. External Review" (the heading as printed), then its body.
FROM_HEADING = "3.6 External Review We will work toward a practice of seeking"


def test_a_quote_from_the_heading_into_the_body_stands_in_that_clause(corpus_settings, session):
    from archive.db import storage

    r = svc.resolve(corpus_settings, session, quote=FROM_HEADING, policy=RSP)
    assert r["status"] == "found" and r["versions"] == ["3.0", "3.1", "3.2", "3.3", "3.4"]
    for m in r["matches"]:
        assert m["clause"]["number"] == "3.6" and m["in_heading"] is True and m["in_footnote"] is None
        assert m["text"] == m["selector"]["exact"] == "3.6. External Review\n\n" + FROM_HEADING[20:]
        # Offsets are the version's own: the quote reads there in its text, heading first.
        assert storage.version_text(session, RSP, m["version"])[m["char_start"] : m["char_end"]] == m["text"]
    m34 = next(m for m in r["matches"] if m["version"] == "3.4")
    assert m34["citation"].endswith("§3.6, p. 14") and m34["clause_char_start"] == 0


def test_a_body_quote_is_not_also_a_heading_match(corpus_settings, session):
    r = svc.resolve(corpus_settings, session, quote="We will work toward a practice of seeking", policy=RSP)
    assert len(r["matches"]) == len(r["versions"]) == 5  # one per version, from the body
    assert all(m["in_heading"] is False and m["clause_char_start"] == 0 for m in r["matches"])


def test_a_citation_quoting_the_heading_is_checked(corpus_settings, session):
    current, wrong = _check(
        corpus_settings,
        session,
        {"quote": FROM_HEADING, "policy": RSP, "version": "3.1", "section": "3.6"},
        {"quote": FROM_HEADING, "policy": RSP, "version": "3.1", "section": "3.5"},
    )
    assert current["status"] == "current" and current["suggested"]["citation"].endswith("§3.6, p. 14")
    assert wrong["status"] == "wrong" and "§3.6" in wrong["detail"]


def test_quote_tables_find_what_the_reference_lookup_finds(index):
    """Passages.locate (the tables) against quotes.locate (every clause, one by one) on quotes that
    begin in headings, at a clause's first words, and anywhere in a body."""
    from archive.search.passages import passages

    tables = passages(index)
    docs = tables.docs  # clauses and their footnote views
    rnd = random.Random(11)
    quotes = [(FROM_HEADING, True), ("Risk Reports", True), ("External Review", True)]
    for d in rnd.sample([d for d in docs if d.heading and d.text and d.footnote is None], 40):
        words = (d.heading + d.text).split()
        quotes.append((" ".join(words[: rnd.randint(3, 12)]), True))  # from the heading's first word
        at = rnd.randrange(len(words))
        quotes.append((" ".join(words[at : at + rnd.randint(3, 12)]), False))

    def key(m):
        return (m.doc.policy, m.doc.version, m.doc.position, m.doc.footnote, m.doc.lead, m.start, m.end)

    checked = 0
    for q, from_heading in quotes:
        try:
            want = sorted(map(key, qt.locate(q, docs)))
        except InvalidInput:  # too short to cite
            continue
        assert sorted(map(key, tables.locate(q))) == want, q
        assert not from_heading or any(k[4] for k in want), q  # found as beginning in a heading
        checked += 1
    assert checked >= 70

def test_a_heading_set_at_a_page_foot_keeps_each_part_on_its_page():
    """A heading printed at the foot of page 4 whose body starts on page 5."""
    from archive.search.index import IndexedClause

    clause = IndexedClause(
        policy="p", policy_title="P", publisher="", version="1", effective="2026-01-01", position=3,
        number="2", title="Scope", lineage=None, text="This policy covers all models.", page_start=4,
        page_end=5, body_page=5, body_offset=120, heading="2. Scope\n\f",
    )  # fmt: skip
    view = clause.heading_view()
    assert view is not None and view.text == "2. Scope\n\nThis policy covers all models." and view.lead == 10
    assert view.body_offset == 110 and view.page_at(0) == 4 and view.page_at(view.lead) == 5
    assert IndexedClause(**{**clause.__dict__, "heading": ""}).heading_view() is None

# --- 2. optional version and section --------------------------------------------------------------


def test_no_version_checks_the_latest(corpus_settings, session):
    (r,) = _check(corpus_settings, session, {"quote": REDACTIONS, "policy": RSP, "section": "3.5"})
    assert r["status"] == "current" and r["checked_version"] == "3.4"
    assert "None" not in r["detail"]


def test_no_version_quote_not_in_latest(corpus_settings, session):
    (r,) = _check(corpus_settings, session, {"quote": METRICS, "policy": RSP})
    assert r["status"] == "wrong" and r["checked_version"] == "3.4"
    assert "checked against the latest, 3.4" in r["detail"] and "None" not in r["detail"]
    assert r["suggested"]["version"] == "3.0" and r["suggested"]["clause"]["number"] == "3.6"


def test_no_section_means_any_section(corpus_settings, session):
    ok, changed = _check(
        corpus_settings,
        session,
        {"quote": REDACTIONS, "policy": RSP, "version": "3.0"},
        {"quote": METRICS, "policy": RSP, "version": "3.0"},
    )
    assert ok["status"] == "current" and ok["found_in_cited"]["clause"]["number"] == "3.5"
    assert changed["status"] == "changed" and changed["found_in_cited"]["clause"]["number"] == "3.6"
    assert "None" not in ok["detail"] + changed["detail"]


def test_no_version_no_section(corpus_settings, session):
    (r,) = _check(corpus_settings, session, {"quote": REDACTIONS, "policy": RSP})
    assert r["status"] == "current" and r["found_in_cited"]["version"] == "3.4"


# --- 3. one bad citation does not sink the batch --------------------------------------------------


def test_unknown_or_missing_policy_is_one_wrong_item(corpus_settings, session):
    results = _check(
        corpus_settings,
        session,
        {"quote": REDACTIONS, "policy": RSP, "version": "3.0", "section": "3.5"},
        {"quote": REDACTIONS, "policy": "nope", "version": "3.0"},
        {"quote": REDACTIONS, "version": "3.0"},
        {"quote": METRICS, "policy": RSP, "version": "3.0", "section": "3.6"},
    )
    assert [r["status"] for r in results] == ["current", "wrong", "wrong", "changed"]
    assert "no policy 'nope'" in results[1]["detail"]
    assert "no policy given" in results[2]["detail"] and RSP in results[2]["detail"]
    assert results[1]["suggested"]["policy"] == RSP  # where the quote is, all the same
    assert [r["index"] for r in results] == [0, 1, 2, 3]


def test_malformed_citations_still_name_the_item(corpus_settings, session):
    for bad, where in (
        ([{"quote": REDACTIONS, "policy": RSP}, "x"], "citation 1: not an object"),
        ([{"policy": RSP}], "citation 0: missing 'quote'"),
        ([{"quote": 123, "policy": RSP}], "citation 0: 'quote' must be a string, not int"),
        ([{"quote": "  ", "policy": RSP}], "citation 0: 'quote' is empty"),
    ):
        with pytest.raises(InvalidInput, match=where):
            svc.check_citations(corpus_settings, session, bad)


def test_api_batch_with_a_bad_policy_answers_200(client):
    r = client.post(
        "/citations/check",
        json={"citations": [{"quote": REDACTIONS, "policy": "nope"}, {"quote": REDACTIONS, "version": "3.0"}]},
    )
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["wrong", "wrong"]


# --- 4. a quote in two clauses of the cited version -----------------------------------------------


@pytest.mark.parametrize("section", ["3.6", "1"])
def test_quote_in_two_clauses_keeps_the_cited_one(corpus_settings, session, section):
    (r,) = _check(corpus_settings, session, {"quote": COMPRESS, "policy": RSP, "version": "3.0", "section": section})
    assert r["status"] == "changed", r["detail"]
    assert r["found_in_cited"]["clause"]["number"] == section
    assert r["suggested"]["clause"]["number"] == section and r["suggested"]["version"] == "3.0"
    assert r["detail"].startswith(f"§{section} changed after 3.0")


# --- 5. query syntax ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, message",
    [
        ("NOT NOT risk", "NOT NOT"),
        ("risk OR OR review", "two operators in a row"),
        ("risk AND OR review", "two operators in a row"),
        ("(risk OR) review", "no word after it"),
        ("(OR risk) review", "no word before it"),
        ("risk ()", "empty parentheses"),
        ("risk~5", "at most 2 edits"),
        ("risk~3", "at most 2 edits"),
    ],
)
def test_query_syntax_errors_are_clear(index, bad, message):
    with pytest.raises(QuerySyntaxError, match=re.escape(message)) as exc:
        parse(bad, index.schema)
    assert "index out of range" not in str(exc.value)


@pytest.mark.parametrize(
    "good", ["risk~2", "risk~", "risk AND NOT review", "NOT review risk", "title:(risk OR review)", '"risk report"~3']
)
def test_query_syntax_still_accepted(index, good):
    parse(good, index.schema)


def test_api_query_error_is_a_clear_400(client):
    r = client.get("/search", params={"q": "NOT NOT risk"})
    assert r.status_code == 400
    assert "index out of range" not in r.text and "NOT NOT" in r.json()["detail"]


# --- 6. hyphenated and closed compounds -----------------------------------------------------------


def _where(result: dict) -> set[tuple[str, str]]:
    return {(h["version"], h["clause"]["label"]) for h in result["hits"]}


def test_closed_and_hyphenated_spellings_find_each_other(corpus_settings, session):
    def find(q: str) -> dict:
        return svc.search(corpus_settings, session, q=q, policy=RSP, per_page=100)

    closed, hyphenated, spaced = find("noncompliance"), find("non-compliance"), find('"non compliance"')
    assert ("2.2", "7.2") in _where(closed)  # the text says "non-compliance"
    assert ("3.4", "4") in _where(hyphenated)  # the text says "noncompliance"
    assert _where(closed) == _where(hyphenated) == _where(spaced)
    assert closed["total"] > 4
    hit = next(h for h in closed["hits"] if (h["version"], h["clause"]["label"]) == ("2.2", "7.2"))
    assert "<mark>non-compliance</mark>" in hit["snippet"]
    assert _where(find("noncompl*")) == _where(closed)
    # A wildcard after a hyphen: no token holds one; the joined form's prefix finds both spellings.
    assert _where(find("non-compl*")) == _where(closed)
    assert _where(find("(non-compl*)")) == _where(closed)  # through Whoosh's own parser too
    # Phrases around either spelling, typed either way.
    for q in ('"instances of noncompliance"', '"instances of non-compliance"'):
        assert {("2.2", "7.2"), ("3.4", "4")} <= _where(find(q)), q
    assert ("2.2", "7.2") in _where(find('"noncompliance and other"'))


def test_a_part_finds_the_hyphenated_word_only(corpus_settings, session):
    r = svc.search(corpus_settings, session, q="compliance", policy=RSP, version="2.2", per_page=100)
    assert ("2.2", "7.2") in _where(r)
    hit = next(h for h in r["hits"] if h["clause"]["label"] == "7.2")
    assert "non-<mark>compliance</mark>" in hit["snippet"]


def test_compound_tokens():
    tok = ArchiveTokenizer(compounds=learn_compounds(["reports of non-compliance", "a state-of-the-art model"]))
    assert tok.compounds == {"noncompliance": ("non", "compliance"), "stateoftheart": ("state", "of", "the", "art")}
    assert [t for t, _, _ in tok.terms("non-compliance")] == ["noncompli", "non", "complianc"]
    assert [t for t, _, _ in tok.query_terms("non-compliance")] == ["non", "complianc"]
    assert [t for t, _, _ in tok.terms("noncompliance")] == ["noncompli"]  # a closed word is never split
    indexed = [(t.text, t.pos) for t in tok("the non-compliance", positions=True, mode="index")]
    assert indexed == [("the", 0), ("noncompli", 1), ("non", 1), ("complianc", 2)]
    assert [t.text for t in tok("non-\ncompliance", mode="index")] == ["non", "complianc"]  # a line-end hyphen


def test_quote_forms_of_markers_and_times():
    def same(a: str, b: str) -> bool:
        return qt.compact(a)[0] == qt.compact(b)[0]

    assert same("risk analysis,6 we will", "risk analysis, we will")
    assert same("arguments are adequate.2To the", "arguments are adequate. To the")
    assert same("an 81× effective scaleup", "an 81x effective scaleup")
    assert not same("Section 3.6", "Section 3.") and not same("Appendix A.1", "Appendix A.")
    assert not same("on the 2nd day", "on the day")


def test_a_citation_of_later_wording_names_what_the_cited_version_says(corpus_settings, session):
    """A wiki cites 2.0 §7.1 for 3.x's sentence: the suggestion (3.4 §4) would be an anachronism, so
    the check also names 2.0's own nearest wording."""
    (r,) = _check(corpus_settings, session, {"quote": "We will maintain a process for Anthropic staff to submit",
                                             "policy": RSP, "version": "2.0", "section": "7.1"})
    assert r["status"] == "wrong" and r["suggested"]["version"] == "3.4"
    near = r["closest_in_cited"]
    assert near["version"] == "2.0" and near["clause"]["number"] == "7.1" and 0.5 < near["score"] < 1
    assert "; closest in 2.0: §7.1 (similarity 0." in r["detail"]


def test_an_elided_quote_is_one_match_per_passage(corpus_settings, session):
    """Every earlier "Risk Reports" reached the same "external parties": three overlapping matches per
    version ("found in 15 places") for one passage. The tightest stands."""
    r = svc.resolve(corpus_settings, session, quote="Risk Reports ... external parties", policy=RSP)
    assert r["status"] == "found"
    assert sorted(m["version"] for m in r["matches"]) == ["3.0", "3.1", "3.2", "3.3", "3.4"]
    assert all(m["text"].startswith("Risk Reports") and len(m["text"]) < 400 for m in r["matches"])
