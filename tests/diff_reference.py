"""Clause lists built from the corpus reference texts (`[[page N]]` markers, `## ` headings).

For the pure diff tests: they need no PDF extractor and no database. The rules mirror
archive.clauses closely enough for alignment and word diffs (front matter, contents skipped,
"3.1." + "Scope and Timing" heading pairs, number-prefix parents, containers).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from archive.clauses import FRONT_MATTER, parse_number
from archive.types import Clause, Footnote

CORPUS = Path("/work/shared/corpus")
TEXTS = CORPUS / "anthropic-rsp" / "text"
_FOOTER = "Responsible Scaling Policy, Anthropic"
_CONTAINER = re.compile(r"^(appendices|change ?log)$", re.I)


def text_path(label: str) -> Path:
    return next(TEXTS.glob(f"rsp-v{label}_*.txt"))


@cache
def reference_clauses(label: str) -> tuple[Clause, ...]:
    lines = text_path(label).read_text(encoding="utf-8").splitlines()
    page = 1
    items: list[tuple[str, int, str]] = []  # ("h"|"t", page, text)
    skip_number = False
    for raw in lines:
        line = raw.rstrip()
        m = re.match(r"^\[\[page (\d+)\]\]$", line)
        if m:
            page = int(m.group(1))
            continue
        if line.strip() == _FOOTER:
            skip_number = True
            continue
        if skip_number and re.fullmatch(r"\s*\d+\s*", line):
            skip_number = False
            continue
        if line.strip():
            skip_number = False
        if line.startswith("## "):
            items.append(("h", page, line[3:].strip()))
        elif line.strip():
            items.append(("t", page, line.strip()))
    items = _footnotes_out(items)
    # Merge "3.1." + "Scope and Timing".
    merged: list[list] = []
    for kind, pg, text in items:
        if kind == "h" and merged and merged[-1][0] == "h" and re.fullmatch(r"[\d.]+", merged[-1][2]):
            merged[-1][2] += " " + text
            continue
        merged.append([kind, pg, text])
    clauses: list[Clause] = []
    front: list[str] = []
    in_toc = False
    toc_page = -1
    started = False
    body: list[str] = []

    def flush() -> None:
        if clauses:
            clauses[-1].text = "\n".join(body)
        body.clear()

    for kind, pg, text in merged:
        if kind == "f":
            marker, note = text.split(" ", 1)
            pat = re.compile(r"(?<=[a-z.,;:”)])" + marker + r"(?!\d)")
            owner = next((c for c in reversed(clauses) if pat.search(c.text)), None)
            if owner is None and clauses and pat.search("\n".join(body)):
                owner = clauses[-1]
            if owner is not None:
                owner.footnotes.append(Footnote(marker, note, pg))
            continue
        if kind == "h" and pg == 1 and not started:
            front.append(text)
            continue
        if kind == "h" and text.lower() == "contents" and not parse_number(text)[0]:
            in_toc, toc_page = True, pg
            continue
        if kind == "h" and pg == toc_page:
            continue  # a table-of-contents entry set as a heading
        if kind == "h":
            if not started:
                started = True
                clauses.append(Clause("", FRONT_MATTER, 1, None, 0, "", 1, 1, 0, 0))
                body.extend(front)
            in_toc = False
            flush()
            number, title = parse_number(text)
            parent = None
            if number and not number.lower().startswith("appendix"):
                for k in range(len(clauses) - 1, -1, -1):
                    if number.startswith(clauses[k].number + ".") and clauses[k].number:
                        parent = k
                        break
            else:
                for k in range(len(clauses) - 1, -1, -1):
                    if _CONTAINER.match(clauses[k].title) and clauses[k].level == 1:
                        parent = k
                        break
                    if clauses[k].level == 1 and clauses[k].number and not number:
                        break
                if _CONTAINER.match(title):
                    parent = None
            level = 1 if parent is None else clauses[parent].level + 1
            ordinal = sum(1 for c in clauses if c.parent == parent)
            clauses.append(Clause(number, title, level, parent, ordinal, "", pg, pg, 0, 0))
            continue
        if in_toc:
            continue
        if not started:
            front.append(text)
            continue
        body.append(text)
        clauses[-1].page_end = pg
    flush()
    return tuple(clauses)


_NOTE = re.compile(r"^(\d{1,2}) ?([A-Z“\"(].*)$")


def _footnotes_out(items: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """Footnote lines ("4 Specifically, ...", "5Specifically") and their continuations, as ("f", page,
    "marker text") items; a footnote runs to the end of its page."""
    out: list[tuple[str, int, str]] = []
    in_note = -1
    for kind, pg, text in items:
        if pg != in_note:
            in_note = -1
        m = _NOTE.match(text) if kind == "t" and not re.match(r"^\d+\.", text) else None
        if m and in_note == -1 and _looks_last(items, kind, pg, text):
            in_note = pg
            out.append(("f", pg, f"{m.group(1)} {m.group(2)}"))
        elif m and in_note == pg:
            out.append(("f", pg, f"{m.group(1)} {m.group(2)}"))
        elif in_note == pg and kind == "t":
            k, p, t = out[-1]
            out[-1] = (k, p, t + "\n" + text)
        else:
            out.append((kind, pg, text))
    return out


def _looks_last(items: list[tuple[str, int, str]], kind: str, pg: int, text: str) -> bool:
    """A footnote block has no heading after it on its page."""
    idx = items.index((kind, pg, text))
    return not any(k == "h" and p == pg for k, p, _ in items[idx + 1 :])
