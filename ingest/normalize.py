"""Text normalisation shared by extraction and comparison.

Per line: NFC, ligature glyphs expanded, zero-width and soft-hyphen characters dropped, every run of
whitespace (NBSP included) folded to one space. Across lines: line-end hyphenation joined only where
it really is hyphenation.

Hyphenation rule (`join_hyphenated`): a line ending in "<lowercase letter>-" followed by a line that
starts with a lowercase letter is a candidate. Then, in order:
1. the joined word ("recom" + "mendations") is in the vocabulary -> join without the hyphen;
2. the hyphenated word ("well-known") is in the vocabulary -> keep the hyphen;
3. the left part is a known compound element ("well", "self", "non", ...) or both parts are whole
   words of the vocabulary ("risk" / "relevant") -> keep the hyphen;
4. otherwise join: a fragment that is not a word on its own was split by the typesetter.
A hyphen after a capital or digit ("AI-", "ASL-3-") or before a capital or digit is never joined.
The vocabulary is normally every word of the same document (see `vocabulary`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",  # long s + t
    "\ufb06": "st",
}
# Zero-width space/joiners, word joiner, BOM and soft hyphen: invisible, never content.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_TRANSLATE = {**_INVISIBLE, **{ord(k): v for k, v in LIGATURES.items()}}
_WS = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_HYPHEN_END = re.compile(r"(?:^|(?<=[\s(“\"]))([^\W\d_]*[a-z])-$")
_PUNCT = ".,;:!?)]}”’\"'"
_NEXT_WORD = re.compile(r"^([a-z][^\W\d_]*)(.*)$", re.S)

# Left halves that normally form a compound with a hyphen rather than being a split word.
COMPOUND_HEADS = frozenset(
    [
        "well",
        "self",
        "non",
        "co",
        "cross",
        "long",
        "short",
        "high",
        "low",
        "full",
        "half",
        "open",
        "third",
        "first",
        "second",
        "multi",
        "semi",
        "anti",
        "pre",
        "post",
        "inter",
        "intra",
        "all",
        "ill",
        "one",
        "two",
        "three",
        "four",
        "five",
        "real",
        "so",
        "off",
        "on",
        "end",
        "top",
        "state",
        "year",
        "month",
        "day",
        "time",
        "decision",
        "risk",
        "safety",
    ]
)


def normalize_line(text: str) -> str:
    """One line: NFC, ligatures expanded, invisible chars dropped, whitespace folded and stripped."""
    text = unicodedata.normalize("NFC", text.translate(_TRANSLATE))
    return _WS.sub(" ", text).strip()


def vocabulary(lines: Iterable[str]) -> set[str]:
    """Lowercased words (hyphenated compounds kept whole and split) to judge hyphenation by.

    The halves of a line-end hyphenation are left out: they are what is being judged.
    """
    words: set[str] = set()
    after_hyphen = False
    for line in lines:
        found = _WORD.findall(line.lower())
        if after_hyphen and found:
            found = found[1:]
        after_hyphen = line.endswith("-")
        if after_hyphen and found:
            found = found[:-1]
        for w in found:
            words.add(w)
            if "-" in w:
                words.update(w.split("-"))
    return words


def should_join(left: str, right: str, vocab: set[str] | None = None) -> bool:
    """Whether `left-` at a line end and `right` at the next line's start are one split word."""
    lo_left, lo_right = left.lower(), right.lower()
    v = vocab or set()
    if lo_left + lo_right in v:
        return True
    if f"{lo_left}-{lo_right}" in v:
        return False
    if lo_left in COMPOUND_HEADS:
        return False
    return not (lo_left in v and lo_right in v and len(lo_left) > 2)


def join_hyphenated(lines: list[str], vocab: set[str] | None = None) -> list[str]:
    """Join line-end hyphenation by moving the word's tail up to the line that holds its head."""
    out = list(lines)
    for i in range(len(out) - 1):
        m = _HYPHEN_END.search(out[i])
        if not m:
            continue
        left = m.group(1)
        if any(c.isupper() for c in left[1:]) or not left[0].isalpha():
            continue  # "AI-", "ASL-": acronym compounds keep their hyphen
        n = _NEXT_WORD.match(out[i + 1])
        if not n:
            continue  # blank line, capital or digit next: not a split word
        right, rest = n.group(1), n.group(2)
        joined = left + right if should_join(left, right, vocab) else left + "-" + right
        # Trailing punctuation moves up with the word ("mendations," goes up whole).
        punct = rest[: len(rest) - len(rest.lstrip(_PUNCT))]
        out[i] = out[i][: m.start(1)] + joined + punct
        out[i + 1] = rest[len(punct) :].lstrip(" ")
    return out


def normalize_text(text: str, vocab: set[str] | None = None) -> str:
    """Normalise a multi-line text: each line, then hyphenation across lines (blank lines kept)."""
    lines = [normalize_line(line) for line in text.split("\n")]
    if vocab is None:
        vocab = vocabulary(lines)
    joined = join_hyphenated(lines, vocab)
    # Drop only the lines that joining emptied, not the blank lines that were there.
    return "\n".join(j for j, orig in zip(joined, lines, strict=True) if j or not orig)
