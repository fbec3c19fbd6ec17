"""Where a quote stands: every exact match (version, clause, page), the closest passages when there is
none, and in which versions of its policy it stands."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from archive.db import storage
from archive.errors import InvalidInput
from archive.search import quotes as qt
from archive.search.index import SearchIndex
from archive.search.passages import Keep, passages
from archive.search.query import check_text
from archive.services.search.index import ensure_index
from archive.services.search.scope import in_policy, in_versions, scope_of
from archive.settings import Settings

CLOSEST_CANDIDATES = 12
CONTEXT_PARTLY = 0.5  # see _agreement


def locate(ix: SearchIndex, quote: str, keep: Keep, **context: str | None) -> list[qt.Match]:
    """Every exact match of the quote among the clauses `keep` allows (see archive.search.passages);
    none as given, then of the quote without markers glued to capitals, as copied from a PDF ("CBRN3")."""
    found = passages(ix).locate(quote, keep=keep, **context)
    if not found and (bare := qt.without_glued_markers(quote)) != quote:
        found = passages(ix).locate(bare, keep=keep, **context)
    return found


def closest(ix: SearchIndex, quote: str, keep: Keep, limit: int = 3) -> list[qt.Match]:
    return qt.closest(quote, passages(ix).near(quote, keep=keep, limit=CLOSEST_CANDIDATES), limit=limit)


def describe_closest(ix: SearchIndex, matches: list[qt.Match], keep: Keep) -> list[dict]:
    found = passages(ix)
    return [{**qt.describe(m, with_score=True), "also_in": found.also_in(m, keep=keep)} for m in matches]


def _ranges(labels: list[str], present: set[str]) -> list[str]:
    out, run = [], []
    for label in labels + [None]:  # type: ignore[list-item]
        if label is not None and label in present:
            run.append(label)
            continue
        if run:
            out.append(run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}")
        run = []
    return out


def _history(session: Session, ix: SearchIndex, slug: str, quote: str, matches: list[qt.Match]) -> dict:
    """Where the quote stands across all versions of one policy."""
    versions = storage.list_versions(session, slug)
    labels = [v.label for v in versions]
    present = {m.doc.version for m in matches if m.doc.policy == slug}
    removed = [
        labels[i + 1] for i, label in enumerate(labels[:-1]) if label in present and labels[i + 1] not in present
    ]
    latest = labels[-1] if labels else None
    parts = [f"in {', '.join(_ranges(labels, present))}"] if present else ["in no version"]
    parts += [f"removed in {r}" for r in removed]
    closest_latest = None
    if latest and latest not in present:
        best = closest(ix, quote, lambda d: d.policy == slug and d.version == latest, limit=1)
        if best:
            closest_latest = qt.describe(best[0], with_score=True)
            parts.append(
                f"closest in version {latest}: {qt.section_name(best[0].doc.number, best[0].doc.title)} "
                f"(similarity {best[0].score:.2f})"
            )
    return {
        "policy": slug,
        "policy_title": storage.get_policy(session, slug).title,
        "present_in": [label for label in labels if label in present],
        "absent_in": [label for label in labels if label not in present],
        "first": next((label for label in labels if label in present), None),
        "last": next((label for label in reversed(labels) if label in present), None),
        "in_latest": latest in present,
        "removed_in": removed,
        "closest_in_latest": closest_latest,
        "summary": "; ".join(parts),
    }


def sort_newest(matches: list[qt.Match]) -> list[qt.Match]:
    return sorted(matches, key=lambda m: (m.doc.policy, m.doc.effective, -m.doc.position, -m.start), reverse=True)


def _agreement(m: qt.Match, given: int) -> str | None:
    """How the prefix and suffix given (`given`: how many of the two have letters) agree with the
    text around a match: "agrees" (all of them), "partly", or "differs" (none: the words stand here
    in other surroundings); None when none was given. Context picks among a version's matches; it
    never drops the quote's only one, so a client needs this to tell that the surroundings it named
    are not there."""
    if not given:
        return None
    if m.context >= given:
        return "agrees"
    # Each side scores the share of its letters that agree: under half in all (a letter or two that
    # happen to coincide, "m" of "more" and of "means") is other surroundings.
    return "partly" if m.context >= CONTEXT_PARTLY else "differs"


def resolve(
    settings: Settings,
    session: Session,
    *,
    quote: str,
    prefix: str | None = None,
    suffix: str | None = None,
    policy: str | None = None,
    version: str | None = None,
    as_of: dt.date | str | None = None,
) -> dict:
    """Where a quote stands: found / ambiguous / not_found, how to cite it, and its history."""
    quote = check_text(quote, what="quote", max_length=settings.max_query_length)
    for name, value in (("prefix", prefix), ("suffix", suffix)):
        if value is not None and len(value) > settings.max_query_length:
            raise InvalidInput(f"{name} is longer than {settings.max_query_length} characters")
    qt.quote_segments(quote)  # too short: InvalidInput before any work
    scope = scope_of(session, policy=policy, version=version, as_of=as_of)
    ix = ensure_index(settings, session)
    everywhere = locate(ix, quote, in_policy(policy), prefix=prefix, suffix=suffix)
    allowed = None if scope is None else {(v.policy, v.label) for v in scope}
    matches = sort_newest([m for m in everywhere if allowed is None or (m.doc.policy, m.doc.version) in allowed])
    given = sum(bool(qt.compact(x or "")[0]) for x in (prefix, suffix))  # sides of context with letters
    per_version: dict[tuple[str, str], int] = {}
    for m in matches:
        key = (m.doc.policy, m.doc.version)
        per_version[key] = per_version.get(key, 0) + 1
    if not matches:
        status = "not_found"
    elif max(per_version.values()) > 1 or len({m.doc.policy for m in matches}) > 1:
        status = "ambiguous"
    else:
        status = "found"
    near = [] if matches else closest(ix, quote, in_versions(scope))
    history_policies = sorted(
        {m.doc.policy for m in matches} or {m.doc.policy for m in near} or ({policy} if policy else set())
    )
    return {
        "quote": quote,
        "status": status,
        "scope": {"policy": policy, "version": version, "as_of": str(as_of) if as_of else None},
        "matches": [{**qt.describe(m), "context": _agreement(m, given)} for m in matches],
        "versions": sorted({m.doc.version for m in matches}),
        "closest": describe_closest(ix, near, in_versions(scope)),
        "history": [_history(session, ix, slug, quote, everywhere) for slug in history_policies],
    }
