"""Search and phrase history over the real ingested corpus, through the service and the CLI."""

from __future__ import annotations

import json

import pytest

from archive.db.engine import read_session
from archive.errors import InvalidInput, QuerySyntaxError, VersionNotFound
from archive.services import search as svc


@pytest.fixture
def session(corpus_engine):
    with read_session(corpus_engine) as s:
        yield s


def test_compress_two_years_finds_sections_of_3_0(corpus_settings, session):
    r = svc.search(corpus_settings, session, q="compress two years")
    found = {(h["version"], h["clause"]["number"]): h for h in r["hits"]}
    assert set(found) >= {("3.0", "1"), ("3.0", "3.6")}
    assert found[("3.0", "3.6")]["page"] == 13
    assert found[("3.0", "1")]["page"] == 8
    assert "<mark>compress</mark>" in found[("3.0", "1")]["snippet"]


def test_history_of_compress_two_years_is_3_0_only(corpus_settings, session):
    h = svc.phrase_history(corpus_settings, session, "compress two years")
    (p,) = h["policies"]
    assert p["first"]["version"] == p["last"]["version"] == "3.0"
    assert p["removed_in"]["version"] == "3.1"
    row = next(v for v in p["versions"] if v["version"] == "3.0")
    assert {(o["clause"]["number"], o["page"]) for o in row["occurrences"]} == {("1", 8), ("3.6", 13)}


def test_history_of_phrase_removed_in_3_0_ends_at_2_2(corpus_settings, session):
    h = svc.phrase_history(corpus_settings, session, '"notably more capable"')
    (p,) = h["policies"]
    assert p["first"]["version"] == "2.0"
    assert p["last"]["version"] == "2.2"
    assert p["removed_in"]["version"] == "3.0"
    assert not p["in_latest"]


def test_history_of_a_phrase_that_left_and_came_back_names_both(corpus_settings, session, cli, corpus_env):
    """In 1.0 (a footnote), not in 2.0 or 2.2, back from 3.0: in the latest, so no removed_in, but the
    removal in 2.0 is there, as /resolve reports it."""
    phrase = "to avoid a race to the bottom"
    (p,) = svc.phrase_history(corpus_settings, session, phrase, policy="anthropic-rsp")["policies"]
    assert p["in_latest"] and p["removed_in"] is None
    assert [(g["version"], g["back_in"]["version"]) for g in p["removals"]] == [("2.0", "3.0")]
    resolved = svc.resolve(corpus_settings, session, quote=phrase, policy="anthropic-rsp")
    assert resolved["history"][0]["removed_in"] == ["2.0"]
    assert "missing from 2.0, back in 3.0" in cli("search", "--history", phrase, "--policy", "anthropic-rsp").stdout


def test_history_of_a_phrase_run_together_in_some_versions_has_no_false_gap(corpus_settings, session):
    """3.1, 3.3 and 3.4 print "highly capablemodels" in §3.6 (the same sentence in each, so the
    run-together is seen in more texts than a rare one): the phrase stands from 3.0 without a gap."""
    (p,) = svc.phrase_history(corpus_settings, session, '"highly capable models"', policy="anthropic-rsp")["policies"]
    assert p["first"]["version"] == "3.0" and p["in_latest"]
    assert p["removals"] == []
    for row in p["versions"]:
        if row["version"].startswith("3."):
            assert "3.6" in {o["clause"]["number"] for o in row["occurrences"]}, row["version"]


def test_filters_sort_paging_collapse(corpus_settings, session):
    all_hits = svc.search(corpus_settings, session, q="risk report", per_page=5)
    assert all_hits["total"] > 5 and len(all_hits["hits"]) == 5 and all_hits["pages"] > 1
    page2 = svc.search(corpus_settings, session, q="risk report", per_page=5, page=2)
    assert {h["id"] for h in page2["hits"]}.isdisjoint({h["id"] for h in all_hits["hits"]})
    as_of = svc.search(corpus_settings, session, q="risk", policy="anthropic-rsp", as_of="2025-06-01")
    assert {h["version"] for h in as_of["hits"]} == {"2.2"}
    ranged = svc.search(
        corpus_settings,
        session,
        q="risk",
        policy="anthropic-rsp",
        effective_from="2026-01-01",
        effective_to="2026-04-30",
        per_page=100,
    )
    assert {h["version"] for h in ranged["hits"]} <= {"3.0", "3.1", "3.2"}
    dated = svc.search(corpus_settings, session, q="governance", sort="date", per_page=50)
    dates = [h["effective"] for h in dated["hits"]]
    assert dates == sorted(dates, reverse=True)
    collapsed = svc.search(corpus_settings, session, q='"minimize redactions to the public"', collapse=True)
    groups = {h["clause"]["number"]: [v["version"] for v in h["versions"]] for h in collapsed["hits"]}
    assert len(groups) == collapsed["total"] and all(len(set(v)) == len(v) for v in groups.values())
    # Each group is shown as it stands in its latest matching version (§1's best match is an older one).
    for q in ('"minimize redactions to the public"', '"external review"'):
        hits = svc.search(corpus_settings, session, q=q, collapse=True, per_page=100)["hits"]
        assert all(h["version"] == max(h["versions"], key=lambda v: v["effective"])["version"] for h in hits), q
    assert {"3.0", "3.1", "3.3", "3.4"} <= set(groups["3.5"])  # one hit for §3.5, listing its versions


def test_run_together_text_is_found(corpus_settings, session):
    r = svc.search(corpus_settings, session, q='"publish Risk Reports discussing"', per_page=50)
    assert {"3.1", "3.3", "3.4"} <= {h["version"] for h in r["hits"]}  # "publishRisk Reportsdiscussing"
    r = svc.search(corpus_settings, session, q='"contains sufficient information"', per_page=50)
    assert {"3.1", "3.3", "3.4"} <= {h["version"] for h in r["hits"]}  # "containssufficient"


def test_bad_input_raises(corpus_settings, session):
    with pytest.raises(InvalidInput):
        svc.search(corpus_settings, session, q="")
    with pytest.raises(QuerySyntaxError):
        svc.search(corpus_settings, session, q='"risk')
    with pytest.raises(VersionNotFound):
        svc.search(corpus_settings, session, q="risk", version="9.9")
    with pytest.raises(InvalidInput):
        svc.search(corpus_settings, session, q="risk", as_of="not-a-date")
    with pytest.raises(InvalidInput):
        svc.search(corpus_settings, session, q="risk", per_page=100000)


def test_index_rebuilt_when_missing_or_damaged(corpus_settings, session, tmp_path):
    # An index folder of its own: the shared one stays readable by tests other workers run meanwhile.
    corpus_settings = corpus_settings.model_copy(update={"index_dir": tmp_path / "index"})
    svc.forget_held()
    ix = svc.ensure_index(corpus_settings, session)
    path = ix.path
    for f in path.glob("*.seg"):
        f.write_bytes(b"damaged")
    svc.forget_held()
    ix2 = svc.ensure_index(corpus_settings, session)
    assert ix2.doc_count == ix.doc_count
    (path / "fingerprint.json").write_text('{"fingerprint": "stale"}')
    svc.forget_held()
    assert svc.ensure_index(corpus_settings, session).doc_count == ix.doc_count
    assert svc.search(corpus_settings, session, q="compress two years")["total"] >= 2
    svc.forget_held()  # later tests open the shared index again


@pytest.mark.parametrize(
    "args",
    [
        ("search", ""),
        ("search", '"unbalanced'),
        ("search", "risk AND"),
        ("search", "x" * 5000),
        ("resolve", ""),
        ("resolve", "ab"),
        ("check-citations", "/nonexistent.json"),
    ],
)
def test_cli_bad_input_exits_2(corpus_env, cli, args):
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith("error: ")


@pytest.mark.parametrize(
    "args",
    [
        ("search", "risk", "--version", "9.9"),
        ("search", "risk", "--as-of", "1900-01-01", "--policy", "anthropic-rsp"),
        ("search", "risk", "--policy", "nope"),
        ("diff", "nope", "1", "2"),
        ("cite", "nope", "1"),
    ],
)
def test_cli_nothing_found_exits_1_in_every_command(corpus_env, cli, args):
    """The same error exits alike whatever the command (search once exited 2 where diff exited 1)."""
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("error: ")
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_cli_search_history_and_json(corpus_env, cli):
    r = cli("search", "compress two years")
    assert r.exit_code == 0 and "3.6 External Review" in r.output and "[compress]" in r.output
    r = cli("search", "--history", "compress two years")
    assert r.exit_code == 0 and "first in 3.0" in r.output
    r = cli("search", "compress two years", "--json", "--collapse")
    data = json.loads(r.output)
    assert data["collapsed"] and data["hits"][0]["versions"]
    r = cli("index", "rebuild")
    assert r.exit_code == 0 and "index rebuilt" in r.output


def test_a_phrase_hit_marks_and_pages_only_where_the_whole_phrase_stands(corpus_settings, session):
    """A phrase's words elsewhere in the clause ("review" alone on pp. 5 and 7 of 3.2 §1, "year" in
    "a single year") are neither marked nor counted as pages where it stands."""
    def hit(q: str, number: str, version: str) -> dict:
        found = svc.search(corpus_settings, session, q=q, policy="anthropic-rsp", version=version, per_page=100)
        return next(h for h in found["hits"] if h["clause"]["number"] == number)

    sec1 = hit('"external review"', "1", "3.2")
    assert sec1["pages"] == [9] and "<mark>external</mark> <mark>review</mark>" in sec1["snippet"]
    assert "<mark>year</mark>" not in hit('"compress two years"', "3.6", "3.0")["snippet"]
    # "scale-up" stands only as "scaleup" in 3.1 §1's footnote 4: the hit is the footnote's.
    note = hit('"scale-up"', "1", "3.1")
    assert (note["in_footnote"], note["pages"]) == ("4", [9]) and "<mark>scaleup</mark>" in note["snippet"]
    # Words outside the phrase still mark wherever they stand.
    both = hit('"external review" LTBT', "3.6", "3.2")
    assert "<mark>external</mark> <mark>review</mark>" in both["snippet"]
