"""Export and import: the whole archive round-trips with identical content, verified by hashes;
a non-empty target, a tampered bundle or a failure half-way leaves the database untouched."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from archive.db import storage
from archive.db.engine import make_engine, read_session, upgrade
from archive.services import backup
from tests.conftest import WILD
from tests.reliability.helpers import whole_archive_state


@pytest.fixture(scope="module")
def bundle(corpus_settings, tmp_path_factory) -> Path:
    """The shared corpus archive, exported once (export only reads)."""
    engine = make_engine(corpus_settings)
    try:
        target = tmp_path_factory.mktemp("bundle") / "corpus.tar"
        backup.export_bundle(engine, target)
    finally:
        engine.dispose()
    return target


def _files(bundle_tar: Path) -> dict[str, str]:
    with tarfile.open(bundle_tar) as tar:
        return json.loads(tar.extractfile(backup.MANIFEST).read())["files"]


def _snapshot(engine) -> dict:
    """Everything a reader sees, through the storage interface."""
    with read_session(engine) as session:
        versions = storage.list_versions(session)
        return {
            "versions": versions,
            "clauses": {(v.policy, v.label): storage.clauses(session, v.policy, v.label) for v in versions},
            "pages": {(v.policy, v.label): storage.pages(session, v.policy, v.label) for v in versions},
            "bytes": {(v.policy, v.label): storage.snapshot_content(session, v.policy, v.label) for v in versions},
            "log": {(v.policy, v.label): storage.extraction_log(session, v.policy, v.label) for v in versions},
        }


def test_round_trip_is_identical(bundle, corpus_engine, fresh_engine, cli, tmp_path):
    result = cli("import", str(bundle))
    assert result.exit_code == 0, result.output
    assert "every checksum verified" in result.output
    assert _snapshot(fresh_engine) == _snapshot(corpus_engine)
    assert whole_archive_state(fresh_engine)["problems"] == []
    # Exported again, the restored archive gives the same bytes, file for file.
    again = tmp_path / "again"
    assert cli("export", str(again)).exit_code == 0
    assert json.loads((again / backup.MANIFEST).read_text())["files"] == _files(bundle)
    # New rows get ids after the restored ones (PostgreSQL's sequences were moved past them).
    simple = WILD / "simple1.pdf"
    result = cli("ingest", str(simple), "--policy", "after", "--version", "1", "--effective", "2024-01-01")
    assert result.exit_code == 0, result.output


def _without_page_breaks(files):
    """A format 1 bundle: exported before clauses recorded their page breaks."""
    rows = [json.loads(line) for line in files["tables/clauses.jsonl"].decode().splitlines()]
    assert all("page_breaks" in row for row in rows)
    files["tables/clauses.jsonl"] = b"".join(backup._line({k: v for k, v in row.items() if k != "page_breaks"})
                                             for row in rows)
    manifest = json.loads(files[backup.MANIFEST])
    assert manifest["format_version"] == backup.FORMAT_VERSION == 2
    files[backup.MANIFEST] = json.dumps({**manifest, "format_version": 1}).encode()
    _reseal(files)


def test_a_bundle_older_than_a_column_still_imports(bundle, corpus_engine, fresh_engine, cli, tmp_path):
    older = tmp_path / "older.tar"
    _rewrite(bundle, older, _without_page_breaks)
    result = cli("import", str(older))
    assert result.exit_code == 0, result.output
    restored, original = _snapshot(fresh_engine), _snapshot(corpus_engine)
    # Its clauses hold what clauses extracted before the column hold (not recorded), and nothing else
    # differs; the next ingest of their versions extracts them again (test_cli_qa3).
    assert all(c.page_breaks is None for tree in restored["clauses"].values() for c in tree)
    assert any(c.page_breaks for tree in original["clauses"].values() for c in tree)
    for tree in original["clauses"].values():
        for c in tree:
            c.page_breaks = None
    assert restored == original


def test_round_trip_across_database_kinds(bundle, corpus_engine, tmp_path):
    """A bundle from one kind of database restores into SQLite (and, in the PostgreSQL run, the reverse)."""
    engine = make_engine(url=f"sqlite:///{tmp_path / 'other.db'}")
    try:
        upgrade(engine)
        backup.import_bundle(engine, bundle)
        # Timestamps come back naive from SQLite and aware from PostgreSQL; the canonical export
        # (UTC) is the fair comparison: file for file the same bytes.
        backup.export_bundle(engine, tmp_path / "again.tar")
        assert _files(tmp_path / "again.tar") == _files(bundle)
        assert _snapshot(engine)["clauses"] == _snapshot(corpus_engine)["clauses"]
    finally:
        engine.dispose()


def test_refuses_a_non_empty_database(bundle, corpus_env, corpus_engine, cli):
    before = whole_archive_state(corpus_engine)
    result = cli("import", str(bundle))
    assert result.exit_code == 1
    assert result.output.strip() == "error: the database is not empty; import only restores into an empty archive"
    assert whole_archive_state(corpus_engine) == before


def test_export_refuses_an_existing_target(corpus_env, cli, tmp_path):
    result = cli("export", str(tmp_path))
    assert result.exit_code == 1 and "already exists" in result.output


def _rewrite(src: Path, dst: Path, change) -> None:
    """Copy a bundle .tar, letting `change(files)` edit the {name: bytes} map first."""
    with tarfile.open(src) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}
    change(files)
    with tarfile.open(dst, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _reseal(files: dict[str, bytes]) -> None:
    """What a careful tamperer does: recompute the manifest's checksums."""
    manifest = json.loads(files[backup.MANIFEST])
    manifest["files"] = {n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != backup.MANIFEST}
    files[backup.MANIFEST] = json.dumps(manifest).encode()


def _flip_snapshot_byte(files):
    name = next(n for n in files if n.startswith("files/"))
    files[name] = files[name][:-1] + bytes([files[name][-1] ^ 1])


def _edit_text_and_reseal(files):
    lines = files["tables/versions.jsonl"].decode().splitlines(keepends=True)
    row = json.loads(lines[0])
    row["full_text"] = row["full_text"].replace("the", "no", 1)
    lines[0] = json.dumps(row) + "\n"
    files["tables/versions.jsonl"] = "".join(lines).encode()
    _reseal(files)


def _break_last_table_and_reseal(files):
    # Everything before clauses loads; the bad clause row must roll all of it back.
    files["tables/clauses.jsonl"] += b'{"id": 1, "bogus": true}\n'
    _reseal(files)


TAMPERING = {
    "snapshot byte flipped": (_flip_snapshot_byte, "does not match its sha256"),
    "row edited, manifest resealed": (_edit_text_and_reseal, "text does not match"),
    "bad row late, manifest resealed": (_break_last_table_and_reseal, "malformed row"),
    "file removed": (lambda f: f.pop("tables/pages.jsonl"), "missing files"),
    "file added": (lambda f: f.update({"files/extra": b"x"}), "does not list"),
    "path traversal member": (lambda f: f.update({"../escape": b"x"}), "not a plain relative path"),
    "manifest not JSON": (lambda f: f.update({backup.MANIFEST: b"{"}), "not valid JSON"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampered_bundle_is_refused_and_nothing_is_written(bundle, fresh_engine, cli, tmp_path, case):
    change, message = TAMPERING[case]
    bad = tmp_path / "bad.tar"
    _rewrite(bundle, bad, change)
    result = cli("import", str(bad))
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and message in result.output, result.output
    assert result.output.count("\n") == 1
    assert not (tmp_path.parent / "escape").exists()
    with read_session(fresh_engine) as session:
        assert storage.archive_is_empty(session)


def test_not_a_bundle(fresh_env, cli, tmp_path):
    (tmp_path / "junk.tar").write_bytes(b"\x00garbage" * 100)
    for target in (tmp_path / "junk.tar", tmp_path / "missing", tmp_path):
        result = cli("import", str(target))
        assert result.exit_code == 2 and result.output.startswith("error: "), result.output


def test_a_bundle_of_an_unknown_format_is_refused_by_its_format(bundle, fresh_engine, cli, tmp_path):
    def newer(files):
        manifest = json.loads(files[backup.MANIFEST])
        files[backup.MANIFEST] = json.dumps({**manifest, "format_version": backup.FORMAT_VERSION + 1}).encode()

    bad = tmp_path / "newer.tar"
    _rewrite(bundle, bad, newer)
    result = cli("import", str(bad))
    assert result.exit_code == 2, result.output
    said = f"bundle format {backup.FORMAT_VERSION + 1} is not supported"
    assert result.output.startswith("error: ") and said in result.output, result.output
    with read_session(fresh_engine) as session:
        assert storage.archive_is_empty(session)
