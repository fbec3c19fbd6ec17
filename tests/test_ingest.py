"""Ingest through the CLI: the whole corpus, provenance, idempotence, re-extraction, replacement."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tomllib

import pytest

from archive.db import storage
from archive.db.engine import read_session
from tests.conftest import CORPUS, NONCOMPLIANCE_PDFS, RSP_PDFS, read_archive, run_sql

V31 = RSP_PDFS / "rsp-v3.1_2026-04-02.pdf"
V30 = RSP_PDFS / "rsp-v3.0_2026-02-24.pdf"


def _manifest_facts(slug: str) -> dict[str, dict]:
    data = tomllib.loads((CORPUS / slug / "manifest.toml").read_text())
    return {v["version"]: v for v in data["versions"]}


# --- the shared corpus archive (read-only) -----------------------------------------------------


@pytest.mark.parametrize("slug", ["anthropic-rsp", "anthropic-rsp-noncompliance"])
def test_every_version_ingested_with_manifest_page_count(corpus_engine, slug):
    facts = _manifest_facts(slug)
    with read_session(corpus_engine) as session:
        versions = storage.list_versions(session, slug)
    assert [v.label for v in versions] == list(facts)
    for v in versions:
        assert v.page_count == facts[v.label]["pages"], v.label
        assert v.effective == facts[v.label]["effective"]
        assert v.clause_count > 5


@pytest.mark.parametrize("slug", ["anthropic-rsp", "anthropic-rsp-noncompliance"])
def test_corpus_pdfs_are_never_claimed_as_originals(corpus_engine, slug):
    """The corpus PDFs are reconstructions: provenance says unverified and keeps both hashes."""
    facts = _manifest_facts(slug)
    with read_session(corpus_engine) as session:
        for v in storage.list_versions(session, slug):
            assert v.status.value == "unverified"
            assert v.sha256 == facts[v.label]["pdf_sha256"]
            assert v.reference_sha256 == facts[v.label]["original_sha256"]
            assert v.sha256 != v.reference_sha256
            assert v.origin.startswith("local:")
            assert v.extractor and v.extractor_version and v.engine_version
            assert len(v.text_sha256) == 64


def test_versions_command(corpus_env, cli):
    result = cli("versions")
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 12  # header + 10 versions + the version the RSP's changelog names but the corpus lacks
    assert lines[-1] == "anthropic-rsp: not archived, though its newest changelog names them: 2.1"
    assert any(line.split()[:3] == ["anthropic-rsp", "3.1", "2026-04-02"] and "unverified" in line for line in lines)
    data = json.loads(cli("versions", "anthropic-rsp", "--json").stdout)
    assert [d["label"] for d in data] == ["1.0", "2.0", "2.2", "3.0", "3.1", "3.2", "3.3", "3.4"]
    assert {d["status"] for d in data} == {"unverified"}
    # Moments are UTC in the API's spelling ("...Z"), whichever engine handed them back.
    assert all(d["extracted_at"].endswith("Z") and "+" not in d["extracted_at"] for d in data), data


def test_show_full_text_separates_pages_with_form_feed(corpus_env, cli):
    result = cli("show", "anthropic-rsp@3.1")
    assert result.exit_code == 0
    assert result.stdout.count("\f") == 20 - 1
    assert "Responsible Scaling Policy, Anthropic" not in result.stdout  # the running footer is not text
    assert "Scope and Timing" in result.stdout


def test_show_clause_outline_and_json(corpus_env, cli):
    clause = cli("show", "anthropic-rsp@3.1", "--clause", "3.6")
    assert clause.exit_code == 0
    assert clause.stdout.startswith("3.6 External Review")
    assert "p. 14" in clause.stdout.splitlines()[0]
    data = json.loads(cli("show", "anthropic-rsp@3.1", "--clause", "3.6", "--json").stdout)
    assert data["clause"]["number"] == "3.6" and data["clause"]["page_start"] == 14
    outline = cli("show", "anthropic-rsp@3.1", "--outline").stdout
    assert "    3.6.1 Selecting external reviewers" in outline
    tree = json.loads(cli("show", "anthropic-rsp@3.1", "--outline", "--json").stdout)["clauses"]
    numbers = [c["number"] for c in tree]
    assert numbers.index("3.6") < numbers.index("3.6.1")
    assert tree[numbers.index("3.6.1")]["parent"] == numbers.index("3.6")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("show", "anthropic-rsp@9.9"), "no version '9.9'"),
        (("show", "nope@1.0"), "no policy 'nope'"),
        (("show", "anthropic-rsp@3.1", "--clause", "77"), "no clause '77'"),
        (("show", "anthropic-rsp"), "SLUG@LABEL"),
        (("versions", "nope"), "no policy 'nope'"),
    ],
)
def test_read_errors_are_one_line(corpus_env, cli, args, needle):
    result = cli(*args)
    assert result.exit_code != 0
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- writing tests: each on a fresh database ---------------------------------------------------


def _place(settings, slug: str, *names: str) -> None:
    folder = settings.versions_dir / slug
    source = RSP_PDFS if slug == "anthropic-rsp" else NONCOMPLIANCE_PDFS
    for name in names:
        shutil.copy(source / name, folder / name)


def _counts(settings) -> dict[str, int]:
    from archive.db.engine import make_engine

    engine = make_engine(settings)
    with read_session(engine) as session:
        result = storage.counts(session)
    engine.dispose()
    return result


def test_reingest_unchanged_changes_nothing(fresh_env, cli):
    _place(fresh_env, "anthropic-rsp", V31.name)
    first = cli("ingest", "--policy", "anthropic-rsp")
    assert first.exit_code == 1  # the other seven files are missing: named, and the present one still ingested
    assert "anthropic-rsp@3.1: ingested" in first.stdout
    assert first.stderr.count("file named by the manifest is missing") == 7
    before = _counts(fresh_env)
    again = cli("ingest", "--policy", "anthropic-rsp", "--version", "3.1")
    assert again.exit_code == 0 and "anthropic-rsp@3.1: unchanged" in again.stdout
    assert _counts(fresh_env) == before


def test_new_extractor_version_records_a_reextraction(fresh_env, cli, monkeypatch):
    _place(fresh_env, "anthropic-rsp", V31.name)
    assert cli("ingest", "--policy", "anthropic-rsp", "--version", "3.1").exit_code == 0
    import ingest.pdf
    import ingest.service

    real = ingest.pdf.extract_pdf

    def newer(*args, **kwargs):
        doc = real(*args, **kwargs)
        doc.extractor_version = doc.extractor_version + "+test"
        return doc

    monkeypatch.setattr(ingest.service, "EXTRACTOR_VERSION", ingest.service.EXTRACTOR_VERSION + "+test")
    monkeypatch.setattr(ingest.service, "extract_pdf", newer)
    result = cli("ingest", "--policy", "anthropic-rsp", "--version", "3.1")
    assert result.exit_code == 0 and "re-extracted" in result.stdout
    from archive.db.engine import make_engine

    engine = make_engine(fresh_env)
    with read_session(engine) as session:
        log = storage.extraction_log(session, "anthropic-rsp", "3.1")
        assert [e["kind"] for e in log] == ["initial", "re-extraction"]
        assert len(storage.list_versions(session, "anthropic-rsp")) == 1
        assert storage.get_version(session, "anthropic-rsp", "3.1").extractor_version.endswith("+test")
        assert storage.counts(session)["snapshots"] == 1
    engine.dispose()


def test_archive_of_extractor_2_is_reextracted_in_place(fresh_env, cli, monkeypatch):
    """Extractor 3 drops repeated table headers (ingest/repeats.py): an archive made by extractor 2
    gets the new clause text as a re-extraction of the same snapshot, not as a new version."""
    _place(fresh_env, "anthropic-rsp", V30.name, V31.name)

    def ingest_both() -> str:
        results = [cli("ingest", "--policy", "anthropic-rsp", "--version", label) for label in ("3.0", "3.1")]
        assert all(r.exit_code == 0 for r in results), [r.stderr for r in results]
        return "".join(r.stdout for r in results)

    import ingest.pdf
    import ingest.service

    with monkeypatch.context() as old:  # extractor 2: no repeated-header rule
        old.setattr(ingest.pdf, "EXTRACTOR_VERSION", "2")
        old.setattr(ingest.service, "EXTRACTOR_VERSION", "2")
        old.setattr(ingest.pdf, "repeated_tops", lambda pages, *_: [0] * len(pages))
        assert ingest_both().count(": ingested") == 2
    from archive.db.engine import make_engine
    from archive.services import redlines

    engine = make_engine(fresh_env)
    header = "Capability or usage threshold"
    with read_session(engine) as session:
        old_sec1 = next(c for c in storage.clauses(session, "anthropic-rsp", "3.1") if c.number == "1")
        assert old_sec1.text.count(header) == 5
        before = {v.label: v for v in storage.list_versions(session, "anthropic-rsp")}
    out = ingest_both()
    assert "anthropic-rsp@3.0: re-extracted" in out and "anthropic-rsp@3.1: re-extracted" in out
    with read_session(engine) as session:
        after = {v.label: v for v in storage.list_versions(session, "anthropic-rsp")}
        assert set(after) == {"3.0", "3.1"} and storage.counts(session)["snapshots"] == 2
        for label, v in after.items():
            assert (v.sha256, v.effective) == (before[label].sha256, before[label].effective)
            current = ingest.pdf.EXTRACTOR_VERSION
            assert (v.extractor, v.extractor_version) == (f"policy-archive-pdf/{current}", current)
            assert v.text_sha256 != before[label].text_sha256
            log = storage.extraction_log(session, "anthropic-rsp", label)
            assert [(e["kind"], e["extractor_version"]) for e in log] == [("initial", "2"), ("re-extraction", current)]
            assert len({e["snapshot_sha256"] for e in log}) == 1
        sec1 = next(c for c in storage.clauses(session, "anthropic-rsp", "3.1") if c.number == "1")
        assert sec1.text.count(header) == 1 and sec1.lineage == old_sec1.lineage
        change = redlines.compare(session, "anthropic-rsp", "3.0", "3.1", clause="1")["changes"][0]
        assert not any(header in o["text"] for o in change["ops"] if o["op"] == "insert")
    assert ingest_both().count(": unchanged") == 2
    engine.dispose()


def test_same_label_other_bytes_is_refused_unless_replace(fresh_env, cli, tmp_path):
    args = ("--policy", "demo", "--version", "1", "--effective", "2026-04-02", "--title", "Demo")
    assert cli("ingest", str(V31), *args).exit_code == 0
    before = _counts(fresh_env)
    refused = cli("ingest", str(V30), *args)
    assert refused.exit_code == 1
    assert "already archived from other bytes" in refused.stderr and "--replace" in refused.stderr
    assert _counts(fresh_env) == before
    replaced = cli("ingest", str(V30), *args, "--replace")
    assert replaced.exit_code == 0 and "replaced" in replaced.stdout
    from archive.db.engine import make_engine

    engine = make_engine(fresh_env)
    with read_session(engine) as session:
        history = storage.snapshot_history(session, "demo", "1")
        assert len(history) == 2 and [h["current"] for h in history] == [False, True]
        assert storage.get_version(session, "demo", "1").page_count == 19
        assert [e["kind"] for e in storage.extraction_log(session, "demo", "1")] == ["initial", "replacement"]
        assert storage.get_policy(session, "demo").title == "Demo"
        assert storage.get_version(session, "demo", "1").status.value == "no-reference"
    engine.dispose()


def test_parallel_jobs_ingest_the_same(fresh_env, cli):
    _place(fresh_env, "anthropic-rsp-noncompliance", *(p.name for p in NONCOMPLIANCE_PDFS.glob("*.pdf")))
    result = cli("ingest", "--policy", "anthropic-rsp-noncompliance", "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("ingested") == 2
    assert _counts(fresh_env)["versions"] == 2


# --- bad input: one line naming the file and the reason, exit 1, nothing stored ----------------


def _bad_files(tmp_path):
    data = V31.read_bytes()
    files = {
        "not-a-pdf.pdf": b"hello, this is plain text\n" * 20,
        "empty.pdf": b"",
        "truncated.pdf": data[: len(data) // 3],
    }
    out = {}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        out[name] = tmp_path / name
    return out


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("not-a-pdf.pdf", "not a PDF"),
        ("empty.pdf", "empty"),
        ("truncated.pdf", ""),
        ("password-example.pdf", "password"),
        ("issue-203-decimalize.pdf", "no text layer"),
    ],
)
def test_bad_files_fail_cleanly_and_store_nothing(fresh_env, cli, tmp_path, name, needle):
    path = _bad_files(tmp_path).get(name) or CORPUS / "wild" / name
    result = cli("ingest", str(path), "--policy", "demo", "--version", "1", "--effective", "2024-01-01")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert str(path) in lines[0] or path.name in lines[0]
    assert needle.lower() in lines[0].lower()
    assert _counts(fresh_env) == {"policies": 0, "versions": 0, "clauses": 0, "snapshots": 0}


def test_password_opens_an_encrypted_pdf(fresh_env, cli):
    path = CORPUS / "wild" / "password-example.pdf"
    args = (str(path), "--policy", "demo", "--version", "1", "--effective", "2024-01-01")
    result = cli("ingest", *args, "--password", "test")
    assert result.exit_code == 0, result.output
    assert _counts(fresh_env)["versions"] == 1


def test_limits_from_settings(fresh_env, cli, monkeypatch):
    args = (str(V31), "--policy", "demo", "--version", "1", "--effective", "2024-01-01")
    monkeypatch.setenv("POLICY_ARCHIVE_MAX_PAGES", "5")
    result = cli("ingest", *args)
    assert result.exit_code == 1 and "pages" in result.stderr
    monkeypatch.setenv("POLICY_ARCHIVE_MAX_PAGES", "100")
    monkeypatch.setenv("POLICY_ARCHIVE_MAX_FILE_BYTES", "1000")
    result = cli("ingest", *args)
    assert result.exit_code == 1 and "limit" in result.stderr
    assert _counts(fresh_env)["versions"] == 0


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (("--effective", "2024-02-30"), "not a date"),
        (("--effective", (dt.date.today() + dt.timedelta(days=3)).isoformat()), "in the future"),
        (("--effective", "2024-01-01", "--version", "../../etc"), "invalid version label"),
    ],
)
def test_bad_dates_and_labels(fresh_env, cli, extra, needle):
    opts = {"--policy": "demo", "--version": "1"}
    args = [str(V31)]
    for key, value in opts.items():
        if key not in extra:
            args += [key, value]
    result = cli("ingest", *args, *extra)
    assert result.exit_code == 2 and needle in result.stderr
    assert _counts(fresh_env)["versions"] == 0


def test_unknown_policy_and_missing_options(fresh_env, cli):
    result = cli("ingest", "--policy", "no-such-policy")
    assert result.exit_code == 1 and "no manifest for policy 'no-such-policy'" in result.stderr
    result = cli("ingest", str(V31), "--policy", "demo")
    assert result.exit_code == 2 and "--version" in result.stderr and "--effective" in result.stderr


def test_a_bad_file_in_a_batch_does_not_stop_the_rest(fresh_env, cli):
    folder = fresh_env.versions_dir / "anthropic-rsp"
    shutil.copy(V31, folder / V31.name)
    (folder / V30.name).write_bytes(b"%PDF-1.7\n garbage that is not a PDF body")
    result = cli("ingest", "--policy", "anthropic-rsp")
    assert result.exit_code == 1
    assert "anthropic-rsp@3.1: ingested" in result.stdout
    assert V30.name in result.stderr
    assert _counts(fresh_env)["versions"] == 1


# --- derived data after ingest ------------------------------------------------------------------


def test_ingest_assigns_lineages_and_stores_consecutive_redlines(corpus_engine):
    from archive.services.redlines import redline_key

    with read_session(corpus_engine) as session:
        assert storage.policies_missing_lineage(session) == []
        for policy in storage.list_policies(session):
            versions = storage.list_versions(session, policy.slug)
            for va, vb in zip(versions, versions[1:], strict=False):
                assert storage.get_redline(session, redline_key(policy.slug, va, vb)) is not None
        # 3.6 keeps one lineage from 3.0 to 3.4 (the redline alignment gives ids that survive edits).
        lineages = {storage.find_clause(session, "anthropic-rsp", v, "3.6")[1].lineage for v in ("3.0", "3.1", "3.4")}
        assert len(lineages) == 1 and None not in lineages


def _lineages(settings, label: str) -> dict[str, str]:
    from archive.db.engine import make_engine

    engine = make_engine(settings)
    with read_session(engine) as session:
        out = {c.number or c.title: c.lineage for c in storage.clauses(session, "anthropic-rsp", label)}
    engine.dispose()
    return out


def test_lineage_ids_stay_when_an_older_version_is_back_filled(fresh_env, cli):
    """Clients store lineage ids ("its identity across renumbering"): archiving 3.2 after 3.3 and 3.4
    must not give their clauses new ids. 3.2's clauses join the lineages of theirs in 3.3."""
    _place(fresh_env, "anthropic-rsp", "rsp-v3.3_2026-05-26.pdf", "rsp-v3.4_2026-07-08.pdf")
    for label in ("3.3", "3.4"):
        assert cli("ingest", "--policy", "anthropic-rsp", "--version", label).exit_code == 0
    before = {label: _lineages(fresh_env, label) for label in ("3.3", "3.4")}
    _place(fresh_env, "anthropic-rsp", "rsp-v3.2_2026-04-29.pdf")
    assert cli("ingest", "--policy", "anthropic-rsp", "--version", "3.2").exit_code == 0
    assert {label: _lineages(fresh_env, label) for label in ("3.3", "3.4")} == before
    older = _lineages(fresh_env, "3.2")
    assert older["3.6"] == before["3.3"]["3.6"] and older["1"] == before["3.3"]["1"]
    assert len(set(older.values())) == len(older)  # one lineage per clause still


def test_lineages_left_by_an_older_alignment_are_refreshed_by_the_next_ingest(fresh_env, cli):
    """An upgrade that aligns differently (2.2's §7.1 "Internal Governance" is now 3.0's §4 "Governance")
    leaves the lineage ids it assigned before: 3.0's §4 with an id of its own. The next ingest, with
    nothing new to archive, gives it its predecessor's, as history already follows it."""
    _place(fresh_env, "anthropic-rsp", "rsp-v2.2_2025-05-14.pdf", "rsp-v3.0_2026-02-24.pdf")
    for label in ("2.2", "3.0"):
        assert cli("ingest", "--policy", "anthropic-rsp", "--version", label).exit_code == 0
    assert _lineages(fresh_env, "3.0")["4"] == _lineages(fresh_env, "2.2")["7.1"]
    # As the previous alignment left it: §4 a lineage of its own.
    run_sql(fresh_env, "UPDATE clauses SET lineage = 'ffffffffffffffff' WHERE number = '4' AND version_id = "
                       "(SELECT id FROM versions WHERE label = '3.0')")
    assert _lineages(fresh_env, "3.0")["4"] == "ffffffffffffffff"
    result = cli("ingest", "--policy", "anthropic-rsp", "--version", "3.0")
    assert result.exit_code == 0 and "unchanged" in result.output, result.output
    assert _lineages(fresh_env, "3.0")["4"] == _lineages(fresh_env, "2.2")["7.1"]
    # Up to date, the check finds nothing to do.
    from archive.services.lineages import stale_policies

    assert read_archive(fresh_env, stale_policies) == []


def test_the_api_engine_cannot_write(corpus_settings):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from archive.db.engine import make_engine

    engine = make_engine(corpus_settings, read_only=True)
    try:
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("UPDATE policies SET title = 'x'"))
    finally:
        engine.dispose()


def test_the_same_bytes_under_other_claims_keep_each_claim(fresh_env, cli):
    """A file is stored once per claims, not once per bytes: the README's demo ingest of a corpus PDF
    by hand (no claims) once fixed that file's provenance, so the manifest's version of it read
    `no-reference`, with no publisher's URL or hash, and a mirror's manifest claiming the bytes as its
    own reference made the publisher's version read `verified` at the mirror's URL."""
    demo = cli("ingest", str(V31), "--policy", "demo", "--version", "1", "--effective", "2024-01-01",
               "--title", "Demo policy")
    assert demo.exit_code == 0, demo.output
    _place(fresh_env, "anthropic-rsp", V31.name)
    assert cli("ingest", "--policy", "anthropic-rsp", "--version", "3.1").exit_code == 0
    listed = {(v["policy"], v["label"]): v for v in json.loads(cli("versions", "--json").stdout)}
    ours, theirs = listed[("anthropic-rsp", "3.1")], listed[("demo", "1")]
    manifest = tomllib.loads((fresh_env.versions_dir / "anthropic-rsp" / "versions.toml").read_text())
    claimed = next(v for v in manifest["versions"] if v["label"] == "3.1")
    assert ours["sha256"] == theirs["sha256"]  # the same bytes
    assert ours["status"] == "unverified" and ours["reference_sha256"] == claimed["sha256"]
    assert ours["source_url"] == claimed["url"]
    assert theirs["status"] == "no-reference" and theirs["source_url"] is None
    assert _counts(fresh_env)["snapshots"] == 2
    # The same claims again reuse their snapshot.
    again = cli("ingest", str(V31), "--policy", "demo2", "--version", "1", "--effective", "2024-01-01",
                "--title", "Demo again")
    assert again.exit_code == 0 and _counts(fresh_env)["snapshots"] == 2
