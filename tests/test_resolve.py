"""Citation lookup over the real corpus."""

from __future__ import annotations

import json

import pytest

from archive.db.engine import read_session
from archive.services import search as svc

# Two lines of v2.2 §7.1 (page 16) as extracted, with the curly apostrophe of the PDF.
QUOTE_2_2 = (
    "this policy is designed and implemented effectively. The Responsible Scaling Officer’s duties will\n"
    "include (but are not limited to): (1) as needed, proposing updates to this policy to the Board of\nDirectors"
)


@pytest.fixture
def session(corpus_engine):
    with read_session(corpus_engine) as s:
        yield s


def test_two_line_quote_from_2_2_resolves(corpus_settings, session):
    r = svc.resolve(corpus_settings, session, quote=QUOTE_2_2, policy="anthropic-rsp", version="2.2")
    assert r["status"] == "found"
    (m,) = r["matches"]
    assert (m["version"], m["clause"]["number"], m["page"]) == ("2.2", "7.1", 16)
    assert m["citation"] == "Anthropic, Responsible Scaling Policy v2.2 (effective 2025-05-14), §7.1, p. 16"
    assert m["permalink"] == "/policies/anthropic-rsp/versions/2.2/clauses/7.1"
    sel = m["selector"]
    assert sel["type"] == "TextQuoteSelector" and sel["exact"].startswith("this policy is designed")
    assert sel["prefix"] and sel["suffix"]
    assert m["char_end"] - m["char_start"] == len(sel["exact"])


def test_quote_tolerates_typography(corpus_settings, session):
    straight = " ".join(QUOTE_2_2.replace("’", "'").split())
    r = svc.resolve(corpus_settings, session, quote=straight, version="2.2", policy="anthropic-rsp")
    assert r["status"] == "found"
    r = svc.resolve(
        corpus_settings,
        session,
        quote="this policy is designed … Scaling Officer's duties will include",
        version="2.2",
        policy="anthropic-rsp",
    )
    assert r["status"] == "found" and r["matches"][0]["clause"]["number"] == "7.1"


def test_one_word_changed_is_not_found_with_closest(corpus_settings, session):
    changed = QUOTE_2_2.replace("proposing updates", "proposing changes")
    r = svc.resolve(corpus_settings, session, quote=changed, policy="anthropic-rsp", version="2.2")
    assert r["status"] == "not_found" and r["matches"] == []
    best = r["closest"][0]
    assert (best["version"], best["clause"]["number"], best["page"]) == ("2.2", "7.1", 16)
    assert 0.9 < best["score"] < 1.0


def test_quote_in_several_versions_lists_them_all(corpus_settings, session):
    r = svc.resolve(
        corpus_settings, session, quote="We will aim to minimize redactions to the public version of the report."
    )
    assert r["status"] == "found"
    versions = [m["version"] for m in r["matches"]]
    assert versions == sorted(versions, reverse=True)  # newest first
    assert {"3.0", "3.1", "3.3", "3.4"} <= set(versions)  # and 3.2, whose reference text has it too
    (h,) = r["history"]
    assert h["present_in"] == sorted(versions) and h["in_latest"]
    r = svc.resolve(corpus_settings, session, quote=QUOTE_2_2)
    assert {m["version"] for m in r["matches"]} == {"2.0", "2.2"}
    assert r["history"][0]["removed_in"] == ["3.0"]
    assert "in 2.0–2.2; removed in 3.0; closest in version 3.4: " in r["history"][0]["summary"]
    assert r["history"][0]["summary"].endswith(")") and "(similarity 0." in r["history"][0]["summary"]
    assert r["history"][0]["policy_title"] == "Responsible Scaling Policy"


def test_ambiguous_and_prefix(corpus_settings, session):
    quote = "compress two years of 2018 – 2024 AI progress into a single year"
    r = svc.resolve(corpus_settings, session, quote=quote, version="3.0", policy="anthropic-rsp")
    assert r["status"] == "ambiguous" and {m["clause"]["number"] for m in r["matches"]} == {"1", "3.6"}
    r = svc.resolve(
        corpus_settings,
        session,
        quote=quote,
        version="3.0",
        policy="anthropic-rsp",
        prefix="we will consider a model highly capable if we determine that it could",
    )
    assert r["status"] == "found" and r["matches"][0]["clause"]["number"] == "3.6"
    assert r["matches"][0]["context"] == "agrees"


def test_each_match_says_whether_the_context_given_stands_around_it(corpus_settings, session, cli, corpus_env):
    """Context picks among a version's matches but never drops a version's only one: each match says
    whether the prefix and suffix given stand around it, so a client is not told 'found' blindly."""
    prefix = "seeking comprehensive, public"  # 3.0-3.4 §3.6; earlier versions say it otherwise
    r = svc.resolve(corpus_settings, session, quote="external review", policy="anthropic-rsp", prefix=prefix)
    by_version = {m["version"]: m["context"] for m in r["matches"]}
    assert {by_version[v] for v in ("3.0", "3.1", "3.2", "3.3", "3.4")} == {"agrees"}
    assert "differs" in {by_version[v] for v in ("1.0", "2.0", "2.2")}
    nowhere = svc.resolve(corpus_settings, session, quote="external review on our Risk Reports", version="3.1",
                          policy="anthropic-rsp", prefix="zzzz qqq", suffix="yyy")
    assert [m["context"] for m in nowhere["matches"]] == ["differs"]
    # A letter that happens to coincide ("m" of "more" and of "means") is no agreement.
    odd = svc.resolve(corpus_settings, session, quote="double the rate of progress", version="3.1",
                      policy="anthropic-rsp", prefix="completely unrelated words here", suffix="more nonsense")
    assert {m["context"] for m in odd["matches"]} == {"differs"}
    assert svc.resolve(corpus_settings, session, quote="external review on our Risk Reports",
                       version="3.1", policy="anthropic-rsp")["matches"][0]["context"] is None
    out = cli("resolve", "external review on our Risk Reports", "--version", "3.1", "--policy", "anthropic-rsp",
              "--prefix", "zzzz qqq").stdout
    assert "(the context given differs here)" in out


def test_cli_resolve(corpus_env, cli):
    r = cli("resolve", QUOTE_2_2, "--version", "2.2", "--policy", "anthropic-rsp")
    assert r.exit_code == 0 and r.output.startswith("found") and "§7.1, p. 16" in r.output
    r = cli("resolve", QUOTE_2_2, "--json")
    assert json.loads(r.output)["status"] == "found"
    # 3.4's footnote 8 says it three times: one line, with how many.
    out = cli("resolve", "double the rate of progress", "--version", "3.4", "--policy", "anthropic-rsp").stdout
    lines = [ln for ln in out.splitlines() if ln.startswith("  Anthropic")]
    assert len(lines) == len(set(lines)) and any(ln.endswith("(3 times)") for ln in lines), out


def test_text_fragment_of_a_match(corpus_settings, session):
    """Every match carries the text fragment that opens a page at it: widened to whole words where the
    PDF ran two together ("expectdouble"), long quotes as a start and an end, two words around."""
    r = svc.resolve(corpus_settings, session, quote=QUOTE_2_2, policy="anthropic-rsp", version="2.2")
    assert r["matches"][0]["text_fragment"] == (
        ":~:text=by%20ensuring-,this%20policy%20is%20designed,the%20Board%20of%20Directors%3B,"
        "-%282%29%20approving")
    quote = "double the rate of progress in AI aggregate capabilities"
    (m,) = svc.resolve(corpus_settings, session, quote=quote, policy="anthropic-rsp", version="3.1")["matches"]
    assert m["text_fragment"] == (
        ":~:text=observe%20or-,expectdouble%20the%20rate%20of,in%20AI%20aggregate%20capabilities,"
        "-compared%20to")


def test_text_fragment_encodes_its_delimiters():
    from archive.search.quotes import text_fragment

    text = "risk-benefit trade-offs, R&D; and more"
    assert text_fragment(text, 0, 14) == ":~:text=risk%2Dbenefit%20trade%2Doffs%2C,-R%26D%3B%20and"
    assert text_fragment(text, 5, 12) == ":~:text=risk%2Dbenefit,-trade%2Doffs%2C%20R%26D%3B"  # a whole word
    assert text_fragment(text, 25, 38, shown_from=25) == ":~:text=R%26D%3B%20and%20more"  # nothing before it
    assert text_fragment("   ", 0, 3) == ""


def test_a_passage_wholly_in_a_heading_gets_no_text_fragment():
    """A page shows a heading apart from the body: nothing of the quote is left to find there, so no
    fragment (the clause's anchor still leads to it)."""
    from archive.search.quotes import text_fragment

    view = "3.6 External Review\nWe will work toward"
    assert text_fragment(view, 0, 19, shown_from=20) == ""
