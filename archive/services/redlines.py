"""Redlines and clause histories over the archive: compute once, store by content hash, serve by lookup.

`compare` returns the JSON-shaped dict of archive.diff.redline; `render_html` / `render_text` turn it
into the other formats. Lineage ids (a clause's identity across versions) are assigned by aligning
consecutive versions. `refresh_derived` does both derived steps after ingest: lineages, and the
redline of every consecutive pair computed and stored, so serving them is a lookup.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import threading
from collections import Counter, OrderedDict

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from archive import types as t
from archive.db import storage
from archive.diff import changelog
from archive.diff import redline as rl
from archive.diff.align import align
from archive.diff.changelog import survival
from archive.diff.render import RENDER_VERSION, TEXT_WIDTH, render_html, render_text
from archive.errors import ClauseNotFound, InvalidInput
from archive.services.versions import resolve_pair, resolve_version
from archive.settings import get_settings

__all__ = [
    "RENDER_VERSION", "TEXT_WIDTH", "assign_lineages", "clause_history", "compare", "compare_versions", "redline_key",
    "render_html", "render_text", "revisions_between", "unannounced",
]

log = logging.getLogger(__name__)


def _meta(v: t.VersionInfo) -> dict:
    return {"label": v.label, "effective": v.effective.isoformat()}


def redline_key(slug: str, a: t.VersionInfo, b: t.VersionInfo) -> str:
    """Content key: both versions' text hashes, their labels and dates (shown in the body), their
    extractions (which record more than the text, a clause's page breaks: a re-extraction may change
    those and not the text), the algorithm."""
    raw = "\x1f".join(
        [rl.ALGORITHM_VERSION, slug,
         *(x for v in (a, b) for x in (v.label, v.effective.isoformat(), v.text_sha256, v.extractor_version,
                                        v.extracted_at.isoformat()))]
    )
    return hashlib.sha256(raw.encode()).hexdigest()


# Redlines computed where the database refuses writes (the API's read-only engine), by content key,
# least recently used first. Bounded by total JSON size (settings.redline_memo_mb), not by count:
# one redline's body ranges from a few KB to megabytes.
_memo: OrderedDict[str, str] = OrderedDict()  # key -> JSON body (callers get their own copy)
_memo_bytes = 0  # sum of len() of the bodies held
_memo_lock = threading.Lock()


def _memo_put(key: str, body: str) -> None:
    global _memo_bytes
    limit = get_settings().redline_memo_mb * 1024 * 1024
    if len(body) > limit:
        return
    with _memo_lock:
        if key in _memo:
            return
        _memo[key] = body
        _memo_bytes += len(body)
        while _memo_bytes > limit:
            _, dropped = _memo.popitem(last=False)
            _memo_bytes -= len(dropped)


def _full(session: Session, slug: str, va: t.VersionInfo, vb: t.VersionInfo) -> dict:
    key = redline_key(slug, va, vb)
    body = storage.get_redline(session, key)
    if body is not None:
        return json.loads(body)
    with _memo_lock:
        if key in _memo:
            _memo.move_to_end(key)
            return json.loads(_memo[key])
    result = rl.compute(
        slug, _meta(va), _meta(vb), storage.clauses(session, slug, va.label), storage.clauses(session, slug, vb.label)
    )
    try:
        with session.begin_nested():
            storage.put_redline(session, key, slug, va.label, vb.label, json.dumps(result, ensure_ascii=False))
    except IntegrityError:
        pass  # a concurrent request stored it first
    except SQLAlchemyError as exc:
        if _refused_as_read_only(exc):  # the API's own engine: kept in memory, as designed
            log.info("redline %s not stored: %s", key[:12], type(exc).__name__)
            _memo_put(key, json.dumps(result, ensure_ascii=False))
        else:
            # Another writer held the database past the timeout, say: served all the same, and said, as
            # the next request computes it again (not kept in memory, so that one can store it).
            log.warning("redline %s %s -> %s not stored (%s): it is computed again until it can be",
                        slug, va.label, vb.label, type(exc).__name__)
    return result


def _refused_as_read_only(exc: SQLAlchemyError) -> bool:
    """Whether a write failed because the database takes none: SQLite opened read-only (`PRAGMA
    query_only`, SQLITE_READONLY) or PostgreSQL's default_transaction_read_only (SQLSTATE 25006,
    read_only_sql_transaction). By code, not message: a server's messages may be translated."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "25006":
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_READONLY  # extended codes keep it low


def compare(session: Session, slug: str, a: str, b: str, *, clause: str | None = None,
            changed_only: bool = True) -> dict:
    """The redline from version `a` to version `b` (labels or YYYY-MM-DD dates).

    `clause` limits it to one clause (by number, or title if unnumbered) and its counterpart.
    """
    held, va, vb = resolve_pair(session, slug, a, b)
    return compare_versions(session, slug, va, vb, held, clause=clause, changed_only=changed_only)


def compare_versions(session: Session, slug: str, va: t.VersionInfo, vb: t.VersionInfo, held: list[t.VersionInfo],
                     *, clause: str | None = None, changed_only: bool = True) -> dict:
    """`compare` of two resolved versions; `held`: every version of the policy, oldest first."""
    result = _full(session, slug, va, vb)
    _with_revisions(session, slug, va, vb, result, held)
    if clause is None:
        return rl.select(result, changed_only=changed_only)
    positions = _clause_positions(session, slug, va.label, vb.label, clause, result)
    return rl.select(result, changed_only=changed_only, positions=positions)


def revisions_between(held: list[t.VersionInfo], va: t.VersionInfo, vb: t.VersionInfo) -> list[t.VersionInfo]:
    """The versions of `held` (a policy's, oldest first) from `va` to `vb` included, oldest first ([] for
    a comparison backwards)."""
    labels = [v.label for v in held]
    i, j = labels.index(va.label), labels.index(vb.label)
    return held[i : j + 1] if i < j else []


def _with_revisions(
    session: Session, slug: str, va: t.VersionInfo, vb: t.VersionInfo, result: dict, held: list[t.VersionInfo]
) -> None:
    """In place: the audit of a redline spanning several archived revisions, taken from each revision's
    own audit. Matched at once against every entry, a clause is credited with items of revisions that
    never touched it (3.0 -> 3.4 gave §3.5 3.2's LTBT item; §3.5 changed only in 3.4), and a clause
    changed silently in 3.1 and again, announced, in 3.2 read as announced (3.0 -> 3.4 said "every
    changed clause is accounted for" while `unannounced` listed three). So a change of the span is
    credited with the items its revisions' audits credited (`unannounced_in` names those that found it
    in no changelog), and is accounted for only when every one of them was. A change no revision's
    audit saw (a clause removed along the way) keeps the span's own verdict. Done on reading, never
    stored: it depends on the versions archived in between, which the redline's key does not hold."""
    audit = result.get("audit")
    steps = revisions_between(held, va, vb)
    if not audit or len(steps) < 3:
        return
    numbered = {(it["entry"], " ".join(it["text"].split())): it["n"] for it in audit["items"]}
    version_of = {it["n"]: changelog.entry_version(it["entry"] or "") for it in audit["items"]}
    # An entry may be retitled in later changelogs ("October 15, 2024" became "... (RSP v2.0)"): an
    # item's text alone names it too, where no other item has that text.
    texts = Counter(text for _, text in numbered)
    numbered.update({("", text): n for (_, text), n in list(numbered.items()) if texts[text] == 1})
    # Per clause position in the newest revision so far: (revision, its audit's entry, its items' keys);
    # per position of the oldest version, where that clause stands now, and its removal once it goes.
    trail: dict[int, list[tuple[str, dict, list[tuple[str, str]]]]] = {}
    alive: dict[int, int] | None = None
    removal: dict[int, list[tuple[str, dict, list[tuple[str, str]]]]] = {}
    for older, newer in zip(steps, steps[1:], strict=False):
        forward, olders, step_changes, keys = _revision_digest(session, slug, older, newer)
        if alive is None:
            alive = {p: p for p in olders}
        trail = {forward[p]: found for p, found in trail.items() if p in forward}
        removed = {a["from_clause"]["id"]: a for a in step_changes if a["from_clause"] and not a["to_clause"]}
        for first, now in list(alive.items()):
            if now in forward:
                alive[first] = forward[now]
                continue
            del alive[first]
            if now in removed:
                removal[first] = [(newer.label, removed[now], [keys[n] for n in removed[now]["items"]])]
        for a in step_changes:
            if a["to_clause"]:
                trail.setdefault(a["to_clause"]["id"], []).append((newer.label, a, [keys[n] for n in a["items"]]))
    span_ops = {rl.change_key(c): c["ops"] for c in result["changes"]}
    for c in audit["changes"]:
        if c["to_clause"]:
            found = trail.get(c["to_clause"]["id"], [])
        else:
            found = removal.get(c["from_clause"]["id"], []) if c["from_clause"] else []
        ops = span_ops.get(rl.change_key(c))
        # A revision's silent edit that a later revision undid (3.2's "the" in §3.1, in a sentence 3.3
        # deleted) is no part of the span's change: it makes nothing of it unannounced.
        c["unannounced_in"] = [{"version": rev, "kind": a["kind"], "nature": a["nature"]} for rev, a, _ in found
                               if not a["accounted"] and (ops is None or not c["to_clause"]
                                                          or survival.stands(a.get("ops", []), ops))]
        if not found:
            continue
        keys = [k if k in numbered else ("", k[1]) for _, _, ks in found for k in ks]
        if all(k in numbered for k in keys):
            c["items"] = list(dict.fromkeys(numbered[k] for k in keys))
        else:  # an item reworded since: the span's own match, kept to the entries of the revisions that changed it
            revisions = {rev.lstrip("v") for rev, _, _ in found}
            c["items"] = [n for n in c["items"] if version_of[n] in revisions]
        c["accounted"] = not c["unannounced_in"]
        c["editorial_note"] = c["accounted"] and not c["items"] and any(a["editorial_note"] for _, a, _ in found)
        c["via_subsections"] = c["via_subsections"] and all(a["via_subsections"] for _, a, _ in found)
    # `nature` is the span change's, as in `changes`; what went unannounced has its own in `unannounced_in`.
    audit["unmentioned"] = [
        {**{k: c[k] for k in ("clause", "from_clause", "to_clause", "kind", "nature")},
         "unannounced_in": c["unannounced_in"]}
        for c in audit["changes"] if not c["accounted"]
    ]
    credited: dict[int, list[str]] = {}  # item number -> the clauses it accounts for, in order
    for c in audit["changes"]:
        if not c["via_subsections"]:
            for n in c["items"]:
                credited.setdefault(n, []).append(c["clause"])
    for item in audit["items"]:
        item["clauses"] = credited.get(item["n"], [])
    audit["items_without_change"] = [item["n"] for item in audit["items"]
                                     if not item["clauses"] and not item.get("editorial")]
    changelog.recount(audit)


# What a span's audit needs of each consecutive redline, kept parsed: reading a span would otherwise
# load and parse every stored redline in between (1.0 -> 3.4 warm: 4.9 ms, against 0.9 without).
_digests: OrderedDict[str, tuple] = OrderedDict()
DIGESTS = 64


def _revision_digest(
    session: Session, slug: str, older: t.VersionInfo, newer: t.VersionInfo
) -> tuple[dict[int, int], set[int], list[dict], dict[int, tuple[str, str]]]:
    """Of one consecutive redline: older clause position -> newer (aligned pairs), the older positions,
    its audit's changes, and its items' (entry, text) by number. Read only: shared between callers."""
    key = redline_key(slug, older, newer)
    with _memo_lock:
        if key in _digests:
            _digests.move_to_end(key)
            return _digests[key]
    red = _full(session, slug, older, newer)
    step = red.get("audit") or {"items": [], "changes": []}
    ops = {rl.change_key(c): c["ops"] for c in red["changes"]}
    digest = (
        {c["from_clause"]["id"]: c["to_clause"]["id"] for c in red["changes"] if c["from_clause"] and c["to_clause"]},
        {c["from_clause"]["id"] for c in red["changes"] if c["from_clause"]},
        # An unannounced change with its ops: a span asks whether a later revision undid it.
        [a if a["accounted"] else {**a, "ops": ops.get(rl.change_key(a), [])} for a in step["changes"]],
        {it["n"]: (it["entry"], " ".join(it["text"].split())) for it in step["items"]},
    )
    with _memo_lock:
        _digests[key] = digest
        while len(_digests) > DIGESTS:
            _digests.popitem(last=False)
    return digest


def find_compared_clause(session: Session, slug: str, la: str, lb: str, number: str) -> dict[str, tuple]:
    """The clause `number` (or a title only it bears, as `show` takes) in version `la` and/or `lb`
    ({"a": ..., "b": ...}, either may be missing);
    ClauseNotFound when neither has it (a comparison limited to it would hold nothing)."""
    found = {}
    for side, label in (("a", la), ("b", lb)):
        with contextlib.suppress(ClauseNotFound):
            found[side] = storage.find_clause(session, slug, label, number, any_title=True)
    if not found:
        raise ClauseNotFound(f"neither version {la} nor {lb} of '{slug}' has a clause '{number}'")
    return found


def _clause_positions(
    session: Session, slug: str, la: str, lb: str, number: str, result: dict
) -> tuple[set[int], set[int]]:
    found = find_compared_clause(session, slug, la, lb, number)
    if "b" in found:
        # The clause as numbered in the newer version, and its counterpart by alignment: numbers are
        # reused (2.0's §1 "Background" is not 3.4's §1), and the older clause that merely shares
        # the number is no part of this clause's lineage.
        found.pop("a", None)
    pa: set[int] = set()
    pb: set[int] = set()
    for side, label, into in (("a", la, pa), ("b", lb, pb)):
        if side in found:
            pos, c = found[side]
            into.add(pos)
            if not c.text.strip() and not c.footnotes:
                # A heading with no text of its own ("Changelog", "Appendices") stands for what is under
                # it: limited to itself, 3.0 -> 3.4 showed nothing where four entries were added.
                into.update(_descendants(storage.clauses(session, slug, label), pos))
    # Follow the alignment so a renumbered or moved counterpart comes along.
    for ch in result["changes"]:
        fa, tb = ch["from_clause"], ch["to_clause"]
        if fa and tb and (fa["id"] in pa or tb["id"] in pb):
            pa.add(fa["id"])
            pb.add(tb["id"])
    return pa, pb


# --- clause history ---------------------------------------------------------------------------


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
        red = _full(session, slug, versions[k - 1], versions[k])
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
        red = _full(session, slug, versions[k], versions[k + 1])
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
            red = _full(session, slug, versions[k - 1], versions[k])
            steps[k]["within"] = _within(
                red, _descendants(trees[k - 1], chain[k - 1]), _descendants(trees[k], chain[k])
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


def _descendants(tree: list[t.Clause], pos: int) -> set[int]:
    """Positions of the clauses under `pos` (a parent always precedes its children)."""
    under: set[int] = {pos}
    for i in range(pos + 1, len(tree)):
        if tree[i].parent in under:
            under.add(i)
    return under - {pos}


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
    if change is None:
        return {"kind": "added", "similarity": None, "ops": [], "changelog": None, "within": []}
    ops = change["ops"]
    return {
        "kind": change["kind"],
        "similarity": change["similarity"],
        "relation": change.get("relation"),
        "inserted_words": sum(len(o["text"].split()) for o in ops if o["op"] == "insert"),
        "deleted_words": sum(len(o["text"].split()) for o in ops if o["op"] == "delete"),
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
                "items": [{"n": i["n"], "text": i["text"], "entry": i["entry"]} for i in items],
                "editorial_note": a["editorial_note"],
            }
    return None


# --- versions the policy names but the archive lacks ------------------------------------------


# --- what the changelogs leave out ------------------------------------------------------------

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
        numbered = {rl.change_key(c): (n, c) for n, c in enumerate(red["changes"], 1)}
        listed = []
        for u in audit["unmentioned"] if audit else []:
            n, change = numbered[rl.change_key(u)]
            step = _step(change, None)
            listed.append({
                **u, "change": n, "similarity": change["similarity"],
                "inserted_words": step["inserted_words"], "deleted_words": step["deleted_words"],
                "inserted": _excerpt(change["ops"], "insert"), "deleted": _excerpt(change["ops"], "delete"),
                "ops": change["ops"],
            })
        revisions.append({
            "from": _meta(older),
            "to": _meta(newer),
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


# --- lineages ---------------------------------------------------------------------------------


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


def refresh_derived(session: Session, slug: str) -> int:
    """After ingest: lineage ids for every version, and every consecutive pair's redline stored.

    Idempotent: stored redlines are found by content key and not recomputed. Returns the number of
    consecutive pairs.
    """
    assign_lineages(session, slug)
    versions = storage.list_versions(session, slug)
    for va, vb in zip(versions, versions[1:], strict=False):
        _full(session, slug, va, vb)
    return max(len(versions) - 1, 0)
