"""CLI edge cases: odd paths, conflicting dates, usage errors, out-of-range pages, show by title or
date, export names, --clause and the changelog audit. Every refusal is one line and stores nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil

import pytest

from archive.db import storage
from archive.db.engine import make_engine
from tests.conftest import RSP_PDFS, WILD, archive_counts, one_error_line, read_archive, run_sql

RSP = "anthropic-rsp"
V34 = RSP_PDFS / "rsp-v3.4_2026-07-08.pdf"
MALFORMED = WILD / "malformed-from-issue-932.pdf"  # one page, extracts cleanly despite its name
SIMPLE = WILD / "simple1.pdf"


def _ingest(cli, path, label: str, effective: str, *extra: str):
    return cli("ingest", str(path), "--policy", "demo", "--version", label, "--effective", effective, *extra)


# --- 1. paths that are not readable files ---------------------------------------------------------


def _odd_path(tmp_path, kind: str):
    if kind == "folder":
        return tmp_path, "is a folder, not a file"
    if kind == "missing":
        return tmp_path / "nope.pdf", "file not found"
    if kind == "under-a-file":
        (tmp_path / "plain").write_text("x")
        return tmp_path / "plain" / "x.pdf", "cannot read"
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe.pdf")  # reading it would block forever
        return tmp_path / "pipe.pdf", "not a regular file"
    path = tmp_path / "locked.pdf"
    shutil.copy(SIMPLE, path)
    path.chmod(0)
    return path, "cannot read (Permission denied)"


@pytest.mark.parametrize(
    "kind",
    [
        "folder",
        "missing",
        "under-a-file",
        pytest.param("fifo", marks=pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")),
        pytest.param(
            "unreadable", marks=pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
        ),
    ],
)
def test_ingest_odd_paths_are_one_line(fresh_env, cli, tmp_path, kind):
    path, needle = _odd_path(tmp_path, kind)
    result = _ingest(cli, path, "9", "2024-01-01")
    assert result.exit_code == 1
    line = one_error_line(result)
    assert str(path) in line and needle in line
    assert archive_counts(fresh_env)["versions"] == 0


# --- 2. one effective date, one version ------------------------------------------------------------


def test_second_version_on_a_taken_date_is_refused(fresh_env, cli):
    shutil.copy(V34, fresh_env.versions_dir / RSP / V34.name)
    assert cli("ingest", "--policy", RSP, "--version", "3.4").exit_code == 0
    before = archive_counts(fresh_env)
    result = cli("ingest", str(V34), "--policy", RSP, "--version", "3.5", "--effective", "2026-07-08")
    assert result.exit_code == 1
    assert "anthropic-rsp: 3.4 already takes effect on 2026-07-08" in one_error_line(result)
    assert archive_counts(fresh_env) == before
    in_force = read_archive(fresh_env, lambda s: storage.version_in_force(s, RSP, dt.date(2026, 7, 8)).label)
    assert in_force == "3.4"
    # The same label again is a re-ingest, not a second version on that date.
    assert "unchanged" in cli("ingest", "--policy", RSP, "--version", "3.4").stdout


def test_replacing_a_label_keeps_its_own_date(fresh_env, cli):
    assert _ingest(cli, SIMPLE, "1", "2024-01-01").exit_code == 0
    replaced = _ingest(cli, MALFORMED, "1", "2024-01-01", "--replace")
    assert replaced.exit_code == 0 and "demo@1: replaced" in replaced.stdout
    # ...but may not move onto another version's date.
    assert _ingest(cli, SIMPLE, "2", "2024-06-01").exit_code == 0
    moved = _ingest(cli, SIMPLE, "1", "2024-06-01", "--replace")
    assert moved.exit_code == 1 and "demo: 2 already takes effect on 2024-06-01" in one_error_line(moved)


def test_a_title_with_one_file_names_only_a_new_policy(fresh_env, cli):
    """--title with a file of an archived policy would retitle every citation of its other versions."""
    assert _ingest(cli, SIMPLE, "1", "2024-01-01", "--title", "Demo Policy").exit_code == 0
    before = archive_counts(fresh_env)
    result = _ingest(cli, SIMPLE, "2", "2024-06-01", "--title", "Totally different")
    assert result.exit_code == 1
    assert "policy 'demo' is archived as 'Demo Policy': --title only names a new policy" in one_error_line(result)
    assert archive_counts(fresh_env) == before
    assert read_archive(fresh_env, lambda s: storage.get_policy(s, "demo").title) == "Demo Policy"
    assert _ingest(cli, SIMPLE, "2", "2024-06-01", "--title", "Demo Policy").exit_code == 0  # the same title: fine


def test_manifest_with_two_versions_on_one_date_is_refused(fresh_env, cli):
    folder = fresh_env.versions_dir / "demo"
    folder.mkdir()
    (folder / "versions.toml").write_text(
        '[policy]\nslug = "demo"\ntitle = "Demo"\n\n'
        '[[versions]]\nlabel = "1"\neffective = 2024-01-01\nfile = "a.pdf"\n\n'
        '[[versions]]\nlabel = "2"\neffective = 2024-01-01\nfile = "b.pdf"\n'
    )
    shutil.copy(SIMPLE, folder / "a.pdf")
    shutil.copy(MALFORMED, folder / "b.pdf")
    result = cli("ingest", "--policy", "demo")
    assert result.exit_code == 2  # a malformed manifest: what was given cannot be used
    assert "1 already takes effect on 2024-01-01" in one_error_line(result)
    assert archive_counts(fresh_env)["versions"] == 0


# --- 3. the same bytes under another date -----------------------------------------------------------


def test_same_bytes_with_another_date_is_refused_unless_replace(fresh_env, cli):
    assert _ingest(cli, MALFORMED, "1", "2024-01-01").exit_code == 0
    assert _ingest(cli, SIMPLE, "2", "2025-06-01").exit_code == 0
    before = archive_counts(fresh_env)
    refused = _ingest(cli, MALFORMED, "1", "2025-01-01")
    assert refused.exit_code == 1 and "unchanged" not in refused.stdout
    line = one_error_line(refused)
    assert "demo@1" in line and "2024-01-01" in line and "2025-01-01" in line and "--replace" in line
    assert archive_counts(fresh_env) == before
    effective = read_archive(fresh_env, lambda s: storage.get_version(s, "demo", "1").effective)
    assert effective == dt.date(2024, 1, 1)

    redated = _ingest(cli, MALFORMED, "1", "2025-01-01", "--replace")
    assert redated.exit_code == 0 and "demo@1: re-dated" in redated.stdout
    assert read_archive(fresh_env, lambda s: storage.get_version(s, "demo", "1").effective) == dt.date(2025, 1, 1)
    log = read_archive(fresh_env, lambda s: storage.extraction_log(s, "demo", "1"))
    assert [e["kind"] for e in log] == ["initial"]  # nothing was extracted again
    assert archive_counts(fresh_env)["snapshots"] == before["snapshots"]
    # Redlines show the new date, and the same request again changes nothing.
    assert "+++ demo 2 (2025-06-01)" in cli("diff", "demo", "1", "2").stdout
    assert "--- demo 1 (2025-01-01)" in cli("diff", "demo", "1", "2").stdout
    again = _ingest(cli, MALFORMED, "1", "2025-01-01")
    assert again.exit_code == 0 and "demo@1: unchanged" in again.stdout


# --- 4. usage errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("diff", RSP, "3.0", "3.1", "--format", "pdf"), "'pdf' is not one of"),
        (("serve", "--port", "0"), "--port"),
        (("serve", "--port", "70000"), "--port"),
        (("ingest", "--jobs", "0"), "--jobs"),
        (("search", "risk", "--page", "x"), "--page"),
        (("show",), "Missing argument"),
        (("nosuch",), "No such command"),
        (("--bogus",), "No such option"),
        (("db", "upgrade", "--bogus"), "No such option"),
        # Given empty, a filter would widen the command to every policy or version: refused.
        (("resolve", "double the rate of progress", "--policy", ""), "'--policy': is empty"),
        (("search", "risk", "--version", " "), "'--version': is empty"),
        (("ingest", "--policy", ""), "'--policy': is empty"),
        (("cite", RSP, "3.1", "--clause", ""), "'--clause': is empty"),
    ],
)
def test_usage_errors_are_one_line(corpus_env, cli, args, needle):
    result = cli(*args)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert needle in line and "--help" in line
    assert result.stdout == ""


def test_help_is_still_help(corpus_env, cli):
    assert cli("--help").exit_code == 0
    bare = cli()
    assert bare.exit_code == 2 and "Usage" in bare.output and "error:" not in bare.output


# --- 5. a page past the end ------------------------------------------------------------------------


def test_search_page_past_the_end_is_an_error(corpus_env, corpus_index, cli):
    pages = json.loads(cli("search", "risk", "--json").stdout)["pages"]
    assert pages > 1
    assert cli("search", "risk", "--page", str(pages)).exit_code == 0
    result = cli("search", "risk", "--page", "999")
    assert result.exit_code == 2
    assert f"page 999 is past the last page ({pages})" in one_error_line(result)
    assert result.stdout == ""
    assert cli("search", "zzqqxxnothing").stdout.strip() == "no matches"


def test_arguments_that_are_not_text_are_one_line(corpus_env, corpus_index, cli):
    """Bytes that are not UTF-8 reach Python's argv as lone surrogates: no character to search for."""
    for args in (("search", "risk \udcff"), ("resolve", "external review \udcff")):
        result = cli(*args)
        assert result.exit_code != 0, args
        assert "not valid text (character" in one_error_line(result)
        assert result.stdout == ""


# --- 6. show -----------------------------------------------------------------------------------------


def test_show_clause_by_title_of_a_numbered_clause(corpus_env, cli):
    by_title = cli("show", f"{RSP}@3.1", "--clause", "External Review")
    assert by_title.exit_code == 0, by_title.output
    assert by_title.stdout == cli("show", f"{RSP}@3.1", "--clause", "3.6").stdout


def test_a_clause_is_named_as_citations_give_it(corpus_env, cli):
    """"§3.6" and "Section 3.6" are 3.6; a title starting with a section sign is still a title."""
    plain = cli("show", f"{RSP}@3.1", "--clause", "3.6").stdout
    for cited in ("§3.6", "§ 3.6", "Section 3.6", "section 3.6."):
        result = cli("show", f"{RSP}@3.1", "--clause", cited)
        assert result.exit_code == 0 and result.stdout == plain, (cited, result.output)
    wrong = cli("show", f"{RSP}@3.1", "--clause", "§ External Review")
    assert wrong.exit_code == 1 and "§ External Review" in one_error_line(wrong)


def test_show_by_date_is_the_version_in_force(corpus_env, cli):
    result = cli("show", f"{RSP}@2026-05-01", "--clause", "3.6", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["version"] == "3.2"  # 3.2 took effect 2026-04-29, 3.3 on 2026-05-26
    early = cli("show", f"{RSP}@2001-01-01")
    assert early.exit_code == 1 and "no version in force on 2001-01-01" in one_error_line(early)


def test_show_outline_of_one_clause(corpus_env, cli):
    result = cli("show", f"{RSP}@3.1", "--outline", "--clause", "3.6")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("3.6 External Review")
    assert [ln.split()[0] for ln in lines[1:]] == ["3.6.1", "3.6.2", "3.6.3"]
    assert all(ln.startswith("  ") for ln in lines[1:])
    tree = json.loads(cli("show", f"{RSP}@3.1", "--outline", "--clause", "3.6", "--json").stdout)["clauses"]
    assert [c["number"] for c in tree] == ["3.6", "3.6.1", "3.6.2", "3.6.3"]


# --- 7. export names -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x.zip", "x.tar.gz", "x.tgz"])
def test_export_refuses_other_container_names(fresh_env, cli, tmp_path, name):
    result = cli("export", str(tmp_path / name))
    assert result.exit_code == 2
    assert "folder or a .tar file" in one_error_line(result)
    assert not (tmp_path / name).exists()


# --- 8. --clause limits the changelog audit too -----------------------------------------------------


def test_diff_clause_limits_the_audit(corpus_env, cli):
    result = cli("diff", RSP, "2.2", "3.0", "--clause", "7.1", "--format", "json")
    assert result.exit_code == 0, result.output
    audit = json.loads(result.stdout)["audit"]
    # 2.2's §7.1 "Internal Governance" is 3.0's §4 "Governance": the audit names it as 3.0 numbers it.
    assert [(c["clause"], c["kind"]) for c in audit["changes"]] == [("4", "renumbered")]
    assert {u["clause"] for u in audit["unmentioned"]} <= {"4"}


def test_check_citations_says_what_it_checked_when_nothing_was_cited(corpus_env, corpus_index, cli, tmp_path):
    cites = tmp_path / "cites.json"
    cites.write_text(json.dumps([
        {"quote": "compress two years of 2018", "policy": RSP},
        {"quote": "compress two years of 2018", "policy": RSP, "version": "3.0"},
    ]))
    result = cli("check-citations", str(cites))
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("[")]
    assert "None" not in result.stdout
    assert lines[0].startswith("[0] wrong    3.4 (any section): ")  # the latest was checked
    assert lines[1].startswith("[1] changed  3.0 1: ")  # found in §1 of the cited version


def test_diff_clause_by_title_as_show_takes_it(corpus_env, cli) -> None:
    # What names a clause for `show` names it for `diff` too.
    by_number = cli("diff", RSP, "3.0", "3.1", "--clause", "3.6", "--format", "json")
    by_title = cli("diff", RSP, "3.0", "3.1", "--clause", "External Review", "--format", "json")
    assert by_number.exit_code == by_title.exit_code == 0, by_title.stderr
    assert by_title.stdout == by_number.stdout


def test_search_of_an_empty_archive_finds_nothing(fresh_env, cli):
    """No version yet: the index has no segment at all, and a search says so instead of failing."""
    result = cli("search", "review")
    assert result.exit_code == 0 and result.stdout.strip() == "no matches", result.output
    assert cli("search", "--history", "review").exit_code == 0


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DATABASE_URL", "sqlite://", "in-memory SQLite database, which keeps nothing"),
        ("DATABASE_URL", "sqlite:///:memory:", "in-memory SQLite database, which keeps nothing"),
        ("DATABASE_URL", "mysql://someone@127.0.0.1/db", "needs the driver 'MySQLdb', which is not installed"),
        ("CORS_ORIGINS", "not json", 'bad setting: error parsing value for field "cors_origins"'),
    ],
)
def test_settings_that_cannot_work_are_one_line(fresh_env, cli, monkeypatch, name, value, says):
    """An in-memory database would take an ingest and lose it at exit; the others failed in tracebacks."""
    monkeypatch.setenv(f"POLICY_ARCHIVE_{name}", value)
    result = cli("versions")
    assert result.exit_code == 2 and says in one_error_line(result)


def test_a_citations_file_that_cannot_be_citations_is_one_line(corpus_env, cli, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (4 * 2**20 + 1))
    for path, says in ((deep, "nested too deeply"), (big, "larger than 4 MB"), ("", "no citations file given")):
        result = cli("check-citations", str(path))
        assert result.exit_code == 2 and says in one_error_line(result), result.output


def test_a_label_spelled_as_another_day_is_refused(fresh_env, cli):
    result = _ingest(cli, SIMPLE, "2024-05-01", "2024-01-01")
    assert result.exit_code != 0
    assert "label '2024-05-01' is a date but not the version's effective date" in one_error_line(result)
    assert archive_counts(fresh_env)["versions"] == 0
    assert _ingest(cli, SIMPLE, "2024-01-01", "2024-01-01").exit_code == 0  # its own day is a fine label


def test_an_error_echoing_a_huge_argument_stays_short(corpus_env, cli):
    result = cli("versions", "x" * 100_000)
    assert result.exit_code != 0 and len(one_error_line(result)) <= len("error: ") + 400


def test_versions_names_what_the_changelog_names_but_the_archive_lacks(corpus_env, cli):
    out = cli("versions", "anthropic-rsp").stdout
    assert out.strip().splitlines()[-1] == "anthropic-rsp: not archived, though its newest changelog names them: 2.1"


def test_a_number_two_clauses_bear_is_refused_and_each_is_named_by_its_title(fresh_env, cli):
    """An extraction can give two clauses one number: `show`, `diff --clause` and `history` say so
    (naming both) rather than pick one unseen, and a title names each."""
    assert _ingest(cli, V34, "1", "2026-07-08").exit_code == 0
    run_sql(fresh_env, "UPDATE clauses SET number = '3.6.2' WHERE number = '3.6.1'")
    titles = read_archive(fresh_env, lambda s: [c.title for c in storage.clauses(s, "demo", "1")
                                                if c.number == "3.6.2"])
    assert len(titles) == 2
    before = archive_counts(fresh_env)
    for args in (("show", "demo@1", "--clause", "3.6.2"), ("diff", "demo", "1", "1", "--clause", "3.6.2"),
                 ("history", "demo", "3.6.2")):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        line = one_error_line(result)
        assert "has 2 clauses numbered '3.6.2'" in line and all(f"'{t}'" in line for t in titles), line
    assert archive_counts(fresh_env) == before
    for title in titles:
        shown = cli("show", "demo@1", "--clause", title)
        assert shown.exit_code == 0 and title in shown.stdout


def test_a_history_names_each_other_clause_of_a_duplicated_number(fresh_env, cli):
    """Version 1 gives 3.6.2 to two clauses: the history of version 0's §3.6.2 follows its own lineage
    and names the other one as another clause of that number."""
    assert _ingest(cli, RSP_PDFS / "rsp-v3.3_2026-05-26.pdf", "0", "2026-05-26").exit_code == 0
    assert _ingest(cli, V34, "1", "2026-07-08").exit_code == 0
    other = read_archive(fresh_env, lambda s: next(c.title for c in storage.clauses(s, "demo", "1")
                                                   if c.number == "3.6.1"))
    run_sql(fresh_env, "UPDATE clauses SET number = '3.6.2' WHERE number = '3.6.1' AND version_id = "
                       "(SELECT id FROM versions WHERE label = '1')")
    result = cli("history", "demo", "3.6.2", "--version", "0")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith(f"another clause in 1: 3.6.2 {other} (--version 1)")


def test_a_redline_the_database_cannot_store_is_served_and_said(fresh_env, cli, monkeypatch, caplog):
    """Another writer holding the archive past the timeout (SQLite: its write lock; PostgreSQL: a lock
    on the redlines table that still lets them be read): the redline is still printed, and a warning
    says it was not stored (each later request computes it again until it can be)."""
    import logging

    from sqlalchemy import text

    assert _ingest(cli, RSP_PDFS / "rsp-v3.3_2026-05-26.pdf", "3.3", "2026-05-26").exit_code == 0
    assert _ingest(cli, V34, "3.4", "2026-07-08").exit_code == 0

    def stored() -> int:
        return read_archive(fresh_env, lambda s: s.scalar(text(
            "SELECT count(*) FROM redlines JOIN versions ON versions.id = from_version_id "
            "WHERE versions.label = '3.4'")))

    engine = make_engine(fresh_env)
    writer = engine.connect()
    if engine.dialect.name == "sqlite":
        writer.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        writer.begin()
        writer.exec_driver_sql("LOCK TABLE redlines IN EXCLUSIVE MODE")
    monkeypatch.setenv("POLICY_ARCHIVE_DB_TIMEOUT_S", "0.2")  # PostgreSQL: a 6 s statement timeout
    try:
        with caplog.at_level(logging.WARNING, logger="archive.services.redlines"):
            held = cli("diff", "demo", "3.4", "3.3", "--format", "json")
    finally:
        writer.rollback()
        writer.close()
        engine.dispose()
    assert held.exit_code == 0 and json.loads(held.stdout)["summary"]["modified"] > 0
    assert any("demo 3.4 -> 3.3 not stored (OperationalError)" in r.getMessage() for r in caplog.records), caplog.text
    assert stored() == 0
    free = cli("diff", "demo", "3.4", "3.3", "--format", "json")
    assert free.exit_code == 0 and json.loads(free.stdout) == json.loads(held.stdout)
    assert stored() == 1


def test_an_empty_version_is_a_usage_error(corpus_env, cli):
    for args in (("diff", RSP, "", "3.1"), ("diff", RSP, "3.0", " "), ("history", RSP, "3.6", "--version", "")):
        result = cli(*args)
        assert result.exit_code == 2 and "empty" in one_error_line(result), args


def test_names_typed_with_spaces_or_control_characters(corpus_env, cli):
    """A version typed with spaces around it is that version, as a clause is (and as the pages take it).
    A control character in a name is a usage error, echoed escaped on one line; so is an empty slug."""
    spaced = cli("history", RSP, "3.6", "--version", " 3.4 ")
    assert spaced.exit_code == 0 and spaced.stdout.startswith("3.6 External Review, as numbered in 3.4")
    assert cli("diff", RSP, " 3.0", "3.1\t", "--clause", "3.6").exit_code == 0
    for args, shown in (
        (("history", RSP, "3.\n6"), r"'3.\n6'"),
        (("history", RSP, "3.6\x01"), r"'3.6\x01'"),
        (("diff", RSP, "3.0", "3.1", "--clause", "3.6\x1b[31m"), r"\x1b[31m"),
    ):
        result = cli(*args)
        assert result.exit_code == 2 and shown in one_error_line(result), (args, result.stderr)
    long = cli("history", RSP, "x" * 301)  # longer than any title the extractor makes (MAX_TITLE)
    assert long.exit_code == 2 and "x" * 100 not in one_error_line(long)  # and not echoed whole
    assert cli("history", RSP, "x" * 300).exit_code == 1  # as long as a title can be: looked for
    for odd in ("3.\u00856", "3.\u20286", "3.6\u009b"):  # C1 controls, a line separator
        refused = cli("history", RSP, odd)
        assert refused.exit_code == 2 and odd.encode("unicode_escape").decode() in one_error_line(refused)
    # A lookup that fails on a name with a line break in it still says so on one line.
    assert r"'3.\n1'" in one_error_line(cli("show", f"{RSP}@3.\n1"))
    empty = cli("history", "", "3.6")
    assert empty.exit_code == 2 and "empty policy slug" in one_error_line(empty)


def test_history_says_which_clause_a_reused_number_names(corpus_env, cli):
    """3.x's §2 is the Frontier Safety Roadmap; 2.0's and 2.2's §2 is another clause: the history of "2"
    says whose numbering it follows and how to ask for the other."""
    first = cli("history", RSP, "2").stdout.splitlines()[0]
    assert first == ("2 Frontier Safety Roadmap, as numbered in 3.4; another clause in 2.0, 2.2: "
                     "2 Capability Thresholds and Required Safeguards (--version 2.2)")
    older = cli("history", RSP, "2", "--version", "2.2").stdout.splitlines()[0]
    assert older.startswith("2 Capability Thresholds and Required Safeguards, as numbered in 2.2; "
                            "another clause in 3.0")
    assert cli("history", RSP, "3.6").stdout.splitlines()[0] == "3.6 External Review, as numbered in 3.4"
