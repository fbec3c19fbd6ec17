"""What the changelogs leave out: for every revision of a policy, the changed clauses its changelog
entry does not mention, as the changelog audit (archive.diff.changelog) finds them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from archive.db import storage
from archive.diff import redline as rl
from archive.services.redlines import compare, version_meta

__all__ = ["EXCERPT_WORDS", "unannounced"]

EXCERPT_WORDS = 40  # of a change's inserted and of its deleted text, quoted in the report


def unannounced(session: Session, slug: str) -> dict:
    """For every revision (consecutive pair, newest first), the changed clauses its changelog entry
    does not mention, as the changelog audit finds them: candidates for unannounced changes. Each
    says how much changed, quotes the start of what was inserted and deleted, and carries its word
    ops; `change` is its number in the pair's redline of changed clauses (the compare page's
    #change-N). A revision with no changelog entry to check against has `audited` false."""
    storage.get_policy(session, slug)  # PolicyNotFound, not an empty report
    versions = storage.list_versions(session, slug)
    revisions = []
    for older, newer in zip(versions, versions[1:], strict=False):
        red = compare(session, slug, older.label, newer.label)
        audit = red["audit"]
        numbers = rl.change_numbers(red["changes"])
        by_key = {rl.change_key(c): c for c in red["changes"]}
        listed = []
        for u in audit["unmentioned"] if audit else []:
            n, change = numbers[rl.change_key(u)], by_key[rl.change_key(u)]
            inserted, deleted = rl.word_counts(change["ops"])
            listed.append({
                **u, "change": n, "similarity": change["similarity"],
                "inserted_words": inserted, "deleted_words": deleted,
                "inserted": _excerpt(change["ops"], "insert"), "deleted": _excerpt(change["ops"], "delete"),
                "ops": change["ops"],
            })
        revisions.append({
            "from": version_meta(older),
            "to": version_meta(newer),
            "changed": sum(red["summary"][k] for k in rl.KINDS),
            "audited": audit is not None,
            "entries": [e["title"] for e in audit["entries"]] if audit else [],
            "counts": audit["counts"] if audit else None,
            "unmentioned": listed,
        })
    revisions.reverse()
    every = [u for r in revisions for u in r["unmentioned"]]
    return {
        "policy": slug,
        "revisions": revisions,
        "counts": {
            "revisions": len(revisions),
            "audited": sum(r["audited"] for r in revisions),
            "unmentioned": len(every),
            "substantive": sum(u["nature"] == "substantive" for u in every),
            "editorial": sum(u["nature"] == "editorial" for u in every),
        },
    }


def _excerpt(ops: list[dict], op: str) -> str:
    """The first EXCERPT_WORDS words a change inserted (or deleted), its pieces joined by " … "."""
    pieces, left = [], EXCERPT_WORDS
    for o in ops:
        if o["op"] != op or left <= 0:
            continue
        words = o["text"].split()
        pieces.append(" ".join(words[:left]) + (" …" if len(words) > left else ""))
        left -= len(words)
    return " … ".join(pieces)
