"""What a request is limited to: the versions it names (by label, date in force or policy), as a
list of versions, an index filter, or a predicate over indexed clauses."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session
from whoosh import query as wq

from archive.dates import parse_day
from archive.db import storage
from archive.errors import InvalidInput, VersionNotArchived, VersionNotFound
from archive.search.passages import Keep
from archive.search.searching import version_filter
from archive.services.versions import resolve_version, version_in_force
from archive.types import VersionInfo


def day(value: dt.date | str | None, what: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return parse_day(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(f"{what} {exc}") from None


def scope_of(
    session: Session,
    *,
    policy: str | None,
    version: str | None,
    as_of: dt.date | str | None,
) -> list[VersionInfo] | None:
    """The versions a request is limited to (None: all). Unknown names raise NotFound."""
    if version and as_of:
        raise InvalidInput("give either a version or an as-of date, not both")
    policies = (
        [storage.get_policy(session, policy).slug] if policy else [p.slug for p in storage.list_policies(session)]
    )
    if version:
        found = []
        for slug in policies:
            try:
                found.append(resolve_version(session, slug, version))
            except VersionNotFound:
                if policy:
                    raise
        if not found:
            raise VersionNotFound(f"no policy in the archive has a version '{version}'")
        return found
    on = day(as_of, "as-of date")
    if on is not None:
        found, unheld = [], []
        for slug in policies:
            try:
                found.append(version_in_force(session, slug, on))
            except VersionNotArchived as exc:  # in force then, but not held: the reason to give if nothing is
                if policy:
                    raise
                unheld.append(exc)
            except VersionNotFound:
                if policy:
                    raise
        if not found and unheld:
            raise unheld[0]
        if not found:
            raise VersionNotFound(f"no version of any policy was in force on {on.isoformat()}")
        return found
    if policy:
        return storage.list_versions(session, policy)
    return None


def index_filter(scope: list[VersionInfo] | None) -> wq.Query | None:
    return None if scope is None else version_filter((v.policy, v.label) for v in scope)


def in_policy(slug: str | None) -> Keep:
    return None if slug is None else (lambda d: d.policy == slug)


def in_versions(scope: list[VersionInfo] | None) -> Keep:
    if scope is None:
        return None
    allowed = {(v.policy, v.label) for v in scope}
    return lambda d: (d.policy, d.version) in allowed
