"""The changelog of a version and the entries that describe the revisions a comparison spans: its
child clauses naming versions ("(RSP v3.1)"), or the dated rows of a changelog set as a table."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from archive.types import Clause

CONTAINER = re.compile(r"^(change ?log|version history|revision history|document history)$", re.I)

def find_changelog(clauses: list[Clause]) -> tuple[int, list[int]] | None:
    for k, c in enumerate(clauses):
        if CONTAINER.match(c.title.strip()) and not c.number:
            return k, [i for i, d in enumerate(clauses) if d.parent == k]
    return None


_ENTRY_VERSION = re.compile(r"\bv(\d+(?:\.\d+)*)\b", re.I)


def _version_key(label: str) -> tuple[int, ...] | None:
    """A version number to compare: "v3.1" -> (3, 1). Trailing zeros are dropped, so "3", "3.0" and
    "v3.0.0" are one version (as tuples, (3,) < (3, 0): an archive labelling 3.0 "3" took 3.0's own
    changelog entry for a revision after it)."""
    m = re.fullmatch(r"v?(\d+(?:\.\d+)*)", label.strip(), re.I)
    if m is None:
        return None
    key = [int(x) for x in m.group(1).split(".")]
    while len(key) > 1 and key[-1] == 0:
        key.pop()
    return tuple(key)


def forward(from_meta: dict, to_meta: dict) -> bool:
    """Whether a comparison runs from an older version to a newer one (by effective date, else by
    version number; True when neither tells and the labels differ)."""
    fa, fb = from_meta.get("effective"), to_meta.get("effective")
    if fa and fb and fa != fb:
        return fa < fb
    ka, kb = _version_key(from_meta.get("label", "")), _version_key(to_meta.get("label", ""))
    if ka is not None and kb is not None:
        return ka < kb
    return from_meta.get("label") != to_meta.get("label")


def entry_version(title: str) -> str | None:
    """The version an entry's title names ("April 2, 2026 (RSP v3.1)" -> "3.1"), if any."""
    m = _ENTRY_VERSION.search(title)
    return m.group(1) if m else None


def named_versions(clauses: list[Clause]) -> list[str]:
    """The version labels a version's changelog names in its entries' titles ("(RSP v2.1)" -> "2.1"),
    in their order; [] without a changelog of entries that name versions."""
    found = find_changelog(clauses)
    if found is None:
        return []
    named = (_ENTRY_VERSION.search(clauses[k].title) for k in found[1])
    return list(dict.fromkeys(m.group(1) for m in named if m))


def _entries_since(clauses: list[Clause], entries: list[int], since: str | None, label: str) -> list[int]:
    """Entries naming a version after `since` up to `label`, oldest first ([] when they cannot be told)."""
    lo, hi = _version_key(since or ""), _version_key(label)
    if lo is None or hi is None:
        return []
    out = []
    for k in entries:
        m = _ENTRY_VERSION.search(clauses[k].title)
        named = _version_key(m.group(1)) if m else None
        if named is not None and lo < named <= hi:
            out.append(k)
    return out


def _newest(clauses: list[Clause], entries: list[int], label: str) -> int | None:
    if not entries:
        return None
    pat = re.compile(rf"(?<![\d.])v?{re.escape(label)}(?![\d.]*\d)", re.I) if label else None
    named = [k for k in entries if pat and pat.search(clauses[k].title)]
    return named[-1] if named else entries[-1]


@dataclass(frozen=True)
class Entry:
    """One changelog entry: a child clause of the changelog, or a dated row of a changelog table."""

    title: str
    text: str
    clause_id: int  # the entry's clause (a table row: the changelog's)


def entry_clauses(clauses: list[Clause], entries: list[int], label: str, since: str | None) -> list[Entry]:
    """Entries set as clauses: those of the revisions after `since` up to `label`, the newest last."""
    newest = _newest(clauses, entries, label)
    if newest is None:
        return []
    used = [k for k in _entries_since(clauses, entries, since, label) if k != newest] + [newest]
    return [Entry(clauses[k].title, clauses[k].text, k) for k in used]


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}
_MONTH = f"({'|'.join(_MONTH_NAMES)})"
_ROW_DATE = [  # a row's date, alone on its line (a table's first cell): each as (pattern, year, month, day)
    (re.compile(rf"^{_MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})$", re.I), 3, 1, 2),
    (re.compile(rf"^(\d{{1,2}})\s+{_MONTH},?\s+(\d{{4}})$", re.I), 3, 2, 1),
    (re.compile(rf"^{_MONTH},?\s+(\d{{4}})$", re.I), 2, 1, None),
    (re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$"), 1, 2, 3),
]


def row_date(line: str) -> tuple[int, int, int | None] | None:
    """(year, month, day or None) of a line that is only a date."""
    for pat, y, m, d in _ROW_DATE:
        found = pat.match(line.strip())
        if found:
            month = found.group(m)
            month = _MONTHS[month.lower()] if not month.isdigit() else int(month)
            day = found.group(d) if d else None
            return int(found.group(y)), month, int(day) if day else None
    return None


# A day in an entry's title: "March 31, 2025 (RSP v2.1)".
_ENTRY_DATE = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.I)


def named_version_dates(clauses: list[Clause]) -> dict[str, dt.date | None]:
    """named_versions, each with the day its entry's title gives, if any."""
    found = find_changelog(clauses)
    if found is None:
        return {}
    out: dict[str, dt.date | None] = {}
    for k in found[1]:
        title = clauses[k].title
        label = entry_version(title)
        if label is None or label in out:
            continue
        m = _ENTRY_DATE.search(title)
        when = row_date(m.group(0)) if m else None
        try:
            out[label] = dt.date(when[0], when[1], when[2]) if when and when[2] else None
        except ValueError:  # "February 30": no day to go by
            out[label] = None
    return out


def _when(meta: dict | None) -> tuple[int, int, int | None] | None:
    """A version's date: its effective date, else its label read as a date ("2026-02")."""
    if not meta:
        return None
    return row_date(meta.get("effective") or "") or row_date(meta.get("label") or "")


def _after(row: tuple[int, int, int | None], ref: tuple[int, int, int | None]) -> bool:
    """A row dated after a version's date; a row giving only a month is after it only in a later
    month (a row of the version's own month describes that version)."""
    if row[2] is None or ref[2] is None:
        return row[:2] > ref[:2]
    return row > ref


def dated_rows(container: Clause, clause_id: int, to_meta: dict, from_meta: dict | None) -> list[Entry]:
    """Entries of a changelog set as a table of dated rows ("February 2026" / what changed): those
    dated after the older version up to the newer one, oldest first. Lines before the first date are
    the table's header."""
    rows: list[tuple[tuple[int, int, int | None], str, list[str]]] = []
    for line in container.text.splitlines():
        date = row_date(line)
        if date is not None:
            rows.append((date, line.strip(), []))
        elif rows and line.strip():
            rows[-1][2].append(line.strip())
    hi, lo = _when(to_meta), _when(from_meta)
    if hi is None:
        return []
    chosen = [r for r in rows if not _after(r[0], hi) and (lo is None or _after(r[0], lo)) and r[2]]
    chosen.sort(key=lambda r: (r[0][0], r[0][1], r[0][2] or 0))
    return [Entry(title, "\n".join(text), clause_id) for _, title, text in chosen]
