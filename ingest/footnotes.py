"""Footnotes: split the notes at a page's foot from its body and take their markers out of the text.

Two ways to find them, the font first:
- by font: the page ends in lines set smaller than its body text, the first starting with a number
  (a superscript or plain "1"). Markers in the body were found from the glyphs (small, raised digits).
- by text, for PDFs that set notes and markers in the body font (the corpus reconstructions): the
  page ends in a block of lines with no heading in it, each note starting "N" + text ("1“Catastrophic",
  "7 By ..."), the numbers distinct, and every N also printed as a marker glued to a word or
  punctuation earlier on the same page ("risks5beyond", "face.1Where", "Compute4).").

A marker is removed from its word; where it glued two words ("risks5beyond") they become two
("risks beyond"). Each note is attached to the line holding its marker, so it stays with that line's
clause whatever the page breaks; without a marker it goes with the page's last body line.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archive.types import Footnote
from ingest.normalize import join_hyphenated, normalize_line

if TYPE_CHECKING:
    from ingest.pdf import RawLine

_NOTE_START = re.compile(r"^(\d{1,3})(?![\d.,)%:/x×\-–])\s?(?=\S)")
_OPENERS = "“\"‘'("


def split_footnotes(body: list[RawLine], page: int) -> tuple[list[RawLine], list[Footnote]]:
    """Return the body without its footnote block, and the page's notes (markers removed)."""
    if not body:
        return body, []
    size = _body_size(body)
    start = _by_font(body, size)
    glued = start is None
    if glued:
        start = _by_text(body, size)
    if start is None:
        return body, []
    main, block = body[:start], body[start:]
    notes = _parse_notes(block, page)
    for note in notes:
        holder = _take_marker(main, note.marker, glued)
        target = holder if holder is not None else (main[-1] if main else None)
        if target is not None:
            target.footnotes.append(note)
    return main, notes


def _body_size(lines: list[RawLine]) -> float:
    weights: dict[float, int] = {}
    for ln in lines:
        key = round(ln.size, 1)
        weights[key] = weights.get(key, 0) + len(ln.text)
    return max(weights, key=weights.__getitem__)


def _starts_note(ln: RawLine) -> str | None:
    if ln.markers and ln.markers[0][0] == 0:
        return ln.markers[0][1]
    m = _NOTE_START.match(ln.text)
    return m.group(1) if m else None


def _by_font(body: list[RawLine], size: float) -> int | None:
    i = len(body)
    while i > 0 and body[i - 1].size < 0.9 * size:
        i -= 1
    if i == len(body) or i == 0 or _starts_note(body[i]) is None:
        return None
    return i


def _glued_marker(number: str) -> re.Pattern[str]:
    # Digits glued after a letter or closing punctuation, or after a sentence's end that follows either
    # ("face.1", "(see Section 3).1"), not part of a longer number or "3.1".
    return re.compile(
        rf"(?:(?<=[^\W\d_])|(?<=[^\W\d_][.!?])|(?<=[,;:)\]”’\"'])|(?<=[)\]”’\"'][.!?])){number}(?!\d)(?![.,]\d)"
    )


def _designation_marker(number: str) -> re.Pattern[str]:
    # After a hyphenated designation's digit: 1.0 prints "We define ASL-24 as models" for "ASL-2" and
    # note 4. Looked for only where no marker of that number is glued anywhere else on the page.
    return re.compile(rf"(?<=[A-Z]-\d){number}(?!\d)(?![.,]\d)")


def _by_text(body: list[RawLine], size: float) -> int | None:
    text_before = [ln.text for ln in body]
    for i, ln in enumerate(body):
        number = _starts_note(ln)
        if number is None or i == 0:
            continue
        block = body[i:]
        if any(b.bold or b.size > 1.1 * size for b in block):
            continue
        before = "\n".join(text_before[:i])
        numbers = []
        for b in block:
            n = _starts_note(b)
            if n is not None and any(p(n).search(before) for p in (_glued_marker, _designation_marker)):
                numbers.append(n)
        if numbers and numbers[0] == number and len(set(numbers)) == len(numbers):
            return i
    return None


def _parse_notes(block: list[RawLine], page: int) -> list[Footnote]:
    notes: list[tuple[str, list[str]]] = []
    for ln in block:
        number = _starts_note(ln)
        if number is not None:
            superscript = bool(ln.markers) and ln.markers[0][0] == 0
            text = ln.text if superscript else ln.text[len(number) :].lstrip()
            notes.append((number, [text]))
        elif notes:
            notes[-1][1].append(ln.text)
    out = []
    for number, lines in notes:
        joined = join_hyphenated([normalize_line(t) for t in lines])
        out.append(Footnote(marker=number, text=" ".join(t for t in joined if t), page=page))
    return out


def _take_marker(lines: list[RawLine], number: str, glued: bool) -> RawLine | None:
    """Find the note's marker in the body, remove it from the text, return its line."""
    for ln in lines:
        for k, (_, mark) in enumerate(ln.markers):
            if mark == number:
                del ln.markers[k]
                return ln
    if not glued:
        return None
    for pattern in (_glued_marker(number), _designation_marker(number)):  # the designation last
        for ln in lines:
            for w, word in enumerate(ln.words):
                m = pattern.search(word)
                if not m:
                    continue
                left, right = word[: m.start()], word[m.end() :]
                if left and right and (right[0].isalpha() or right[0] in _OPENERS):
                    ln.words[w : w + 1] = [left, right]
                else:
                    ln.words[w] = left + right
                return ln
    return None
