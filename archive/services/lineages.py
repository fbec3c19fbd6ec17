"""Lineage ids: a clause's identity across versions, assigned by aligning each version with its
predecessor (archive.diff.align), and kept for good once given (clients store them); and which
policies' ids an upgraded alignment no longer follows (`stale_policies`, checked after ingest)."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from archive import types as t
from archive.db import storage
from archive.diff.align import align
from archive.errors import InvalidInput

__all__ = ["assign_lineages", "stale_policies"]


def _new_lineage(slug: str, label: str, position: int, c: t.Clause) -> str:
    return hashlib.sha256(f"{slug}\x1f{label}\x1f{position}\x1f{c.number}\x1f{c.title}".encode()).hexdigest()[:16]


def assign_lineages(session: Session, slug: str, *, start: str | None = None) -> int:
    """Give every clause of every version (or of `start` and later) a lineage id by aligning each
    version with its predecessor. Returns the number of versions updated.

    Ids are permanent: clients store them. A chain of aligned clauses keeps the id a member already
    bears, the earliest one's, so a version back-filled before the first (or between two) joins the
    lineages of its successors instead of re-rooting them. Only a chain whose clauses bear none gets a
    new id, made from its first clause. Where chains now claim one id (a clause that a new version
    in between links to an older one), the chain starting earlier keeps it."""
    versions = storage.list_versions(session, slug)
    labels = [v.label for v in versions]
    if start is not None and start not in labels:
        raise InvalidInput(f"policy '{slug}' has no version '{start}'")
    first = labels.index(start) if start is not None else 0
    prev: list[t.Clause] | None = storage.clauses(session, slug, labels[first - 1]) if first > 0 else None
    if prev is not None and any(c.lineage is None for c in prev):
        return assign_lineages(session, slug)  # the predecessor has none yet: do the whole chain
    trees = [storage.clauses(session, slug, label) for label in labels[first:]]
    # Chains, in the order of their first clause: the id they continue from `prev`, and their clauses.
    chains: list[tuple[str | None, list[tuple[int, int]]]] = []
    chain_of: list[list[int]] = []  # per version of `trees`, per clause: its chain
    for vi, cur in enumerate(trees):
        before = trees[vi - 1] if vi > 0 else prev
        link = {p.b: p.a for p in align(before, cur) if p.a is not None and p.b is not None} if before else {}
        row = []
        for i in range(len(cur)):
            if i in link and vi > 0:
                k = chain_of[vi - 1][link[i]]
            else:
                k = len(chains)
                chains.append((prev[link[i]].lineage if i in link and prev is not None else None, []))
            chains[k][1].append((vi, i))
            row.append(k)
        chain_of.append(row)
    taken = {fixed for fixed, _ in chains if fixed is not None}
    ids: list[str] = []
    for fixed, members in chains:
        lid = fixed
        if lid is None:
            held = (trees[vi][i].lineage for vi, i in members)
            lid = next((x for x in held if x is not None and x not in taken), None)
        if lid is None:
            vi, i = members[0]
            lid = _new_lineage(slug, labels[first + vi], i, trees[vi][i])
            while lid in taken:  # a new id never takes one a clause still bears
                lid = hashlib.sha256(lid.encode()).hexdigest()[:16]
        taken.add(lid)
        ids.append(lid)
    for vi, cur in enumerate(trees):
        lineage = [ids[k] for k in chain_of[vi]]
        for c, lid in zip(cur, lineage, strict=True):
            c.lineage = lid
        storage.set_lineages(session, slug, labels[first + vi], lineage)
    return len(trees)


def stale_policies(session: Session) -> list[str]:
    """Policies whose lineage ids no longer follow their consecutive redlines: an upgrade changed the
    alignment (redline/12 pairs 2.2's §7.1 with 3.0's §4), and ids assigned before still split or join
    clauses as the old one did. Checked as `assign_lineages` links them, by aligning each version with
    its predecessor."""
    stale = []
    for policy in storage.list_policies(session):
        trees = [storage.clauses(session, policy.slug, v.label) for v in storage.list_versions(session, policy.slug)]
        for before, cur in zip(trees, trees[1:], strict=False):
            link = {p.b: p.a for p in align(before, cur) if p.a is not None and p.b is not None}
            ids = {c.lineage for c in before}
            if any(c.lineage != before[link[j]].lineage if j in link else c.lineage in ids
                   for j, c in enumerate(cur)):
                stale.append(policy.slug)
                break
    return stale
