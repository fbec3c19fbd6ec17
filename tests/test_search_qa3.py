"""Search, resolve and citation-check QA over the real corpus (third pass)."""

from __future__ import annotations

import pytest

from archive.db.engine import read_session
from archive.errors import QuerySyntaxError
from archive.services import search as svc

# Footnote 4 of v3.1 §1 (page 9) as copied from the PDF, marker first. The footnote is footnote 8
# of §1 in v3.3 and v3.4, same words.
FOOTNOTE_4 = "4 “Double the rate of progress” means “as much progress in one year as one would see in two years"


@pytest.fixture
def session(corpus_engine):
    with read_session(corpus_engine) as s:
        yield s


@pytest.mark.parametrize("q", ["title: governance", "title:", "(text: risk)", "number: 3.6", "risk version: 3.1"])
def test_field_with_nothing_after_its_colon_is_an_error(corpus_settings, session, q):
    # Whoosh read "title: governance" as the words "title" and "governance": a filter silently
    # searching for its own name (0 hits, or hits for the word "text"/"policy").
    with pytest.raises(QuerySyntaxError, match="has no word after it"):
        svc.search(corpus_settings, session, q=q)


def test_a_colon_after_another_word_is_still_text(corpus_settings, session):
    assert svc.search(corpus_settings, session, q="Note: review")["total"] >= 1


@pytest.mark.parametrize("q", ["?", "??", "**", "?*", "*?", "risk AND *"])
def test_wildcard_only_is_an_error_like_star(corpus_settings, session, q):
    # "*" was refused, but "**" or "?" matched every clause and "risk AND *" ignored the star.
    with pytest.raises(QuerySyntaxError, match="wildcard needs letters"):
        svc.search(corpus_settings, session, q=q)


def test_wildcards_with_letters_still_work(corpus_settings, session):
    risk = svc.search(corpus_settings, session, q="risk")["total"]
    assert svc.search(corpus_settings, session, q="r?sk")["total"] == risk
    assert svc.search(corpus_settings, session, q="title:governance")["total"] >= 1


def test_field_errors_are_problem_json_and_one_cli_line(corpus_env, cli):
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app()) as client:
        r = client.get("/search", params={"q": "title: governance"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert "title:" in r.json()["detail"]
    result = cli("search", "**")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "wildcard" in result.stderr


def test_footnote_quote_with_its_marker_stands_where_the_footnote_is_renumbered(corpus_settings, session):
    r = svc.resolve(corpus_settings, session, quote=FOOTNOTE_4, policy="anthropic-rsp")
    (history,) = r["history"]
    assert history["present_in"] == ["3.1", "3.2", "3.3", "3.4"]
    assert history["removed_in"] == [] and history["in_latest"]
    latest = next(m for m in r["matches"] if m["version"] == "3.4")
    assert (latest["clause"]["number"], latest["page"], latest["in_footnote"]) == ("1", 9, "8")
    assert latest["text"].startswith("Double the rate")  # the match is the footnote's text, not "4"
    exact = next(m for m in r["matches"] if m["version"] == "3.1")
    assert (exact["in_footnote"], exact["page"], exact["clause_char_start"]) == ("4", 9, 0)


def test_citation_of_a_renumbered_footnote_with_its_marker_is_current(corpus_settings, session):
    out = svc.check_citations(
        corpus_settings,
        session,
        [{"quote": FOOTNOTE_4, "policy": "anthropic-rsp", "version": "3.1", "section": "1"}],
    )
    (item,) = out["results"]
    assert item["status"] == "current", item["detail"]
    assert item["suggested"]["citation"].endswith("§1, p. 9 n. 8")


def test_leading_number_that_is_not_a_footnote_marker_finds_nothing_more(corpus_settings, session):
    # Only footnotes opening with the rest of the quote are widened: body text never is.
    r = svc.resolve(corpus_settings, session, quote="7 we should upgrade our safeguards", policy="anthropic-rsp")
    assert r["status"] == "not_found"


def test_minus_excludes_and_plus_requires_as_in_web_search(corpus_settings, session):
    # "risk -review" was read as "risk review": the clauses the user asked to leave out, only.
    def total(q: str) -> int:
        return svc.search(corpus_settings, session, q=q)["total"]

    risk, both = total("risk"), total("risk review")
    assert 0 < both < risk
    assert total("risk -review") == total("risk NOT review") == risk - both
    assert total("+risk") == risk
    assert total('risk -"risk report"') == total('risk NOT "risk report"') < risk
    assert total("title:risk -text:review") == total("title:risk NOT text:review")
    # A hyphen inside a word, or a dash standing alone, is no operator.
    assert total("non-compliance") == total("noncompliance") > 0
    assert total("risk - review") == both
