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
- Relating: an item's terms (content words, cut to their first STEM letters) are matched against a
  change's evidence (its changed words and its clause's title), weighted by inverse document frequency
  over the newer version's clauses; an explicit "Section 3.4" / "Appendix A" in the item that names the
  change's clause adds REF_BONUS. An item accounts for the changes scoring at least MIN_SCORE with at
  least MIN_TERMS shared terms and at least RELATIVE of that item's best score, so a clause that merely
  mentions an item's topic is not taken as announced.
- Not audited: the changelog itself, and front-matter changes that touch only version/date words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import chain

from diff_match_patch import diff_match_patch

from archive.diff.words import canonical, tokens
from archive.types import Clause

STEM = 6
MIN_SCORE = 3.0
MIN_TERMS = 2
RELATIVE = 0.7
REF_BONUS = 6.0
RARE_BIGRAM_DF = 3
EDITORIAL_MAX_WORDS = 2
EDITORIAL_MAX_EDITS = 2

_CONTAINER = re.compile(r"^(change ?log|version history|revision history|document history)$", re.I)
_EDITORIAL_NOTE = re.compile(
    r"minor (?:edits?|typo|typographical|formatting|corrections?|changes? (?:for|of) (?:style|clarity))|"
    r"for style or clarity|typo(?:s|graphical)? (?:and|or) formatting", re.I
)
_INLINE_ITEM = re.compile(r"\((\d{1,2})\)\s*")
_LIST_ITEM = re.compile(r"(?:^|\n)\s*(\d{1,2})\.\s*(?=\S)")
_REF = re.compile(r"\b(Section|Appendix)\s+([A-Z]\b|\d+(?:\.\d+)*)")
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
        # A word of the vocabulary is never re-split, nor is one too short to be in it: for the words
        # of the text that gave the vocabulary, the plain stemmer's terms are already the answer.
        self._memo: dict[str, tuple[str, ...]] = dict(known._memo) if known else {}

    def _learn(self, words: list[str]) -> set[str]:
        """Memoise the terms of every new word; return the distinct words."""
        distinct = set(words)
        new = distinct.difference(self._memo)
        if new:
            memo, vocab = self._memo, self.vocab
            if vocab:
                for w in [w for w in new if len(w) >= 6 and w not in vocab]:
                    parts = _resplit(w, vocab)
                    memo[w] = tuple(p[:STEM] for p in parts if len(p) >= 3 and p not in _STOP)
                    new.discard(w)
            # One part: the word itself (what the loop above gives a word it does not split).
            memo.update({w: (w[:STEM],) if len(w) >= 3 and w not in _STOP else () for w in new})
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


def _resplit(word: str, vocab: set[str]) -> tuple[str, ...]:
    """Undo a PDF run-together ("givencoverage" -> "given", "coverage") when both halves are words."""
    if word in vocab or len(word) < 6:
        return (word,)
    for i in range(3, len(word) - 2):
        if word[:i] in vocab and word[i:] in vocab:
            return word[:i], word[i:]
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
        else:
            items = [s for s in sentences if s and s is not note]
    cleaned = []
    for item in items:
        if note and note in item:
            item = item.replace(note, "").strip()
        if item and not (note and item == note):
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


def audit(clauses: list[Clause], changes: list[dict], label: str, since: str | None = None) -> dict | None:
    """The audit of `changes` (a redline from version `since` to version `label`, whose clauses these
    are) against the changelog entries of the revisions in between; None without a changelog."""
    found = _changelog(clauses)
    if found is None:
        return None
    container, entries = found
    newest = _newest(clauses, entries, label)
    if newest is None:
        return None
    entry = clauses[newest]
    used = [k for k in _entries_since(clauses, entries, since, label) if k != newest] + [newest]
    items, item_entry, note = [], [], None
    for k in used:
        its, n = split_items(clauses[k].text)
        items += its
        item_entry += [k] * len(its)
        note = n or note  # the newest entry's editorial note, else an earlier one's
    skip = {container, *entries}

    # Inverse document frequency of terms over the newer version's clauses.
    # Words of titles and texts, found once (a match never spans the space that joins title and text).
    title_words = [_words(c.title) for c in clauses]
    text_words = [_words(c.text) for c in clauses]
    plain = _Stemmer(None)
    docs = [plain.term_set(tw + xw) for tw, xw in zip(title_words, text_words, strict=True)]
    df = Counter(chain.from_iterable(docs))
    n = len(docs)

    # Only words that also stand alone somewhere count as vocabulary for re-splitting.
    vocab = {w for w in chain.from_iterable((*title_words, *text_words)) if len(w) >= 3}
    stem = _Stemmer(vocab, known=plain)
    item_terms = [stem.term_set(_words(it)) for it in items]
    # A change scores only on terms it shares with an item, so only items' terms need a weight.
    idf = {t: math.log((n + 1) / (df.get(t, 0) + 0.5)) for t in set().union(*item_terms)}
    item_bigrams = [stem.bigrams(_words(it)) for it in items]
    # Only bigrams of items are ever looked up: count and collect just those.
    item_bigram_set = set().union(*item_bigrams)
    # In how many clauses each bigram stands (counted once, not per change and item).
    bigram_df = Counter(chain.from_iterable(stem.bigrams(xw, among=item_bigram_set) for xw in text_words))

    item_refs = [{(k.lower(), v.lower()) for k, v in _REF.findall(it)} for it in items]
    # The bigrams of each item rare enough (in at most RARE_BIGRAM_DF clauses) to count as its phrase.
    rare_bigrams = [{bg for bg in ibig if bigram_df[bg] <= RARE_BIGRAM_DF} for ibig in item_bigrams]
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
        changed = " ".join(o["text"] for o in ch["ops"] if o["op"] != "equal")
        refs = [r for r in (ch["to_clause"], ch["from_clause"]) if r]
        changed_stems = stem.stems(_words(changed))
        evidence = set(changed_stems) | {t for r in refs for t in plain.stems(_words(r["title"]))}
        ch_bigrams = stem.bigrams([], changed_stems, among=item_bigram_set)
        names = _names(refs)
        scores = []
        for terms, irefs, rare in zip(item_terms, item_refs, rare_bigrams, strict=True):
            shared = terms & evidence
            score = sum(map(idf.__getitem__, shared))
            if not irefs.isdisjoint(names):
                score += REF_BONUS
                shared = shared | {"<ref>"}
            scores.append((score, len(shared), not rare.isdisjoint(ch_bigrams)))
        audited.append({"change": ch, "nature": nature(ch), "scores": scores})
        if _DEBUG:
            print(_clause_label(ch), scores, sorted(evidence)[:40])

    best = [max((a["scores"][k][0] for a in audited), default=0.0) for k in range(len(items))]
    out_changes = []
    for a in audited:
        ch = a["change"]
        matched = [
            k + 1
            for k, (score, shared, phrase) in enumerate(a["scores"])
            if score >= MIN_SCORE and shared >= MIN_TERMS and (score >= RELATIVE * best[k] or phrase)
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
        })
    item_out = [
        {"n": k + 1, "text": it, "entry": clauses[item_entry[k]].title,
         "clauses": [c["clause"] for c in out_changes if k + 1 in c["items"]]}
        for k, it in enumerate(items)
    ]
    unmentioned = [
        {"clause": c["clause"], "from_clause": c["from_clause"], "to_clause": c["to_clause"],
         "kind": c["kind"], "nature": c["nature"]}
        for c in out_changes if not c["accounted"]
    ]
    return {
        "entry": {"title": entry.title, "clause_id": newest, "text": " ".join(tokens(entry.text))},
        "entries": [{"title": clauses[k].title, "clause_id": k} for k in used],
        "items": item_out,
        "editorial_note": note,
        "changes": out_changes,
        "unmentioned": unmentioned,
        "items_without_change": [i["n"] for i in item_out if not i["clauses"]],
        "counts": {
            "audited": len(out_changes),
            "substantive": sum(c["nature"] == "substantive" for c in out_changes),
            "editorial": sum(c["nature"] == "editorial" for c in out_changes),
            "accounted": sum(c["accounted"] for c in out_changes),
            "unmentioned": len(unmentioned),
        },
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
