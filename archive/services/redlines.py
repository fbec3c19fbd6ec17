"""Redlines over the archive: compute once, store by content hash, serve by lookup.

`compare` returns the JSON-shaped dict of archive.diff.redline, with the audit of a span of several
revisions taken from each revision's own; `render_html` / `render_text` turn it into the other
formats. `refresh_derived` does both derived steps after ingest: lineage ids
(archive.services.lineages), and the redline of every consecutive pair computed and stored, so
serving them is a lookup. Clause histories (archive.services.histories) and the report of what the
changelogs leave out (archive.services.unannounced) read these consecutive redlines.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from archive import types as t
from archive.clauses import descendants, plain_number
from archive.db import storage
from archive.diff import changelog
from archive.diff import redline as rl
from archive.diff.changelog import survival
from archive.diff.render import RENDER_VERSION, TEXT_WIDTH, render_html, render_text
from archive.diff.tokens import analyse
from archive.errors import ClauseNotFound
from archive.services.lineages import assign_lineages
from archive.services.versions import resolve_pair
from archive.settings import get_settings

__all__ = [
    "RENDER_VERSION", "TEXT_WIDTH", "Comparison", "compare", "compare_clause", "compare_scoped",
    "compare_versions", "comparison", "find_compared_clause", "full_redline", "redline_key", "refresh_derived",
    "render_html", "render_text", "revisions_between", "version_meta",
]

log = logging.getLogger(__name__)


def version_meta(v: t.VersionInfo) -> dict:
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


def full_redline(session: Session, slug: str, va: t.VersionInfo, vb: t.VersionInfo) -> dict:
    """The whole redline from `va` to `vb` (unchanged pairs included, no span audit): stored, memoised
    where the database takes no writes, or computed and stored."""
    key = redline_key(slug, va, vb)
    body = storage.get_redline(session, key)
    if body is not None:
        return json.loads(body)
    with _memo_lock:
        if key in _memo:
            _memo.move_to_end(key)
            return json.loads(_memo[key])
    a, b = storage.clauses(session, slug, va.label), storage.clauses(session, slug, vb.label)
    result = rl.compute(slug, version_meta(va), version_meta(vb), a, b)
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
    if clause is None:  # what most callers ask, a lookup once stored: no more queries than it needs
        return compare_versions(session, slug, va, vb, held, changed_only=changed_only)
    return compare_clause(session, slug, va, vb, held, plain_number(clause), changed_only=changed_only)[0]


@dataclass(frozen=True)
class Comparison:
    """A redline as a reader asked for it: the redline (limited to `clause`, if given), the policy's
    title (the redline holds its slug), the clause as named without a citation's "§" ("§ 4": "4"),
    and what the whole comparison says around that clause (`compare_clause`'s context)."""

    redline: dict
    policy_title: str
    clause: str | None = None
    scope: dict | None = None


def compare_scoped(session: Session, slug: str, a: str, b: str, *, clause: str | None = None,
                   changed_only: bool = True) -> Comparison:
    """`compare`, with what the CLI and pages say around it (`Comparison`)."""
    held, va, vb = resolve_pair(session, slug, a, b)
    return comparison(session, slug, va, vb, held, clause=clause, changed_only=changed_only)


def comparison(session: Session, slug: str, va: t.VersionInfo, vb: t.VersionInfo, held: list[t.VersionInfo],
               *, clause: str | None = None, changed_only: bool = True) -> Comparison:
    """`compare_scoped` of two resolved versions; `held`: every version of the policy, oldest first."""
    title = storage.get_policy(session, slug).title
    if clause is None:
        return Comparison(compare_versions(session, slug, va, vb, held, changed_only=changed_only), title)
    clause = plain_number(clause)
    red, scope = compare_clause(session, slug, va, vb, held, clause, changed_only=changed_only)
    return Comparison(red, title, clause, scope)


def compare_versions(session: Session, slug: str, va: t.VersionInfo, vb: t.VersionInfo, held: list[t.VersionInfo],
                     *, changed_only: bool = True) -> dict:
    """The whole redline of two resolved versions (`compare_clause` for one clause); `held`: every
    version of the policy, oldest first."""
    result = full_redline(session, slug, va, vb)
    _with_revisions(session, slug, va, vb, result, held)
    return rl.select(result, changed_only=changed_only)


def compare_clause(session: Session, slug: str, va: t.VersionInfo, vb: t.VersionInfo, held: list[t.VersionInfo],
                   clause: str, *, changed_only: bool = True) -> tuple[dict, dict]:
    """`compare_versions` limited to `clause`, and what a reader of it needs from the whole comparison:
    {numbers: each changed clause's number in the whole (archive.diff.redline.change_numbers, so a
    #change-N link is the same on either page), subsections: [{number, title}] of the clause when they
    are clauses of their own (not brought in), other: the older version's clause of the same number
    when it is another clause (2.2's §4 is not 3.0's §4), with what became of it (its change, or None)}."""
    result = full_redline(session, slug, va, vb)
    _with_revisions(session, slug, va, vb, result, held)
    pa, pb, found = _clause_positions(session, slug, va.label, vb.label, clause, result)
    side, label = ("b", vb.label) if "b" in found else ("a", va.label)
    pos, c = found[side]
    subsections = []
    if c.text.strip() or c.footnotes:  # else its subsections are in the comparison already
        subsections = [{"number": x.number, "title": x.title} for x in storage.clauses(session, slug, label)
                       if x.parent == pos]
    other = None
    if side == "b" and "a" in found:
        k, oc = found["a"]
        if k not in pa:
            became = next((ch for ch in result["changes"] if ch["from_clause"] and ch["from_clause"]["id"] == k), None)
            other = {"label": va.label, "number": oc.number, "title": oc.title, "change": became}
    context = {"numbers": rl.change_numbers(result["changes"]), "subsections": subsections, "other": other}
    return rl.select(result, changed_only=changed_only, positions=(pa, pb)), context


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
    spaced: dict[str, str] = {}  # an item's letters -> its text with the most words in any revision
    for older, newer in zip(steps, steps[1:], strict=False):
        forward, olders, step_changes, keys = _revision_digest(session, slug, older, newer)
        for _, text in keys.values():
            letters = analyse(text).letters  # spacing, quote styles, "4x" or "4×" aside
            if len(text.split()) > len(spaced.get(letters, "").split()):
                spaced[letters] = text
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
        # Quoted from the copy with the most words among the revisions' own audits, where the newer
        # version's lost spaces (3.4's "RSP-2024:This ... andnuanced approach"; 2.0's own is spaced).
        item["text"] = spaced.get(analyse(item["text"]).letters, item["text"])
    audit["items_without_change"] = [item["n"] for item in audit["items"]
                                     if not item["clauses"] and not item.get("editorial")]
    changelog.recount(audit)


# What a span's audit needs of each consecutive redline, kept parsed: reading a span would otherwise
# load and parse every stored redline in between (1.0 -> 3.4 warm: 4.9 ms, against 0.9 without).
_digests: OrderedDict[str, tuple] = OrderedDict()
_DIGESTS = 64


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
    red = full_redline(session, slug, older, newer)
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
        while len(_digests) > _DIGESTS:
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
) -> tuple[set[int], set[int], dict[str, tuple]]:
    """The A and B positions a comparison limited to clause `number` shows, and the clause found
    in either version (`find_compared_clause`): the newer one's is shown when both have the number."""
    found = find_compared_clause(session, slug, la, lb, number)
    shown = dict(found)
    if "b" in shown:
        # The clause as numbered in the newer version, and its counterpart by alignment: numbers are
        # reused (2.0's §1 "Background" is not 3.4's §1), and the older clause that merely shares
        # the number is no part of this clause's lineage.
        shown.pop("a", None)
    pa: set[int] = set()
    pb: set[int] = set()
    for side, label, into in (("a", la, pa), ("b", lb, pb)):
        if side in shown:
            pos, c = shown[side]
            into.add(pos)
            if not c.text.strip() and not c.footnotes:
                # A heading with no text of its own ("Changelog", "Appendices") stands for what is under
                # it: limited to itself, 3.0 -> 3.4 showed nothing where four entries were added.
                into.update(descendants(storage.clauses(session, slug, label), pos))
    # Follow the alignment so a renumbered or moved counterpart comes along.
    for ch in result["changes"]:
        fa, tb = ch["from_clause"], ch["to_clause"]
        if fa and tb and (fa["id"] in pa or tb["id"] in pb):
            pa.add(fa["id"])
            pb.add(tb["id"])
    return pa, pb, found


def refresh_derived(session: Session, slug: str) -> int:
    """After ingest: lineage ids for every version, and every consecutive pair's redline stored.

    Idempotent: stored redlines are found by content key and not recomputed. Returns the number of
    consecutive pairs.
    """
    assign_lineages(session, slug)
    versions = storage.list_versions(session, slug)
    for va, vb in zip(versions, versions[1:], strict=False):
        full_redline(session, slug, va, vb)
    return max(len(versions) - 1, 0)
