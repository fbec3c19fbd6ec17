"""Whether a change is editorial (case, punctuation, spacing, a typo) or substantive, and whether it
touches only a front matter's version and date words."""

from __future__ import annotations

import re

from diff_match_patch import diff_match_patch

from archive.diff.tokens import canonical

EDITORIAL_MAX_WORDS = 2
EDITORIAL_MAX_EDITS = 2

_META_WORD = re.compile(
    r"^(version|effective|v?\d[\d.,]*|january|february|march|april|may|june|july|august|september|october"
    r"|november|december)$", re.I
)

_FUNCTION = {"a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "with", "and", "or", "as", "that",
             "this", "is", "be", "it", "its", "we", "our"}
_dmp = diff_match_patch()
_ALNUM = re.compile(r"[^\W_]")

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
    """'editorial' or 'substantive' (see the package docstring)."""
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


def is_metadata(change: dict) -> bool:
    ref = change["to_clause"] or change["from_clause"]
    if ref["number"] or ref["title"].lower() != "front matter":
        return False
    words = [w for d, i in _hunks(change["ops"]) for w in (d + " " + i).split()]
    return all(_META_WORD.match(w.strip(",.;:")) for w in words)
