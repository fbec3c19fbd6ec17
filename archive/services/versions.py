"""Versions named by label or by day, with what the archive knows of versions it does not hold.

A policy's newest changelog names every revision, archived or not (RSP 3.4's names 2.1, which could
not be obtained). A day in such a version's time has no archived answer: the version archived before
it was no longer in force. `resolve_version` and `version_in_force` say so (VersionNotArchived) rather than give it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from archive import types as t
from archive.dates import is_day, parse_day
from archive.db import storage
from archive.diff import changelog
from archive.errors import InvalidInput, VersionNotArchived, VersionNotFound


def unarchived(session: Session, slug: str) -> dict[str, dt.date | None]:
    """Versions the newest version's changelog names that the archive does not hold, each with the day
    its entry gives (None when the entry has none), in the changelog's order."""
    versions = storage.list_versions(session, slug)
    if not versions:
        return {}
    held = {v.label.lower().lstrip("v") for v in versions}
    named = changelog.named_version_dates(storage.clauses(session, slug, versions[-1].label))
    return {label: day for label, day in named.items() if label.lower() not in held}


def unarchived_versions(session: Session, slug: str) -> list[str]:
    """The labels of `unarchived`."""
    return list(unarchived(session, slug))


def version_in_force(session: Session, slug: str, on: dt.date) -> t.VersionInfo:
    """The version in force on `on`: the archived one with the latest effective date on or before it,
    unless a version the archive lacks took effect after that one and on or before `on`."""
    info = storage.version_in_force(session, slug, on)
    later = [(day, label) for label, day in unarchived(session, slug).items()
             if day is not None and info.effective < day <= on]
    if later:
        day, label = max(later)
        raise _not_archived(session, slug, label, day,
                            f"on {on.isoformat()} policy '{slug}' was at version {label} ({{when}}), which the archive "
                            "does not hold")
    return info


def resolve_version(session: Session, slug: str, ref: str) -> t.VersionInfo:
    """A version named by label, or by a day (YYYY-MM-DD: the version in force that day, see
    `version_in_force`). A label the policy's changelog names but the archive lacks ("2.1") says so."""
    ref = ref.strip()  # " 3.4 " typed or pasted: the label (the pages strip it too)
    if not ref:
        raise InvalidInput("empty version (give a label or a day, YYYY-MM-DD)")
    try:
        info = storage.resolve_version(session, slug, ref)
    except VersionNotFound:
        missing = unarchived(session, slug)
        label = ref.lower().removeprefix("v")
        if label in missing:
            raise _not_archived(session, slug, label, missing[label],
                                f"policy '{slug}' has no archived version {label} ({{when}})") from None
        raise
    if info.label != ref and is_day(ref):  # named by a day, not by a label spelled like one
        return version_in_force(session, slug, parse_day(ref))
    return info


def resolve_pair(
    session: Session, slug: str, a: str, b: str
) -> tuple[list[t.VersionInfo], t.VersionInfo, t.VersionInfo]:
    """The policy's versions (oldest first) and `resolve_version` of `a` and of `b`, answered from that
    list when a ref is the label of one: a redline needs the list anyway (its revisions between), so
    two lookups by label cost no query."""
    held = storage.list_versions(session, slug)
    by_label = {v.label: v for v in held}

    def resolve(ref: str) -> t.VersionInfo:
        return by_label.get(ref.strip()) or resolve_version(session, slug, ref)

    return held, resolve(a), resolve(b)


def _not_archived(session: Session, slug: str, label: str, day: dt.date | None, lead: str) -> VersionNotArchived:
    """The error for a version the archive lacks: `lead` with {when} (what its changelog says of its
    time), then its archived neighbours."""
    held = storage.list_versions(session, slug)
    newest = held[-1].label
    if day is None:
        before, after, when = None, None, f"named by the changelog of {newest}"
    else:
        before = next((v.label for v in reversed(held) if v.effective < day), None)
        following = [v for v in held if v.effective > day]
        after = following[0].label if following else None
        until = f" to {(following[0].effective - dt.timedelta(days=1)).isoformat()}" if following else ""
        when = f"in force from {day.isoformat()}{until} by the changelog of {newest}"
    neighbours = ", ".join(x for x in (f"archived before it: {before}" if before else "",
                                       f"after it: {after}" if after else "") if x)
    return VersionNotArchived(
        lead.format(when=when) + (f"; {neighbours}" if neighbours else ""),
        policy=slug, version=label, effective=day.isoformat() if day else None, before=before, after=after,
    )
