"""The Whoosh index, kept matching what SQL holds.

Every call first checks it against SQL (`ensure_index`: a cheap probe per request, the full
fingerprint at least every FINGERPRINT_TTL_S); a missing, stale or damaged index is rebuilt (one
writer at a time, under a lock file) before anything is served, so ingesting a version needs no
explicit hook: the next search notices and rebuilds. The process keeps the opened index (searchers,
stored clauses, quote tables) between requests while it stays current.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from archive.db import storage
from archive.errors import ServiceUnavailable
from archive.search.index import (
    SearchIndex,
    dir_signature,
    entry_for,
    open_index,
    read_fingerprint,
    replace_index,
    write_index,
    writer_lock,
)
from archive.settings import Settings

_cache: dict[tuple[Path, str], _Held] = {}  # see ensure_index
_cache_lock = threading.Lock()
_reopen_lock = threading.Lock()  # see ensure_index
FINGERPRINT_TTL_S = 1.0  # longest a lineage/title-only SQL change can go unnoticed (ensure_index)


def sql_fingerprint(session: Session) -> str:
    rows = storage.index_fingerprint_rows(session)
    return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()


def entries(session: Session):
    policies = {p.slug: p for p in storage.list_policies(session)}
    for version in storage.list_versions(session):
        full_text = storage.version_text(session, version.policy, version.label)
        for i, clause in enumerate(storage.clauses(session, version.policy, version.label)):
            yield entry_for(version, i, clause, full_text=full_text, policy=policies.get(version.policy))


def _build(session: Session, path: Path, fingerprint: str) -> None:
    replace_index(path, lambda tmp: write_index(tmp, entries(session), fingerprint))


@dataclass
class _Held:
    """The index this process holds open for one (index folder, database), and when it was checked."""

    ix: SearchIndex
    probe: tuple
    checked_at: float  # monotonic time of the last full SQL fingerprint comparison
    files: tuple | None  # dir_signature of the folder when opened


def _key(settings: Settings, session: Session) -> tuple[Path, str]:
    bind = session.get_bind()
    return settings.index_path, bind.url.render_as_string(hide_password=True)


def _hold(key: tuple[Path, str], ix: SearchIndex, probe: tuple) -> SearchIndex:
    held = _Held(ix, probe, time.monotonic(), dir_signature(ix.path))
    with _cache_lock:
        old = _cache.get(key)
        _cache[key] = held
    if old is not None and old.ix is not ix:
        old.ix.close()
    return ix


def rebuild_index(settings: Settings, session: Session) -> SearchIndex:
    """Rebuild the index from SQL now (under the writer lock), whatever state it is in."""
    path = settings.index_path
    probe = storage.index_probe(session)
    fingerprint = sql_fingerprint(session)
    with writer_lock(path):
        _build(session, path, fingerprint)
        ix = open_index(path, fingerprint)
    if ix is None:
        raise ServiceUnavailable("the search index could not be built")
    return _hold(_key(settings, session), ix, probe)


def ensure_index(settings: Settings, session: Session) -> SearchIndex:
    """An index matching what SQL holds now: the one held open, reopened, or rebuilt if
    missing/stale/damaged.

    Per request this costs one small SQL probe (versions added, replaced or deleted) and a stat of
    the index folder's files (replaced, truncated, damaged). The full SQL fingerprint (which also
    covers lineage and policy-title changes and reads every clause row) is recomputed only when the
    probe changes or the last comparison is FINGERPRINT_TTL_S old, so a change the probe misses is
    served stale by a running process for at most FINGERPRINT_TTL_S seconds (plus the duration of
    requests already running).
    """
    key = _key(settings, session)
    path = settings.index_path
    probe = storage.index_probe(session)
    with _cache_lock:
        held = _cache.get(key)
    if held is not None and held.probe == probe and dir_signature(path) == held.files:
        if time.monotonic() - held.checked_at < FINGERPRINT_TTL_S:
            return held.ix
        if sql_fingerprint(session) == held.ix.fingerprint:
            held.checked_at = time.monotonic()
            return held.ix
    fingerprint = sql_fingerprint(session)
    # One thread per process reopens or rebuilds; the requests that noticed the change meanwhile
    # then take the index it holds instead of each opening (and caching into) a copy of their own.
    with _reopen_lock:
        with _cache_lock:
            held = _cache.get(key)
        if (
            held is not None
            and held.probe == probe
            and held.ix.fingerprint == fingerprint
            and dir_signature(path) == held.files
        ):
            return held.ix
        ix = open_index(path, fingerprint)
        if ix is None:
            with writer_lock(path):
                ix = open_index(path, fingerprint)  # another writer may have just rebuilt it
                if ix is None:
                    _build(session, path, fingerprint)
                    ix = open_index(path, fingerprint)
            if ix is None:
                raise ServiceUnavailable("the search index could not be built")
        return _hold(key, ix, probe)


def index_status(settings: Settings, session: Session) -> dict:
    path = settings.index_path
    meta = read_fingerprint(path) or {}
    fingerprint = sql_fingerprint(session)
    current = open_index(path, fingerprint) is not None
    return {
        "path": str(path),
        "exists": path.exists(),
        "current": current,
        "documents": meta.get("doc_count"),
        "fingerprint": fingerprint,
    }


def forget_held() -> None:
    """Drop the indexes this process holds open, as a restart does (the next call reopens)."""
    with _cache_lock:
        _cache.clear()
