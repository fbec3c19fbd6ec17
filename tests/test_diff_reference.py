"""Alignment, redlines and the changelog audit on clause lists built from the reference texts."""

from __future__ import annotations

import pytest

from archive.diff.redline import compute
from tests.diff_reference import reference_clauses

LABELS = ["1.0", "2.0", "2.2", "3.0", "3.1", "3.2", "3.3", "3.4"]


def redline(a: str, b: str) -> dict:
    return compute("anthropic-rsp", {"label": a}, {"label": b}, list(reference_clauses(a)), list(reference_clauses(b)))


def changed(r: dict) -> dict[str, dict]:
    return {(c["to_clause"] or c["from_clause"])["number"] or (c["to_clause"] or c["from_clause"])["title"]: c
            for c in r["changes"] if c["kind"] != "unchanged"}


@pytest.mark.parametrize("label", LABELS)
def test_version_against_itself_has_no_changes(label: str) -> None:
    r = redline(label, label)
    assert all(c["kind"] == "unchanged" for c in r["changes"])
    assert r["summary"]["unchanged"] == len(reference_clauses(label))


def test_3_0_to_3_1() -> None:
    r = redline("3.0", "3.1")
    ch = changed(r)
    sec1 = ch["1"]
    assert sec1["kind"] == "modified"
    deleted = " ".join(o["text"] for o in sec1["ops"] if o["op"] == "delete")
    inserted = " ".join(o["text"] for o in sec1["ops"] if o["op"] == "insert")
    assert "compress two years of 2018 – 2024 AI progress into a single year" in deleted
    assert "double the rate of" in inserted and "“Double the rate of progress” means" in inserted
    assert ch["3.6"]["kind"] == ch["3.1"]["kind"] == "modified"
    assert "covered by a prior Risk Report" in " ".join(o["text"] for o in ch["3.1"]["ops"] if o["op"] == "insert")
    assert r["summary"]["moved"] == 0 and r["summary"]["removed"] == 0
    assert r["summary"]["modified"] <= 8, r["summary"]


def test_audit_3_0_to_3_1() -> None:
    audit = redline("3.0", "3.1")["audit"]
    by_clause = {c["clause"]: c for c in audit["changes"]}
    assert by_clause["1"]["items"] == [1]
    assert by_clause["3.4"]["items"] == [2]
    assert {u["clause"] for u in audit["unmentioned"]} == {"3.1", "3.6"}


def test_audit_3_3_to_3_4() -> None:
    audit = redline("3.3", "3.4")["audit"]
    assert len(audit["items"]) == 5 and audit["editorial_note"]
    assert not audit["items_without_change"]
    by_clause = {c["clause"]: c for c in audit["changes"]}
    for clause, item in (("1", 1), ("3.1", 3), ("3.5", 4), ("3.6.2", 5), ("4", 2)):
        assert item in by_clause[clause]["items"], (clause, by_clause[clause])


@pytest.mark.parametrize(("a", "b"), [("2.2", "3.0"), ("1.0", "3.4")])
def test_rewrites_complete(a: str, b: str) -> None:
    r = redline(a, b)
    ra, rb = reference_clauses(a), reference_clauses(b)
    seen_a = {c["from_clause"]["id"] for c in r["changes"] if c["from_clause"]}
    seen_b = {c["to_clause"]["id"] for c in r["changes"] if c["to_clause"]}
    assert seen_a == set(range(len(ra))) and seen_b == set(range(len(rb)))
    assert r["summary"]["moved"] <= 2
