"""Clause histories: every version in which a clause stands, followed across renumbering through the
consecutive redlines (archive.services.redlines), with what changed at each step and what the newer
version's changelog said of it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from archive import types as t
from archive.clauses import descendants
from archive.db import storage
from archive.diff import redline as rl
from archive.errors import ClauseNotFound, InvalidInput
from archive.services.redlines import full_redline
from archive.services.versions import resolve_version

__all__ = ["clause_history"]


def clause_history(session: Session, slug: str, number: str, version: str | None = None) -> dict:
    """Every version in which a clause stands (following it across renumbering), with what changed at
    each step. The clause is `number` (or its title) in `version` (a label, or a date: the version in
    force that day); without one, in the latest version that has such a clause. Numbers are reused
    (2.2's §2 is not 3.0's §2), so a link to the history of an older version's clause names its version."""
    versions = storage.list_versions(session, slug)
    if not versions:
        raise ClauseNotFound(f"policy '{slug}' has no versions")
    if version is not None:
        label = resolve_version(session, slug, version).label
        k0 = next(k for k, v in enumerate(versions) if v.label == label)
        pos0 = storage.find_clause(session, slug, label, number, any_title=True)[0]
    else:
        k0, pos0 = _latest_with(session, slug, versions, number)
    chain: dict[int, int] = {k0: pos0}  # version index -> clause position
    steps: dict[int, dict] = {}  # version index -> change from the previous version
    # Backwards: from each version to its predecessor through the consecutive redline.
    k, pos = k0, pos0
    while k > 0:
        red = full_redline(session, slug, versions[k - 1], versions[k])
        ch = next((c for c in red["changes"] if c["to_clause"] and c["to_clause"]["id"] == pos), None)
        steps[k] = _step(ch, red.get("audit"))
        if ch is None or ch["from_clause"] is None:
            # Added here means no clause of the version before aligns with it: new, or rewritten past
            # the alignment's thresholds (most of 1.0 in 2.0): say against what.
            steps[k]["previous_version"] = versions[k - 1].label
            break
        k, pos = k - 1, ch["from_clause"]["id"]
        chain[k] = pos
    # Forwards.
    removed_in, removal = None, None
    k, pos = k0, pos0
    while k + 1 < len(versions):
        red = full_redline(session, slug, versions[k], versions[k + 1])
        ch = next((c for c in red["changes"] if c["from_clause"] and c["from_clause"]["id"] == pos), None)
        if ch is None or ch["to_clause"] is None:
            removed_in = versions[k + 1].label
            removal = _changelog_says(ch, red.get("audit")) if ch is not None else None
            break
        k, pos = k + 1, ch["to_clause"]["id"]
        chain[k] = pos
        steps[k] = _step(ch, red.get("audit"))
    trees = {k: storage.clauses(session, slug, versions[k].label) for k in chain}
    # A heading's own text may stand still while its subsections change (each version adds a
    # changelog entry under "Changelog"): a step names them, or "unchanged" would mislead.
    for k in chain:
        if k - 1 in chain:
            red = full_redline(session, slug, versions[k - 1], versions[k])
            steps[k]["within"] = _within(
                red, descendants(trees[k - 1], chain[k - 1]), descendants(trees[k], chain[k])
            )
    entries = []
    for k in sorted(chain):
        v = versions[k]
        c = trees[k][chain[k]]
        entries.append({
            "version": v.label,
            "effective": v.effective.isoformat(),
            "clause": {"id": chain[k], "number": c.number, "title": c.title, "page_start": c.page_start,
                       "page_end": c.page_end, "lineage": c.lineage},
            # Every step but the first archived version's has been computed above.
            "change": steps.get(k, {"kind": "first", "similarity": None, "ops": [], "changelog": None,
                                    "within": []}),
        })
    return {"policy": slug, "clause": number, "looked_up_in": versions[k0].label, "versions": entries,
            "removed_in": removed_in, "removal_changelog": removal,
            "elsewhere": _named_elsewhere(session, slug, versions, number, chain)}


def _named_elsewhere(
    session: Session, slug: str, versions: list[t.VersionInfo], number: str, chain: dict[int, int]
) -> list[dict]:
    """The versions where `number` (or the title) names a clause of another lineage than the history's
    (2.0's and 2.2's §2 against 3.x's): the history alone would let "nothing in 2.2 aligns with it"
    read as "2.2 has no §2"."""
    out = []
    for k, v in enumerate(versions):
        try:
            found = [storage.find_clause(session, slug, v.label, number, any_title=True)]
        except ClauseNotFound:
            continue
        except InvalidInput:  # two clauses of that version bear the number: each is named
            found = storage.numbered_clauses(session, slug, v.label, number)
        out += [{"version": v.label, "number": c.number, "title": c.title} for pos, c in found if chain.get(k) != pos]
    return out


def _latest_with(session: Session, slug: str, versions: list[t.VersionInfo], number: str) -> tuple[int, int]:
    """(version index, clause position) of the clause `number` (or title) in the latest version having it."""
    for k in range(len(versions) - 1, -1, -1):
        try:
            return k, storage.find_clause(session, slug, versions[k].label, number, any_title=True)[0]
        except ClauseNotFound:
            continue
    raise ClauseNotFound(f"no version of '{slug}' has a clause '{number}'")


def _within(red: dict, under_a: set[int], under_b: set[int]) -> list[dict]:
    """The changed clauses of a consecutive redline that stand under the clause (in either version). One
    under it in one version only says so (`placement`): 1.0's "Version History" under "Appendices" is
    2.0's top-level "Changelog", which moved out."""
    out = []
    for ch in red["changes"]:
        a, b = ch["from_clause"], ch["to_clause"]
        in_a, in_b = bool(a and a["id"] in under_a), bool(b and b["id"] in under_b)
        placement = ("moved out" if in_a else "moved in") if a and b and in_a != in_b else None
        if (in_a or in_b) and (ch["kind"] != "unchanged" or placement):
            ref = b or a
            out.append({"number": ref["number"], "title": ref["title"], "kind": ch["kind"], "placement": placement})
    return out


def _step(change: dict | None, audit: dict | None) -> dict:
    """One step of a history: a consecutive redline's change of the clause (None: none aligns with it,
    added) with its word counts and what the changelog audit says of it."""
    if change is None:
        return {"kind": "added", "similarity": None, "ops": [], "changelog": None, "within": []}
    ops = change["ops"]
    inserted, deleted = rl.word_counts(ops)
    return {
        "kind": change["kind"],
        "similarity": change["similarity"],
        "relation": change.get("relation"),
        "inserted_words": inserted,
        "deleted_words": deleted,
        "ops": ops,
        "changelog": _changelog_says(change, audit),
        "within": [],
    }


def _changelog_says(change: dict, audit: dict | None) -> dict | None:
    """What the newer version's changelog audit says of one change of a consecutive redline: its nature,
    whether the changelog accounts for it, and the items that do. None when the step was not audited
    (no changelog, no change, or the changelog itself)."""
    if not audit:
        return None
    ends = rl.change_key(change)
    for a in audit["changes"]:
        if rl.change_key(a) == ends:
            items = [audit["items"][n - 1] for n in a["items"]]
            return {
                "nature": a["nature"],
                "accounted": a["accounted"],
                "items": [{"n": i["n"], "in_entry": i["in_entry"], "text": i["text"], "entry": i["entry"]}
                          for i in items],
                "editorial_note": a["editorial_note"],
            }
    return None
