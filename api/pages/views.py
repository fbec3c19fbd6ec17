"""What the page templates need, built from storage and the services: plain dicts and small helpers.

No FastAPI here: the router turns requests into calls of these, and the templates only format.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from markupsafe import Markup
from sqlalchemy.orm import Session

from api import urls
from api.routes.params import CLAUSE_PATTERN
from archive import cite
from archive import types as t
from archive.clauses import page_range
from archive.dates import parse_day
from archive.db import storage
from archive.diff.redline import KINDS, change_key, change_numbers
from archive.diff.render import op_html
from archive.errors import ArchiveError, InvalidInput
from archive.services.versions import resolve_pair, resolve_version

LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
CLAUSE_RE = re.compile(CLAUSE_PATTERN)
MATCHES_SHOWN = 20  # on the cite page; a narrower scope shows the rest


def anchor(number: str, title: str = "") -> str:
    """The fragment id of a clause on its version page: `clause-3.6`, `clause-appendix-a`."""
    key = number or title or "front-matter"
    return "clause-" + (re.sub(r"[^A-Za-z0-9.]+", "-", key).strip("-.").lower() or "x")


def q(value: str) -> str:
    """A URL path segment."""
    return urls.segment(value)


def version_url(slug: str, label: str, number: str = "", title: str = "") -> str:
    base = f"/p/{q(slug)}/{q(label)}"
    return base + (f"#{anchor(number, title)}" if number or title else "")


def quote_url(match: dict) -> str:
    """The version page at a resolved quote: the clause's anchor, then the text fragment that has the
    browser scroll to the quote and highlight it (the anchor alone where the browser cannot)."""
    c = match["clause"]
    url = version_url(match["policy"], match["version"], c["number"], c["title"])
    fragment = match.get("text_fragment", "")
    return url + ("" if "#" in url or not fragment else "#") + fragment


def compare_url(slug: str, a: str, b: str, *, clause: str | None = None, show_all: bool = False) -> str:
    params = {k: v for k, v in (("clause", clause), ("all", "1" if show_all else None)) if v}
    return f"/p/{q(slug)}/compare/{q(a)}..{q(b)}" + (f"?{urlencode(params)}" if params else "")


def web_url(url: str | None) -> str | None:
    """`url` if it is an http(s) address, else None: a page links only those (manifests are checked at
    ingest; this keeps an archive made before that from linking a "javascript:" address)."""
    if not url:
        return None
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


def history_url(slug: str, number: str, title: str = "", version: str | None = None) -> str:
    """The history page of a clause; with the version it is a clause of (numbers are reused)."""
    return f"/p/{q(slug)}/clauses/{q(number or title)}/history" + (f"?version={q(version)}" if version else "")


def api_compare_url(slug: str, a: str, b: str, fmt: str = "json", *, clause: str | None = None) -> str:
    """The same comparison from the API, in one of its representations (json, text, html)."""
    params = {k: v for k, v in (("format", None if fmt == "json" else fmt), ("clause", clause)) if v}
    return f"/policies/{q(slug)}/compare/{q(a)}..{q(b)}" + (f"?{urlencode(params)}" if params else "")


def api_history_url(slug: str, number: str, version: str | None = None) -> str:
    return urls.path("policies", slug, "clauses", number, "history") + (f"?version={q(version)}" if version else "")


def api_version_url(slug: str, label: str, *rest: str) -> str:
    """A version's metadata and provenance, or with `rest` ("clauses", "text") what else it has."""
    return urls.path("policies", slug, "versions", label, *rest)


Format = tuple[str, str, str]  # (what it is, URL, media type): a page's data as the API serves it


def compare_formats(slug: str, a: str, b: str, clause: str | None) -> list[Format]:
    return [
        ("JSON", api_compare_url(slug, a, b, clause=clause), "application/json"),
        ("text (unified diff)", api_compare_url(slug, a, b, "text", clause=clause), "text/plain"),
        ("standalone HTML page", api_compare_url(slug, a, b, "html", clause=clause), "text/html"),
    ]


def unannounced_formats(slug: str) -> list[Format]:
    return [("JSON", urls.path("policies", slug, "unannounced"), "application/json")]


def cite_blocks(ref: cite.Reference) -> list[tuple[str, str, str]]:
    """(name, format, text) of each citation format, for a page's "cite this" box."""
    names = {"bibtex": "BibTeX", "csl-json": "CSL-JSON (Zotero, Pandoc)", "wikitext": "Wikipedia {{cite web}}"}
    return [(names[fmt], fmt, make(ref)) for fmt, make in cite.FORMATS.items()]


def citation_meta(ref: cite.Reference) -> list[tuple[str, str]]:
    """Highwire Press and Dublin Core <meta> tags, which Zotero and Wikipedia's citation tool read off a page."""
    tags = [("citation_title", ref.title), ("citation_author", ref.publisher), ("citation_publisher", ref.publisher),
            ("citation_date", ref.effective.strftime("%Y/%m/%d")), ("DC.title", ref.title),
            ("DC.creator", ref.publisher), ("DC.publisher", ref.publisher), ("DC.date", ref.effective.isoformat())]
    if ref.url:
        tags += [("citation_pdf_url", ref.url), ("DC.source", ref.url)]
    return tags


def history_formats(slug: str, number: str, version: str | None = None) -> list[Format]:
    return [("JSON", api_history_url(slug, number, version), "application/json")]


def version_formats(slug: str, label: str) -> list[Format]:
    return [
        ("metadata and provenance as JSON", api_version_url(slug, label), "application/json"),
        ("clauses as JSON", api_version_url(slug, label, "clauses"), "application/json"),
        ("text page by page as JSON", api_version_url(slug, label, "text") + "?format=json", "application/json"),
        ("plain text", api_version_url(slug, label, "text"), "text/plain"),
    ]


def pages_text(start: int, end: int) -> str:
    return f"{'p.' if start == end else 'pp.'} {page_range(start, end)}"


def clause_name(ref: dict | None) -> str:
    if not ref:
        return "—"
    return " ".join(x for x in (ref.get("number", ""), ref.get("title", "")) if x) or "(untitled)"


def check(value: str | None, pattern: re.Pattern[str], what: str) -> str | None:
    """Validate a user-supplied name at the edge (a clear 400, never a 422 JSON body on a page)."""
    if value is None or value == "":
        return None
    value = value.strip(" ")  # a space typed around a name, not a line break
    if not pattern.fullmatch(value):  # not match: its "$" would let "3.1\n" through
        raise InvalidInput(f"{what} {value[:80]!r} is not valid")
    return value


def required(value: str, pattern: re.Pattern[str], what: str) -> str:
    """`check` for a name the URL cannot do without (a path segment): its checked, stripped value."""
    checked = check(value, pattern, what)
    if checked is None:
        raise InvalidInput(f"{what} is missing")
    return checked


def parse_date(value: str | None, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return parse_day(value.strip())  # YYYY-MM-DD only, as the API takes
    except ValueError as exc:
        raise InvalidInput(f"{what} {exc}") from None


def extractor_name(extractor: str, version: str) -> str:
    """'policy-archive-pdf/3' for extractor 'policy-archive-pdf/3' version '3': the name already
    carries its version, which is added only to a name that does not end with it."""
    return extractor if extractor.endswith(f"/{version}") else f"{extractor} {version}".strip()


def changed(summary: dict) -> int:
    return sum(summary.get(k, 0) for k in KINDS)


# --- home -------------------------------------------------------------------------------------


def timeline(session: Session, slug: str) -> list[dict]:
    """Versions newest first, each with its changed-clause count since the one before and how many of
    those its changelog does not mention (redlines are cached)."""
    from archive.services import redlines

    versions = storage.list_versions(session, slug)
    rows = []
    for i, v in enumerate(versions):
        prev = versions[i - 1] if i else None
        row = {"v": v, "prev": prev, "changed": None, "summary": None, "compare": None, "unmentioned": None}
        if prev is not None:
            red = redlines.compare(session, slug, prev.label, v.label)
            row["summary"] = red["summary"]
            # How many changed clauses the version's own changelog does not mention (None: no audit).
            row["unmentioned"] = len(red["audit"]["unmentioned"]) if red.get("audit") else None
            row["changed"] = changed(red["summary"])
            row["compare"] = compare_url(slug, prev.label, v.label)
        rows.append(row)
    return rows[::-1]


# --- version ----------------------------------------------------------------------------------


@dataclass
class Node:
    clause: t.Clause
    position: int
    anchor: str
    children: list[Node] = field(default_factory=list)


def clause_tree(clauses: list[t.Clause]) -> tuple[list[Node], list[Node]]:
    """(roots, flat list in document order); anchors made unique within the page."""
    seen: dict[str, int] = {}
    flat: list[Node] = []
    for i, c in enumerate(clauses):
        a = anchor(c.number, c.title)
        seen[a] = seen.get(a, 0) + 1
        flat.append(Node(c, i, a if seen[a] == 1 else f"{a}-{seen[a]}"))
    roots: list[Node] = []
    for node in flat:
        parent = node.clause.parent
        (flat[parent].children if parent is not None and parent < len(flat) else roots).append(node)
    return roots, flat


def version_view(session: Session, slug: str, label: str) -> dict:
    info = storage.get_version(session, slug, label)
    versions = storage.list_versions(session, slug)
    labels = [v.label for v in versions]
    at = labels.index(info.label)
    roots, flat = clause_tree(storage.clauses(session, slug, info.label))
    return {
        "policy": storage.get_policy(session, slug),
        "v": info,
        "versions": versions,
        "previous": versions[at - 1] if at > 0 else None,
        "next": versions[at + 1] if at + 1 < len(versions) else None,
        # The last day it was in force: the day before the next version took effect.
        "in_force_until": versions[at + 1].effective - dt.timedelta(days=1) if at + 1 < len(versions) else None,
        "roots": roots,
        "flat": flat,
        "snapshots": storage.snapshot_history(session, slug, info.label),
        "extractions": storage.extraction_log(session, slug, info.label),
        "source_url": f"/policies/{q(slug)}/versions/{q(info.label)}/source",
        "formats": version_formats(slug, info.label),
    }


# --- compare ----------------------------------------------------------------------------------


def half_filled(session: Session, slug: str, versions: list[t.VersionInfo], a: str, b: str) -> tuple[str, str, str]:
    """(from, to, what is missing) for a compare form sent with one version only: the version given (a
    label or a day) and its neighbour on the other side (the revision before To, after From; at the
    first or last version, the one next to it, so a version is never offered against itself). A
    version the archive cannot name leaves the latest revision offered."""
    labels = [v.label for v in versions]
    given, side, other = (b, "To", "From, parameter a") if b else (a, "From", "To, parameter b")
    missing = f"Only {side} ({given}) was given: pick the version to compare it with ({other})."
    try:
        k = labels.index(resolve_version(session, slug, given).label)
    except ArchiveError:
        return labels[-2] if len(labels) > 1 else labels[-1], labels[-1], missing
    if len(labels) == 1:
        return labels[0], labels[0], missing
    if b:
        return labels[k - 1] if k > 0 else labels[k + 1], labels[k], missing
    return labels[k], labels[k + 1] if k + 1 < len(labels) else labels[k - 1], missing


def compare_view(
    session: Session, slug: str, a: str, b: str, *, clause: str | None, show_all: bool
) -> dict:
    from archive.services import redlines

    held, va, vb = resolve_pair(session, slug, a, b)
    c = redlines.comparison(session, slug, va, vb, held, clause=clause, changed_only=not show_all)
    red, scope = c.redline, c.scope
    # One clause is numbered as in the whole comparison, so #change-N names one clause on both pages.
    numbers = scope["numbers"] if scope else change_numbers(red["changes"])
    total = sum(red["summary"].values())
    return {
        "policy": storage.get_policy(session, slug),
        "versions": held,
        "va": va,
        "vb": vb,
        "red": red,
        "kinds": KINDS,
        "changed": changed(red["summary"]),
        "total": total,
        "clause": clause,
        "show_all": show_all,
        "toggle_url": compare_url(slug, va.label, vb.label, clause=clause, show_all=not show_all),
        "whole_url": compare_url(slug, va.label, vb.label),
        "reverse_url": compare_url(slug, vb.label, va.label, clause=clause, show_all=show_all),
        "change_number": change_number_of(numbers),
        "scope": scope,
        "said": changelog_said(red.get("audit")),
        "formats": compare_formats(slug, va.label, vb.label, clause),
    }


def notes(text: str) -> Markup:
    """Redline text as HTML (archive.diff.render.op_html): escaped, footnote marks labelled "note 4"."""
    return Markup(op_html(text))


def unchecked(changed_clauses: int, audit: dict) -> str:
    """' The other 2 of the 41 changed clauses are not checked: ...' (empty when all are): the counts
    of the summary and of the audit differ, and a reader must see why."""
    n = changed_clauses - audit["counts"]["audited"]
    if n <= 0:
        return ""
    are = "is" if n == 1 else "are"
    return (f" The other {n} of the {changed_clauses} changed clauses {are} not checked: the changelog's own"
            " entries, and front-matter edits of the version and date only.")


ITEM_EXCERPT = 200  # characters of a changelog item quoted beside a change (its list has it whole)


def excerpt(text: str) -> str:
    """A changelog item quoted in part: up to ITEM_EXCERPT characters, cut at a word's end."""
    if len(text) <= ITEM_EXCERPT:
        return text
    return text[:ITEM_EXCERPT].rsplit(None, 1)[0].rstrip(",;:") + "…"


def checked(audit: dict) -> str:
    """'5 substantive and 1 editorial change checked'."""
    sub, ed = audit["counts"]["substantive"], audit["counts"]["editorial"]
    return f"{sub} substantive and {ed} editorial change{'' if ed == 1 else 's'} checked"


def text_changed(change: dict) -> bool:
    """Whether a renumbered or moved clause's words changed too (its kind names only the number)."""
    return any(o["op"] != "equal" for o in change["ops"])


def change_number_of(numbers: dict[tuple[int | None, int | None], int]) -> Callable[[dict], int | None]:
    """A change or audit entry -> that change's number (its `change-N` anchor; `numbers` from
    archive.diff.redline.change_numbers), so the changelog audit can link each clause it names to that
    clause's redline (None: not on the page)."""
    return lambda c: numbers.get(change_key(c))


def changelog_said(audit: dict | None) -> Callable[[dict], dict | None]:
    """A change -> what the changelog audit says of it, shaped as a clause history's step says it
    (nature, items with their texts, editorial note; over several revisions, `unannounced_in`); None
    for a change the audit did not check."""
    if not audit:
        return lambda change: None
    items = {i["n"]: i for i in audit["items"]}
    entries = {change_key(c): c for c in audit["changes"]}

    def said(change: dict) -> dict | None:
        entry = entries.get(change_key(change))
        return None if entry is None else {**entry, "items": [items[n] for n in entry["items"]]}

    return said


_BULLET = re.compile(r"^\s*(?:[●•◦▪○■–-]|\(?[a-z0-9]{1,3}[.)])\s")


def paragraphs(text: str) -> list[str]:
    """A clause's text as reading paragraphs: blank lines and bullets start one, PDF line ends do not."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in block.split("\n"):
            if not line.strip():
                continue
            if current and _BULLET.match(line):
                out.append(" ".join(current))
                current = []
            current.append(line.strip())
        if current:
            out.append(" ".join(current))
    return out
