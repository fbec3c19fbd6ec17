"""Export the whole archive as a portable bundle, and import a bundle into an empty database.

A bundle is a folder (or a .tar of one):

    MANIFEST.json            format, counts, and the sha256 of every other file
    tables/<table>.jsonl     one JSON object per row, in id order, in a canonical form
    files/<sha256>           the bytes of every snapshot, named by their hash

Rows are written in a canonical form (UTC timestamps, sorted keys), so the same archive exports to
the same bytes from SQLite or PostgreSQL. Import checks every file against the manifest before it
touches the database, inserts everything in one transaction, then exports the rows it just wrote
(still inside that transaction) and compares them with the bundle: any difference rolls it all back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError, ProgrammingError
from sqlalchemy.orm import Session

from archive.db import storage
from archive.db.engine import ensure_schema, read_session, transaction
from archive.errors import ArchiveError, ChecksumMismatch, Conflict, InvalidInput

FORMAT = "policy-archive-bundle"
# 2: clauses carry page_breaks. A release that reads format 1 only refuses a newer bundle by its
# format, not by a column it does not know; this one still imports format 1 (storage.LATER_COLUMNS).
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
MANIFEST = "MANIFEST.json"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class BundleSummary:
    path: Path
    counts: dict[str, int]
    files: int
    bytes: int


# --- canonical rows ---------------------------------------------------------------------------


def _canonical(value: object) -> object:
    if isinstance(value, dt.datetime):
        # SQLite hands back naive datetimes for timestamptz columns; they were written in UTC.
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _line(row: dict) -> bytes:
    data = {k: _canonical(v) for k, v in row.items()}
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _table_lines(session: Session, table: str, without: Collection[str] = ()) -> Iterator[bytes]:
    """The table's rows as bundle lines, less the columns `without` and those the database lacks."""
    for row in storage.dump_rows(session, table, {*without, *storage.absent_columns(session, table)}):
        yield _line(row)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


# --- export -----------------------------------------------------------------------------------


# Names that promise another container format: writing a folder under such a name would mislead.
_OTHER_FORMATS = (".zip", ".gz", ".tgz", ".bz2", ".tbz", ".tbz2", ".xz", ".txz", ".zst", ".7z", ".rar", ".jar")


def export_bundle(engine: Engine, target: Path) -> BundleSummary:
    """Write the archive to `target`: a new folder, or a file ending in .tar."""
    suffix = target.suffix.lower()
    if suffix in _OTHER_FORMATS:
        raise InvalidInput(f"{target}: a bundle is written as a folder or a .tar file, not {suffix}")
    as_tar = suffix == ".tar"
    if target.exists():
        raise Conflict(f"{target}: already exists; give a new folder or .tar file name")
    if not target.parent.is_dir():
        raise InvalidInput(f"{target.parent}: no such folder")
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pa-export-") as tmp:
            folder = Path(tmp) / "bundle"
            summary = _write_folder(engine, folder)
            if as_tar:
                partial = Path(tmp) / "bundle.tar"
                with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
                    for rel in sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()):
                        tar.add(folder / rel, arcname=rel, recursive=False)
                os.replace(partial, target)  # appears whole or not at all
            else:
                os.replace(folder, target)
    except OSError as exc:  # a folder we may not write in, a full disk...: nothing is left behind
        raise InvalidInput(f"{target}: cannot write the bundle ({exc.strerror or type(exc).__name__})") from None
    return BundleSummary(target, summary.counts, summary.files, summary.bytes)


def _write_folder(engine: Engine, folder: Path) -> BundleSummary:
    (folder / "tables").mkdir(parents=True)
    (folder / "files").mkdir()
    checksums: dict[str, str] = {}
    counts: dict[str, int] = {}
    total = 0
    with read_session(engine) as session:
        storage.begin_consistent_read(session)  # one snapshot of the database for the whole export
        for table in storage.BACKUP_TABLES:
            rel = f"tables/{table}.jsonl"
            h, n = hashlib.sha256(), 0
            with (folder / rel).open("wb") as fh:
                for line in _table_lines(session, table):
                    fh.write(line)
                    h.update(line)
                    n += 1
            checksums[rel] = h.hexdigest()
            counts[table] = n
        for sha, content in storage.iter_snapshot_contents(session):
            if hashlib.sha256(content).hexdigest() != sha:
                raise ChecksumMismatch(f"snapshot {sha[:12]}… in the database does not match its own sha256")
            rel = f"files/{sha}"
            (folder / rel).write_bytes(content)
            checksums[rel] = sha
            total += len(content)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "counts": counts,
        "files": dict(sorted(checksums.items())),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return BundleSummary(folder, counts, len(checksums), total)


# --- import -----------------------------------------------------------------------------------


def _safe_rel(name: str) -> str:
    """A bundle member name that stays inside the bundle, or an error."""
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or not p.parts or "\\" in name or "\x00" in name:
        raise ChecksumMismatch(f"bundle member '{name}' is not a plain relative path; refused")
    return p.as_posix()


@contextmanager
def _opened(bundle: Path) -> Iterator[Path]:
    """The bundle as a folder: itself, or a .tar unpacked (regular files only) into a temp folder."""
    if bundle.is_dir():
        yield bundle
        return
    if not bundle.is_file():
        raise InvalidInput(f"{bundle}: no such bundle (a folder or a .tar file)")
    with tempfile.TemporaryDirectory(prefix="pa-import-") as tmp:
        root = Path(tmp)
        try:
            with tarfile.open(bundle, "r:*") as tar:
                for member in tar:
                    rel = _safe_rel(member.name)
                    if member.isdir():
                        continue
                    if not member.isfile():
                        raise ChecksumMismatch(f"bundle member '{member.name}' is not a regular file; refused")
                    dest = root / rel
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    src = tar.extractfile(member)
                    assert src is not None
                    with src, dest.open("wb") as out:
                        shutil.copyfileobj(src, out, _CHUNK)
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise InvalidInput(f"{bundle}: not a readable .tar bundle ({type(exc).__name__})") from None
        yield root


def _read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise InvalidInput(f"{folder}: no {MANIFEST}; not a policy-archive bundle") from None
    except (ValueError, UnicodeDecodeError):
        raise ChecksumMismatch(f"{folder / MANIFEST}: not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidInput(f"{folder}: not a policy-archive bundle")
    if manifest.get("format_version") not in READABLE_FORMATS:
        raise InvalidInput(f"{folder}: bundle format {manifest.get('format_version')!r} is not supported")
    if not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("counts"), dict):
        raise ChecksumMismatch(f"{folder / MANIFEST}: malformed")
    return manifest


def verify_bundle(folder: Path) -> dict:
    """Check every file against the manifest (and that nothing is missing or extra); the manifest."""
    manifest = _read_manifest(folder)
    listed = {_safe_rel(k): v for k, v in manifest["files"].items()}
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()}
    present.discard(MANIFEST)
    if extra := sorted(present - set(listed)):
        raise ChecksumMismatch(f"bundle holds files its manifest does not list: {', '.join(extra[:3])}")
    if missing := sorted(set(listed) - present):
        raise ChecksumMismatch(f"bundle is missing files its manifest lists: {', '.join(missing[:3])}")
    for rel, sha in listed.items():
        path = folder / rel
        if path.is_symlink() or not path.is_file():
            raise ChecksumMismatch(f"bundle member '{rel}' is not a regular file; refused")
        if _sha256_file(path) != sha:
            raise ChecksumMismatch(f"bundle file '{rel}' does not match its sha256 in the manifest (tampered?)")
    for table in storage.BACKUP_TABLES:
        if f"tables/{table}.jsonl" not in listed:
            raise ChecksumMismatch(f"bundle has no table '{table}'")
    return manifest


def _rows(path: Path) -> Iterator[dict]:
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, 1):
            try:
                row = json.loads(raw)
            except ValueError:
                raise ChecksumMismatch(f"{path.name} line {n}: not JSON") from None
            if not isinstance(row, dict):
                raise ChecksumMismatch(f"{path.name} line {n}: not a JSON object")
            yield row


def import_bundle(engine: Engine, bundle: Path) -> BundleSummary:
    """Restore `bundle` into an empty database, all or nothing."""
    with _opened(bundle) as folder:
        manifest = verify_bundle(folder)
        ensure_schema(engine)
        with transaction(engine) as session:
            if not storage.archive_is_empty(session):
                raise Conflict("the database is not empty; import only restores into an empty archive")
            total = 0
            slugs: dict[object, str] = {}  # policy id -> slug, to name versions that share a date
            # Per table, the columns its rows named: a bundle older than a column reads back without it.
            named: dict[str, set[str]] = {}
            for table in storage.BACKUP_TABLES:
                rows = _keys_noted(_rows(folder / f"tables/{table}.jsonl"), named.setdefault(table, set()))
                if table == "policies":
                    rows = _slugs_noted(rows, slugs)
                elif table == "snapshots":
                    rows = _with_content(rows, folder, manifest["files"])
                elif table == "versions":
                    rows = _one_per_date(_text_checked(rows), slugs)
                try:
                    storage.load_rows(session, table, rows)
                except ArchiveError:
                    raise
                except (KeyError, TypeError, ValueError) as exc:
                    raise ChecksumMismatch(f"table '{table}' in the bundle has a malformed row ({exc})") from None
                except (IntegrityError, DataError, ProgrammingError) as exc:  # a duplicate, a value it cannot hold
                    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
                    raise ChecksumMismatch(
                        f"table '{table}' in the bundle has a row this database refuses ({reason}); nothing imported"
                    ) from None
            storage.reset_id_sequences(session)
            # Read back what was written, in the same transaction, and compare with the bundle.
            counts: dict[str, int] = {}
            for table in storage.BACKUP_TABLES:
                h, n = hashlib.sha256(), 0
                absent = set(storage.LATER_COLUMNS.get(table, {})) - named[table]
                for line in _table_lines(session, table, absent):
                    h.update(line)
                    n += 1
                if h.hexdigest() != manifest["files"][f"tables/{table}.jsonl"]:
                    raise ChecksumMismatch(f"table '{table}' read back differs from the bundle; nothing imported")
                counts[table] = n
            for sha, content in storage.iter_snapshot_contents(session):
                if hashlib.sha256(content).hexdigest() != sha:
                    raise ChecksumMismatch(f"snapshot {sha[:12]}… read back differs; nothing imported")
                total += len(content)
            storage.check_version_integrity(session)
    return BundleSummary(bundle, counts, len(manifest["files"]), total)


def _keys_noted(rows: Iterator[dict], keys: set[str]) -> Iterator[dict]:
    for row in rows:
        keys.update(row)
        yield row


def _with_content(rows: Iterator[dict], folder: Path, files: dict[str, str]) -> Iterator[dict]:
    for row in rows:
        sha = row.get("sha256")
        rel = f"files/{sha}"
        if not isinstance(sha, str) or files.get(rel) != sha:
            raise ChecksumMismatch(f"snapshot {str(sha)[:12]}… has no file in the bundle")
        yield {**row, "content": (folder / rel).read_bytes()}


def _slugs_noted(rows: Iterator[dict], slugs: dict[object, str]) -> Iterator[dict]:
    for row in rows:
        slugs[row.get("id")] = str(row.get("slug"))
        yield row


def _one_per_date(rows: Iterator[dict], slugs: dict[object, str]) -> Iterator[dict]:
    """Two versions of a policy in force from one day (an archive from before the rule, or an edited
    bundle) are named, rather than left to the unique index's bare IntegrityError."""
    seen: dict[tuple[object, object], object] = {}
    for row in rows:
        key = (row.get("policy_id"), row.get("effective"))
        if key in seen:
            raise Conflict(
                f"the bundle holds versions {seen[key]}, {row.get('label')} of '{slugs.get(key[0], key[0])}' "
                f"both in force from {key[1]}; an archive keeps one version per date: re-date one in the archive "
                "the bundle came from (`policy-archive ingest FILE --replace`), export again; nothing imported"
            )
        seen[key] = row.get("label")
        yield row


def _text_checked(rows: Iterator[dict]) -> Iterator[dict]:
    """A version's text must hash to its recorded text_sha256 (a row edited by hand is caught)."""
    for row in rows:
        text = row.get("full_text")
        if not isinstance(text, str) or hashlib.sha256(text.encode()).hexdigest() != row.get("text_sha256"):
            raise ChecksumMismatch(f"version {row.get('label')!r} in the bundle: text does not match its text_sha256")
        yield row
