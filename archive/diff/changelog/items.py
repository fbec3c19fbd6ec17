"""An entry's items: what each announces, one per change, and the entry's editorial note."""

from __future__ import annotations

import re

from archive.diff.tokens import tokens

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
REWRITE = re.compile(r"\b(?:comprehensive|complete|full|total|wholesale)\s+(?:rewrite|revision|overhaul)\b", re.I)
_INLINE_ITEM = re.compile(r"\((\d{1,2})\)\s*")
# A paragraph headed by its subject: a capitalised label of at most seven words and a colon, at a
# line's start ("ASL definition changed: The term ...", "RSP-2024: This update ...").
_HEADED = re.compile(r"(?m)^[ \t]*[A-Z][\w’'&/()\-]*(?:[ \t]+[\w’'&/()\-]+){0,6}:(?=[ \t]*\S)")
# One such paragraph alone is told from a lead-in ("We changed the following: ...", "Update: ...") by a
# title-case label of two to five words.
_TITLED = re.compile(r"[A-Z][\w’'&/()\-]*(?:[ \t]+(?:[A-Z0-9][\w’'&/()\-]*|and|of|for|or|the|to|in)){1,4}:")
_LIST_ITEM = re.compile(r"(?:^|\n)\s*(\d{1,2})\.\s*(?=\S)")

_SERIES_CUT = re.compile(r"[;,]\s+(?=(?:and\s+|or\s+)?[a-z])")
_VERB_FORM = re.compile(r"^(?:and\s+|or\s+)?[a-z]+(?:[^s]s|ed)\b")  # "gives", "formalizes", "refined"
_TO_VERB = re.compile(r"^\w+ to \w+")  # "Updated to expand X, introduce Y, and align Z"


def series(item: str) -> list[str]:
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
    """(items, the editorial note if the entry has one). Items are cut at an inline enumeration, else at
    a numbered list, else at paragraphs headed by their subject (2.0's "ASL definition changed: ...";
    one such paragraph alone is one item), else into sentences. An enumerated item announcing minor
    edits is both: it keeps its number, and as the note it accounts for editorial changes."""
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
        if note and _INLINE_ITEM.search(note):  # "(3) makes minor terminology changes": that item is the note
            note = next((it for it in items if _EDITORIAL_NOTE.search(it)), note)
            return items, note
    else:
        listed = _LIST_ITEM.split(text)
        headed = [m.start() for m in _HEADED.finditer(text)]
        if len(listed) >= 5:
            items = [" ".join(tokens(listed[k])) for k in range(2, len(listed), 2)]
        elif len(headed) >= 2 or headed and not text[: headed[0]].strip() and _TITLED.match(text.lstrip()):
            # "ASL definition changed: ..." paragraphs, each one announcement with its reasons (2.2's
            # entry is one: "ASL-3 Security: This update excludes ... For AI R&D-4, the threat models ...")
            cuts = [0, *headed] if text[: headed[0]].strip() else headed
            paragraphs = [" ".join(tokens(text[a:b])) for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True)]
            # Less its sentences that only point elsewhere ("We describe the most notable changes below").
            items = [" ".join(x for x in re.split(r"(?<=[.!?])\s+(?=[A-Z(])", p) if not _POINTER.search(x))
                     for p in paragraphs]
        else:  # sentences; one announcing several changes in a list is one item per change
            items = [part for s in sentences if s and s is not note for part in series(s)]
    cleaned = []
    for item in items:
        if note and note in item:
            item = item.replace(note, "").strip()
        if item and not (note and item == note) and not _POINTER.search(item):
            cleaned.append(item)
    return cleaned, note
