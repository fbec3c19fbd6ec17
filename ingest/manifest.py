"""Manifests: `data/versions/SLUG/versions.toml` names a policy and each of its versions.

Policies are data: adding one is a new manifest, never new code.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from archive.dates import is_day, parse_day
from archive.errors import ManifestError, PolicyNotFound
from archive.types import PolicyInfo

MANIFEST_NAME = "versions.toml"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ManifestVersion:
    label: str
    effective: dt.date
    file: str  # file name inside the policy's folder
    url: str | None
    sha256: str | None  # the publisher's
    pages: int | None = None
    title: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Manifest:
    policy: PolicyInfo
    versions: tuple[ManifestVersion, ...]
    folder: Path

    def path_of(self, version: ManifestVersion) -> Path:
        return self.folder / version.file

    def version(self, label: str) -> ManifestVersion | None:
        return next((v for v in self.versions if v.label == label), None)


def check_slug(slug: str) -> str:
    if not SLUG_RE.fullmatch(slug):
        raise ManifestError(f"invalid policy slug '{slug}': use lowercase letters, digits and hyphens")
    return slug


def check_label(label: str) -> str:
    if not LABEL_RE.fullmatch(label) or ".." in label:
        raise ManifestError(f"invalid version label '{label}': use letters, digits, '.', '_' and '-'")
    return label


def check_label_date(label: str, effective: dt.date, where: str) -> None:
    """A label spelled as a day must be the version's effective date: everywhere a version is named,
    a day means the version in force then, and another version's label would hide that day."""
    if is_day(label) and label != effective.isoformat():
        raise ManifestError(
            f"{where}: label '{label}' is a date but not the version's effective date ({effective.isoformat()}): "
            "a date names the version in force that day, so label it otherwise"
        )


def parse_effective(value: object, *, where: str = "effective date") -> dt.date:
    """A past or present calendar date; a malformed or future one is refused."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = parse_day(value.strip())
        except ValueError as exc:
            raise ManifestError(f"{where} {exc}") from None
    if value is None:
        raise ManifestError(f"{where} is missing (effective = YYYY-MM-DD)")
    if not isinstance(value, dt.date):
        raise ManifestError(f"{where} '{str(value)[:40]}' is not a date (YYYY-MM-DD)")
    if value > dt.date.today():
        raise ManifestError(f"{where} {value.isoformat()} is in the future")
    return value


def _text(table: dict, key: str, where: str) -> str | None:
    """An optional string field; another type (title = 5, note = ["a"]) is refused, not stored as is."""
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ManifestError(f"{where}: {key} must be a string, not {type(value).__name__} {str(value)[:40]!r}")
    return value


def _blank(path: Path, key: str) -> str:
    raise ManifestError(f"{path}: [policy] {key} is empty")


def _url(table: dict, key: str, where: str) -> str | None:
    """An optional web address: http(s) with a host. Pages link it and citations carry it, so a
    "javascript:" or "file:" address from someone's manifest would run or leak in a reader's browser."""
    value = _text(table, key, where)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ManifestError(f"{where}: {key} must be an http(s) address, not {value[:60]!r}")
    return value


def load_manifest(path: Path) -> Manifest:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a byte-order mark some editors write
    except FileNotFoundError:
        raise ManifestError(f"{path}: manifest not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: not valid TOML ({exc})") from None
    policy = data.get("policy")
    if not isinstance(policy, dict):
        raise ManifestError(f"{path}: missing [policy] table")
    try:
        info = PolicyInfo(
            slug=check_slug(str(policy["slug"])),
            title=(_text(policy, "title", f"{path}: [policy]") or policy["title"]).strip() or _blank(path, "title"),
            publisher=_text(policy, "publisher", f"{path}: [policy]") or "",
            landing_page=_url(policy, "landing_page", f"{path}: [policy]"),
        )
    except KeyError as exc:
        raise ManifestError(f"{path}: [policy] lacks {exc.args[0]}") from None
    entries = data.get("versions", [])
    if not isinstance(entries, list):
        raise ManifestError(f"{path}: versions must be [[versions]] tables, not {type(entries).__name__}")
    versions = []
    seen: set[str] = set()
    dates: dict[dt.date, str] = {}  # one version per effective date, or a date would name two
    for i, entry in enumerate(entries):
        where = f"{path}: versions[{i}]"
        if not isinstance(entry, dict):
            raise ManifestError(f"{where} is not a table ([[versions]]) but {type(entry).__name__}")
        try:
            raw_label = entry["label"]
            file = _text(entry, "file", where) or entry["file"]
        except KeyError as exc:
            raise ManifestError(f"{where} lacks {exc.args[0]}") from None
        if not isinstance(raw_label, str):  # TOML reads label = 3.10 as the number 3.1: its zero is lost
            raise ManifestError(
                f'{where}: label must be quoted text (label = "3.10"); unquoted, TOML read it as the '
                f"{type(raw_label).__name__} {str(raw_label)[:40]}"
            )
        label = check_label(raw_label)
        if label in seen:
            raise ManifestError(f"{where}: label '{label}' appears twice")
        seen.add(label)
        if Path(file).name != file or file.startswith("."):
            raise ManifestError(f"{where}: file '{file}' must be a plain file name")
        sha = entry.get("sha256")
        if sha is not None and not SHA_RE.fullmatch(str(sha).lower()):
            raise ManifestError(f"{where}: sha256 '{sha}' is not 64 hex digits")
        pages = entry.get("pages")
        if pages is not None and (type(pages) is not int or pages < 1):
            raise ManifestError(f"{where}: pages must be a whole number of pages, not {str(pages)[:40]!r}")
        effective = parse_effective(entry.get("effective"), where=f"{where} effective date")
        check_label_date(label, effective, where)
        if effective in dates:
            raise ManifestError(
                f"{where}: {dates[effective]} already takes effect on {effective.isoformat()}; "
                f"{label} needs a date of its own"
            )
        dates[effective] = label
        versions.append(
            ManifestVersion(
                label=label,
                effective=effective,
                file=file,
                url=_url(entry, "url", where),
                sha256=str(sha).lower() if sha else None,
                pages=pages,
                title=_text(entry, "title", where),
                note=_text(entry, "note", where),
            )
        )
    if info.slug != path.parent.name:
        raise ManifestError(f"{path}: slug '{info.slug}' does not match its folder '{path.parent.name}'")
    return Manifest(policy=info, versions=tuple(versions), folder=path.parent)


def manifest_for(versions_dir: Path, slug: str) -> Manifest:
    check_slug(slug)
    path = versions_dir / slug / MANIFEST_NAME
    if not path.exists():
        raise PolicyNotFound(f"no manifest for policy '{slug}' (looked for {path})")
    return load_manifest(path)


def all_manifests(versions_dir: Path) -> list[Manifest]:
    return [load_manifest(p) for p in sorted(versions_dir.glob(f"*/{MANIFEST_NAME}"))]
