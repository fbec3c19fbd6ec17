"""Whether one revision's edit of a clause is still part of a longer span's change of it.

A span's audit (3.1 -> 3.4) names the revisions that changed a clause without their changelog saying so.
A later revision can undo such an edit: 3.2 inserted "the" in a sentence of §3.1 unannounced, and 3.3
deleted the whole sentence, announced. The redline 3.1 -> 3.4 holds nothing of 3.2's edit, so 3.2 is
no reason to call its change of §3.1 unannounced.

An edit is told by its words with CONTEXT_WORDS unchanged words on each side, compared as letters (see
`archive.diff.tokens`: spacing, quotes and markers aside). An insertion stands in the span when that
stretch occurs more often in the span's newer text than in its older one; a deletion, the other way
round. Counted, not just found: the same words can stand elsewhere in the clause (3.2's "affect or
change the analysis in the" repeats a phrase of the next item, which 3.0 already had). A longer edit
also stands when any WINDOW_WORDS of its words in a row (at least OWN_LETTERS letters) do: a later
revision may have reworded part of it or the words around it and kept the rest (3.1's silent "models
that are covered by a prior Risk Report", which 3.3 made "models covered by a prior Risk Report").
When in doubt (an edit with no words to find) the edit stands: a false "announced" costs more than a
false "unannounced".
"""

from __future__ import annotations

from archive.diff.tokens import analyse

CONTEXT_WORDS = 3
WINDOW_WORDS = 4
OWN_LETTERS = 15


def _letters(text: str) -> str:
    return analyse(text).letters.lower()


def _edits(ops: list[dict]) -> list[tuple[str, str, str, str]]:
    """(op, words before, the edit's words, words after) of each delete and insert: the context is the
    nearest equal text on each side (an insertion's context skips the deletions beside it, and the
    other way round)."""
    out = []
    for k, o in enumerate(ops):
        if o["op"] == "equal":
            continue
        before = next((p["text"] for p in reversed(ops[:k]) if p["op"] == "equal"), "")
        after = next((p["text"] for p in ops[k + 1 :] if p["op"] == "equal"), "")
        out.append((o["op"], " ".join(before.split()[-CONTEXT_WORDS:]), o["text"],
                    " ".join(after.split()[:CONTEXT_WORDS])))
    return out


def stands(step_ops: list[dict], span_ops: list[dict]) -> bool:
    """Whether any edit of `step_ops` (one revision's change of a clause) is part of the change
    `span_ops` makes (the same clause, over a span of revisions holding that one)."""
    edits = [e for e in _edits(step_ops) if _letters(e[2])]  # not a lone marker or dash
    if not edits:
        return True
    older = _letters(" ".join(o["text"] for o in span_ops if o["op"] != "insert"))
    newer = _letters(" ".join(o["text"] for o in span_ops if o["op"] != "delete"))
    for op, before, words, after in edits:
        had, has = (older, newer) if op == "delete" else (newer, older)
        anchored = _letters(f"{before} {words} {after}")
        if had.count(anchored) > has.count(anchored):
            return True
        keys = [k.lower() for k in analyse(words).keys if k]
        for start in range(max(len(keys) - WINDOW_WORDS, 0) + 1):
            run = "".join(keys[start : start + WINDOW_WORDS])
            if len(run) >= OWN_LETTERS and had.count(run) > has.count(run):
                return True
    return False
