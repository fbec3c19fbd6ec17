"""Hostile files: the real-world oddities in corpus/wild plus files made here. Each gets a clear
one-line error or a correct ingest, in bounded time and memory; on error the archive is unchanged.
A name or label that tries path traversal or SQL/markup injection is refused or stored harmlessly."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from archive.db import storage
from archive.db.engine import make_engine, read_session
from archive.settings import PROJECT_ROOT
from tests.conftest import WILD
from tests.reliability.helpers import PYTHON, env_for, tree_files, whole_archive_state
from tests.reliability.hostile_pdfs import make_all

MUST_FAIL = {
    "zero-bytes.pdf", "header-then-garbage.pdf", "not-a-pdf.pdf", "truncated-half.pdf", "empty.pdf",
    "issue-203-decimalize.pdf",  # no text layer: flagged, not stored empty
    "GeoTopo-komprimiert.pdf",  # 117 pages, over the test's max_pages
    "libreoffice-writer-password.pdf",  # no password given
}  # fmt: skip
MUST_INGEST = {
    "simple1.pdf",
    "multilang.pdf",
    "r6-empty-password.pdf",
    "zen_of_python_corrupted.pdf",
    "script-in-text.pdf",
}
MAX_SECONDS = 30
MAX_RSS_MB = 1500


def _run(settings, files: list[str], **limits: str) -> list[dict]:
    proc = subprocess.run(
        [PYTHON, "-m", "tests.reliability.hostile_ingest", *files],
        cwd=PROJECT_ROOT,
        env=env_for(settings, **limits),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines()]


def _check(result: dict) -> None:
    assert result["seconds"] < MAX_SECONDS, result
    assert result["max_rss_mb"] < MAX_RSS_MB, result
    assert result["problems"] == [], result
    if result["status"] == "failed":
        msg = result["message"]
        assert msg and "\n" not in msg and "Traceback" not in msg and len(msg) < 600, result
        assert result["after"] == result["before"], result  # nothing half-stored
    else:
        assert result["status"] == "ingested", result
        assert result["after"]["versions"] == result["before"]["versions"] + 1, result


def test_every_wild_and_made_file(fresh_env, tmp_path):
    made = make_all(tmp_path)
    wild = sorted(str(p) for p in WILD.glob("*.pdf"))
    assert len(wild) == 20
    files = [str(p) for p in made.values()] + wild + ["--password=test", str(WILD / "password-example.pdf")]
    results = _run(fresh_env, files, POLICY_ARCHIVE_MAX_PAGES="50", POLICY_ARCHIVE_EXTRACT_TIMEOUT_S="20")
    assert len(results) == len(made) + len(wild) + 1
    for result in results:
        _check(result)
    by_name = {r["file"]: r["status"] for r in results[:-1]}
    assert {n for n in MUST_FAIL if by_name[n] != "failed"} == set()
    assert {n for n in MUST_INGEST if by_name[n] != "ingested"} == set()
    assert results[-1]["status"] == "ingested"  # the encrypted file, with its password
    engine = make_engine(fresh_env)
    try:
        with read_session(engine) as session:
            text = storage.version_text(session, "hostile", f"h{list(made).index('script-in-text.pdf')}")
        assert "<script>alert(1)</script> ; DROP TABLE versions; --" in text  # stored as text, verbatim
        assert whole_archive_state(engine)["problems"] == []
    finally:
        engine.dispose()


def test_size_and_time_limits_are_enforced(fresh_env):
    results = _run(
        fresh_env,
        [str(WILD / "GeoTopo-komprimiert.pdf"), str(WILD / "federal-register-2020-17221.pdf")],
        POLICY_ARCHIVE_MAX_FILE_BYTES="1000000",
        POLICY_ARCHIVE_EXTRACT_TIMEOUT_S="0.2",
    )
    for result in results:
        _check(result)
        assert result["status"] == "failed"
    assert "over the limit of 1000000" in results[0]["message"]
    assert "longer than the limit of 0.2 s" in results[1]["message"]
    assert results[1]["seconds"] < 5


@pytest.mark.parametrize(
    ("policy", "label"),
    [
        ("../../etc", "1"),
        ("ok", "../../../tmp/evil"),
        ("ok", "1; DROP TABLE versions;--"),
        ("ok", "<script>alert(1)</script>"),
        ("Robert'); DROP TABLE policies;--", "1"),
        ("ok", "/abs"),
        ("ok", "a" * 500),
    ],
)
def test_hostile_slug_or_label_is_refused(fresh_env, cli, policy, label):
    result = cli(
        "ingest", str(WILD / "simple1.pdf"), "--policy", policy, "--version", label, "--effective", "2024-01-01"
    )
    assert result.exit_code != 0
    assert result.output.startswith("error: ") and "Traceback" not in result.output
    engine = make_engine(fresh_env)
    try:
        assert whole_archive_state(engine)["counts"]["versions"] == 0
    finally:
        engine.dispose()


def test_hostile_file_name_and_title_are_stored_harmlessly(fresh_env, cli, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    name = "x'; DROP TABLE versions;--<img src=x onerror=alert(1)> ..%2f..%2f.pdf"
    shutil.copy(WILD / "simple1.pdf", folder / name)
    title = "<script>alert(1)</script>'; DELETE FROM policies;--"
    before = tree_files(tmp_path.parent)
    result = cli(
        "ingest", str(folder / name), "--policy", "ok", "--version", "1", "--effective", "2024-01-01", "--title", title
    )
    assert result.exit_code == 0, result.output
    engine = make_engine(fresh_env)
    try:
        with read_session(engine) as session:
            assert storage.get_policy(session, "ok").title == title
            [version] = storage.list_versions(session)
            assert version.origin.endswith(name)
        assert whole_archive_state(engine)["problems"] == []
    finally:
        engine.dispose()
    # The bytes live in the database: nothing new appears anywhere but the archive's own var folder.
    new = {
        p
        for p in tree_files(tmp_path.parent) - before
        if not p.startswith(f"{tmp_path.name}/var") and not p.endswith((".db-wal", ".db-shm", ".db-journal"))
    }
    assert new == set()


def test_the_extraction_deadline_holds_when_the_parser_swallows_the_alarm():
    """pdfminer has bare `except:` clauses: an alarm landing in one must not let the file through."""
    import time

    from archive.errors import LimitExceeded
    from ingest.service import _deadline

    start = time.perf_counter()
    with pytest.raises(LimitExceeded, match="longer than the limit of 0.05 s"), _deadline(0.05, "x.pdf"):
        while time.perf_counter() - start < 0.4:
            try:  # noqa: SIM105 - written as a parser's bare except is
                time.sleep(0.01)
            except BaseException:  # noqa: BLE001, S110
                pass
    # Once out, no alarm is left armed.
    time.sleep(0.1)
