"""Every query the archive makes lives here, behind a small interface over domain types.

Functions take a Session owned by the caller (one transaction per request or per ingested
version) and never commit. Rows are mapped to archive.types explicitly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import asdict
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, delete, func, insert, inspect, literal, select, update
from sqlalchemy.orm import Session, undefer

from archive import types as t
from archive.clauses import MAX_TITLE, NOT_IN_A_NAME, plain_number
from archive.dates import DATE_FORMAT, is_day, parse_day
from archive.db import models as m
from archive.errors import ClauseNotFound, InvalidInput, PolicyNotFound, VersionNotFound


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    """A stored moment with its zone: UTC (SQLite hands datetimes back without one)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _utc_iso(moment: dt.datetime) -> str:
    """A stored moment as ISO 8601 UTC ending in "Z", as the API writes every other time (SQLite
    hands datetimes back without their zone; the archive stores UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.isoformat() + "Z"


def too_long(table: str, values: dict) -> str | None:
    """The first string in `values` longer than its column holds, described; None when all fit.

    PostgreSQL refuses such a value and SQLite keeps it: checking here makes the same input fail
    alike on both, and keeps SQLite archives exportable to PostgreSQL.
    """
    columns = m.Base.metadata.tables[table].c
    for name, value in values.items():
        limit = getattr(columns[name].type, "length", None) if name in columns else None
        if limit is not None and isinstance(value, str) and len(value) > limit:
            return f"{name.replace('_', ' ')} is {len(value)} characters long; at most {limit} fit"
    return None


def _check_fits(table: str, what: str, values: dict) -> None:
    if problem := too_long(table, values):
        raise InvalidInput(f"{what}: {problem}")


# --- policies ---------------------------------------------------------------------------------


def _policy_row(session: Session, slug: str) -> m.Policy:
    if not slug.strip():
        raise InvalidInput("empty policy slug")
    row = session.scalar(select(m.Policy).where(m.Policy.slug == slug))
    if row is None:
        raise PolicyNotFound(f"no policy '{slug}' in the archive")
    return row


def _to_policy(row: m.Policy) -> t.PolicyInfo:
    return t.PolicyInfo(slug=row.slug, title=row.title, publisher=row.publisher, landing_page=row.landing_page)


def upsert_policy(session: Session, info: t.PolicyInfo) -> int:
    """The policy's id, made if new (titled by its slug when `info` has no title)."""
    fields = dict(title=info.title, publisher=info.publisher, landing_page=info.landing_page)
    _check_fits("policies", f"policy '{info.slug}'", dict(slug=info.slug, **fields))
    row = session.scalar(select(m.Policy).where(m.Policy.slug == info.slug))
    if row is None:
        row = m.Policy(
            slug=info.slug, title=info.title or info.slug, publisher=info.publisher, landing_page=info.landing_page
        )
        session.add(row)
        session.flush()
    else:
        # Keep what the manifest says current, but never blank a field with an empty value.
        row.title = info.title or row.title
        row.publisher = info.publisher or row.publisher
        row.landing_page = info.landing_page or row.landing_page
    return row.id


def get_policy(session: Session, slug: str) -> t.PolicyInfo:
    return _to_policy(_policy_row(session, slug))


def policy_exists(session: Session, slug: str) -> bool:
    return session.scalar(select(m.Policy.id).where(m.Policy.slug == slug)) is not None


def list_policies(session: Session) -> list[t.PolicyInfo]:
    return [_to_policy(r) for r in session.scalars(select(m.Policy).order_by(m.Policy.slug))]


# --- snapshots --------------------------------------------------------------------------------


def find_snapshot_id(
    session: Session, sha256: str, source_url: str | None, reference_sha256: str | None
) -> int | None:
    """The snapshot of these bytes received with these claims (URL, publisher's sha256), if stored."""
    return session.scalar(
        select(m.Snapshot.id).where(
            m.Snapshot.sha256 == sha256,
            func.coalesce(m.Snapshot.source_url, "") == (source_url or ""),
            func.coalesce(m.Snapshot.reference_sha256, "") == (reference_sha256 or ""),
        )
    )


def add_snapshot(
    session: Session,
    *,
    content: bytes,
    media_type: str,
    origin: str,
    source_url: str | None,
    stored_path: str | None,
    reference_sha256: str | None,
    retrieved_at: dt.datetime | None = None,
) -> int:
    """Store a source file once per distinct content and claims (the publisher's URL and sha256, which
    decide its status); returns the snapshot id. The same bytes claimed otherwise (a mirror's manifest,
    a file ingested by hand) are another snapshot, so no claim is read as another's.

    `retrieved_at` is stored in UTC (a naive one is taken as UTC): SQLite keeps a datetime's
    digits and drops its offset.
    """
    sha = hashlib.sha256(content).hexdigest()
    reference_sha256 = reference_sha256.lower() if reference_sha256 else None
    existing = find_snapshot_id(session, sha, source_url, reference_sha256)
    if existing is not None:
        return existing
    _check_fits(
        "snapshots",
        f"file {sha[:12]}…",
        dict(media_type=media_type, origin=origin, source_url=source_url, stored_path=stored_path),
    )
    if reference_sha256 is None:
        status = t.SnapshotStatus.NO_REFERENCE
    elif reference_sha256.lower() == sha:
        status = t.SnapshotStatus.VERIFIED
    else:
        status = t.SnapshotStatus.UNVERIFIED
    row = m.Snapshot(
        sha256=sha,
        size_bytes=len(content),
        media_type=media_type,
        content=content,
        source_url=source_url,
        origin=origin,
        retrieved_at=_aware(retrieved_at).astimezone(dt.UTC) if retrieved_at else _now(),
        stored_path=stored_path,
        reference_sha256=reference_sha256.lower() if reference_sha256 else None,
        status=status.value,
    )
    session.add(row)
    session.flush()
    return row.id


def snapshot_content(session: Session, slug: str, label: str) -> tuple[bytes, str, str]:
    """The archived file of a version: (bytes, sha256, media type)."""
    version = _version_row(session, slug, label)
    snap = session.scalar(
        select(m.Snapshot).options(undefer(m.Snapshot.content)).where(m.Snapshot.id == version.snapshot_id)
    )
    assert snap is not None  # FK guarantees it
    return snap.content, snap.sha256, snap.media_type


# --- versions ---------------------------------------------------------------------------------


def _version_row(session: Session, slug: str, label: str) -> m.Version:
    policy = _policy_row(session, slug)
    row = session.scalar(select(m.Version).where(m.Version.policy_id == policy.id, m.Version.label == label))
    if row is None:
        raise VersionNotFound(f"policy '{slug}' has no version '{label}'")
    return row


def _version_select():
    return (
        select(m.Version, m.Policy.slug, m.Snapshot)
        .join(m.Policy, m.Policy.id == m.Version.policy_id)
        .join(m.Snapshot, m.Snapshot.id == m.Version.snapshot_id)
    )


def _to_version(row: m.Version, slug: str, snap: m.Snapshot) -> t.VersionInfo:
    return t.VersionInfo(
        policy=slug,
        label=row.label,
        effective=row.effective,
        page_count=row.page_count,
        clause_count=row.clause_count,
        status=t.SnapshotStatus(snap.status),
        sha256=snap.sha256,
        reference_sha256=snap.reference_sha256,
        source_url=snap.source_url,
        origin=snap.origin,
        extractor=row.extractor,
        extractor_version=row.extractor_version,
        engine_version=row.engine_version,
        extracted_at=_aware(row.extracted_at),
        text_sha256=row.text_sha256,
        title=row.title,
    )


def list_versions(session: Session, slug: str | None = None) -> list[t.VersionInfo]:
    """Versions oldest first (by effective date, then label)."""
    stmt = _version_select().order_by(m.Policy.slug, m.Version.effective, m.Version.label)
    if slug is not None:
        stmt = stmt.where(m.Policy.slug == slug)
    versions = [_to_version(v, s, snap) for v, s, snap in session.execute(stmt)]
    if slug is not None and not versions:
        _policy_row(session, slug)  # unknown policy is an error, not an empty list
    return versions


def get_version(session: Session, slug: str, label: str) -> t.VersionInfo:
    row = session.execute(_version_select().where(m.Policy.slug == slug, m.Version.label == label)).first()
    if row is None:
        _policy_row(session, slug)
        raise VersionNotFound(f"policy '{slug}' has no version '{label}'")
    return _to_version(*row)


def version_in_force(session: Session, slug: str, on: dt.date) -> t.VersionInfo:
    """The version whose effective date is the latest on or before `on`."""
    row = session.execute(
        _version_select()
        .where(m.Policy.slug == slug, m.Version.effective <= on)
        .order_by(m.Version.effective.desc(), m.Version.id.desc())
        .limit(1)
    ).first()
    if row is None:
        _policy_row(session, slug)
        raise VersionNotFound(f"policy '{slug}' had no version in force on {on.isoformat()}")
    return _to_version(*row)


def resolve_version(session: Session, slug: str, ref: str) -> t.VersionInfo:
    """A version named by label, or by a date (YYYY-MM-DD: the version in force that day)."""
    try:
        return get_version(session, slug, ref)
    except VersionNotFound:
        if not is_day(ref):
            raise VersionNotFound(
                f"policy '{slug}' has no version '{ref[:40]}' (give a label or {DATE_FORMAT})"
            ) from None
        try:
            on = parse_day(ref)
        except ValueError as exc:  # spelled as a day, but there is no such day: a mistake, not a miss
            raise InvalidInput(f"version {exc}") from None
        return version_in_force(session, slug, on)


def latest_version(session: Session, slug: str) -> t.VersionInfo:
    versions = list_versions(session, slug)
    if not versions:
        raise VersionNotFound(f"policy '{slug}' has no versions")
    return versions[-1]


def version_state(
    session: Session, slug: str, label: str, *, lock: bool = False
) -> tuple[str, str, dt.date, bool] | None:
    """(snapshot sha256, extractor version, effective date, whether its clauses lack something the
    schema records: page breaks not recorded) of a stored version, or None if not stored. Where the
    database has no page_breaks column (an upgrade blocked), nothing can be recorded: nothing lacks.

    With `lock` (a write about to rewrite the version), PostgreSQL waits for a concurrent writer of
    the same version to finish and reads what it committed (SQLite: see lock_for_write).
    """
    stmt = (
        select(m.Snapshot.sha256, m.Version.extractor_version, m.Version.effective, m.Version.id)
        .join(m.Version, m.Version.snapshot_id == m.Snapshot.id)
        .join(m.Policy, m.Policy.id == m.Version.policy_id)
        .where(m.Policy.slug == slug, m.Version.label == label)
    )
    row = session.execute(stmt.with_for_update(of=m.Version) if lock else stmt).first()
    if row is None:
        return None
    # A query of its own, after the lock: on PostgreSQL a statement that waited for the lock still reads
    # from the snapshot it started with, so the clauses a concurrent writer just committed would not show.
    unrecorded = has_column(session, "clauses", "page_breaks") and session.scalar(
        select(select(m.Clause.id).where(m.Clause.version_id == row[3], m.Clause.page_breaks.is_(None)).exists())
    )
    return row[0], row[1], row[2], bool(unrecorded)


def label_effective_on(session: Session, slug: str, on: dt.date, *, besides: str) -> str | None:
    """The label of another version of `slug` that takes effect on `on`, if any (unknown policy: None)."""
    return session.scalar(
        select(m.Version.label)
        .join(m.Policy, m.Policy.id == m.Version.policy_id)
        .where(m.Policy.slug == slug, m.Version.effective == on, m.Version.label != besides)
        .order_by(m.Version.label)
        .limit(1)
    )


def set_effective(session: Session, slug: str, label: str, on: dt.date) -> None:
    """Move a version to another effective date; its stored redlines go (their key holds the old date)."""
    row = _version_row(session, slug, label)
    row.effective = on
    session.execute(
        delete(m.Redline).where((m.Redline.from_version_id == row.id) | (m.Redline.to_version_id == row.id))
    )
    session.flush()


def save_version(
    session: Session,
    *,
    policy_id: int,
    label: str,
    effective: dt.date,
    snapshot_id: int,
    doc: t.ExtractedDocument,
    title: str | None = None,
    note: str | None = None,
    kind: str = "initial",
) -> int:
    """Write (or rewrite, for re-extraction and replacement) a version with its pages and clauses."""
    policy = session.get(m.Policy, policy_id)
    who = f"{policy.slug}@{label}" if policy is not None else f"version {label}"
    _check_fits("versions", who, dict(label=label, title=title))
    for c in doc.clauses:
        where = f"{who}, clause '{c.number or c.title[:40]}'"
        _check_fits("clauses", where, dict(number=c.number, title=c.title))
    full_text = doc.full_text
    text_sha = hashlib.sha256(full_text.encode()).hexdigest()
    now = _now()
    # A first write always inserts: if a concurrent ingest stored this version since our plan, the
    # unique (policy, label) refuses it and the caller plans again, rather than this write silently
    # rewriting the other one's version as if it were new.
    row = None if kind == "initial" else session.scalar(
        select(m.Version).where(m.Version.policy_id == policy_id, m.Version.label == label)
    )
    fields = dict(
        effective=effective,
        snapshot_id=snapshot_id,
        page_count=doc.page_count,
        clause_count=len(doc.clauses),
        full_text=full_text,
        text_sha256=text_sha,
        extractor=doc.extractor,
        extractor_version=doc.extractor_version,
        engine_version=doc.engine_version,
        extracted_at=now,
    )
    if row is None:
        row = m.Version(policy_id=policy_id, label=label, title=title, note=note, **fields)
        session.add(row)
        session.flush()
    else:
        for key, value in fields.items():
            setattr(row, key, value)
        if title:
            row.title = title
        if note:
            row.note = note
        session.execute(delete(m.Page).where(m.Page.version_id == row.id))
        session.execute(delete(m.Clause).where(m.Clause.version_id == row.id))
        session.execute(
            delete(m.Redline).where((m.Redline.from_version_id == row.id) | (m.Redline.to_version_id == row.id))
        )
    session.add_all(
        m.Page(version_id=row.id, number=p.number, text=p.text, header=p.header, footer=p.footer) for p in doc.pages
    )
    # Rows as dicts, so a column this database lacks (an upgrade blocked: LATER_COLUMNS) is left out
    # of the INSERT; ORM objects would name every mapped column.
    breaks = has_column(session, "clauses", "page_breaks")
    rows = [
        dict(
            version_id=row.id,
            position=i,
            parent_position=c.parent,
            ordinal=c.ordinal,
            level=c.level,
            number=c.number,
            title=c.title,
            text=c.text,
            page_start=c.page_start,
            page_end=c.page_end,
            char_start=c.char_start,
            char_end=c.char_end,
            lineage=c.lineage,
            footnotes=[asdict(f) for f in c.footnotes],
            **({"page_breaks": [asdict(b) for b in c.page_breaks]} if breaks and c.page_breaks is not None else {}),
        )
        for i, c in enumerate(doc.clauses)
    ]
    if rows:
        session.execute(insert(m.Clause), rows)
    session.add(
        m.Extraction(
            version_id=row.id,
            snapshot_id=snapshot_id,
            kind=kind,
            extractor=doc.extractor,
            extractor_version=doc.extractor_version,
            engine_version=doc.engine_version,
            text_sha256=text_sha,
            extracted_at=now,
        )
    )
    session.flush()
    return row.id


def extraction_log(session: Session, slug: str, label: str) -> list[dict]:
    version = _version_row(session, slug, label)
    rows = session.execute(
        select(m.Extraction, m.Snapshot.sha256)
        .join(m.Snapshot, m.Snapshot.id == m.Extraction.snapshot_id)
        .where(m.Extraction.version_id == version.id)
        .order_by(m.Extraction.id)
    )
    return [
        {
            "kind": e.kind,
            "snapshot_sha256": sha,
            "extractor": e.extractor,
            "extractor_version": e.extractor_version,
            "engine_version": e.engine_version,
            "text_sha256": e.text_sha256,
            "extracted_at": _utc_iso(e.extracted_at),
        }
        for e, sha in rows
    ]


def archived_times(session: Session, slug: str) -> dict[str, dt.datetime]:
    """When each version of a policy last came in as news: its first extraction, or a replacement of
    its bytes; never a re-extraction (the same document read again by a newer extractor)."""
    rows = session.execute(
        select(m.Version.label, func.max(m.Extraction.extracted_at))
        .join(m.Extraction, m.Extraction.version_id == m.Version.id)
        .join(m.Policy, m.Policy.id == m.Version.policy_id)
        .where(m.Policy.slug == slug, m.Extraction.kind != "re-extraction")
        .group_by(m.Version.label)
    )
    return {label: _aware(at).astimezone(dt.UTC) for label, at in rows}


def snapshot_history(session: Session, slug: str, label: str) -> list[dict]:
    """Every snapshot a version has been extracted from (a replaced one is kept, never deleted)."""
    version = _version_row(session, slug, label)
    rows = session.execute(
        select(m.Snapshot)
        .join(m.Extraction, m.Extraction.snapshot_id == m.Snapshot.id)
        .where(m.Extraction.version_id == version.id)
        .distinct()
        .order_by(m.Snapshot.id)
    ).scalars()
    return [
        {
            "sha256": s.sha256,
            "size_bytes": s.size_bytes,
            "status": s.status,
            "reference_sha256": s.reference_sha256,
            "origin": s.origin,
            "source_url": s.source_url,
            "retrieved_at": _utc_iso(s.retrieved_at),
            "current": s.id == version.snapshot_id,
        }
        for s in rows
    ]


# --- pages and clauses ------------------------------------------------------------------------


def version_text(session: Session, slug: str, label: str) -> str:
    version = _version_row(session, slug, label)
    return session.scalar(select(m.Version.full_text).where(m.Version.id == version.id)) or ""


def pages(session: Session, slug: str, label: str) -> list[t.Page]:
    version = _version_row(session, slug, label)
    rows = session.scalars(select(m.Page).where(m.Page.version_id == version.id).order_by(m.Page.number))
    return [t.Page(number=r.number, text=r.text, header=r.header, footer=r.footer) for r in rows]


# Columns added after the first schema revision, with the value a row made before them holds. An
# archive whose upgrade its own rows block (engine.ensure_schema) stays at its revision and may lack
# them: they are read and written only where they exist. A bundle exported before a column existed
# still imports (and reads back as it was, without that column).
LATER_COLUMNS: dict[str, dict[str, object]] = {"clauses": {"page_breaks": None}}
# Per engine, the LATER_COLUMNS found to exist (a column, once there, stays for the engine's life).
_present: WeakKeyDictionary[Engine, set[tuple[str, str]]] = WeakKeyDictionary()


def has_column(session: Session, table: str, column: str) -> bool:
    """Whether the database has this column (one of LATER_COLUMNS); once found, remembered."""
    found = _present.setdefault(session.get_bind(), set())
    if (table, column) not in found and column in {c["name"] for c in inspect(session.connection()).get_columns(table)}:
        found.add((table, column))
    return (table, column) in found


def absent_columns(session: Session, table: str) -> set[str]:
    """The LATER_COLUMNS of `table` that this database lacks."""
    return {name for name in LATER_COLUMNS.get(table, {}) if not has_column(session, table, name)}


def _to_clause(r: m.Clause, breaks: list | None = None) -> t.Clause:
    return t.Clause(
        number=r.number,
        title=r.title,
        level=r.level,
        parent=r.parent_position,
        ordinal=r.ordinal,
        text=r.text,
        page_start=r.page_start,
        page_end=r.page_end,
        char_start=r.char_start,
        char_end=r.char_end,
        footnotes=[t.Footnote(**f) for f in (r.footnotes or [])],
        page_breaks=None if breaks is None else [t.PageBreak(**b) for b in breaks],
        lineage=r.lineage,
    )


def clauses(session: Session, slug: str, label: str) -> list[t.Clause]:
    """A version's clause tree in document order (parent indexes refer to this list)."""
    version = _version_row(session, slug, label)
    breaks = m.Clause.page_breaks if has_column(session, "clauses", "page_breaks") else literal(None)
    rows = session.execute(
        select(m.Clause, breaks).where(m.Clause.version_id == version.id).order_by(m.Clause.position)
    )
    return [_to_clause(r, b) for r, b in rows]


# What names a clause: a number or title as printed, on one line, no longer than a title can be. (The
# API's path pattern also refuses '/', which a path segment cannot hold; a title here may.)
_NOT_IN_A_NAME = re.compile(f"[{NOT_IN_A_NAME}]")


def _numbered(tree: list[t.Clause], number: str) -> list[tuple[int, t.Clause]]:
    """(position, clause) of each clause numbered `number` (a trailing dot and case aside)."""
    wanted = number.strip().rstrip(".").lower()
    return [(i, c) for i, c in enumerate(tree) if c.number.rstrip(".").lower() == wanted]


def numbered_clauses(session: Session, slug: str, label: str, number: str) -> list[tuple[int, t.Clause]]:
    """Every clause of a version bearing `number`: what `find_clause` refuses to choose among."""
    return _numbered(clauses(session, slug, label), number)


def find_clause(
    session: Session, slug: str, label: str, number: str, *, any_title: bool = False
) -> tuple[int, t.Clause]:
    """(position, clause) by number ("3.6", trailing dot optional, "§3.6" and "Section 3.6" as people
    cite it) or, for unnumbered ones, title.

    With `any_title` a numbered clause's title names it too ("External Review"), if no other
    clause bears the same title, and a number two clauses of different titles bear is refused (name
    one by its title); else the first of them.
    """
    wanted = plain_number(number).rstrip(".")
    if not wanted:
        raise InvalidInput("empty clause number")
    if len(wanted) > MAX_TITLE or _NOT_IN_A_NAME.search(wanted):
        raise InvalidInput(f"clause {number[:80]!r} is not a clause number or title "
                           f"(up to {MAX_TITLE} characters, no control characters)")
    tree = clauses(session, slug, label)
    numbered = _numbered(tree, wanted)
    if len(numbered) > 1 and any_title and len({c.title for _, c in numbered}) == len(numbered):
        # An extraction can give two clauses one number: say so rather than pick one unseen, where a
        # title can name each (two alike in number and title too cannot be told apart: the first).
        titles = "; ".join(f"'{c.title}'" for _, c in numbered)
        raise InvalidInput(f"version {label} of '{slug}' has {len(numbered)} clauses numbered '{number}' ({titles}); "
                           "give its title")
    if numbered:
        return numbered[0]
    for i, c in enumerate(tree):
        if not c.number and c.title.lower() == wanted.lower():
            return i, c
    if any_title:
        title = " ".join(wanted.split()).lower()
        hits = [(i, c) for i, c in enumerate(tree) if " ".join(c.title.split()).lower() == title]
        if len(hits) == 1:
            return hits[0]
        if hits:
            numbers = ", ".join(c.number for _, c in hits)  # unnumbered ones matched above
            raise InvalidInput(
                f"version {label} of '{slug}' has {len(hits)} clauses titled '{number}' ({numbers}); give its number"
            )
    raise ClauseNotFound(f"version {label} of '{slug}' has no clause '{number}'")


def set_lineages(session: Session, slug: str, label: str, lineages: Iterable[str | None]) -> None:
    """Record each clause's lineage id (in document order) once the alignment has computed them."""
    version = _version_row(session, slug, label)
    ids = session.scalars(
        select(m.Clause.id).where(m.Clause.version_id == version.id).order_by(m.Clause.position)
    ).all()
    for clause_id, lineage in zip(ids, lineages, strict=True):
        session.execute(update(m.Clause).where(m.Clause.id == clause_id).values(lineage=lineage))


def policies_missing_lineage(session: Session) -> list[str]:
    """Slugs of policies with a clause whose lineage was never assigned (e.g. after a crash)."""
    stmt = (
        select(m.Policy.slug)
        .join(m.Version, m.Version.policy_id == m.Policy.id)
        .join(m.Clause, m.Clause.version_id == m.Version.id)
        .where(m.Clause.lineage.is_(None))
        .distinct()
    )
    return list(session.scalars(stmt))


def iter_all_clauses(session: Session, slug: str | None = None) -> Iterator[tuple[t.VersionInfo, int, t.Clause]]:
    """Every clause of every version (for the search index): (version, position, clause)."""
    for version in list_versions(session, slug):
        for i, c in enumerate(clauses(session, version.policy, version.label)):
            yield version, i, c


def index_fingerprint_rows(session: Session) -> list[tuple]:
    """What the search index is derived from, one row per version (cheap: no texts are read).

    (policy slug, title, publisher, label, effective, text sha256, extracted_at, clause count,
    clauses with a lineage, min/max lineage, total lineage length): any ingest, re-extraction,
    replacement or lineage update changes at least one of these.
    """
    lineages = (
        select(
            m.Clause.version_id.label("vid"),
            func.count(m.Clause.lineage).label("n"),
            func.min(m.Clause.lineage).label("lo"),
            func.max(m.Clause.lineage).label("hi"),
            func.sum(func.length(m.Clause.lineage)).label("total"),
        )
        .group_by(m.Clause.version_id)
        .subquery()
    )
    rows = session.execute(
        select(
            m.Policy.slug,
            m.Policy.title,
            m.Policy.publisher,
            m.Version.label,
            m.Version.effective,
            m.Version.text_sha256,
            m.Version.extracted_at,
            m.Version.clause_count,
            lineages.c.n,
            lineages.c.lo,
            lineages.c.hi,
            lineages.c.total,
        )
        .join(m.Policy, m.Policy.id == m.Version.policy_id)
        .outerjoin(lineages, lineages.c.vid == m.Version.id)
        .order_by(m.Policy.slug, m.Version.label)
    )
    return [tuple(r) for r in rows]


def index_probe(session: Session) -> tuple:
    """A cheap per-request check beside `index_fingerprint_rows` (no clause scan): any version
    added, replaced or deleted changes it. Lineage-only or policy-title changes do not; the search
    service catches those by recomputing the full fingerprint at least every few seconds."""
    row = session.execute(
        select(
            func.count(m.Version.id),
            func.max(m.Version.id),
            func.max(m.Version.extracted_at),
            func.sum(m.Version.clause_count),
            select(func.count(m.Policy.id)).scalar_subquery(),
        )
    ).one()
    return tuple(str(v) for v in row)


def counts(session: Session) -> dict[str, int]:
    return {
        "policies": session.scalar(select(func.count()).select_from(m.Policy)) or 0,
        "versions": session.scalar(select(func.count()).select_from(m.Version)) or 0,
        "clauses": session.scalar(select(func.count()).select_from(m.Clause)) or 0,
        "snapshots": session.scalar(select(func.count()).select_from(m.Snapshot)) or 0,
    }


# --- redlines ---------------------------------------------------------------------------------


def get_redline(session: Session, key: str) -> str | None:
    """A stored redline body (JSON text) by its content key, or None."""
    return session.scalar(select(m.Redline.body).where(m.Redline.key == key))


def has_redline(session: Session, key: str) -> bool:
    """Whether a redline is stored under this content key (without reading its body)."""
    return session.scalar(select(m.Redline.key).where(m.Redline.key == key)) is not None


def put_redline(session: Session, key: str, slug: str, from_label: str, to_label: str, body: str) -> None:
    """Store a computed redline under its content key (a no-op if the key is already stored)."""
    if get_redline(session, key) is not None:
        return
    a, b = _version_row(session, slug, from_label), _version_row(session, slug, to_label)
    session.add(m.Redline(key=key, from_version_id=a.id, to_version_id=b.id, body=body, created_at=_now()))
    session.flush()


# --- backup and integrity (export / import, crash checks) --------------------------------------

# Parents before children, so a bundle loads in this order with every foreign key satisfied.
BACKUP_TABLES = ("policies", "snapshots", "versions", "extractions", "pages", "clauses", "redlines")
_BATCH = 500


def _table(name: str):
    return m.Base.metadata.tables[name]


def begin_consistent_read(session: Session) -> None:
    """Make every following read in this session see one snapshot of the database."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        # pysqlite opens no transaction for SELECTs; a deferred BEGIN pins the WAL snapshot.
        session.connection().exec_driver_sql("BEGIN")


def lock_for_write(session: Session) -> None:
    """Take SQLite's write lock now, so this transaction's reads see what it will write over.

    pysqlite only opens a transaction at the first INSERT/UPDATE, so earlier SELECTs would read
    outside it and a concurrent writer could slip in between. On PostgreSQL the unique constraints
    settle races for new rows (the loser gets an IntegrityError), and version_state(lock=True) makes
    a rewrite of a stored version wait for another one in progress, so nothing is needed here.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")


def dump_rows(session: Session, table: str, without: Collection[str] = ()) -> Iterator[dict]:
    """Every row of a table in id order as {column: value}; snapshot bytes are left out, and so are
    the columns named in `without`."""
    tbl = _table(table)
    cols = [c for c in tbl.columns if not (table == "snapshots" and c.name == "content") and c.name not in without]
    for row in session.execute(select(*cols).order_by(tbl.c.id)).mappings():
        yield dict(row)


def iter_snapshot_contents(session: Session) -> Iterator[tuple[str, bytes]]:
    """(sha256, bytes) of every snapshot, one at a time."""
    for snap_id, sha in session.execute(select(m.Snapshot.id, m.Snapshot.sha256).order_by(m.Snapshot.id)).all():
        yield sha, session.scalar(select(m.Snapshot.content).where(m.Snapshot.id == snap_id))


def archive_is_empty(session: Session) -> bool:
    return all(session.scalar(select(func.count()).select_from(_table(t_))) == 0 for t_ in BACKUP_TABLES)


def _parse(column, value):
    from sqlalchemy import Date, DateTime

    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return dt.date.fromisoformat(value)
    return value


def load_rows(session: Session, table: str, rows: Iterable[dict]) -> int:
    """Insert rows exported by dump_rows (ids kept); unknown or missing columns raise KeyError, except
    a missing column of LATER_COLUMNS, which takes the value rows made before it hold."""
    tbl = _table(table)
    names = {c.name for c in tbl.columns}
    later = LATER_COLUMNS.get(table, {})
    batch: list[dict] = []
    n = 0
    for row in rows:
        if set(row) - names:
            raise KeyError(f"unknown columns {sorted(set(row) - names)}")
        if any(name not in row for name in later):
            row = {**later, **row}
        if problem := too_long(table, row):
            raise ValueError(f"row {row.get('id')}: {problem}")
        batch.append({c.name: _parse(c, row[c.name]) for c in tbl.columns})
        if len(batch) >= _BATCH:
            session.execute(insert(tbl), batch)
            n += len(batch)
            batch = []
    if batch:
        session.execute(insert(tbl), batch)
        n += len(batch)
    return n


def reset_id_sequences(session: Session) -> None:
    """After inserting explicit ids, move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for name in BACKUP_TABLES:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"coalesce((SELECT max(id) FROM {name}), 1), (SELECT max(id) FROM {name}) IS NOT NULL)"
            )
        )


def version_integrity_problems(session: Session) -> list[str]:
    """Versions that are not whole: page/clause rows that disagree with the counts, no provenance."""
    pages_n = select(m.Page.version_id, func.count().label("n")).group_by(m.Page.version_id).subquery()
    clauses_n = select(m.Clause.version_id, func.count().label("n")).group_by(m.Clause.version_id).subquery()
    ext_n = select(m.Extraction.version_id, func.count().label("n")).group_by(m.Extraction.version_id).subquery()
    rows = session.execute(
        select(
            m.Policy.slug,
            m.Version.label,
            m.Version.page_count,
            m.Version.clause_count,
            func.coalesce(pages_n.c.n, 0),
            func.coalesce(clauses_n.c.n, 0),
            func.coalesce(ext_n.c.n, 0),
        )
        .join(m.Policy, m.Policy.id == m.Version.policy_id)
        .outerjoin(pages_n, pages_n.c.version_id == m.Version.id)
        .outerjoin(clauses_n, clauses_n.c.version_id == m.Version.id)
        .outerjoin(ext_n, ext_n.c.version_id == m.Version.id)
    ).all()
    problems = []
    for slug, label, page_count, clause_count, pages_have, clauses_have, extractions in rows:
        if page_count != pages_have or clause_count != clauses_have or extractions == 0:
            problems.append(
                f"{slug}@{label}: {pages_have}/{page_count} pages, {clauses_have}/{clause_count} clauses, "
                f"{extractions} extractions"
            )
    return problems


def check_version_integrity(session: Session) -> None:
    from archive.errors import ChecksumMismatch

    if problems := version_integrity_problems(session):
        raise ChecksumMismatch(f"{len(problems)} versions are not whole, e.g. {problems[0]}")
