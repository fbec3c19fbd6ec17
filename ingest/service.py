"""Ingest: source file -> snapshot -> extracted version, one transaction per version.

Extraction (slow, CPU) runs before the transaction opens, optionally in worker processes; the
write is short and all-or-nothing. Unchanged bytes with the same extractor are a no-op.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import hashlib
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from archive import types as t
from archive.db import storage
from archive.db.engine import ensure_schema, read_session, transaction
from archive.errors import ArchiveError, Conflict, ExtractionFailed, LimitExceeded, ManifestError
from archive.settings import Settings, get_settings
from ingest.fetch import PROVENANCE_FILE, read_provenance
from ingest.manifest import Manifest, check_label, check_label_date, check_slug, parse_effective
from ingest.pdf import EXTRACTOR_VERSION, extract_pdf

PDF_MEDIA_TYPE = "application/pdf"
PR_SET_PDEATHSIG = 1  # linux/prctl.h

# Called after a version is written, inside the same transaction (lineage, redline cache...).
PostWrite = Callable[[object, str, str], None]
_post_write_hooks: list[PostWrite] = []


def on_version_written(hook: PostWrite) -> PostWrite:
    _post_write_hooks.append(hook)
    return hook


@dataclass(frozen=True)
class IngestRequest:
    path: Path
    policy: t.PolicyInfo
    label: str
    effective: dt.date
    origin: str
    source_url: str | None = None
    reference_sha256: str | None = None
    title: str | None = None
    note: str | None = None
    retrieved_at: dt.datetime | None = None
    pages: int | None = None  # the manifest's page count of the publisher's file, if it gives one


@dataclass(frozen=True)
class IngestOutcome:
    policy: str
    label: str
    status: str  # ingested / unchanged / re-extracted / replaced / re-dated / failed
    message: str = ""
    pages: int = 0
    clauses: int = 0

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def requests_from_manifest(
    manifest: Manifest, labels: Iterable[str] | None = None
) -> tuple[list[IngestRequest], list[IngestOutcome]]:
    """Requests for manifest versions whose file is present; a named-but-missing file is a failure."""
    wanted = set(labels) if labels else None
    provenance = read_provenance(manifest.folder)
    requests, missing = [], []
    for v in manifest.versions:
        if wanted is not None and v.label not in wanted:
            continue
        path = manifest.path_of(v)
        if not path.is_file():
            missing.append(
                IngestOutcome(
                    manifest.policy.slug,
                    v.label,
                    "failed",
                    f"{path}: file named by the manifest is missing (run fetch)",
                )
            )
            continue
        origin, source_url, retrieved_at = _provenance(manifest.folder, v.file, provenance.get(v.file, {}))
        requests.append(
            IngestRequest(
                path=path,
                policy=manifest.policy,
                label=v.label,
                effective=v.effective,
                origin=origin or f"local:{path}",
                source_url=source_url or v.url,
                reference_sha256=v.sha256,
                title=v.title,
                note=v.note,
                retrieved_at=retrieved_at,
                pages=v.pages,
            )
        )
    if wanted:
        unknown = wanted - {v.label for v in manifest.versions}
        missing += [
            IngestOutcome(
                manifest.policy.slug, u, "failed", f"manifest of '{manifest.policy.slug}' has no version '{u}'"
            )
            for u in sorted(unknown)
        ]
    return requests, missing


def _provenance(folder: Path, file: str, entry: dict) -> tuple[str | None, str | None, dt.datetime | None]:
    """(origin, source URL, retrieval time) from a file's .provenance.json entry, each checked."""
    where = f"{folder / PROVENANCE_FILE}: the entry for '{file}'"
    for key in ("origin", "source_url", "retrieved_at"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise ManifestError(f"{where}: {key} must be a string, not {str(entry[key])[:40]!r}")
    retrieved = entry.get("retrieved_at")
    try:
        retrieved_at = dt.datetime.fromisoformat(retrieved) if retrieved else None
    except ValueError:
        raise ManifestError(f"{where}: retrieved_at '{retrieved[:40]}' is not an ISO 8601 time") from None
    return entry.get("origin"), entry.get("source_url"), retrieved_at


def check_new_title(engine: Engine, slug: str, title: str) -> None:
    """A title given with one file names a new policy: an archived one keeps its own (its manifest
    changes it), or one file would retitle every citation of its other versions."""
    with read_session(engine) as session:
        known = next((p for p in storage.list_policies(session) if p.slug == slug), None)
    if known is not None and known.title != title:
        raise Conflict(f"policy '{slug}' is archived as '{known.title[:80]}': --title only names a new policy")


def single_file_request(
    path: Path, *, slug: str, label: str, effective: str, title: str | None, policy_title: str | None
) -> IngestRequest:
    check_slug(slug)
    check_label(label)
    day = parse_effective(effective)
    check_label_date(label, day, f"{slug}@{label}")
    return IngestRequest(
        path=path,
        # No --title: an archived policy keeps its own; a new one is named by its slug (upsert_policy).
        policy=t.PolicyInfo(slug=slug, title=policy_title or "", publisher=""),
        label=label,
        effective=day,
        origin=f"cli:{path.resolve()}",
        title=title,
    )


def _read_checked(path: Path, settings: Settings) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ExtractionFailed(f"{path}: file not found") from None
    except OSError as exc:  # a parent that is a file, a folder we may not enter...
        raise ExtractionFailed(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ExtractionFailed(f"{path}: is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        # A FIFO would block forever, and the extractor reads the path a second time anyway.
        raise ExtractionFailed(f"{path}: not a regular file (a device, FIFO or socket)")
    if st.st_size > settings.max_file_bytes:
        raise ExtractionFailed(f"{path}: {st.st_size} bytes is over the limit of {settings.max_file_bytes}")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ExtractionFailed(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None


ALARM_REPEAT_S = 0.05


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so the parser's own `except Exception` cannot swallow it."""


@contextmanager
def _deadline(seconds: float, name: str) -> Iterator[None]:
    """Give up on one file after `seconds` (settings.extract_timeout_s), so a hostile PDF cannot hang ingest.

    Uses SIGALRM, which only a process's main thread may set: the CLI and the pool workers extract
    there. In any other thread the limit is not enforced. The parser has bare `except:` clauses that
    can swallow the alarm's exception, so the alarm repeats every ALARM_REPEAT_S until one lands
    outside them, and a file whose extraction outlived the limit fails even if every alarm was
    swallowed.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    state = {"armed": True, "fired": False}

    def _alarm(_sig, _frame) -> None:
        if state["armed"]:
            state["fired"] = True
            raise _Timeout

    previous = signal.signal(signal.SIGALRM, _alarm)

    def _stop() -> None:
        state["armed"] = False  # first: from here on no alarm raises
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    signal.setitimer(signal.ITIMER_REAL, seconds, ALARM_REPEAT_S)
    try:
        try:
            yield
        finally:
            _stop()
    except _Timeout:
        _stop()
    if state["fired"]:
        raise LimitExceeded(f"{name}: extraction took longer than the limit of {seconds:g} s")


def _extract(
    path: str, password: str | None, max_pages: int, max_bytes: int, timeout_s: float = 300.0
) -> t.ExtractedDocument | ArchiveError:
    """Worker entry point: errors come back as values so one bad file never stops a batch."""
    try:
        with _deadline(timeout_s, Path(path).name):
            return extract_pdf(Path(path), password=password, max_pages=max_pages, max_bytes=max_bytes)
    except ArchiveError as exc:
        return exc
    except Exception as exc:  # a parser bug must not take the batch down; report it in one line
        return ExtractionFailed(f"{path}: could not extract text ({type(exc).__name__}: {exc})")


def _die_with_parent(parent: int) -> None:
    """Pool worker set-up: end when the ingest that started it ends, even by SIGKILL. A killed ingest
    runs no clean-up, and its workers slept on forever (about 95 MB each) under PID 1."""
    if sys.platform.startswith("linux"):
        # Without prctl (another libc) the check below still catches a parent already dead.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, initializer=_die_with_parent, initargs=(os.getpid(),))


def _extract_alone(path: Path, *args) -> t.ExtractedDocument | ArchiveError:
    """_extract in a process of its own, so that a file that kills its process (the OOM killer, a
    crash in the PDF parser) fails alone and the rest of a parallel batch is still ingested."""
    with _pool(1) as pool:
        try:
            return pool.submit(_extract, str(path), *args).result()
        except BrokenProcessPool:
            return ExtractionFailed(
                f"{path}: the process extracting it died (killed: out of memory, or a crash in the PDF parser)"
            )


def _plan(engine: Engine, req: IngestRequest, sha: str, replace: bool) -> str:
    """What to do with this file: 'new', 'unchanged', 're-extraction', 'replacement' or 're-dating'."""
    with transaction(engine) as session:
        if not storage.policy_exists(session, req.policy.slug):
            return "new"
        kind = _decide(req, storage.version_state(session, req.policy.slug, req.label), sha, replace)
        if kind != "unchanged":
            _check_date_free(session, req)
    return kind


def _decide(req: IngestRequest, state: tuple[str, str, dt.date, bool] | None, sha: str, replace: bool) -> str:
    if state is None:
        return "new"
    stored_sha, stored_extractor, stored_effective, unrecorded = state
    if stored_sha != sha:
        if not replace:
            raise Conflict(
                f"{req.path}: version {req.label} of '{req.policy.slug}' is already archived from other bytes "
                f"(sha256 {stored_sha[:12]}…); --replace stores the new file and keeps the old snapshot"
            )
        return "replacement"
    # Same bytes under another date is no re-ingest: "unchanged" would silently keep the old date.
    if stored_effective != req.effective and not replace:
        raise Conflict(
            f"{req.path}: {req.policy.slug}@{req.label} is archived with effective date "
            f"{stored_effective.isoformat()}, not {req.effective.isoformat()}; --replace changes the date"
        )
    # An older extractor's work, or clauses stored without what the schema now records (page breaks,
    # written while an upgrade was blocked, or restored from an older bundle): extract again; but never
    # over a newer extractor's work (see _outdated).
    if _outdated(stored_extractor) or (unrecorded and not _newer(stored_extractor)):
        return "re-extraction"  # writes the new date too
    return "unchanged" if stored_effective == req.effective else "re-dating"


def _newer(stored_extractor: str) -> bool:
    """Whether a version was made by a newer extractor than this one."""
    return stored_extractor.isdigit() and EXTRACTOR_VERSION.isdigit() and int(stored_extractor) > int(EXTRACTOR_VERSION)


def _outdated(stored_extractor: str) -> bool:
    """Whether a version made by `stored_extractor` is re-extracted by this one: an older extractor,
    or one that cannot be ordered against it. A newer one (another deployment sharing the database,
    or a rollback) keeps its text; re-extracting it would undo that extractor's work."""
    if stored_extractor.isdigit() and EXTRACTOR_VERSION.isdigit():
        return int(stored_extractor) < int(EXTRACTOR_VERSION)
    return stored_extractor != EXTRACTOR_VERSION


def _check_date_free(session: Session, req: IngestRequest) -> None:
    """Two versions in force from one day would make that date name either of them."""
    other = storage.label_effective_on(session, req.policy.slug, req.effective, besides=req.label)
    if other is not None:
        raise Conflict(
            f"{req.policy.slug}: {other} already takes effect on {req.effective.isoformat()}; "
            f"{req.label} needs a date of its own"
        )


class _Raced(Exception):
    """Another process changed this version between our plan and our write; `now` is the new plan."""

    def __init__(self, now: str) -> None:
        self.now = now


def _write(
    engine: Engine, req: IngestRequest, content: bytes, doc: t.ExtractedDocument | None, kind: str, replace: bool
) -> None:
    with transaction(engine) as session:
        # Plan again inside the write's transaction: a concurrent ingest may have stored it meanwhile.
        storage.lock_for_write(session)
        state = storage.version_state(session, req.policy.slug, req.label, lock=True)
        now = _decide(req, state, hashlib.sha256(content).hexdigest(), replace)
        if now != kind:
            raise _Raced(now)
        _check_date_free(session, req)
        if kind == "re-dating":
            storage.set_effective(session, req.policy.slug, req.label, req.effective)
        else:
            assert doc is not None
            _save(session, req, content, doc, kind)
        for hook in _post_write_hooks:
            hook(session, req.policy.slug, req.label)


WRITE_ATTEMPTS = 3


def _write_retrying(
    engine: Engine, req: IngestRequest, content: bytes, doc: t.ExtractedDocument | None, kind: str, replace: bool
) -> None:
    """_write, again when a concurrent writer took a row this version shares but not the version itself.

    A lost race shows as a unique row (the policy, a snapshot of the same bytes, this label or its
    date) or SQLite's stale-snapshot "locked". Looking again tells them apart: if this version's plan
    changed, the version itself was written meanwhile (_Raced says how); if not, only a shared row
    was, and it is there now for the next attempt to reuse. If the database is really down, _plan
    raises the same error again and it propagates.
    """
    sha = hashlib.sha256(content).hexdigest()
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            _write(engine, req, content, doc, kind, replace)
            return
        except (IntegrityError, OperationalError) as exc:
            now = _plan(engine, req, sha, replace)
            if now != kind or attempt == WRITE_ATTEMPTS:
                raise _Raced(now) from exc


def _save(session: Session, req: IngestRequest, content: bytes, doc: t.ExtractedDocument, kind: str) -> None:
    policy_id = storage.upsert_policy(session, req.policy)
    snapshot_id = storage.add_snapshot(
        session,
        content=content,
        media_type=PDF_MEDIA_TYPE,
        origin=req.origin,
        source_url=req.source_url,
        stored_path=str(req.path),
        reference_sha256=req.reference_sha256,
        retrieved_at=req.retrieved_at,
    )
    storage.save_version(
        session,
        policy_id=policy_id,
        label=req.label,
        effective=req.effective,
        snapshot_id=snapshot_id,
        doc=doc,
        title=req.title,
        note=req.note,
        kind="initial" if kind == "new" else kind,
    )


def ingest(
    engine: Engine,
    requests: list[IngestRequest],
    *,
    replace: bool = False,
    password: str | None = None,
    jobs: int = 1,
    settings: Settings | None = None,
    on_file: Callable[[IngestOutcome], None] | None = None,
    on_page: Callable[[str, int, int], None] | None = None,
) -> list[IngestOutcome]:
    """Ingest each request; failures are reported per file and never stop the rest."""
    settings = settings or get_settings()
    ensure_schema(engine)
    outcomes: list[IngestOutcome] = []

    def report(outcome: IngestOutcome) -> None:
        outcomes.append(outcome)
        if on_file:
            on_file(outcome)

    # Decide per file before extracting, so unchanged files cost a hash and one query.
    todo: list[tuple[IngestRequest, bytes, str]] = []
    for req in requests:
        try:
            content = _read_checked(req.path, settings)
            kind = _plan(engine, req, hashlib.sha256(content).hexdigest(), replace)
        except ArchiveError as exc:
            report(IngestOutcome(req.policy.slug, req.label, "failed", str(exc)))
            continue
        if kind == "unchanged":
            report(IngestOutcome(req.policy.slug, req.label, "unchanged"))
        else:
            todo.append((req, content, kind))

    def finish(
        req: IngestRequest, content: bytes, kind: str, result: t.ExtractedDocument | ArchiveError | None
    ) -> None:
        if isinstance(result, ArchiveError):
            report(IngestOutcome(req.policy.slug, req.label, "failed", str(result)))
            return
        if result is not None and req.pages is not None and result.page_count != req.pages:
            # The manifest describes the publisher's file: another page count is another file.
            report(IngestOutcome(req.policy.slug, req.label, "failed",
                                 f"{req.path}: {result.page_count} page{'s' * (result.page_count != 1)} where the "
                                 f"manifest gives {req.pages}: "
                                 "not the file it names (or fix its pages)"))
            return
        try:
            _write_retrying(engine, req, content, result, kind, replace)
        except _Raced as raced:
            if raced.now == "unchanged":
                report(IngestOutcome(req.policy.slug, req.label, "unchanged"))
                return
            what = (
                f"another ingest kept writing to '{req.policy.slug}' at the same time"
                if raced.now == kind
                else f"version {req.label} was stored concurrently"
            )
            report(IngestOutcome(req.policy.slug, req.label, "failed", f"{req.path}: {what}; run ingest again"))
            return
        except ArchiveError as exc:
            report(IngestOutcome(req.policy.slug, req.label, "failed", str(exc)))
            return
        except DataError as exc:  # a value the schema cannot hold (e.g. an over-long title): refuse the file
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            report(IngestOutcome(req.policy.slug, req.label, "failed", f"{req.path}: could not store ({reason})"))
            return
        status = _STATUS[kind]
        if result is None:
            report(IngestOutcome(req.policy.slug, req.label, status))
        else:
            pages, clauses = result.page_count, len(result.clauses)
            report(IngestOutcome(req.policy.slug, req.label, status, pages=pages, clauses=clauses))

    # A new date for the same bytes needs no extraction.
    for req, content, kind in [x for x in todo if x[2] == "re-dating"]:
        finish(req, content, kind, None)
    todo = [x for x in todo if x[2] != "re-dating"]

    if jobs > 1 and len(todo) > 1:
        args = (password, settings.max_pages, settings.max_file_bytes, settings.extract_timeout_s)
        with _pool(jobs) as pool:
            futures = [(req, content, kind, pool.submit(_extract, str(req.path), *args)) for req, content, kind in todo]
            for req, content, kind, fut in futures:
                try:
                    result = fut.result()
                except BrokenProcessPool:  # a worker was killed: every file it left unfinished is retried alone
                    result = _extract_alone(req.path, *args)
                finish(req, content, kind, result)
    else:
        for req, content, kind in todo:
            progress = (lambda done, total, _l=req.label: on_page(_l, done, total)) if on_page else None
            try:
                with _deadline(settings.extract_timeout_s, req.path.name):
                    result: t.ExtractedDocument | ArchiveError = extract_pdf(
                        req.path,
                        password=password,
                        max_pages=settings.max_pages,
                        max_bytes=settings.max_file_bytes,
                        progress=progress,
                    )
            except ArchiveError as exc:
                result = exc
            except Exception as exc:  # see _extract
                result = ExtractionFailed(f"{req.path}: could not extract text ({type(exc).__name__}: {exc})")
            finish(req, content, kind, result)
    _refresh_derived(engine, {o.policy for o in outcomes if o.status in _WRITTEN}, report)
    return outcomes


_STATUS = {"new": "ingested", "re-extraction": "re-extracted", "replacement": "replaced", "re-dating": "re-dated"}
_WRITTEN = set(_STATUS.values())


def _refresh_derived(engine: Engine, slugs: set[str], report: Callable[[IngestOutcome], None]) -> None:
    """Lineages and consecutive redlines of each policy written to, left without them by a crash, or
    holding them from an older redline algorithm.

    One transaction per policy, after the versions' own: derived data never holds up or undoes a version.
    """
    # The diff engine loads only when needed.
    from archive.services.lineages import stale_policies
    from archive.services.redlines import refresh_derived

    with transaction(engine) as session:
        # Also a policy whose derived data an upgrade left behind (a new alignment algorithm).
        slugs = slugs | set(storage.policies_missing_lineage(session)) | set(stale_policies(session))
    for slug in sorted(slugs):
        try:
            with transaction(engine) as session:
                refresh_derived(session, slug)
        except Exception as exc:  # noqa: BLE001 - report it, keep the versions; the next ingest retries
            report(IngestOutcome(slug, "*", "failed", f"{slug}: lineages and redlines not refreshed ({exc})"))
