"""The audit itself (see the package docstring for how it decides) and its view limited to some
clauses (`select`)."""

from __future__ import annotations

from collections.abc import Callable

from archive.diff.changelog.entries import CONTAINER, dated_rows, entry_clauses, find_changelog, forward
from archive.diff.changelog.items import REWRITE, split_items
from archive.diff.changelog.nature import is_metadata, nature
from archive.diff.changelog.relate import Relater, discount_pointers
from archive.diff.tokens import tokens
from archive.types import Clause

MIN_SCORE = 3.0
MIN_TERMS = 2
# An item's own clause can score well under its best match when both changed (3.2 -> 3.3: the CBRN
# threshold item scores 10.1 on §3.1, which restates thresholds, and 6.5 on §1, the threshold itself).
RELATIVE = 0.6


def clear_caches() -> None:
    """Nothing memoised here beyond archive.diff.tokens (kept for archive.diff.redline.clear_caches)."""


def _label(ref: dict | None) -> str:
    return (ref["number"] or ref["title"]) if ref else ""


def _clause_label(change: dict) -> str:
    return _label(change["to_clause"] or change["from_clause"])


def audit(
    clauses: list[Clause],
    changes: list[dict],
    to_meta: dict,
    from_meta: dict | None = None,
    older: list[Clause] | None = None,
) -> dict | None:
    """The audit of `changes` (a redline from version `from_meta` to version `to_meta`, each
    {label, effective?}, whose newer clauses these are; `older`: the older version's clauses) against
    the changelog entries of the revisions in between; None without a changelog or an entry for them,
    and None for a comparison backwards or of a version with itself: a changelog tells what a
    revision changed, nothing of those."""
    if from_meta is not None and not forward(from_meta, to_meta):
        return None
    found = find_changelog(clauses)
    if found is None:
        return None
    container, children = found
    if children:
        used = entry_clauses(clauses, children, to_meta.get("label", ""), (from_meta or {}).get("label"))
    else:
        used = dated_rows(clauses[container], container, to_meta, from_meta)
    if not used:
        return None
    entry = used[-1]
    items, item_entry, in_entry, note, editorial = [], [], [], None, set()
    for e in used:
        its, n = split_items(e.text)
        # An item that is its own entry's note (3.3's "(3) makes minor terminology changes").
        editorial |= {len(items) + k for k, it in enumerate(its) if n is not None and it == n}
        items += its
        item_entry += [e] * len(its)
        # `n` counts through every entry; `in_entry` within its own, as a reader of that entry counts
        # (3.0's rewrite item is its item 1, not the 17th of 1.0 -> 3.4).
        in_entry += range(1, len(its) + 1)
        note = n or note  # the newest entry's editorial note, else an earlier one's
    skip = {container, *children}

    blanket = {k for k, it in enumerate(items) if REWRITE.search(it)}
    # When every item announces a rewrite, each accounts for every change whatever the scores: skip them.
    relater = Relater(clauses, skip, items) if len(blanket) < len(items) else None
    audited = []
    for ch in changes:
        if ch["kind"] == "unchanged":
            continue
        if ch["to_clause"] and ch["to_clause"]["id"] in skip:
            continue
        if ch["from_clause"] and not ch["to_clause"] and CONTAINER.match(ch["from_clause"]["title"]):
            continue
        if is_metadata(ch):
            continue
        a = relater.relate(ch) if relater else {"scores": [(0.0, 0, False)] * len(items)}
        audited.append({"change": ch, "nature": nature(ch), **a})
    if relater:
        discount_pointers(audited, len(items), relater.without_pointers)
    best = [max((a["scores"][k][0] for a in audited), default=0.0) for k in range(len(items))]
    out_changes = []
    for a in audited:
        ch = a["change"]
        # A rare phrase vouches for an item far under its best match only where the item is among this
        # change's likeliest: 3.4's "shared with at least 200 employees" item shares "shared with at
        # least" with §3.6.2's external reviewers, which another item announces at twice its score.
        top = max((score for score, _, _ in a["scores"]), default=0.0)
        matched = [
            k + 1
            for k, (score, shared, phrase) in enumerate(a["scores"])
            if k in blanket
            or score >= MIN_SCORE and shared >= MIN_TERMS
            and (score >= RELATIVE * best[k] or phrase and score >= RELATIVE * top)
        ]
        # Likeliest first: what names one change (a history line) names that item. Likeliest is the score
        # times the share of the item's evidence the change holds: 3.3's §3.1 holds all of the item on
        # off-cycle updates and a part of the chemical/biological threshold item, which scores higher on
        # its rarer words alone.
        if relater:
            matched.sort(key=lambda n: (-relater.likelihood(n - 1, a["scores"][n - 1][0]), n))
        accounted = bool(matched) or (a["nature"] == "editorial" and note is not None)
        out_changes.append({
            "clause": _clause_label(ch),
            "from_clause": ch["from_clause"],
            "to_clause": ch["to_clause"],
            "kind": ch["kind"],
            "nature": a["nature"],
            "items": matched,
            "editorial_note": a["nature"] == "editorial" and note is not None and not matched,
            "accounted": accounted,
            "via_subsections": False,
        })
    # Added or removed with no text of its own: a heading over subsections.
    bare = [a["change"]["kind"] in ("added", "removed") and not a["change"]["ops"] for a in audited]
    _headings_through_subsections(out_changes, bare, clauses, older)
    item_out = [
        {"n": k + 1, "in_entry": in_entry[k], "text": it, "entry": item_entry[k].title,
         "clauses": [c["clause"] for c in out_changes if k + 1 in c["items"] and not c["via_subsections"]],
         "rewrite": k in blanket, "editorial": k in editorial}
        for k, it in enumerate(items)
    ]
    unmentioned = [
        {"clause": c["clause"], "from_clause": c["from_clause"], "to_clause": c["to_clause"],
         "kind": c["kind"], "nature": c["nature"]}
        for c in out_changes if not c["accounted"]
    ]
    return {
        "entry": {"title": entry.title, "clause_id": entry.clause_id, "text": " ".join(tokens(entry.text))},
        "entries": [{"title": e.title, "clause_id": e.clause_id} for e in used],
        "items": item_out,
        "editorial_note": note,
        "changes": out_changes,
        "unmentioned": unmentioned,
        # An item that is the editorial note announces no change of its own to find.
        "items_without_change": [i["n"] for i in item_out if not i["clauses"] and not i["editorial"]],
        "counts": _counts(out_changes, unmentioned),
    }


def _headings_through_subsections(
    changes: list[dict], bare: list[bool], newer: list[Clause], older: list[Clause] | None
) -> None:
    """An added or removed heading with no text of its own ("3 Capability Assessment" over 3.1-3.3,
    1.0's "ASL-2 Commitments") changes nothing an item could name: its subsections carry the
    change. It is accounted for by the items that account for its subsections' changes (in place,
    `via_subsections` set), when any do; a heading without changed subsections stays as it was."""
    def key(c: dict) -> tuple[str, int] | None:
        ref, side = (c["to_clause"], "b") if c["to_clause"] else (c["from_clause"], "a")
        return (side, ref["id"]) if ref else None

    def parent(side: str, pos: int) -> int | None:
        version = newer if side == "b" else older
        return version[pos].parent if version is not None and 0 <= pos < len(version) else None

    by_parent: dict[tuple[str, int], list[dict]] = {}
    for c in changes:
        k = key(c)
        if k is not None and (up := parent(*k)) is not None:
            by_parent.setdefault((k[0], up), []).append(c)
    # Deepest first (a subsection comes after its heading), so a heading over headings sees theirs.
    for c, heading_only in reversed(list(zip(changes, bare, strict=True))):
        k = key(c)
        if not heading_only or c["accounted"] or k is None:
            continue
        items = sorted({n for sub in by_parent.get(k, []) for n in sub["items"]})
        if items:
            c.update(items=items, accounted=True, via_subsections=True)


def select(audit: dict, keep: Callable[[dict], bool]) -> dict:
    """The audit of the changes `keep` accepts only (a redline limited to some clauses), with the
    items that account for them, numbered as in the whole audit."""
    changes = [c for c in audit["changes"] if keep(c)]
    kept = {n for c in changes for n in c["items"]}
    clauses = {c["clause"] for c in changes}
    unmentioned = [u for u in audit["unmentioned"] if keep(u)]
    return {
        **audit,
        "changes": changes,
        "unmentioned": unmentioned,
        "items": [{**i, "clauses": [x for x in i["clauses"] if x in clauses]}
                  for i in audit["items"] if i["n"] in kept],
        "items_without_change": [],
        "counts": _counts(changes, unmentioned),
    }


def recount(audit: dict) -> None:
    """In place: the counts of an audit whose changes or unmentioned list were amended."""
    audit["counts"] = _counts(audit["changes"], audit["unmentioned"])


def _counts(changes: list[dict], unmentioned: list[dict]) -> dict:
    return {
        "audited": len(changes),
        "substantive": sum(c["nature"] == "substantive" for c in changes),
        "editorial": sum(c["nature"] == "editorial" for c in changes),
        "accounted": sum(c["accounted"] for c in changes),
        "unmentioned": len(unmentioned),
    }
