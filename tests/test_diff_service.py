"""Redlines, histories, the cache and the CLI on the real ingested corpus."""

from __future__ import annotations

import json
import time

import pytest

from archive.db import storage
from archive.db.engine import read_session, transaction
from archive.diff.align import _ghosts
from archive.errors import ClauseNotFound, VersionNotFound
from archive.services import histories, redlines, unannounced

RSP = "anthropic-rsp"


def clause_key(c: dict) -> str:
    ref = c["to_clause"] or c["from_clause"]
    return ref["number"] or ref["title"]


def ops_text(change: dict, op: str) -> str:
    return " ".join(o["text"] for o in change["ops"] if o["op"] == op)


@pytest.fixture(scope="module")
def session(corpus_engine):
    with read_session(corpus_engine) as s:
        yield s


def test_3_0_to_3_1(session) -> None:
    r = redlines.compare(session, RSP, "3.0", "3.1")
    assert {"policy", "from", "to", "summary", "changes", "audit"} <= set(r)
    ch = {clause_key(c): c for c in r["changes"]}
    sec1 = ch["1"]
    assert sec1["kind"] == "modified"
    assert "compress two years of 2018" in ops_text(sec1, "delete")
    assert "into a single year" in ops_text(sec1, "delete")
    assert "double the rate of" in ops_text(sec1, "insert").lower()
    assert ch["3.6"]["kind"] == "modified" and ch["3.1"]["kind"] == "modified"
    assert "covered by a prior Risk" in ops_text(ch["3.1"], "insert")
    print("3.0 -> 3.1 summary:", r["summary"])
    assert r["summary"]["modified"] <= 10 and r["summary"]["moved"] == 0
    for c in r["changes"]:
        assert set(c) >= {"kind", "from_clause", "to_clause", "similarity", "ops"}
        assert c["kind"] in ("added", "removed", "modified", "moved", "renumbered")
        assert all(o["op"] in ("equal", "insert", "delete") for o in c["ops"])


def test_audit_3_0_to_3_1(session) -> None:
    audit = redlines.compare(session, RSP, "3.0", "3.1")["audit"]
    by = {c["clause"]: c for c in audit["changes"]}
    assert by["1"]["accounted"] and 1 in by["1"]["items"]
    assert by["3.4"]["accounted"] and 2 in by["3.4"]["items"]
    unmentioned = {u["clause"] for u in audit["unmentioned"]}
    assert {"3.1", "3.6"} <= unmentioned, audit["unmentioned"]
    # At the top of the standalone HTML, as candidates: the audit matches words, not meaning.
    page = redlines.render_html(redlines.compare(session, RSP, "3.0", "3.1"))
    top = page.split('<section class="audit">', 1)[1].split("</section>", 1)[0]
    assert "candidate for an unannounced change" in top
    # Each named with its title and linked to its redline below, as the compare page does.
    assert '<li><a href="#change-6">3.6 External Review</a> (modified, substantive)</li>' in top
    assert '<section id="change-6"><h2><span class="kind">modified</span> 3.6 External Review' in page
    assert '<p class="pages">Changelog: not mentioned (substantive)</p>' in page.split('id="change-6"')[1]


def test_3_3_to_3_4_agrees_with_changelog(session) -> None:
    audit = redlines.compare(session, RSP, "3.3", "3.4")["audit"]
    assert len(audit["items"]) == 5
    assert not audit["items_without_change"], audit["items"]
    by = {c["clause"]: c for c in audit["changes"]}
    assert 1 in by["1"]["items"] and 3 in by["3.1"]["items"]
    print("3.3 -> 3.4 unmentioned:", [u["clause"] for u in audit["unmentioned"]])


def test_audit_across_several_revisions_uses_each_revisions_entry(session) -> None:
    """3.0 -> 3.4 spans four revisions: the 3.1 entry accounts for the section 1 threshold change,
    which the 3.4 entry alone never mentions."""
    audit = redlines.compare(session, RSP, "3.0", "3.4")["audit"]
    assert [e["title"][-10:] for e in audit["entries"]] == ["(RSP v3.1)", "(RSP v3.2)", "(RSP v3.3)", "(RSP v3.4)"]
    assert audit["entry"]["title"].endswith("(RSP v3.4)")
    by = {c["clause"]: c for c in audit["changes"]}
    from_31 = {i["n"] for i in audit["items"] if i["entry"].endswith("(RSP v3.1)")}
    assert from_31 & set(by["1"]["items"]), by["1"]
    consecutive = redlines.compare(session, RSP, "3.3", "3.4")["audit"]
    assert [e["title"] for e in consecutive["entries"]] == [consecutive["entry"]["title"]]
    assert audit["counts"]["unmentioned"] < len(audit["changes"]) // 2


@pytest.mark.parametrize("older", ["3", "v3", "3.0.0"])
def test_a_version_labelled_without_its_zero_is_audited_by_the_next_entry_only(session, older: str) -> None:
    """An archive may label 3.0 "3": its own changelog entry "(RSP v3.0)" is no revision after it."""
    from archive.diff import redline as rl

    a, b = storage.clauses(session, RSP, "3.0"), storage.clauses(session, RSP, "3.1")
    audit = rl.compute(RSP, {"label": older}, {"label": "3.1"}, a, b)["audit"]
    assert [e["title"][-10:] for e in audit["entries"]] == ["(RSP v3.1)"]
    assert {u["clause"] for u in audit["unmentioned"]} == {"3.1", "3.6"}


@pytest.mark.parametrize(("a", "b"), [("2.2", "3.0"), ("1.0", "3.4")])
def test_rewrites_complete_and_render(session, a: str, b: str) -> None:
    r = redlines.compare(session, RSP, a, b, changed_only=False)
    ca, cb = storage.clauses(session, RSP, a), storage.clauses(session, RSP, b)
    ghosts_a, ghosts_b = _ghosts(ca), _ghosts(cb)
    assert {c["from_clause"]["id"] for c in r["changes"] if c["from_clause"]} == set(range(len(ca))) - ghosts_a
    assert {c["to_clause"]["id"] for c in r["changes"] if c["to_clause"]} == set(range(len(cb))) - ghosts_b
    html = redlines.render_html(r)
    assert html.startswith("<!doctype html>") and "<ins>" in html and "<del>" in html
    assert redlines.render_text(r).startswith("--- ")


def test_every_version_against_itself(session) -> None:
    for v in storage.list_versions(session, RSP):
        r = redlines.compare(session, RSP, v.label, v.label)
        assert r["changes"] == [] and sum(r["summary"][k] for k in redlines.rl.KINDS) == 0, v.label


def test_dates_resolve_and_clause_filter(session) -> None:
    by_date = redlines.compare(session, RSP, "2026-03-01", "2026-04-10")
    assert by_date["from"]["label"] == "3.0" and by_date["to"]["label"] == "3.1"
    one = redlines.compare(session, RSP, "3.0", "3.1", clause="3.6")
    assert [clause_key(c) for c in one["changes"]] == ["3.6"]


def test_cache_is_a_lookup(corpus_engine) -> None:
    with transaction(corpus_engine) as s:
        redlines.compare(s, RSP, "3.1", "3.2")
    with read_session(corpus_engine) as s:
        va, vb = storage.get_version(s, RSP, "3.1"), storage.get_version(s, RSP, "3.2")
        assert storage.get_redline(s, redlines.redline_key(RSP, va, vb)) is not None
        t0 = time.perf_counter()
        redlines.compare(s, RSP, "3.1", "3.2")
        assert time.perf_counter() - t0 < 0.5


def test_history_follows_the_clause(session) -> None:
    h = histories.clause_history(session, RSP, "3.6")
    labels = [e["version"] for e in h["versions"]]
    assert labels[-1] == "3.4" and "3.0" in labels
    by = {e["version"]: e for e in h["versions"]}
    assert by["3.1"]["change"]["kind"] == "modified"
    lineages = {e["clause"]["lineage"] for e in h["versions"]}
    assert len(lineages) == 1 and None not in lineages


def test_history_of_an_older_clause_whose_number_was_reused(session) -> None:
    """2.2's §2 (Capability Thresholds) is not 3.0's §2 (Frontier Safety Roadmap): named with its
    version, the history is 2.2's clause; without one, the latest clause of that number."""
    older = histories.clause_history(session, RSP, "2", "2.2")
    assert older["looked_up_in"] == "2.2" and older["removed_in"] == "3.0"
    assert {e["clause"]["title"] for e in older["versions"]} == {"Capability Thresholds and Required Safeguards"}
    assert histories.clause_history(session, RSP, "2", "2025-06-01")["versions"] == older["versions"]  # a date
    latest = histories.clause_history(session, RSP, "2")
    assert latest["looked_up_in"] == "3.4" and latest["versions"][0]["clause"]["title"] == "Frontier Safety Roadmap"
    # Added in 3.0: against what, so "added" does not read as "first written then".
    assert latest["versions"][0]["change"].items() >= {"kind": "added", "previous_version": "2.2"}.items()
    # A numbered clause named by its title, as `show --clause` takes it.
    assert histories.clause_history(session, RSP, "External Review")["versions"][-1]["clause"]["number"] == "3.6"
    with pytest.raises(ClauseNotFound):
        histories.clause_history(session, RSP, "9", "2.2")
    with pytest.raises(VersionNotFound):
        histories.clause_history(session, RSP, "2", "9.9")


def test_history_names_what_changed_under_a_clause_whose_own_text_did_not(session) -> None:
    """The Changelog heading has no text of its own; each version adds an entry under it."""
    steps = {e["version"]: e["change"] for e in histories.clause_history(session, RSP, "Changelog")["versions"]}
    assert steps["3.4"]["kind"] == "unchanged"
    assert steps["3.4"]["within"] == [
        {"number": "", "title": "July 8, 2026 (RSP v3.4)", "kind": "added", "placement": None}]
    below = {e["version"]: e["change"]["within"] for e in histories.clause_history(session, RSP, "3.6")["versions"]}
    assert [w["number"] for w in below["3.4"]] == ["3.6.2"] and below["3.3"] == []


def test_the_changelogs_history_reaches_1_0s_version_history(session) -> None:
    """1.0 keeps its one line of history as "Version History" under Appendices; 2.0 on, a top-level
    "Changelog" of dated entries: one clause, retitled, not one removed and another added."""
    steps = histories.clause_history(session, RSP, "Changelog")["versions"]
    first = [(e["version"], e["clause"]["title"]) for e in steps[:2]]
    assert first == [("1.0", "Version History"), ("2.0", "Changelog")]
    assert steps[1]["change"]["kind"] == "modified"
    older = histories.clause_history(session, RSP, "Version History", "1.0")
    assert older["removed_in"] is None and older["versions"][-1]["version"] == "3.4"
    red = redlines.compare(session, RSP, "1.0", "2.0", clause="Changelog")
    (log,) = [c for c in red["changes"] if c["from_clause"]]
    assert (log["from_clause"]["title"], log["to_clause"]["title"], log["relation"]) == (
        "Version History", "Changelog", "retitled")


def test_history_says_a_renumbered_clause_was_retitled_too(session, corpus_env, cli) -> None:
    """2.2's §7.1 "Internal Governance" is 3.0's §4 "Governance": renumbered and retitled."""
    steps = {e["version"]: e for e in histories.clause_history(session, RSP, "4")["versions"]}
    assert (steps["3.0"]["change"]["kind"], steps["3.0"]["change"]["relation"]) == ("renumbered", "retitled")
    assert steps["3.2"]["change"]["relation"] is None
    line = next(x for x in cli("history", RSP, "4").stdout.splitlines() if x.startswith("3.0 "))
    assert "4 Governance  (p. 15)  renumbered, retitled: +" in line, line


def test_cli_history_names_an_entry_of_another_version(corpus_env, cli) -> None:
    """2.0 -> 2.2 spans the unarchived 2.1: an item of 2.2's changelog entry for 2.1 says so."""
    out = cli("history", RSP, "5", "--version", "2.2")
    assert out.exit_code == 0, out.output
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("2.2 "))
    assert "(entry 'March 31, 2025 (RSP v2.1)')" in line
    assert "within it: 3.6.2 Timing and access modified" in cli("history", RSP, "3.6").stdout


def test_a_change_names_its_best_matching_item_first(session) -> None:
    """3.4 §3.6.2's new text on splitting a Risk Report among external reviewers is item 5's ("external
    review ... multiple external reviewers"); item 2 (sharing with 200 staff) matches it more weakly."""
    said = {e["version"]: e["change"]["changelog"]
            for e in histories.clause_history(session, RSP, "3.6.2")["versions"]}
    assert [i["n"] for i in said["3.4"]["items"]][0] == 5


def test_history_says_what_each_changelog_says_of_each_step(session) -> None:
    """The audit of each consecutive redline, for this clause: the issue's own examples."""
    said = {e["version"]: e["change"]["changelog"] for e in histories.clause_history(session, RSP, "1")["versions"]}
    assert said["3.1"]["accounted"] and [i["n"] for i in said["3.1"]["items"]] == [1]
    assert said["3.1"]["items"][0]["text"].startswith("how we operationalize the Automated R&D capability threshold")
    assert said["3.1"]["items"][0]["entry"] == "April 2, 2026 (RSP v3.1)"
    assert said["3.2"] is None  # unchanged: nothing to audit
    assert said["3.0"]["items"][0]["text"].startswith("This update is a comprehensive rewrite")
    unmentioned = histories.clause_history(session, RSP, "3.6")["versions"]
    step = next(e["change"]["changelog"] for e in unmentioned if e["version"] == "3.1")
    assert step == {"nature": "substantive", "accounted": False, "items": [], "editorial_note": False}
    # A clause removed later: the removal is audited too (2.2's Executive Summary went in the 3.0 rewrite).
    gone = histories.clause_history(session, RSP, "Executive Summary")
    assert gone["removed_in"] == "3.0"
    assert gone["removal_changelog"]["items"][0]["text"].startswith("This update is a comprehensive rewrite")


def test_cli_diff_formats(corpus_env, cli) -> None:
    r = cli("diff", RSP, "3.0", "3.1", "--format", "json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["summary"]["modified"] >= 3
    html = cli("diff", RSP, "3.0", "3.1", "--format", "html")
    assert "<del>" in html.output and "Changelog audit" in html.output
    text = cli("diff", RSP, "3.0", "3.1", "--clause", "3.6")
    assert text.exit_code == 0 and "@@ modified: 3.6" in text.output
    assert "\nnote: Limited to clause 3.6 and what it aligns with.\n" in text.output
    # An item the audit found no change for is listed, as the HTML lists it.
    noncompliance = cli("diff", "anthropic-rsp-noncompliance", "2025-12", "2026-02", "--width", "0").output
    assert "\n  no change for: item 3: align with RSP Version 3.0.\n" in noncompliance
    assert "no change for:" not in text.output
    cited = cli("diff", RSP, "3.0", "3.1", "--clause", "§ 3.6").output  # named as a citation names it
    assert "\nnote: Limited to clause 3.6 and what it aligns with.\n" in cited
    # A number the older version gives to another clause: said, with what became of that one.
    other = cli("diff", RSP, "2.2", "3.0", "--clause", "3.1", "--width", "0").output
    assert "\nnote: In 2.2, clause 3.1 (Preliminary Assessment) is a different clause; it was removed in 3.0.\n" \
        in other
    one = cli("diff", RSP, "3.0", "3.1", "--clause", "3.6", "--format", "html").output
    assert "<title>Responsible Scaling Policy: 3.0 → 3.1, clause 3.6</title>" in one
    assert cli("diff", RSP, "3.0", "3.1", "--all", "-f", "json").output.count('"unchanged"') > 1


def test_cli_history_and_errors(corpus_env, cli) -> None:
    r = cli("history", RSP, "3.6")
    assert r.exit_code == 0 and "3.4" in r.output
    line = next(ln for ln in r.output.splitlines() if ln.startswith("3.1 "))
    assert line.endswith("modified: +13 / -97 words; substantive, not in the changelog"), line
    line = next(ln for ln in cli("history", RSP, "3.4").output.splitlines() if ln.startswith("3.1 "))
    assert line.endswith("; substantive, changelog item 2: how we use internal feedback on Risk Reports"), line
    assert json.loads(cli("history", RSP, "3.6", "--json").output)["versions"]
    for args in (("diff", RSP, "3.0", "9.9"), ("diff", "nope", "1", "2"), ("history", RSP, "99.99"),
                 ("diff", RSP, "2001-01-01", "3.1")):
        bad = cli(*args)
        assert bad.exit_code != 0 and "error:" in bad.output and "Traceback" not in bad.output


# --- what the changelogs leave out -------------------------------------------------------------------


def test_unannounced_lists_what_each_revisions_changelog_leaves_out(session) -> None:
    report = unannounced.unannounced(session, RSP)
    revisions = {(r["from"]["label"], r["to"]["label"]): r for r in report["revisions"]}
    assert list(revisions)[0] == ("3.3", "3.4") and len(revisions) == 7  # newest first, every revision
    r31 = revisions[("3.0", "3.1")]
    assert r31["entries"] == ["April 2, 2026 (RSP v3.1)"]
    assert [(u["clause"], u["nature"]) for u in r31["unmentioned"]] == [("3.1", "substantive"), ("3.6", "substantive")]
    s36 = r31["unmentioned"][1]
    assert (s36["inserted_words"], s36["deleted_words"]) == (13, 97)
    assert s36["inserted"].startswith("that it crosses the threshold for automated AI R&D")
    assert len(s36["deleted"].split()) <= unannounced.EXCERPT_WORDS + 2 and s36["deleted"].endswith("…")
    # `change` is the change's number in the pair's redline of changed clauses (the compare page's anchor).
    changes = redlines.compare(session, RSP, "3.0", "3.1")["changes"]
    assert changes[s36["change"] - 1]["to_clause"]["number"] == "3.6"
    assert s36["ops"] == changes[s36["change"] - 1]["ops"]
    # Each revision lists exactly what its audit leaves unmentioned; the totals add up.
    for (a, b), r in revisions.items():
        audit = redlines.compare(session, RSP, a, b)["audit"]
        assert [u["clause"] for u in r["unmentioned"]] == [u["clause"] for u in audit["unmentioned"]]
    assert report["counts"]["unmentioned"] == sum(len(r["unmentioned"]) for r in revisions.values()) == 12


def test_unannounced_of_an_unknown_policy_is_an_error(session) -> None:
    from archive.errors import PolicyNotFound

    with pytest.raises(PolicyNotFound):
        unannounced.unannounced(session, "no-such-policy")


def test_unannounced_command(corpus_env, cli) -> None:
    result = cli("unannounced", RSP)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = lines.index("3.0 -> 3.1  2 of 7 changed clauses not mentioned in April 2, 2026 (RSP v3.1)")
    assert lines[at + 1] == "  3.1  modified, substantive: +9 / -5 words"
    assert lines[at + 2] == "    + models that are covered by a prior Risk Report."
    assert max(len(line) for line in lines if line.startswith("    ")) <= redlines.TEXT_WIDTH  # quotes wrap
    assert lines[-1].startswith("7 substantive and 5 editorial changes not mentioned")
    data = json.loads(cli("unannounced", RSP, "--json").stdout)
    assert data["counts"]["unmentioned"] == 12
    bad = cli("unannounced", "no-such-policy")
    assert bad.exit_code != 0 and bad.output.strip().count("\n") == 0 and "no-such-policy" in bad.output


def test_history_names_the_other_clauses_its_number_names(session) -> None:
    latest = histories.clause_history(session, RSP, "2")
    thresholds = "Capability Thresholds and Required Safeguards"
    assert [(o["version"], o["title"]) for o in latest["elsewhere"]] == [("2.0", thresholds), ("2.2", thresholds)]
    older = histories.clause_history(session, RSP, "2", "2.2")
    assert [o["version"] for o in older["elsewhere"]] == ["3.0", "3.1", "3.2", "3.3", "3.4"]
    assert histories.clause_history(session, RSP, "3.6")["elsewhere"] == []


def test_history_within_says_what_moved_out_from_under_a_heading(session) -> None:
    """1.0's "Version History" stood under "Appendices"; 2.0's "Changelog" is top-level: it moved out
    of 2.0's Appendices, it did not change within them. The removed 1.0 appendices did."""
    h = histories.clause_history(session, RSP, "Appendices", "2.0")
    within = next(e for e in h["versions"] if e["version"] == "2.0")["change"]["within"]
    by = {w["title"]: w for w in within}
    assert by["Changelog"]["placement"] == "moved out"
    assert by["Tasks"]["kind"] == "removed" and by["Tasks"]["placement"] is None
    assert by["Glossary"]["kind"] == "added" and by["Glossary"]["placement"] is None


def test_a_span_audit_keeps_what_each_revision_left_unannounced(session) -> None:
    """3.0 -> 3.4 at once: §3.6 changed silently in 3.1 and, announced, in 3.2; the span's own match
    credited it to 3.2's item and read "every changed clause is accounted for", while the audit of
    3.0 -> 3.1 lists §3.1 and §3.6 as not mentioned."""
    audit = redlines.compare(session, RSP, "3.0", "3.4")["audit"]
    silent = {u["clause"]: [r["version"] for r in u["unannounced_in"]] for u in audit["unmentioned"]}
    # 3.2's silent "the" in §3.1 stood in a sentence 3.3 deleted: not part of 3.0 -> 3.4's change.
    assert silent == {"3.1": ["3.1"], "3.6": ["3.1"]}
    assert audit["counts"]["unmentioned"] == 2
    assert not next(c for c in audit["changes"] if c["clause"] == "3.6")["accounted"]
    # One revision: its own audit, unchanged.
    one = redlines.compare(session, RSP, "3.0", "3.1")["audit"]
    assert {u["clause"] for u in one["unmentioned"]} == {"3.1", "3.6"} and "unannounced_in" not in one["unmentioned"][0]
    # Limited to a clause, the span keeps it.
    limited = redlines.compare(session, RSP, "3.0", "3.4", clause="3.6")["audit"]
    assert [u["clause"] for u in limited["unmentioned"]] == ["3.6"]


def test_a_silent_edit_a_later_revision_undid_is_no_part_of_a_span(session) -> None:
    """3.2 inserted "the" in §3.1 ("affect or change the analysis") without its changelog saying so;
    3.3 deleted that sentence, announced. Up to 3.2 the edit stands; from 3.1 to 3.3 or 3.4 nothing of it
    is left, so §3.1 is accounted for by 3.3's and 3.4's items. 3.1's silent "models that are covered by
    a prior Risk Report", which 3.3 reworded to "models covered by ...", still stands in 2.0 -> 3.4."""
    def silent(a: str, b: str) -> dict[str, list[str]]:
        audit = redlines.compare(session, RSP, a, b)["audit"]
        return {u["clause"]: [r["version"] for r in u["unannounced_in"]] for u in audit["unmentioned"]}

    assert silent("2.2", "3.2")["3.1"] == ["3.1", "3.2"]  # §3.1 added in the span: all of it stands
    # Modified in the span: 3.2's "affect or change the analysis in the" stands, though the next item of
    # 3.0's §3.1 already read so (the phrase is there once more, not there for the first time).
    assert silent("3.0", "3.2")["3.1"] == ["3.1", "3.2"]
    for b in ("3.3", "3.4"):
        assert "3.1" not in silent("3.1", b), b
        change = next(c for c in redlines.compare(session, RSP, "3.1", b)["audit"]["changes"] if c["clause"] == "3.1")
        assert change["accounted"] and change["items"] and change["unannounced_in"] == []
    assert silent("2.0", "3.4")["3.1"] == ["3.1"]
    assert silent("1.0", "3.4")["3.1"] == ["3.1"]


def test_survival_of_edits_unit() -> None:
    from archive.diff.changelog.survival import stands

    def ops(*pairs: tuple[str, str]) -> list[dict]:
        return [{"op": op, "text": text} for op, text in pairs]

    step = ops(("equal", "We may affect or change "), ("insert", "the "),
               ("equal", "analysis in the Risk Report. Next."))
    kept = ops(("delete", "We may affect or change analysis in the Risk Report."),
               ("insert", "We may affect or change the analysis in the Risk Report."), ("equal", " Next."))
    assert stands(step, kept)
    undone = ops(("delete", "We may affect or change analysis in the Risk Report."), ("insert", "Other text."),
                 ("equal", " Next."))
    assert not stands(step, undone)
    # The same words stand elsewhere in the clause: the edit stands if they are there more often now.
    twice = ops(("equal", "It may affect or change the analysis in the Risk Report. "),
                ("delete", "We may affect or change analysis in the Risk Report."),
                ("insert", "We may affect or change the analysis in the Risk Report."), ("equal", " Next."))
    assert stands(step, twice)
    once = ops(("equal", "It may affect or change the analysis in the Risk Report. "),
               ("delete", "We may affect or change analysis in the Risk Report."), ("insert", "Other."))
    assert not stands(step, once)
    # A longer insertion partly reworded later still stands on four of its words in a row.
    long_step = ops(("equal", "beyond those posed by "), ("insert", "models that are covered by a prior Risk Report. "),
                    ("equal", "While there are"))
    reworded = ops(("insert", "significantly exceed those posed by models covered by a prior Risk Report. "),
                   ("equal", "While there are"))
    assert stands(long_step, reworded)
    # A deletion stands while its words are in the older text and not the newer.
    cut = ops(("equal", "risks "), ("delete", "above and "), ("equal", "beyond those posed"))
    longer, shorter = "pose significant risks above and beyond those posed", "pose risks"
    assert stands(cut, ops(("delete", longer), ("insert", shorter)))
    assert not stands(cut, ops(("delete", shorter), ("insert", longer)))
    assert stands(ops(("insert", "[^3]")), undone)  # nothing to find: in doubt, it stands


def test_cli_span_diff_names_the_silent_revision(corpus_env, cli) -> None:
    out = cli("diff", RSP, "3.0", "3.4").stdout
    assert "not in changelog: 3.6 External Review (modified, substantive); not announced in version 3.1\n" in out
    # What was checked, against which entries, and how many the changelogs leave out, in one line.
    assert ("changelog audit: 12 changed clauses checked (10 substantive, 2 editorial) against the 4 entries "
            "from “April 2, 2026 (RSP v3.1)” to “July 8, 2026 (RSP v3.4)”; 2 changed by a revision whose "
            "changelog does not mention them") in " ".join(out.split())


def test_a_span_quotes_an_item_as_the_revision_that_made_it_prints_it(session) -> None:
    """3.4's copy of 2.0's entry lost spaces ("RSP-2024:This ... andnuanced"); 2.0's own has them, and
    the span 1.0 -> 3.4 quotes it so. An item no revision in between prints otherwise stays as it is."""
    items = redlines.compare(session, RSP, "1.0", "3.4")["audit"]["items"]
    assert items[0]["text"].startswith("RSP-2024: This update introduces a more flexible and nuanced approach")
    assert items[5]["text"].startswith("Adjusted evaluation cadence: We adjusted the comprehensive assessment")
    newest = redlines.compare(session, RSP, "3.3", "3.4")["audit"]["items"]
    assert [i["text"] for i in items if i["entry"] == newest[0]["entry"]] == [i["text"] for i in newest]


def test_a_span_credits_each_change_with_its_own_revisions_items(session) -> None:
    """Matched at once, 3.0 -> 3.4 gave §3.5 3.2's item on LTBT briefings; §3.5 changed only in 3.4.
    And 2.0's Executive Summary, removed in 3.0's rewrite, took 3.3 and 3.4 items."""
    audit = redlines.compare(session, RSP, "3.0", "3.4")["audit"]
    entry = {i["n"]: i["entry"] for i in audit["items"]}
    three_five = next(c for c in audit["changes"] if c["clause"] == "3.5")
    assert three_five["items"] and {entry[n] for n in three_five["items"]} == {"July 8, 2026 (RSP v3.4)"}
    rewrite = redlines.compare(session, RSP, "2.0", "3.4")["audit"]
    entry = {i["n"]: i for i in rewrite["items"]}
    gone = next(c for c in rewrite["changes"] if c["clause"] == "Executive Summary")
    assert [entry[n]["text"][:40] for n in gone["items"]] == ["This update is a comprehensive rewrite o"]
    # Limited to a heading with no text of its own, a view shows what changed under it.
    # 1.0's clauses went in 2.0, whose entry's items 3.4's changelog words otherwise: still 2.0's only.
    early = redlines.compare(session, RSP, "1.0", "3.4")["audit"]
    entry = {i["n"]: i["entry"] for i in early["items"]}
    credited = {entry[n] for c in early["changes"] if c["clause"] == "Sources of Catastrophic Risk" for n in c["items"]}
    assert credited == {"October 15, 2024 (RSP v2.0)"}
    # Numbers are reused: 2.0's §1 (Background) is no part of 3.4's §1, which 3.0 added.
    first = redlines.compare(session, RSP, "2.0", "3.4", clause="1")["changes"]
    assert [(c["kind"], c["to_clause"]["title"]) for c in first] == [
        ("added", "Our Recommendations for Industry-Wide Safety")]
    log = redlines.compare(session, RSP, "3.0", "3.4", clause="Changelog")
    assert log["summary"]["added"] == 4
    assert redlines.compare(session, RSP, "3.0", "3.1", clause="2")["summary"]["unchanged"] == 1


def test_a_read_only_archive_keeps_a_computed_redline_in_memory_and_does_not_warn(corpus_settings, caplog) -> None:
    """The API's engine takes no writes (SQLite query_only, PostgreSQL default_transaction_read_only):
    a pair never stored is kept in memory, told by the database's error code, with no warning."""
    import logging

    from archive.db.engine import make_engine

    engine = make_engine(corpus_settings, read_only=True)
    try:
        with caplog.at_level(logging.INFO, logger="archive.services.redlines"), read_session(engine) as s:
            # Backwards, and asked by no other test: never stored, not yet in this process's memory.
            held, va, vb = redlines.resolve_pair(s, RSP, "3.3", "2.0")
            key = redlines.redline_key(RSP, va, vb)
            assert storage.get_redline(s, key) is None and key not in redlines._memo
            red = redlines.compare_versions(s, RSP, va, vb, held)
    finally:
        engine.dispose()
    assert red["summary"]["modified"] > 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert any("not stored" in r.getMessage() for r in caplog.records)
    assert key in redlines._memo
