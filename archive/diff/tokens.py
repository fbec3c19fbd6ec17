"""How a text becomes the words a redline compares: normalised, split, and given canonical keys.

1. A text is normalised (NFKC for ligatures, soft hyphens and form feeds dropped, a hyphen at a line
   end between lowercase letters joined) and split into words at whitespace, and where the PDF lost a
   space between two words in a way a word never is: after a footnote marker ("risks5 beyond"),
   between a sentence or label and a capital ("feedback:We", "production.AI"), and before a capital
   after four lowercase letters ("unredactedRisk"). The last two are compared as two words and shown
   as printed: the second word carries GLUE, and op texts join it to the first without a space.
2. Every word gets a *canonical key*: quote styles (and × / x) unified, dashes, hyphens and the
   caret of a spelled-out superscript ("35^2" / "352") dropped, except a hyphen between two letters
   ("non-compliance" is not "noncompliance": ingest has already told a line-end hyphen's kind),
   footnote markers glued to a word removed ("risks5beyond" -> "risksbeyond", "face.1Where",
   "4“Double", "[^4]"; not "and7.2.2", a run-together section number).
3. The words that are list items' markers are found from the lines (archive.diff.words, step 5, says
   what they are for): a number, letter or roman numeral with "." or ")" (or in parentheses), or a
   bullet, that starts a line after a sentence or a list's end (".:;!?" or a closing parenthesis) or
   the clause's start, or stands alone on its line after "and" or "or": not "Section\n3." or
   "exceeds\n4.", a reference or a number that wrapped.

`analyse` does all of it once per distinct text: alignment, word diff, similarity and audit share it.
`join_words` turns compared words back into text as printed; `boundaries` and `offsets` map content
characters to words, for the word diff's refinement and the move search.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
                         "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'",
                         "×": "x"})  # "3×" and "3x" are one multiplier, typeset two ways
# Dashes and hyphens, and the caret of a superscript that extraction spelled out ("35^2" where another
# printing of the same text gives "352"): none of them is content.
_DASH_CHARS = "-‐‑‒–—―−\u00ad^"
_NO_DASHES = str.maketrans("", "", _DASH_CHARS)
_QUOTES_NO_DASHES = {**_QUOTES, **_NO_DASHES}
# A hyphen between two letters is spelling ("non-compliance"), kept; next to a digit ("ASL-3",
# "covid-19") or alone it goes with the dashes.
_INNER_HYPHEN = re.compile(r"(?<=[^\W\d_])[-‐‑](?=[^\W\d_])")
# Not before ".2" or ",2": "and7.2.2" is a run-together section number, not a marker.
_MARKER_AFTER_WORD = re.compile(r"(?<=[a-z]{2})\d{1,2}(?!\d|[.,]\d)")
# After punctuation that follows a word or a closing parenthesis ("face.1", "(see Section 3).1").
_MARKER_AFTER_PUNCT = re.compile(r"(?:(?<=[a-z][.,;:!?)\"'])|(?<=\)[.,;:]))\d{1,2}(?=[A-Za-z\"]|$)")
# Before a capital or an opening quote and its word ("4“Double", "10A"); not before a closing quote
# ('("Machine 1").' keeps its 1).
_MARKER_LEADING = re.compile(r"^\d{1,2}(?=[A-Z]|\"[A-Za-z])")
_DIGIT = re.compile(r"\d")
MARKER_TOKEN = re.compile(r"^\[\^?\w{1,3}\]$")
_LINE_HYPHEN = re.compile(r"(?<=[a-z])-\s*\n\s*(?=[a-z])")
_WORD = re.compile(r"\S+")
# ASCII letters and the punctuation `canonical` leaves alone: a word made only of these is its own key
# (nine distinct words in ten), known without a regex pass.
_AS_IS = frozenset(string.ascii_letters + ".,;:!?()'\"/&%")
# A list item's marker (module docstring, step 3): a number, letter or numeral with "." or ")" or in
# parentheses, or a bullet; told from "Section 3." by the end of what comes before it.
_LABEL = r"(?:\d{1,2}|[a-zA-Z]|[ivxIVX]{1,4})"
LIST_MARKER = re.compile(rf"^(?:{_LABEL}[.)]|\({_LABEL}\)|[●•◦▪‣○■□])$")
AFTER_SENTENCE = frozenset(".:;!?)")
# Marks a word that the PDF ran into the word before it, once the two are split (never printed).
GLUE = "\u2063"
# A sentence or a label run into the next one where the PDF had no space ("feedback:We",
# "production.AI"): a space, so the words on either side compare as words. Before a full stop, three
# lowercase letters, so "U.S." and "e.g." stay whole.
# After a colon or semicolon one letter or digit will do ("CBRN-4:The"). Punctuation first: found fast.
_GLUED_SENTENCE = re.compile(r"[.,!?)](?=[A-Z])(?<=[a-z]{3}.)|[:;](?=[A-Z])(?<=[^\W_].)")
# A capitalised word run into a lowercase one ("unredactedRisk", "introducedCapability"): split before
# the capital after four lowercase letters. A brand spelled so ("EthicsPoint") is split too, and still
# shown as printed (GLUE), its letters compared as before.
_GLUED_CAPITAL = re.compile(r"[A-Z](?=[a-z])(?<=[a-z]{4}.)")
# A footnote marker glued between two words ("risks5beyond", "face.1Where") separates them.
# After two lowercase letters and before a letter, or after a lowercase letter and a closing mark and
# before a letter or an opening quote. Found from the digits (a pattern opening with lookbehinds is
# tried at every character: five times slower), then checked where they stand.
_GLUED_DIGITS = re.compile(r"\d\d?(?=[A-Za-z“\"])")
_LOWER = frozenset(string.ascii_lowercase)
_CLOSING = frozenset(".,;:)\"'”’")


def _unglue_markers(text: str) -> str:
    def space_after(m: re.Match) -> str:
        at = m.start()
        before, last = (text[at - 2], text[at - 1]) if at >= 2 else ("", "")
        after = text[m.end()]
        if before in _LOWER and (last in _LOWER and after.isascii() and after.isalpha() or last in _CLOSING):
            return m.group() + " "
        return m.group()

    return _GLUED_DIGITS.sub(space_after, text)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "").replace("\f", "\n")
    return _LINE_HYPHEN.sub("", text)


@lru_cache(maxsize=1 << 16)
def canonical(word: str) -> str:
    """The part of a word that counts as content (see the module docstring). Memoised: a document
    repeats a few thousand distinct words, and every pass (alignment, diff, similarity) needs them."""
    if word.isascii() and _AS_IS.issuperset(word):
        return word
    return _canonical_by_rules(word)


def _canonical_by_rules(word: str) -> str:
    if word.startswith(GLUE):
        return canonical(word[1:])
    if MARKER_TOKEN.match(word):
        return ""
    if not _DIGIT.search(word):  # every marker pattern needs a digit: one pass does the rest
        if "-" in word or "‐" in word or "‑" in word:
            word = _INNER_HYPHEN.sub("\ue000", word)
            return word.translate(_QUOTES_NO_DASHES).replace("\ue000", "-")
        return word.translate(_QUOTES_NO_DASHES)
    w = word.translate(_QUOTES)
    w = _MARKER_LEADING.sub("", w)
    w = _MARKER_AFTER_WORD.sub("", w)
    w = _MARKER_AFTER_PUNCT.sub("", w)
    return w.translate(_NO_DASHES)  # after the markers: "covid-19" keeps its 19


def _separated(text: str) -> str:
    """The text with a space wherever its words are split (see the module docstring, step 1). Where the
    PDF ran two words together the second begins with GLUE: compared as two, shown as printed."""
    text = _unglue_markers(normalize(text))
    return _GLUED_CAPITAL.sub(" " + GLUE + r"\g<0>", _GLUED_SENTENCE.sub(r"\g<0> " + GLUE, text))


def tokens(text: str) -> list[str]:
    """The words of a text as printed (footnote markers glued to a word set apart)."""
    return _WORD.findall(_unglue_markers(normalize(text)))


def compared_words(text: str) -> list[str]:
    """The words of a text as the diff compares them: `tokens`, with run-together words split (the
    second marked with GLUE). What `analyse` gives, without the list markers it also finds."""
    return _WORD.findall(_separated(text))


def join_words(words: Sequence[str]) -> str:
    """Words as text: a space between two, none before a word that was run into the one before it."""
    return " ".join(words).replace(" " + GLUE, "").removeprefix(GLUE)


def _words_and_list_markers(text: str) -> tuple[list[str], frozenset[int]]:
    """The words of a text as compared (tokens(text), with run-together words split and marked with
    GLUE), and the indices of those that are list markers (module docstring, step 3): that needs the
    lines, which the words alone have lost."""
    words: list[str] = []
    markers: list[int] = []
    for line in _separated(text).split("\n"):
        ws = line.split()  # the same whitespace as _WORD's \S+
        if not ws:
            continue
        first = ws[0]
        if LIST_MARKER.match(first) and (
            not words or words[-1][-1] in AFTER_SENTENCE
            # Alone on its line, a list's last item may follow "; and": "exceeds\n4." is no marker.
            or len(ws) == 1 and words[-1].lower() in ("and", "or")
        ):
            markers.append(len(words))
        words += ws
    return words, frozenset(markers)


@dataclass(frozen=True)
class Analysed:
    """One text as every pass sees it: its words, their canonical keys, and the space-free letters."""

    words: tuple[str, ...]
    keys: tuple[str, ...]
    letters: str  # "".join(keys)
    list_markers: frozenset[int]  # indices of the words that are list markers


@lru_cache(maxsize=2048)  # a few MB at most: words and keys of as many clause texts
def analyse(text: str) -> Analysed:
    """Tokenised once per distinct text (a clause is seen by alignment, diff, similarity and audit)."""
    found, markers = _words_and_list_markers(text)
    words = tuple(found)
    keys = tuple(map(canonical, words))
    return Analysed(words, keys, "".join(keys), markers)


def canonical_length(text: str) -> int:
    """Number of content characters in a text (the denominator of similarities)."""
    return len(analyse(text).letters)


def clear_caches() -> None:
    """Forget memoised words and texts (benchmarks call this so a cold run is really cold)."""
    canonical.cache_clear()
    analyse.cache_clear()


def boundaries(keys: Sequence[str]) -> dict[int, int]:
    """Canonical char offset -> number of words before it, at every word boundary."""
    pos = {0: 0}
    n = 0
    for idx, k in enumerate(keys):
        n += len(k)
        pos[n] = idx + 1  # words with empty keys share an offset; the later index wins
    return pos


def offsets(keys: Sequence[str]) -> list[int]:
    """Content character offset of each word start, and of the end."""
    return [0, *accumulate(map(len, keys))]
