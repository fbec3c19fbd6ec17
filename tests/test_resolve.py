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
    assert "in 2.0–2.2; removed in 3.0; closest in 3.4" in r["history"][0]["summary"]


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


def test_cli_resolve(corpus_env, cli):
    r = cli("resolve", QUOTE_2_2, "--version", "2.2", "--policy", "anthropic-rsp")
    assert r.exit_code == 0 and r.output.startswith("found") and "§7.1, p. 16" in r.output
    r = cli("resolve", QUOTE_2_2, "--json")
    assert json.loads(r.output)["status"] == "found"
