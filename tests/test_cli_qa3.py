"""What an archive operator runs into around backups, migrations, provenance and concurrent ingests:
every bad input is one clear line, a non-zero exit, no traceback and no partial rows; an archive
that an upgrade cannot migrate still reads, exports and takes the re-dating its message asks for."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from alembic import command
from archive.db import storage
from archive.db.engine import alembic_config, make_engine, transaction, upgrade
from archive.services import backup
from archive.settings import PROJECT_ROOT, get_settings
from tests.conftest import (
    PG_SERVER,
    RSP_PDFS,
    WILD,
    archive_counts,
    make_settings,
    one_error_line,
    read_archive,
    run_sql,
)
from tests.reliability.helpers import PYTHON, env_for, run_cli

SIMPLE = WILD / "simple1.pdf"
MALFORMED = WILD / "malformed-from-issue-932.pdf"  # one page, extracts cleanly despite its name
V31 = RSP_PDFS / "rsp-v3.1_2026-04-02.pdf"


def _ingest(cli, path, label: str, effective: str, *extra: str, policy: str = "demo"):
    return cli("ingest", str(path), "--policy", policy, "--version", label, "--effective", effective, *extra)


def _empty_archive(databases, tmp_path: Path, monkeypatch, name: str = "target"):
    """A second, empty archive (migrated), with the settings pointed at it from now on."""
    settings = make_settings(tmp_path / name, databases.new_url())
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("POLICY_ARCHIVE_DATABASE_URL", settings.sqlalchemy_url)
    get_settings.cache_clear()
    return settings


def _rewrite(src: Path, dst: Path, change) -> None:
    """Copy a bundle .tar through `change(files)`, then reseal its manifest's checksums."""
    with tarfile.open(src) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}
    change(files)
    manifest = json.loads(files[backup.MANIFEST])
    manifest["files"] = {n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != backup.MANIFEST}
    files[backup.MANIFEST] = json.dumps(manifest).encode()
    with tarfile.open(dst, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _edit_rows(files: dict[str, bytes], table: str, edit) -> None:
    rows = [json.loads(line) for line in files[f"tables/{table}.jsonl"].decode().splitlines()]
    edit(rows)
    files[f"tables/{table}.jsonl"] = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode()


def _two_version_bundle(fresh_env, cli, tmp_path) -> Path:
    assert _ingest(cli, SIMPLE, "1", "2024-01-01").exit_code == 0
    assert _ingest(cli, MALFORMED, "2", "2024-06-01").exit_code == 0
    bundle = tmp_path / "demo.tar"
    assert cli("export", str(bundle)).exit_code == 0
    return bundle


# --- import: rows the target database cannot hold ---------------------------------------------------


def test_import_of_two_versions_on_one_date_names_them(fresh_env, cli, databases, tmp_path, monkeypatch):
    """A bundle from an archive made before the one-version-per-date rule (or edited): the user is told
    which versions share which date, not 'database error: IntegrityError', and nothing is imported."""
    bundle = _two_version_bundle(fresh_env, cli, tmp_path)
    clash = tmp_path / "clash.tar"

    def same_day(rows):
        for r in rows:
            r["effective"] = "2024-01-01"

    _rewrite(bundle, clash, lambda f: _edit_rows(f, "versions", same_day))
    target = _empty_archive(databases, tmp_path, monkeypatch)
    result = cli("import", str(clash))
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "'demo'" in line and "1, 2" in line and "2024-01-01" in line, line
    assert "IntegrityError" not in line
    assert read_archive(target, storage.archive_is_empty)


def test_import_of_a_value_too_long_for_its_column_is_refused_alike(
    fresh_env, cli, databases, tmp_path, monkeypatch
):
    """SQLite keeps a 350-character policy title; PostgreSQL's varchar(300) refuses it. A bundle holding
    one gets the same clear refusal on both ('database error: DataError' on PostgreSQL before)."""
    bundle = _two_version_bundle(fresh_env, cli, tmp_path)
    long_title = tmp_path / "long.tar"

    def lengthen(rows):
        rows[0]["title"] = "T" * 350

    _rewrite(bundle, long_title, lambda f: _edit_rows(f, "policies", lengthen))
    target = _empty_archive(databases, tmp_path, monkeypatch)
    result = cli("import", str(long_title))
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "policies" in line and "title" in line and "350" in line and "300" in line, line
    assert read_archive(target, storage.archive_is_empty)


def test_import_of_a_value_of_the_wrong_type_names_the_table(fresh_env, cli, databases, tmp_path, monkeypatch):
    bundle = _two_version_bundle(fresh_env, cli, tmp_path)
    listed = tmp_path / "list.tar"

    def a_list(rows):
        rows[0]["publisher"] = ["x"]

    _rewrite(bundle, listed, lambda f: _edit_rows(f, "policies", a_list))
    target = _empty_archive(databases, tmp_path, monkeypatch)
    result = cli("import", str(listed))
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "table 'policies'" in line and "nothing imported" in line, line
    assert read_archive(target, storage.archive_is_empty)


def test_values_too_long_for_their_column_are_refused_alike_on_ingest(fresh_env, cli):
    result = _ingest(cli, SIMPLE, "1", "2024-01-01", "--title", "T" * 350)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "title" in line and "350" in line and "300" in line, line
    assert archive_counts(fresh_env)["versions"] == 0


# --- an archive at revision 0001 holding two versions on one date ----------------------------------


def _blocked_archive(fresh_env, cli) -> None:
    assert _ingest(cli, SIMPLE, "1", "2024-01-01").exit_code == 0
    assert _ingest(cli, MALFORMED, "2", "2024-06-01").exit_code == 0
    engine = make_engine(fresh_env)
    try:
        command.downgrade(alembic_config(engine), "0001")
        with transaction(engine) as s:
            s.execute(text("UPDATE versions SET effective = '2024-01-01'"))
    finally:
        engine.dispose()


def _revision(settings) -> str | None:
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def test_an_archive_the_upgrade_refuses_still_reads_and_takes_the_redating(fresh_env, cli, tmp_path):
    """The upgrade's message says to re-date one version with `ingest FILE --replace`; before, that
    ingest (and every read, and export) stopped on the same upgrade, so the advice could not be followed."""
    _blocked_archive(fresh_env, cli)
    refused = cli("db", "upgrade")
    assert refused.exit_code == 1 and "versions share an effective date" in one_error_line(refused)

    listed = cli("versions", "demo")
    assert listed.exit_code == 0, listed.stderr
    assert [ln.split()[1] for ln in listed.stdout.strip().splitlines()[1:]] == ["1", "2"]
    warning = listed.stderr.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("warning: cannot upgrade the schema"), listed.stderr
    assert cli("export", str(tmp_path / "before-fix.tar")).exit_code == 0

    redated = _ingest(cli, MALFORMED, "2", "2024-06-01", "--replace")
    assert redated.exit_code == 0, redated.stderr
    assert "demo@2: re-dated" in redated.stdout
    assert _revision(fresh_env) == "0001"
    done = cli("db", "upgrade")
    assert done.exit_code == 0 and done.stderr == "", done.stderr
    assert _revision(fresh_env) == "0004"


def test_an_archive_the_upgrade_refuses_takes_new_versions_and_re_extractions(fresh_env, cli):
    """At 0001 the archive has no clauses.page_breaks (added by 0004): clauses are still written, by a
    new version and by a re-extraction; once upgraded, the next ingest extracts those again, once,
    since their page breaks could not be recorded."""
    _blocked_archive(fresh_env, cli)
    run_sql(fresh_env, "UPDATE versions SET extractor_version = '6' WHERE label = '2'")
    added = _ingest(cli, V31, "3", "2026-04-02")
    assert added.exit_code == 0 and "demo@3: ingested" in added.stdout, added.stderr
    assert _revision(fresh_env) == "0001"
    redone = _ingest(cli, MALFORMED, "2", "2024-06-01", "--replace")  # an older extractor's: extracted again
    assert redone.exit_code == 0 and "demo@2: re-extracted" in redone.stdout, redone.stderr
    assert _revision(fresh_env) == "0001"
    done = cli("db", "upgrade")
    assert done.exit_code == 0 and done.stderr == "", done.stderr

    def breaks(session):
        return {c.number or c.title: c.page_breaks for c in storage.clauses(session, "demo", "3")}

    assert all(b is None for b in read_archive(fresh_env, breaks).values())
    assert "demo@3: re-extracted" in _ingest(cli, V31, "3", "2026-04-02").stdout
    recorded = read_archive(fresh_env, breaks)
    assert [b.page for b in recorded["1"] if b.table] == [7, 8, 9, 10]
    assert "demo@3: unchanged" in _ingest(cli, V31, "3", "2026-04-02").stdout


# --- concurrent ingests ----------------------------------------------------------------------------


def test_a_write_that_lost_only_a_shared_row_is_retried(fresh_env, cli, monkeypatch):
    """Two ingests of different versions of one new policy (or of one file under two labels) race for
    the policy or snapshot row, not for the version: the loser used to fail with 'version 1 was
    stored concurrently; run ingest again', though version 1 was stored by nobody."""
    real = storage.upsert_policy
    calls: list[str] = []

    def contested(session, info):
        calls.append(info.slug)
        if len(calls) == 1:  # the other ingest inserted the policy first
            orig = Exception('duplicate key value violates unique constraint "uq_policies_slug"')
            raise IntegrityError("INSERT INTO policies", {}, orig)
        return real(session, info)

    monkeypatch.setattr(storage, "upsert_policy", contested)
    result = _ingest(cli, SIMPLE, "1", "2024-01-01")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "demo@1: ingested (1 pages, 1 clauses)"
    assert calls == ["demo", "demo"]
    assert archive_counts(fresh_env) == {"policies": 1, "versions": 1, "clauses": 1, "snapshots": 1}


@pytest.mark.skipif(not PG_SERVER, reason="SQLite serialises writers; the race needs PostgreSQL")
def test_two_processes_ingesting_two_versions_of_one_new_policy_both_succeed(fresh_env, databases, tmp_path):
    for round_ in range(3):
        settings = make_settings(tmp_path / f"r{round_}", databases.new_url())
        assert run_cli(settings, "db", "upgrade").returncode == 0
        procs = [
            subprocess.Popen(
                [PYTHON, "-m", "cli.main", "ingest", str(SIMPLE), "--policy", "race", "--version", label,
                 "--effective", day],
                cwd=PROJECT_ROOT,
                env=env_for(settings),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for label, day in (("1", "2024-01-01"), ("2", "2024-02-01"))
        ]
        results = [(p, *p.communicate(timeout=120)) for p in procs]
        assert all(p.returncode == 0 for p, _, _ in results), [err for _, _, err in results]
        assert read_archive(settings, lambda s: [v.label for v in storage.list_versions(s, "race")]) == ["1", "2"]


@pytest.mark.skipif(not PG_SERVER, reason="SQLite serialises writers; the race needs PostgreSQL")
def test_two_first_commands_on_a_fresh_database_both_succeed(databases, tmp_path):
    """Both find no schema and migrate; without a lock one failed on PostgreSQL's catalog
    ("duplicate key value violates unique constraint pg_type_typname_nsp_index")."""
    for round_ in range(3):
        settings = make_settings(tmp_path / f"r{round_}", databases.new_url())
        procs = [
            subprocess.Popen([PYTHON, "-m", "cli.main", "versions"], cwd=PROJECT_ROOT, env=env_for(settings),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        results = [(p, *p.communicate(timeout=120)) for p in procs]
        assert all(p.returncode == 0 for p, _, _ in results), [err for _, _, err in results]


def test_a_file_with_other_pages_than_its_manifest_gives_is_refused(fresh_env, cli):
    """`pages` describes the publisher's file: a file of another page count is another file."""
    _manifest_folder(fresh_env, version_fields="pages = 3\n")
    result = cli("ingest", "--policy", "demo")
    assert result.exit_code == 1
    assert "a.pdf: 1 page where the manifest gives 3: not the file it names" in one_error_line(result)
    assert archive_counts(fresh_env)["versions"] == 0


def test_a_title_too_long_to_store_names_the_version(fresh_env, cli):
    _manifest_folder(fresh_env, version_fields=f'title = "{"x" * 400}"\n')
    result = cli("ingest", "--policy", "demo")
    assert result.exit_code == 1
    assert "demo@1: title is 400 characters long; at most 300 fit" in one_error_line(result)
    assert archive_counts(fresh_env)["versions"] == 0


# --- provenance files beside the PDFs ---------------------------------------------------------------


def _manifest_folder(settings, *, provenance: bytes | None = None, version_fields: str = "") -> Path:
    """A manifest of policy "demo" with version 1 in a.pdf (plus `version_fields` TOML lines)."""
    folder = settings.versions_dir / "demo"
    folder.mkdir()
    (folder / "versions.toml").write_text(
        '[policy]\nslug = "demo"\ntitle = "Demo"\n\n[[versions]]\nlabel = "1"\neffective = 2024-01-01\n'
        'file = "a.pdf"\n' + version_fields
    )
    shutil.copy(SIMPLE, folder / "a.pdf")
    if provenance is not None:
        (folder / ".provenance.json").write_bytes(provenance)
    return folder


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"[]", "not a JSON object"),
        (b'{"a.pdf": "x"}', "a.pdf"),
        (b'{"a.pdf": {"retrieved_at": "yesterday"}}', "yesterday"),
        (b'{"a.pdf": {"retrieved_at": 5}}', "retrieved_at"),
        (b'{"a.pdf": {"origin": ["x"]}}', "origin"),
        (b"\xff\xfe{", ".provenance.json"),
    ],
)
def test_a_malformed_provenance_file_is_one_line(fresh_env, cli, content, needle):
    _manifest_folder(fresh_env, provenance=content)
    result = cli("ingest", "--policy", "demo")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert ".provenance.json" in line and needle in line, line
    assert archive_counts(fresh_env)["versions"] == 0


@pytest.mark.parametrize(
    "written, stored",
    [("2026-01-01T12:00:00+05:00", "2026-01-01T07:00:00Z"), ("2026-01-01T12:00:00", "2026-01-01T12:00:00Z")],
)
def test_retrieval_times_are_stored_in_utc(fresh_env, cli, written, stored):
    """SQLite keeps a datetime's wall-clock digits and drops its offset: 12:00+05:00 came back as 12:00Z."""
    _manifest_folder(fresh_env, provenance=json.dumps({"a.pdf": {"retrieved_at": written}}).encode())
    assert cli("ingest", "--policy", "demo").exit_code == 0
    [snap] = read_archive(fresh_env, lambda s: storage.snapshot_history(s, "demo", "1"))
    assert snap["retrieved_at"] == stored


# --- manifests -------------------------------------------------------------------------------------


_POLICY = '[policy]\nslug = "demo"\ntitle = "Demo"\n'
_VERSION = '\n[[versions]]\nlabel = "1"\neffective = 2024-01-01\nfile = "a.pdf"\n'


@pytest.mark.parametrize(
    "manifest, needle",
    [
        ("versions = 5\n" + _POLICY, "versions"),
        ("versions = [5]\n" + _POLICY, "versions[0]"),
        (_POLICY + _VERSION + 'note = ["a"]\n', "note"),
        (_POLICY + _VERSION + "title = 5\n", "title"),
        (_POLICY + _VERSION + "url = 7\n", "url"),
        (_POLICY + _VERSION + 'pages = "x"\n', "pages"),
        (_POLICY.replace('title = "Demo"', "title = 5") + _VERSION, "title"),
        (_POLICY + "landing_page = 7\n" + _VERSION, "landing_page"),
        (_POLICY + _VERSION + 'title = "A"\nnote = "B"\nurl = "https://x/a.pdf"\npages = 1\n', None),  # all good
    ],
)
def test_a_manifest_field_of_the_wrong_type_is_one_line(fresh_env, cli, manifest, needle):
    folder = fresh_env.versions_dir / "demo"
    folder.mkdir()
    (folder / "versions.toml").write_text(manifest)
    shutil.copy(SIMPLE, folder / "a.pdf")
    result = cli("ingest", "--policy", "demo")
    if needle is None:
        assert result.exit_code == 0, result.stderr
        return
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "versions.toml" in line and needle in line, line
    assert archive_counts(fresh_env)["versions"] == 0


# --- the ingest command's own options --------------------------------------------------------------


def test_a_file_ingested_into_a_policy_keeps_its_title(fresh_env, cli):
    """Without --title, a FILE added to an archived policy renamed it to its slug, and every citation
    read 'Anthropic, anthropic-rsp v3.4 ...'."""
    shutil.copy(V31, fresh_env.versions_dir / "anthropic-rsp" / V31.name)
    assert cli("ingest", "--policy", "anthropic-rsp", "--version", "3.1").exit_code == 0
    assert _ingest(cli, SIMPLE, "9.9", "2020-01-01", policy="anthropic-rsp").exit_code == 0
    policy = read_archive(fresh_env, lambda s: storage.get_policy(s, "anthropic-rsp"))
    assert policy.title == "Responsible Scaling Policy"
    # A new policy without --title is still named by its slug.
    assert _ingest(cli, SIMPLE, "1", "2024-01-01").exit_code == 0
    assert read_archive(fresh_env, lambda s: storage.get_policy(s, "demo")).title == "demo"


@pytest.mark.parametrize("option", [("--effective", "2020-01-01"), ("--title", "Other")])
def test_file_only_options_without_a_file_are_refused(fresh_env, cli, option):
    """`ingest --policy P --version V --effective D` printed 'unchanged' and exit 0: the date was ignored."""
    shutil.copy(V31, fresh_env.versions_dir / "anthropic-rsp" / V31.name)
    result = cli("ingest", "--policy", "anthropic-rsp", "--version", "3.1", *option)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert option[0] in line and "FILE" in line, line
    assert archive_counts(fresh_env)["versions"] == 0


def test_a_version_filter_without_a_policy_needs_only_one_manifest_to_have_it(fresh_env, cli):
    shutil.copy(V31, fresh_env.versions_dir / "anthropic-rsp" / V31.name)
    result = cli("ingest", "--version", "3.1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "anthropic-rsp@3.1: ingested (20 pages, 25 clauses)"
    assert result.stderr == ""
    nowhere = cli("ingest", "--version", "9.9")
    assert nowhere.exit_code == 1
    assert "no manifest has a version '9.9'" in one_error_line(nowhere)


# --- settings, database URLs, export targets, citation files ---------------------------------------


@pytest.mark.parametrize(
    "name, value", [("POLICY_ARCHIVE_MAX_PAGES", "abc"), ("POLICY_ARCHIVE_DB_TIMEOUT_S", "-1")]
)
def test_a_bad_setting_is_one_line(fresh_env, cli, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    result = cli("versions")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert name in line and value in line, line


@pytest.mark.parametrize(
    "url, needle, code",
    [
        ("foo://", "foo", 2),  # a setting that cannot be used
        ("sqlite:////proc/no-such-folder/archive.db", "/proc/no-such-folder", 2),
        ("sqlite:///{tmp}/not-a-database.db", "not a database", 1),  # the database fails
    ],
)
def test_a_bad_database_url_is_one_clear_line(fresh_env, cli, monkeypatch, tmp_path, url, needle, code):
    (tmp_path / "not-a-database.db").write_text("garbage " * 200)
    monkeypatch.setenv("POLICY_ARCHIVE_DATABASE_URL", url.format(tmp=tmp_path))
    result = cli("versions")
    assert result.exit_code == code
    line = one_error_line(result)
    assert needle in line, line


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc, where nothing can be created")
def test_export_where_nothing_can_be_written_is_one_line(fresh_env, cli):
    result = cli("export", "/proc/policy-archive-bundle.tar")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "/proc/policy-archive-bundle.tar" in line and "cannot write" in line, line


def test_check_citations_of_a_file_that_is_not_text(corpus_env, corpus_index, cli, tmp_path):
    path = tmp_path / "citations.json"
    path.write_bytes(b"\xff\xfe\x00[")
    result = cli("check-citations", str(path))
    assert result.exit_code == 2
    line = one_error_line(result)
    assert str(path) in line, line


def test_a_version_from_a_newer_extractor_is_not_re_extracted_by_an_older_one(fresh_env, cli):
    """Two deployments sharing a PostgreSQL archive (or a rollback): the older code re-extracted
    everything the newer had extracted, with its older extractor, and each ingest flipped it back."""
    assert _ingest(cli, SIMPLE, "1", "2024-01-01").exit_code == 0
    run_sql(fresh_env, "UPDATE versions SET extractor_version = '99', extractor = 'policy-archive-pdf/99'")
    # Not even when its clauses lack what this code records (page breaks): the newer one knows better.
    run_sql(fresh_env, "UPDATE clauses SET page_breaks = NULL")
    again = _ingest(cli, SIMPLE, "1", "2024-01-01")
    assert again.exit_code == 0 and again.stdout.strip() == "demo@1: unchanged", again.stdout
    log = read_archive(fresh_env, lambda s: storage.extraction_log(s, "demo", "1"))
    assert [e["kind"] for e in log] == ["initial"]
    assert read_archive(fresh_env, lambda s: storage.get_version(s, "demo", "1")).extractor_version == "99"


def test_a_batch_password_does_not_lock_out_a_pdf_anyone_may_open(fresh_env, cli, monkeypatch):
    """r6-empty-password.pdf is encrypted with an empty user password: it opens without one. With a
    password given for the batch (--password, POLICY_ARCHIVE_PDF_PASSWORD) it failed as 'the password
    given is wrong'."""
    monkeypatch.setenv("POLICY_ARCHIVE_PDF_PASSWORD", "test")
    opened = _ingest(cli, WILD / "r6-empty-password.pdf", "1", "2024-01-01")
    assert opened.exit_code == 0, opened.stderr
    assert "pdf encryption test" in cli("show", "demo@1").stdout
    wrong = _ingest(cli, WILD / "libreoffice-writer-password.pdf", "2", "2024-02-01")
    assert wrong.exit_code == 1 and "the password given is wrong" in one_error_line(wrong)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc, where nothing can be created")
def test_an_index_folder_that_cannot_be_made_is_one_line(fresh_env, cli, monkeypatch):
    monkeypatch.setenv("POLICY_ARCHIVE_INDEX_DIR", "/proc/policy-archive-index")
    result = cli("search", "anything")
    assert result.exit_code == 1
    assert "/proc/policy-archive-index" in one_error_line(result)


@pytest.mark.parametrize("args", [("versions",), ("db", "upgrade"), ("ingest", str(SIMPLE), "--policy", "demo",
                                                                      "--version", "1", "--effective", "2024-01-01")])
def test_an_archive_migrated_by_a_newer_release_is_one_line(fresh_env, cli, args):
    """A rollback, or an older deployment beside a newer one: Alembic's "Can't locate revision" came
    out as a traceback from every command."""
    run_sql(fresh_env, "UPDATE alembic_version SET version_num = '0099'")
    result = cli(*args)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "0099" in line and "newer" in line, line
    assert archive_counts(fresh_env)["versions"] == 0


def test_two_re_extractions_of_one_version_at_once_record_one(fresh_env, monkeypatch):
    """On PostgreSQL the second of two ingests re-extracting one version read the version as it was
    before the first committed and rewrote it again: two 're-extraction' records, both 're-extracted'.
    Here the first holds its transaction open (a post-write hook) while the second writes."""
    import threading
    import time

    from ingest import service

    first_wrote, release = threading.Event(), threading.Event()

    def hold_first(session, slug, label):
        if threading.current_thread().name == "first":
            first_wrote.set()
            release.wait(10)

    engine = make_engine(fresh_env)
    request = service.single_file_request(
        SIMPLE, slug="demo", label="1", effective="2024-01-01", title=None, policy_title=None
    )
    outcomes: dict[str, str] = {}

    def run() -> None:
        outcomes[threading.current_thread().name] = service.ingest(engine, [request], settings=fresh_env)[0].status

    try:
        assert not service.ingest(engine, [request], settings=fresh_env)[0].failed
        with transaction(engine) as s:
            s.execute(text("UPDATE versions SET extractor_version = '2'"))
        monkeypatch.setattr(service, "_post_write_hooks", [*service._post_write_hooks, hold_first])
        first = threading.Thread(target=run, name="first")
        first.start()
        assert first_wrote.wait(30)
        second = threading.Thread(target=run, name="second")
        second.start()
        time.sleep(1.5)  # the second plans, extracts and reaches its write while the first holds its own
        release.set()
        first.join(60)
        second.join(60)
    finally:
        release.set()
        engine.dispose()
    assert outcomes == {"first": "re-extracted", "second": "unchanged"}
    log = read_archive(fresh_env, lambda s: storage.extraction_log(s, "demo", "1"))
    assert [e["kind"] for e in log] == ["initial", "re-extraction"]


def _extract_or_die(path, *args, **kwargs):
    """An extraction worker that a file kills (the OOM killer, a crash in the PDF parser)."""
    import os
    import signal

    from ingest import service

    if Path(path).name == "b.pdf":
        os.kill(os.getpid(), signal.SIGKILL)
    return service._real_extract(path, *args, **kwargs)


def test_a_worker_killed_during_a_parallel_ingest_fails_only_its_file(fresh_env, cli, monkeypatch):
    """`ingest --jobs N`: a worker process killed while extracting ended the command in a
    BrokenProcessPool traceback, and the files after it in the batch were never ingested."""
    from ingest import service

    folder = fresh_env.versions_dir / "demo"
    folder.mkdir()
    (folder / "versions.toml").write_text(
        '[policy]\nslug = "demo"\ntitle = "Demo"\n'
        + "".join(
            f'\n[[versions]]\nlabel = "{n}"\neffective = 2024-0{n}-01\nfile = "{name}"\n'
            for n, name in ((1, "a.pdf"), (2, "b.pdf"), (3, "c.pdf"))
        )
    )
    for name, src in (("a.pdf", SIMPLE), ("b.pdf", MALFORMED), ("c.pdf", WILD / "multilang.pdf")):
        shutil.copy(src, folder / name)
    monkeypatch.setattr(service, "_real_extract", service._extract, raising=False)
    monkeypatch.setattr(service, "_extract", _extract_or_die)  # forked workers inherit it
    result = cli("ingest", "--policy", "demo", "--jobs", "2")
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "b.pdf" in line and "died" in line, line
    assert sorted(result.stdout.strip().splitlines()) == [
        "demo@1: ingested (1 pages, 1 clauses)",
        "demo@3: ingested (1 pages, 1 clauses)",
    ], result.stdout
    assert read_archive(fresh_env, lambda s: [v.label for v in storage.list_versions(s, "demo")]) == ["1", "3"]
