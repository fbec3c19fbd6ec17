"""What a request is limited to: the versions it names (by label, date in force or policy), as a
list of versions, an index filter, or a predicate over indexed clauses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

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
        return _each_policy(policies, lambda slug: resolve_version(session, slug, version), bool(policy),
                            f"no policy in the archive has a version '{version}'")
    on = day(as_of, "as-of date")
    if on is not None:
        return _each_policy(policies, lambda slug: version_in_force(session, slug, on), bool(policy),
                            f"no version of any policy was in force on {on.isoformat()}")
    if policy:
        return storage.list_versions(session, policy)
    return None


def _each_policy(
    policies: list[str], find: Callable[[str], VersionInfo], one_policy: bool, none_found: str
) -> list[VersionInfo]:
    """`find` for each policy, those that have none left out; when none has one, the reason: a version
    the archive lacks (VersionNotArchived, naming it) before a plain miss."""
    found, unheld = [], []
    for slug in policies:
        try:
            found.append(find(slug))
        except VersionNotArchived as exc:
            if one_policy:
                raise
            unheld.append(exc)
        except VersionNotFound:
            if one_policy:
                raise
    if not found and unheld:
        raise unheld[0]
    if not found:
        raise VersionNotFound(none_found)
    return found


def index_filter(scope: list[VersionInfo] | None) -> wq.Query | None:
    return None if scope is None else version_filter((v.policy, v.label) for v in scope)


def in_policy(slug: str | None) -> Keep:
    return None if slug is None else (lambda d: d.policy == slug)


def in_versions(scope: list[VersionInfo] | None) -> Keep:
    if scope is None:
        return None
    allowed = {(v.policy, v.label) for v in scope}
    return lambda d: (d.policy, d.version) in allowed
