"""Changelog audit: relate a redline's changes to the items of the newer version's changelog entry.

- The changelog is the top-level clause titled "Changelog" / "Version history" / "Revision history";
  its entries are its children. The newest entry is the one whose title names the newer version's
  label ("(RSP v3.1)"), else the last one. A redline spanning several revisions (3.0 -> 3.4) is audited
  against every entry naming a version after the older one up to the newer one (3.1 to 3.4): the
  newest entry alone would leave the earlier revisions' announced changes looking unannounced.
- Items: an inline enumeration "(1) ...; (2) ..." or a numbered list ("1." at a line start); without
  either, each sentence is an item. A sentence announcing "minor edits for style or clarity" or
  "typo and formatting corrections" is not an item: it accounts for editorial changes.
- Nature of a change: *editorial* when every changed stretch differs only in case, punctuation or
  spacing, or is a typo-sized edit (at most EDITORIAL_MAX_WORDS words a side and a character edit
  distance of at most EDITORIAL_MAX_EDITS); otherwise *substantive*. Added or removed clauses with
  text are substantive.
- Relating: an item's terms (content words without a plural "s" or an "ing", cut to their first STEM
  letters) are matched against a change's evidence (its changed words and its clause's title), weighted
  by inverse document frequency over the newer version's clauses; an explicit "Section 3.4" /
  "Appendix A" in the item that names the change's clause adds REF_BONUS. An item accounts for the
  changes scoring at least MIN_SCORE with at least MIN_TERMS shared terms and at least RELATIVE of that
  item's best score (or sharing a phrase rare in the policy), so a clause that merely mentions an
  item's topic is not taken as announced. A change's sentences that point at the clause an item
  matches best ("the threshold ... described in Section 1") do not count for that item: they repeat
  the announced change's words without being it. An item announcing a comprehensive rewrite accounts for
  every change. A sentence announcing several changes in a list is one item per change; a sentence
  that only points elsewhere ("see here", "described below") is no item.
- Changelogs set as a table of dated rows (a date line, then what changed) are read too: the rows
  dated after the older version up to the newer one are its entries.
- An added or removed heading with no text of its own (a section whose words are all in its
  subsections) is accounted for by the items that account for its subsections' changes
  (`via_subsections`); it is not listed among those items' clauses.
- Not audited: the changelog itself, and front-matter changes that touch only version/date words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain

from diff_match_patch import diff_match_patch

from archive.diff.words import canonical, tokens
from archive.types import Clause

STEM = 6
MIN_SCORE = 3.0
MIN_TERMS = 2
# An item's own clause can score well under its best match when both changed (3.2 -> 3.3: the CBRN
# threshold item scores 10.1 on §3.1, which restates thresholds, and 6.5 on §1, the threshold itself).
RELATIVE = 0.6
REF_BONUS = 6.0
RARE_BIGRAM_DF = 3
EDITORIAL_MAX_WORDS = 2
EDITORIAL_MAX_EDITS = 2

_CONTAINER = re.compile(r"^(change ?log|version history|revision history|document history)$", re.I)
_EDITORIAL_NOTE = re.compile(
    r"minor (?:edits?|typo|typographical|formatting|terminology|corrections?|changes? (?:for|of) (?:style|clarity))|"
    r"for style or clarity|typo(?:s|graphical)? (?:and|or) formatting", re.I
)
# Sentences that only point elsewhere ("We describe the most notable changes below", "For a summary of
# changes …, see here"): not items, they announce nothing a change could be matched with.
_POINTER = re.compile(
    r"\bsee\s?(?:here|below|above)\b|\b(?:describe|summari[sz]e|list)\w* (?:\w+ ){0,4}(?:below|here)\b", re.I
)
# An item announcing that the revision rewrote the whole policy accounts for every change it made.
_REWRITE = re.compile(r"\b(?:comprehensive|complete|full|total|wholesale)\s+(?:rewrite|revision|overhaul)\b", re.I)
_INLINE_ITEM = re.compile(r"\((\d{1,2})\)\s*")
_LIST_ITEM = re.compile(r"(?:^|\n)\s*(\d{1,2})\.\s*(?=\S)")
_REF = re.compile(r"\b(Section|Appendix)\s+([A-Z]\b|\d+(?:\.\d+)*)")
_SENTENCE_END = re.compile(r"(?<=[.;:])\s+")  # not inside "3.1"
_META_WORD = re.compile(
    r"^(version|effective|v?\d[\d.,]*|january|february|march|april|may|june|july|august|september|october"
    r"|november|december)$", re.I
)
_STOP = set(
    """about all also and any are been being but can could did does done each even for from further had
    has have how however includes including into its just like made make makes may might more most must
    not only other our over per shall should some such than that the their them then there these they
    this those under upon use used using very via was well were what when where whether which while who
    whom why will with within without would""".split()  # noqa: SIM905
)
_FUNCTION = {"a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "with", "and", "or", "as", "that",
             "this", "is", "be", "it", "its", "we", "our"}
_dmp = diff_match_patch()
_ALNUM = re.compile(r"[^\W_]")
_DEBUG = False


def clear_caches() -> None:
    """Nothing memoised here beyond archive.diff.words (kept for archive.diff.redline.clear_caches)."""


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z&]+", text.lower())


class _Stemmer:
    """Words to terms (re-split with `vocab` when given, stop words dropped, cut to STEM letters),
    memoised per word: one audit turns the same few thousand words into terms many times."""

    def __init__(self, vocab: set[str] | None, known: _Stemmer | None = None) -> None:
        self.vocab = vocab
        # A word of the vocabulary is never re-split, nor is one too short to be split: for those
        # words the plain stemmer's terms are already the answer.
        self._memo: dict[str, tuple[str, ...]] = {}
        if known is not None:
            self._memo = {w: t for w, t in known._memo.items() if len(w) < 6 or not vocab or w in vocab}

    def _learn(self, words: list[str]) -> set[str]:
        """Memoise the terms of every new word; return the distinct words."""
        distinct = set(words)
        new = distinct.difference(self._memo)
        if new:
            memo, vocab = self._memo, self.vocab
            if vocab:
                for w in [w for w in new if len(w) >= 6 and w not in vocab]:
                    parts = _resplit(w, vocab)
                    memo[w] = tuple(_term(p) for p in parts if len(p) >= 3 and p not in _STOP)
                    new.discard(w)
            # One part: the word itself (what the loop above gives a word it does not split).
            memo.update({w: (_term(w),) if len(w) >= 3 and w not in _STOP else () for w in new})
        return distinct

    def stems(self, words: list[str]) -> list[str]:
        """The terms of `words`, in order."""
        self._learn(words)
        return list(chain.from_iterable(map(self._memo.__getitem__, words)))

    def term_set(self, words: list[str]) -> set[str]:
        """set(self.stems(words)), without listing every occurrence."""
        return set(chain.from_iterable(map(self._memo.__getitem__, self._learn(words))))

    def bigrams(self, words: list[str], seq: list[str] | None = None, among: set | None = None) -> set[tuple[str, str]]:
        """Adjacent term pairs of `words` (or of the terms `seq`); only those in `among` when given."""
        seq = self.stems(words) if seq is None else seq
        pairs = zip(seq, seq[1:], strict=False)
        return set(pairs) if among is None else among.intersection(pairs)


# Two-letter words a run-together may end with ("dateup" -> "date", "up"): a split there needs the rest
# to be a word of at least four letters. A two-letter start is not split: "update", "inform", "asset".
_SHORT_TAILS = frozenset({"up", "to", "of", "in", "on", "by", "as", "or", "is", "at"})


def _term(word: str) -> str:
    """A word's term: a plural "s" and an "ing" dropped ("briefings" and "brief", "risks" and "risk"
    meet), then cut to STEM letters (the rest of English morphology mostly differs later than that)."""
    if len(word) > 3 and word[-1] == "s" and word[-2] != "s":
        word = word[:-1]
    if len(word) >= 7 and word.endswith("ing"):
        word = word[:-3]
    return word[:STEM]


def _resplit(word: str, vocab: set[str]) -> tuple[str, ...]:
    """Undo a PDF run-together ("givencoverage" -> "given", "coverage") when both halves are words."""
    if word in vocab or len(word) < 6:
        return (word,)
    for i in range(3, len(word) - 2):
        if word[:i] in vocab and word[i:] in vocab:
            return word[:i], word[i:]
    if word[-2:] in _SHORT_TAILS and word[:-2] in vocab:
        return word[:-2], word[-2:]
    return (word,)


def _changelog(clauses: list[Clause]) -> tuple[int, list[int]] | None:
    for k, c in enumerate(clauses):
        if _CONTAINER.match(c.title.strip()) and not c.number:
            return k, [i for i, d in enumerate(clauses) if d.parent == k]
    return None


_ENTRY_VERSION = re.compile(r"\bv(\d+(?:\.\d+)*)\b", re.I)


def _version_key(label: str) -> tuple[int, ...] | None:
    m = re.fullmatch(r"v?(\d+(?:\.\d+)*)", label.strip(), re.I)
    return tuple(int(x) for x in m.group(1).split(".")) if m else None


def _forward(from_meta: dict, to_meta: dict) -> bool:
    """Whether a comparison runs from an older version to a newer one (by effective date, else by
    version number; True when neither tells and the labels differ)."""
    fa, fb = from_meta.get("effective"), to_meta.get("effective")
    if fa and fb and fa != fb:
        return fa < fb
    ka, kb = _version_key(from_meta.get("label", "")), _version_key(to_meta.get("label", ""))
    if ka is not None and kb is not None:
        return ka < kb
    return from_meta.get("label") != to_meta.get("label")


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
class _Entry:
    """One changelog entry: a child clause of the changelog, or a dated row of a changelog table."""

    title: str
    text: str
    clause_id: int  # the entry's clause (a table row: the changelog's)


def _entry_clauses(clauses: list[Clause], entries: list[int], label: str, since: str | None) -> list[_Entry]:
    """Entries set as clauses: those of the revisions after `since` up to `label`, the newest last."""
    newest = _newest(clauses, entries, label)
    if newest is None:
        return []
    used = [k for k in _entries_since(clauses, entries, since, label) if k != newest] + [newest]
    return [_Entry(clauses[k].title, clauses[k].text, k) for k in used]


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


def _row_date(line: str) -> tuple[int, int, int | None] | None:
    """(year, month, day or None) of a line that is only a date."""
    for pat, y, m, d in _ROW_DATE:
        found = pat.match(line.strip())
        if found:
            month = found.group(m)
            month = _MONTHS[month.lower()] if not month.isdigit() else int(month)
            day = found.group(d) if d else None
            return int(found.group(y)), month, int(day) if day else None
    return None


def _when(meta: dict | None) -> tuple[int, int, int | None] | None:
    """A version's date: its effective date, else its label read as a date ("2026-02")."""
    if not meta:
        return None
    return _row_date(meta.get("effective") or "") or _row_date(meta.get("label") or "")


def _after(row: tuple[int, int, int | None], ref: tuple[int, int, int | None]) -> bool:
    """A row dated after a version's date; a row giving only a month is after it only in a later
    month (a row of the version's own month describes that version)."""
    if row[2] is None or ref[2] is None:
        return row[:2] > ref[:2]
    return row > ref


def _dated_rows(container: Clause, clause_id: int, to_meta: dict, from_meta: dict | None) -> list[_Entry]:
    """Entries of a changelog set as a table of dated rows ("February 2026" / what changed): those
    dated after the older version up to the newer one, oldest first. Lines before the first date are
    the table's header."""
    rows: list[tuple[tuple[int, int, int | None], str, list[str]]] = []
    for line in container.text.splitlines():
        date = _row_date(line)
        if date is not None:
            rows.append((date, line.strip(), []))
        elif rows and line.strip():
            rows[-1][2].append(line.strip())
    hi, lo = _when(to_meta), _when(from_meta)
    if hi is None:
        return []
    chosen = [r for r in rows if not _after(r[0], hi) and (lo is None or _after(r[0], lo)) and r[2]]
    chosen.sort(key=lambda r: (r[0][0], r[0][1], r[0][2] or 0))
    return [_Entry(title, "\n".join(text), clause_id) for _, title, text in chosen]


_SERIES_CUT = re.compile(r"[;,]\s+(?=(?:and\s+|or\s+)?[a-z])")
_VERB_FORM = re.compile(r"^(?:and\s+|or\s+)?[a-z]+(?:[^s]s|ed)\b")  # "gives", "formalizes", "refined"
_TO_VERB = re.compile(r"^\w+ to \w+")  # "Updated to expand X, introduce Y, and align Z"


def _series(item: str) -> list[str]:
    """One sentence announcing several changes in a list ("This update authorizes X, gives Y, and
    formalizes Z"; "Updated to expand X, introduce Y, and align Z") split into its parts: at least
    three, the last opening with "and"/"or", each at least three words, the later ones opening with a
    verb of the same form as the first ("gives", "formalizes") or the first part opening "Updated to
    …". Else the item as it is: "could lead to rapid, unpredictable advances" is one announcement."""
    raw = _cut_outside_parentheses(item)
    if len(raw) < 3 or not re.match(r"(?:and|or)\s", raw[-1]):
        return [item]
    if not (all(_VERB_FORM.match(p) for p in raw[1:]) or _TO_VERB.match(raw[0])):
        return [item]
    parts = [re.sub(r"^(?:and|or)\s+", "", p) for p in raw]
    return parts if all(len(p.split()) >= 3 for p in parts) else [item]


def _cut_outside_parentheses(text: str) -> list[str]:
    """`text` cut at list commas and semicolons that stand outside parentheses."""
    parts, start, depth = [], 0, 0
    for m in re.finditer(r"[()]|" + _SERIES_CUT.pattern, text):
        if m.group() == "(":
            depth += 1
        elif m.group() == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            parts.append(text[start : m.start()].strip())
            start = m.end()
    return [*parts, text[start:].strip()]


def split_items(text: str) -> tuple[list[str], str | None]:
    """(items, the editorial note if the entry has one)."""
    flat = " ".join(tokens(text))
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", flat)
    note = next((s for s in sentences if _EDITORIAL_NOTE.search(s)), None)
    parts = _INLINE_ITEM.split(flat)
    # Keep the enumeration only while it counts 1, 2, 3...: a later "Change (1)" refers back.
    seq = 3
    while seq < len(parts) and parts[seq] == str((seq - 1) // 2 + 1):
        seq += 2
    parts = parts[:seq]
    items: list[str] = []
    if len(parts) >= 5:  # intro, n, item, n, item...
        items = [re.sub(r"[;,]?\s*(?:and|or)?\s*$", "", parts[k].strip(" ;,")) for k in range(2, len(parts), 2)]
        # The last inline item ends at its sentence; what follows is commentary.
        items[-1] = re.split(r"(?<=[.!?])\s+", items[-1], maxsplit=1)[0]
    else:
        listed = _LIST_ITEM.split(text)
        if len(listed) >= 5:
            items = [" ".join(tokens(listed[k])) for k in range(2, len(listed), 2)]
        else:  # sentences; one announcing several changes in a list is one item per change
            items = [part for s in sentences if s and s is not note for part in _series(s)]
    cleaned = []
    for item in items:
        if note and note in item:
            item = item.replace(note, "").strip()
        if item and not (note and item == note) and not _POINTER.search(item):
            cleaned.append(item)
    return cleaned, note


def _hunks(ops: list[dict]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    dele, ins = [], []
    for o in ops + [{"op": "equal", "text": ""}]:
        if o["op"] == "equal":
            if dele or ins:
                out.append((" ".join(dele), " ".join(ins)))
            dele, ins = [], []
        elif o["op"] == "delete":
            dele.append(o["text"].strip())
        else:
            ins.append(o["text"].strip())
    return out


def _letters(s: str) -> str:
    return re.sub(r"[\W_]+", "", "".join(canonical(w) for w in s.split())).lower()


def _has_letters(s: str) -> bool:
    """bool(_letters(s)), stopping at the first word with a letter or digit."""
    return any(_ALNUM.search(canonical(w)) for w in s.split())


def nature(change: dict) -> str:
    """'editorial' or 'substantive' (see the module docstring)."""
    ops = change["ops"]
    if change["kind"] in ("added", "removed"):
        return "substantive" if any(_has_letters(o["text"]) for o in ops) else "editorial"
    for d, i in _hunks(ops):
        if _letters(d) == _letters(i):
            continue
        if len(d.split()) <= EDITORIAL_MAX_WORDS and len(i.split()) <= EDITORIAL_MAX_WORDS:
            if all(w in _FUNCTION for w in re.findall(r"[a-z]+", (d + " " + i).lower())):
                continue  # a grammar fix: "with", "the", "a" added or dropped
            edits = _dmp.diff_levenshtein(_dmp.diff_main(_letters(d), _letters(i), False))
            if edits <= EDITORIAL_MAX_EDITS:
                continue
        return "substantive"
    return "editorial"


def _label(ref: dict | None) -> str:
    return (ref["number"] or ref["title"]) if ref else ""


def _clause_label(change: dict) -> str:
    return _label(change["to_clause"] or change["from_clause"])


def _is_metadata(change: dict) -> bool:
    ref = change["to_clause"] or change["from_clause"]
    if ref["number"] or ref["title"].lower() != "front matter":
        return False
    words = [w for d, i in _hunks(change["ops"]) for w in (d + " " + i).split()]
    return all(_META_WORD.match(w.strip(",.;:")) for w in words)


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
    if from_meta is not None and not _forward(from_meta, to_meta):
        return None
    found = _changelog(clauses)
    if found is None:
        return None
    container, children = found
    if children:
        used = _entry_clauses(clauses, children, to_meta.get("label", ""), (from_meta or {}).get("label"))
    else:
        used = _dated_rows(clauses[container], container, to_meta, from_meta)
    if not used:
        return None
    entry = used[-1]
    items, item_entry, note = [], [], None
    for e in used:
        its, n = split_items(e.text)
        items += its
        item_entry += [e] * len(its)
        note = n or note  # the newest entry's editorial note, else an earlier one's
    skip = {container, *children}

    blanket = {k for k, it in enumerate(items) if _REWRITE.search(it)}
    # When every item announces a rewrite, each accounts for every change whatever the scores: skip them.
    relater = _Relater(clauses, skip, items) if len(blanket) < len(items) else None
    audited = []
    for ch in changes:
        if ch["kind"] == "unchanged":
            continue
        if ch["to_clause"] and ch["to_clause"]["id"] in skip:
            continue
        if ch["from_clause"] and not ch["to_clause"] and _CONTAINER.match(ch["from_clause"]["title"]):
            continue
        if _is_metadata(ch):
            continue
        a = relater.relate(ch) if relater else {"scores": [(0.0, 0, False)] * len(items)}
        audited.append({"change": ch, "nature": nature(ch), **a})
        if _DEBUG:
            print(_clause_label(ch), a["scores"])
    if relater:
        _discount_pointers(audited, len(items), relater.without_pointers)
    best = [max((a["scores"][k][0] for a in audited), default=0.0) for k in range(len(items))]
    out_changes = []
    for a in audited:
        ch = a["change"]
        matched = [
            k + 1
            for k, (score, shared, phrase) in enumerate(a["scores"])
            if k in blanket
            or score >= MIN_SCORE and shared >= MIN_TERMS and (score >= RELATIVE * best[k] or phrase)
        ]
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
        {"n": k + 1, "text": it, "entry": item_entry[k].title,
         "clauses": [c["clause"] for c in out_changes if k + 1 in c["items"] and not c["via_subsections"]],
         "rewrite": k in blanket}
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
        "items_without_change": [i["n"] for i in item_out if not i["clauses"]],
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


_Scores = list[tuple[float, int, bool]]  # per item: (score, shared terms, shares a rare phrase)


class _Relater:
    """Scores a change against every item (see the module docstring): the terms of an item it shares,
    weighted by inverse document frequency over the newer version's clauses, and the rest of the
    evidence `audit` decides with."""

    def __init__(self, clauses: list[Clause], skip: set[int], items: list[str]) -> None:
        # Words of titles and texts, found once (a match never spans the space that joins title and text).
        title_words = [_words(c.title) for c in clauses]
        text_words = [_words(c.text) for c in clauses]
        self.plain = plain = _Stemmer(None)
        docs = [plain.term_set(tw + xw) for tw, xw in zip(title_words, text_words, strict=True)]
        df = Counter(chain.from_iterable(docs))
        n = len(docs)
        # Only words that stand alone in the policy's body count as vocabulary for re-splitting: the
        # changelog's own run-togethers ("givencoverage dateup") must not vouch for themselves.
        body = [k for k in range(len(clauses)) if k not in skip]
        vocab = {w for k in body for w in chain(title_words[k], text_words[k]) if len(w) >= 3}
        self.stem = stem = _Stemmer(vocab, known=plain)
        self.item_terms = item_terms = [stem.term_set(_words(it)) for it in items]
        # A change scores only on terms it shares with an item, so only items' terms need a weight.
        self.idf = {t: math.log((n + 1) / (df.get(t, 0) + 0.5)) for t in set().union(*item_terms)}
        item_bigrams = [stem.bigrams(_words(it)) for it in items]
        # Only bigrams of items are ever looked up: count and collect just those.
        self.item_bigram_set = set().union(*item_bigrams)
        # In how many clauses each bigram stands (counted once, not per change and item).
        bigram_df = Counter(chain.from_iterable(stem.bigrams(xw, among=self.item_bigram_set) for xw in text_words))
        self.item_refs = [{(k.lower(), v.lower()) for k, v in _REF.findall(it)} for it in items]
        # The bigrams of each item rare enough (in at most RARE_BIGRAM_DF clauses) to count as its phrase.
        self.rare_bigrams = [{bg for bg in ibig if bigram_df[bg] <= RARE_BIGRAM_DF} for ibig in item_bigrams]

    def score_all(self, evidence: set[str], seq: list[str], names: set[tuple[str, str]]) -> _Scores:
        """Per item: (idf of the terms it shares with the evidence, how many, whether a rare phrase too)."""
        ch_bigrams = self.stem.bigrams([], seq, among=self.item_bigram_set)
        idf = self.idf
        scores = []
        for terms, irefs, rare in zip(self.item_terms, self.item_refs, self.rare_bigrams, strict=True):
            shared = terms & evidence
            score = sum(map(idf.__getitem__, shared))
            if not irefs.isdisjoint(names):
                score += REF_BONUS
                shared = shared | {"<ref>"}
            scores.append((score, len(shared), not rare.isdisjoint(ch_bigrams)))
        return scores

    def relate(self, ch: dict) -> dict:
        """A change's scores and the evidence `without_pointers` needs again."""
        changed = " ".join(o["text"] for o in ch["ops"] if o["op"] != "equal")
        refs = [r for r in (ch["to_clause"], ch["from_clause"]) if r]
        changed_stems = self.stem.stems(_words(changed))
        title_terms = {t for r in refs for t in self.plain.stems(_words(r["title"]))}
        names = _names(refs)
        scores = self.score_all(set(changed_stems) | title_terms, changed_stems, names)
        return {"scores": scores, "names": names, "pointing": _pointers(changed, names), "changed": changed,
                "title_terms": title_terms}

    def without_pointers(self, a: dict) -> _Scores:
        """The change's scores without its sentences that name another clause."""
        kept = " ".join(x for x in _SENTENCE_END.split(a["changed"]) if not _REF.search(x))
        rest = self.stem.stems(_words(kept))
        return self.score_all(set(rest) | a["title_terms"], rest, a["names"])


def _pointers(changed: str, own: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The other clauses ("Section 1", "Appendix A") that the changed text names."""
    if "Section" not in changed and "Appendix" not in changed:  # most texts: no regex pass over them
        return set()
    return {(k.lower(), v.lower()) for k, v in _REF.findall(changed)} - own


def _discount_pointers(audited: list[dict], n_items: int, without: Callable[[dict], list]) -> None:
    """A change that points the reader at the clause an item is about ("crosses the threshold for
    automated AI R&D described in Section 1", 3.0 -> 3.1 §3.6) repeats that item's words without
    being the announced change. For each item, the changes naming the item's best-matching clause
    take their score `without` their pointing sentences (in place; tops chosen before any change)."""
    tops = [max(audited, key=lambda a: a["scores"][k][0], default=None) for k in range(n_items)]
    cut: dict[int, list] = {}  # id(change) -> its scores without pointers, computed once if needed
    for a in audited:
        if not a["pointing"]:
            continue
        for k, top in enumerate(tops):
            if top is None or top is a or top["scores"][k][0] <= 0 or a["pointing"].isdisjoint(top["names"]):
                continue
            if id(a) not in cut:
                cut[id(a)] = without(a)
            a["scores"][k] = cut[id(a)][k]


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


def _counts(changes: list[dict], unmentioned: list[dict]) -> dict:
    return {
        "audited": len(changes),
        "substantive": sum(c["nature"] == "substantive" for c in changes),
        "editorial": sum(c["nature"] == "editorial" for c in changes),
        "accounted": sum(c["accounted"] for c in changes),
        "unmentioned": len(unmentioned),
    }


def _names(refs: list[dict]) -> set[tuple[str, str]]:
    """The (kind, value) references that name these clauses: "Section 3.4" names clause 3.4 (its
    number without a final dot, any case) and "Appendix A" the clause numbered "Appendix A"."""
    out = set()
    for ref in refs:
        number = ref["number"].rstrip(".").lower()
        out.add(("section", number))
        if number.startswith("appendix "):
            out.add(("appendix", number[len("appendix "):]))
    return out
