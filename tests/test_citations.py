"""Bulk citation check: twenty citations written from the corpus, some stale."""

from __future__ import annotations

import json

import pytest

from archive.db.engine import read_session
from archive.errors import InvalidInput
from archive.services import search as svc
from tests.citations_fixture import CITATIONS


def test_twenty_citations_classified(corpus_settings, corpus_engine):
    assert len(CITATIONS) == 20
    with read_session(corpus_engine) as session:
        data = svc.check_citations(corpus_settings, session, [dict(c, policy="anthropic-rsp") for c, _ in CITATIONS])
    got = [r["status"] for r in data["results"]]
    assert got == [want for _, want in CITATIONS]
    by_status = {}
    for r in data["results"]:
        by_status.setdefault(r["status"], []).append(r)
    for r in by_status["current"] + by_status["moved"]:
        assert r["suggested"]["version"] == "3.4"
    assert by_status["moved"][0]["suggested"]["clause"]["number"] == "4"
    # Each names the newest version that has the quote: 3.0 for 3.0's §1, 2.2 for the RSO's duties in 2.2's
    # §7.1, whose successor is 3.x's §4.
    assert [(r["suggested"]["version"], r["redline"] is not None) for r in by_status["changed"]] == [
        ("3.0", True), ("3.0", True), ("3.0", True), ("2.2", True)]
    # A clause renumbered since says where it now stands.
    assert by_status["changed"][3]["detail"] == (
        "§7.1 changed after 2.2; the quote is not in 3.4, where the clause is §4")
    for r in by_status["removed"]:
        assert r["suggested"]["version"] in ("2.0", "2.2")
    wrong_section = by_status["wrong"][0]
    assert wrong_section["suggested"]["clause"]["number"] == "3.5"
    assert "§3.5" in wrong_section["suggested"]["citation"]


def test_check_citations_bad_input(corpus_settings, corpus_engine):
    with read_session(corpus_engine) as session:
        for bad in ({}, [], [{"version": "3.0"}], ["x"], [{"quote": "ab", "policy": "anthropic-rsp"}]):
            with pytest.raises(InvalidInput):
                svc.check_citations(corpus_settings, session, bad)


def test_cli_check_citations(corpus_env, cli, tmp_path):
    items = [dict(c, policy="anthropic-rsp") for c, _ in CITATIONS[:3]]
    r = cli("check-citations", "-", "--json", input=json.dumps(items))
    assert r.exit_code == 0, r.output
    assert [x["status"] for x in json.loads(r.output)["results"]] == ["current"] * 3
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = cli("check-citations", str(bad))
    assert r.exit_code == 2 and r.output.startswith("error:")
