"""Getting the source files a manifest names: download the publisher's originals, or take local copies.

Where each file came from is written beside it (`.provenance.json`) so ingest can record it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from archive.errors import ChecksumMismatch, FetchFailed, ManifestError
from ingest.manifest import Manifest, ManifestVersion

PROVENANCE_FILE = ".provenance.json"


@dataclass(frozen=True)
class FetchResult:
    label: str
    file: Path
    outcome: str  # present / downloaded / copied / changed-kept
    sha256: str
    matches_reference: bool | None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_provenance(folder: Path) -> dict[str, dict]:
    """{file name: where it came from} for a manifest's folder; {} before anything was fetched.

    A damaged file is an error, not "no provenance": ingest would record the wrong origin, and fetch
    would write over the other files' entries.
    """
    path = folder / PROVENANCE_FILE
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        reason = exc.strerror if isinstance(exc, OSError) else "not JSON text"
        raise ManifestError(f"{path}: cannot read it ({reason}); repair or delete it and fetch again") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: not a JSON object of files; repair or delete it and fetch again")
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise ManifestError(f"{path}: the entry for '{name}' is not a JSON object; repair or delete it")
    return data


def _record(folder: Path, file: str, entry: dict) -> None:
    data = read_provenance(folder)
    data[file] = entry
    tmp = folder / (PROVENANCE_FILE + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, folder / PROVENANCE_FILE)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _download(url: str, timeout: float, max_bytes: int) -> Path:
    """Download to a temporary file; the caller moves it into place only once it is checked."""
    request = urllib.request.Request(url, headers={"User-Agent": "policy-archive/0.1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - manifest URLs
            fd, name = tempfile.mkstemp(suffix=".part")
            size = 0
            with os.fdopen(fd, "wb") as out:
                while chunk := resp.read(1 << 16):
                    size += len(chunk)
                    if size > max_bytes:
                        out.close()
                        os.unlink(name)
                        raise FetchFailed(f"{url}: larger than the limit of {max_bytes} bytes")
                    out.write(chunk)
            return Path(name)
    except urllib.error.HTTPError as exc:
        raise FetchFailed(f"{url}: the server answered HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise FetchFailed(f"{url}: cannot reach the server ({exc.reason}); no network?") from None
    except (TimeoutError, OSError) as exc:
        raise FetchFailed(f"{url}: download failed ({exc})") from None


def fetch_version(
    manifest: Manifest,
    version: ManifestVersion,
    *,
    from_dir: Path | None = None,
    accept_changed: bool = False,
    timeout: float = 30.0,
    max_bytes: int = 100 * 1024 * 1024,
) -> FetchResult:
    target = manifest.path_of(version)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and from_dir is None:
        sha = sha256_file(target)
        return FetchResult(version.label, target, "present", sha, _matches(sha, version))
    if from_dir is not None:
        source = from_dir / version.file
        if not source.is_file():
            raise FetchFailed(f"{source}: not found (version {version.label} expects this file name)")
        shutil.copyfile(source, target)
        sha = sha256_file(target)
        # A local copy is kept whatever its hash; ingest marks it by comparing with the manifest.
        _record(manifest.folder, version.file, {"origin": f"local:{source.resolve()}", "retrieved_at": _now()})
        return FetchResult(version.label, target, "copied", sha, _matches(sha, version))
    if not version.url:
        raise FetchFailed(f"version {version.label}: the manifest gives no url to download from")
    tmp = _download(version.url, timeout, max_bytes)
    try:
        sha = sha256_file(tmp)
        matches = _matches(sha, version)
        if matches is False and not accept_changed:
            raise ChecksumMismatch(
                f"{version.url}: sha256 {sha} differs from the manifest's {version.sha256}; not kept "
                "(the publisher may have re-uploaded it: --accept-changed keeps it, flagged as differing)"
            )
        shutil.move(str(tmp), target)
    finally:
        tmp.unlink(missing_ok=True)
    _record(
        manifest.folder,
        version.file,
        {"origin": "download", "source_url": version.url, "retrieved_at": _now(), "sha256": sha},
    )
    return FetchResult(version.label, target, "downloaded" if matches is not False else "changed-kept", sha, matches)


def _matches(sha: str, version: ManifestVersion) -> bool | None:
    return None if version.sha256 is None else sha == version.sha256
