"""A whole redline between two versions' clause lists: alignment, word ops, summary and audit.

The result is the JSON-shaped dict of the API (see `archive.diff.render` for the other formats):
{policy, from: {label, effective}, to: {label, effective}, summary: {added, removed, modified, moved,
renumbered, unchanged}, changes: [{kind, from_clause, to_clause, similarity, relation, related, ops}],
audit}. `changes` holds unchanged pairs too (kind "unchanged", no ops) so one stored body serves both
--changed-only and --all; `select` filters it.
"""

from __future__ import annotations

from archive.diff import align as _align
from archive.diff import changelog, reflow, tokens
from archive.diff.align import Pair, align, clause_content
from archive.diff.tokens import analyse, canonical_length, join_words
from archive.diff.words import Op, diff_words, equal_length
from archive.types import Clause

# Bump whenever the output for the same inputs would change: it is part of the cache key.
ALGORITHM_VERSION = "redline/24"

KINDS = ("added", "removed", "modified", "moved", "renumbered")


def clause_ref(position: int, c: Clause) -> dict:
    return {"id": position, "number": c.number, "title": c.title, "page_start": c.page_start, "page_end": c.page_end}


def change_key(change: dict) -> tuple[int | None, int | None]:
    """(older clause id, newer clause id) of a change, or of an audit entry about it: what names one
    change of a redline (an added clause has no older id, a removed one no newer)."""
    a, b = change["from_clause"], change["to_clause"]
    return (a["id"] if a else None, b["id"] if b else None)


def change_numbers(changes: list[dict]) -> dict[tuple[int | None, int | None], int]:
    """Each changed clause's number (by `change_key`), 1 up: the N of its "change-N" anchor in the
    pages, the standalone HTML and the unannounced report. Unchanged pairs are not counted, so N is
    the same with them shown or not."""
    return {change_key(c): n for n, c in enumerate((c for c in changes if c["kind"] != "unchanged"), 1)}


def word_counts(ops: list[dict]) -> tuple[int, int]:
    """(words inserted, words deleted) by a change's ops."""
    inserted = sum(len(o["text"].split()) for o in ops if o["op"] == "insert")
    return inserted, sum(len(o["text"].split()) for o in ops if o["op"] == "delete")


def clear_caches() -> None:
    """Forget every memoised text and word (so a benchmark's cold run computes everything)."""
    tokens.clear_caches()
    _align.clear_caches()
    changelog.clear_caches()


def _title_ops(a: Clause, b: Clause) -> list[Op]:
    """A retitled clause's title, word by word ("September 19, 2023" + "(RSP v1.0)"), then "¶"."""
    ta, tb = a.title, b.title
    if ta == tb or analyse(ta).letters.lower() == analyse(tb).letters.lower():
        return []
    ops = diff_words(ta, tb)
    return [*ops[:-1], Op(ops[-1].op, ops[-1].text + " ", ops[-1].moved), Op("equal", "¶ ")]


def pair_change(p: Pair, a: list[Clause], b: list[Clause]) -> dict:
    ca = a[p.a] if p.a is not None else None
    cb = b[p.b] if p.b is not None else None
    base = {
        "kind": p.kind,
        "from_clause": clause_ref(p.a, ca) if ca is not None else None,
        "to_clause": clause_ref(p.b, cb) if cb is not None else None,
        "similarity": p.similarity,
        "relation": p.relation,
        "related": None,
        "ops": [],
    }
    if p.relation == "split" and p.related is not None:
        base["related"] = clause_ref(p.related, a[p.related])
    if p.relation == "merged" and p.related is not None:
        base["related"] = clause_ref(p.related, b[p.related])
    if ca is None or cb is None:  # added or removed: its whole text, if it has any (a bare heading has none)
        text = join_words(analyse(clause_content(cb if ca is None else ca)).words)  # type: ignore[arg-type]
        base["ops"] = [{"op": "insert" if ca is None else "delete", "text": text}] if text else []
        return base
    assert ca is not None and cb is not None
    ta, tb = clause_content(ca), clause_content(cb)
    title_ops = _title_ops(ca, cb)
    if title_ops and base["relation"] is None:
        base["relation"] = "retitled"  # however it was paired (by content, under the same number...)
    body = reflow.settle(diff_words(ta, tb), ca, cb, ta, tb)
    ops = title_ops + body
    changed = any(o.op != "equal" for o in ops)
    eq = equal_length(body)  # of the texts measured below: the title is not in them
    total = canonical_length(ta) + canonical_length(tb)
    base["similarity"] = round(min(1.0, 2 * eq / total), 3) if total else 1.0
    if changed:  # one word in a thousand still changed the clause: it never reads as identical
        base["similarity"] = min(base["similarity"], 0.999)
    if p.kind == "same":
        base["kind"] = "modified" if changed else "unchanged"
    base["ops"] = [o.as_dict() for o in ops] if changed or p.kind != "same" else []
    return base


def compute(policy: str, from_meta: dict, to_meta: dict, a: list[Clause], b: list[Clause]) -> dict:
    changes = [pair_change(p, a, b) for p in align(a, b) if p.kind != "ghost"]
    summary = {k: 0 for k in (*KINDS, "unchanged")}
    for ch in changes:
        summary[ch["kind"]] += 1
    return {
        "policy": policy,
        "from": from_meta,
        "to": to_meta,
        "algorithm": ALGORITHM_VERSION,
        "summary": summary,
        "changes": changes,
        "audit": changelog.audit(b, changes, to_meta, from_meta, a),
    }


def select(redline: dict, *, changed_only: bool = True, positions: tuple[set[int], set[int]] | None = None) -> dict:
    """A view of a redline: without unchanged pairs, and/or limited to some clause positions (A, B)."""
    out = dict(redline)
    changes = redline["changes"]
    if positions is not None:
        pa, pb = positions
        changes = [c for c in changes if _within(c, pa, pb)]
        # Counted before unchanged pairs are dropped: a clause that stands unchanged says "1 unchanged".
        summary = {k: 0 for k in (*KINDS, "unchanged")}
        for c in changes:
            summary[c["kind"]] += 1
        out["summary"] = summary
        audit = redline.get("audit")
        out["audit"] = changelog.select(audit, lambda c: _within(c, pa, pb)) if audit else audit
    if changed_only:
        changes = [c for c in changes if c["kind"] != "unchanged"]
    out["changes"] = changes
    return out


def _within(c: dict, pa: set[int], pb: set[int]) -> bool:
    return bool((c["from_clause"] and c["from_clause"]["id"] in pa) or (c["to_clause"] and c["to_clause"]["id"] in pb))
