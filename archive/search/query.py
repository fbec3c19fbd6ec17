"""Query parsing: Whoosh's parser over clause titles and texts, with strict input checks.

Syntax: words (all must match), "exact phrases", AND / OR / NOT (or -word) and parentheses, prefix*, fuzzy~
(or word~2; at most MAX_FUZZY edits), and field filters: policy:, version:, number:, title:, text:
(the body and its footnotes), footnotes: (only those), lineage:. Whoosh's parser accepts nearly
anything; a researcher's typo should not silently search for something else, so unbalanced quotes
or parentheses, operators missing a word on either side (`risk OR OR review`, `(risk OR) review`,
`NOT NOT risk`), empty parentheses, unknown fields, fuzzy distances over MAX_FUZZY and queries
that reduce to nothing are errors here (QuerySyntaxError), as are empty or over-long queries.
"""

from __future__ import annotations

import re
import threading

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import FuzzyTermPlugin, MultifieldParser, QueryParser

from archive.errors import InvalidInput, QuerySyntaxError
from archive.search.analysis import MAX_COMPOUND_PARTS

FIELDS = ("policy", "version", "number", "title", "text", "footnotes", "lineage")
TEXT_FIELDS = frozenset({"title", "text", "footnotes"})
SEARCHED = ("title", "text")  # the fields a bare word or phrase is looked for in (text: body and footnotes)
MAX_FUZZY = 2  # edits a fuzzy~N term may allow: at 3 or more a short word matches nearly any word
_FIELD_PREFIX = re.compile(r"(?:^|[\s(])([A-Za-z_]+):(?=\S)")
_FIELD_BARE = re.compile(r"(?:^|[\s(])([A-Za-z_]+):(?=[\s)]|$)")  # "title: risk", "title:" (no value)
_BINARY = frozenset({"AND", "OR", "ANDNOT", "ANDMAYBE"})
_TOKEN = re.compile(r"[()]|[^\s()]+")
_GROUP_FIELD = re.compile(r"[A-Za-z_]+:(?=\()")  # title:(a OR b): the group is the operand
_BAD_FUZZY = re.compile(r"~(?![\d\s)\"]|$)|(^|\s)~")
_FUZZY = re.compile(r"(?<=[^\W_])~(\d+)")
# The simple queries most searches are (see _simple): words, word*, "phrases", all ANDed or all ORed.
_SIMPLE = re.compile(r'\s*(?:"([^\W_]+(?:\s+[^\W_]+)+)"|([^\W_]+)(\*?))(?=\s|$)')
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})
# A phrase (kept as it is), or a + / - opening a term: at the start or after a space or "(", before a
# letter, a phrase or a group ("-review", "-\"risk report\"", "-(a OR b)", "-title:risk").
_SIGN = re.compile(r'"[^"]*"|(?<![^\s(])([+-])(?=[^\W\d_]|["(])')
PARSE_CACHE = 1024
_parsed: dict[tuple[str, int], tuple[Schema, wq.Query]] = {}
_parsed_lock = threading.Lock()
_local = threading.local()  # one Whoosh parser per thread and schema (building one costs more than parsing)


def lone_surrogate(text: str) -> int | None:
    """Where a text holds half of a UTF-16 pair (JSON's "\\udfff", or bytes that are not UTF-8 in a
    command's arguments), if it does: no character, so it can neither be searched for nor written out."""
    return next((k for k, ch in enumerate(text) if "\ud800" <= ch <= "\udfff"), None)


def check_text(text: str | None, *, what: str, max_length: int) -> str:
    """Reject empty and over-long input with one clear line."""
    if text is None or not text.strip():
        raise InvalidInput(f"empty {what}")
    if len(text) > max_length:
        raise InvalidInput(f"{what} is {len(text)} characters long; the limit is {max_length}")
    bad = lone_surrogate(text)
    if bad is not None:
        raise InvalidInput(f"{what} is not valid text (character {bad + 1} is not Unicode)")
    return text.strip()


def _balanced(text: str) -> None:
    if text.count('"') % 2:
        raise QuerySyntaxError('unbalanced quotes in the query (a " is not closed)')
    depth = 0
    in_quote = False
    for ch in text:
        if ch == '"':
            in_quote = not in_quote
        elif not in_quote and ch == "(":
            depth += 1
        elif not in_quote and ch == ")":
            depth -= 1
            if depth < 0:
                raise QuerySyntaxError("unbalanced parentheses in the query (a ')' has no '(')")
    if depth:
        raise QuerySyntaxError("unbalanced parentheses in the query (a '(' is not closed)")


def parse(text: str, schema: Schema, *, max_length: int = 1000) -> wq.Query:
    """A Whoosh query over title and text, or QuerySyntaxError / InvalidInput. The PARSE_CACHE most
    recently used queries are kept, per query string and for the schema they were parsed with: a
    server sees the same queries again (paging, repeated searches), and searching never changes a
    Whoosh query, so one can serve several requests."""
    key = (text, max_length)
    found = _parsed.get(key)
    if found is not None and found[0] is schema:
        with _parsed_lock:  # most recently used last
            _parsed[key] = _parsed.pop(key, found)
        return found[1]
    q = _parse(text, schema, max_length=max_length)
    with _parsed_lock:
        _parsed[key] = (schema, q)
        while len(_parsed) > PARSE_CACHE:
            del _parsed[next(iter(_parsed))]  # least recently used first
    return q


def _plus_minus(text: str) -> str:
    """`-word` as NOT word and `+word` as word, the web-search way (outside phrases, at a word's
    start: "non-compliance" keeps its hyphen). Whoosh's parser would read `risk -review` as
    `risk review`, the opposite of what was asked."""
    def repl(m: re.Match[str]) -> str:
        return m.group(0) if m.group(1) is None else ("NOT " if m.group(1) == "-" else "")

    return _SIGN.sub(repl, text)


def _parse(text: str, schema: Schema, *, max_length: int) -> wq.Query:
    text = check_text(text, what="query", max_length=max_length)
    _balanced(text)
    text = _plus_minus(text)
    outside = re.sub(r'"[^"]*"', '""', text)  # a phrase still counts as an operand
    _operators(outside)
    if _BAD_FUZZY.search(outside):
        raise QuerySyntaxError("'~' must follow a word (fuzzy~ or fuzzy~2)")
    for m in _FUZZY.finditer(outside):
        if int(m.group(1)) > MAX_FUZZY:
            raise QuerySyntaxError(
                f"fuzzy matching allows at most {MAX_FUZZY} edits (word~{MAX_FUZZY}), not {int(m.group(1))}"
            )
    for name in _FIELD_PREFIX.findall(outside):
        if name not in FIELDS:
            raise QuerySyntaxError(f"unknown field '{name}:' (use one of {', '.join(FIELDS)})")
    # Whoosh reads a field name with nothing after its colon as a word ("title: risk" looks for the
    # words "title" and "risk"): a filter silently turned into a search for its own name.
    for name in _FIELD_BARE.findall(outside):
        if name in FIELDS:
            raise QuerySyntaxError(f"'{name}:' has no word after it (write {name}:word, with no space)")
    q = _simple(text, schema)
    if q is not None:
        return with_compounds(q.accept(_joined_pattern), schema).normalize()
    try:
        q = _parser(schema).parse(text)
    except Exception:  # noqa: BLE001 - Whoosh raises assorted errors on odd input
        # Whoosh's own message is about its internals (e.g. "list index out of range").
        raise QuerySyntaxError("cannot parse the query: check its operators, parentheses and quotes") from None
    if q is wq.NullQuery or not q.all_terms(phrases=True) and not _has_pattern(q):
        raise QuerySyntaxError("the query has no searchable words")
    for leaf in q.leaves():
        if leaf.field() in TEXT_FIELDS and _wildcard_only(leaf):
            raise QuerySyntaxError("a wildcard needs letters or digits beside it (risk*, r?sk), not only '*' or '?'")
    return with_compounds(q.accept(_joined_pattern), schema).normalize()


_PATTERN_DASHES = re.compile(r"[-‐‑‒–—]")


def _joined_pattern(node: wq.Query) -> wq.Query:
    """A hyphenated word with a wildcard ("non-compl*") as its joined form ("noncompl*"): no indexed
    token holds a hyphen, and the index holds the joined form of every hyphenated compound (step 4 of
    docs/search.md), so this finds both spellings as `noncompl*` does."""
    if isinstance(node, wq.Prefix | wq.Wildcard) and _PATTERN_DASHES.search(node.text):
        return type(node)(node.fieldname, _PATTERN_DASHES.sub("", node.text), boost=node.boost)
    return node


def _variants(words: list[str], joined: dict, parts: dict) -> list[list[str]]:
    """`words` with every known compound written joined, and with every one written as its parts
    (those that differ from `words`). See archive.search.analysis, step 4."""
    as_parts = [p for w in words for p in parts.get(w, (w,))]
    as_joined: list[str] = []
    i = 0
    while i < len(as_parts):
        for n in range(min(MAX_COMPOUND_PARTS, len(as_parts) - i), 1, -1):
            j = joined.get(tuple(as_parts[i : i + n]))
            if j is not None:
                as_joined.append(j)
                i += n
                break
        else:
            as_joined.append(as_parts[i])
            i += 1
    return [v for v in (as_parts, as_joined) if v != words]


def with_compounds(q: wq.Query, schema: Schema) -> wq.Query:
    """`q` where each phrase holding a hyphenated compound of the corpus (as its parts, or as its
    joined form among other words) also matches the other spelling: an Or of the variants. A word
    alone needs nothing: the index holds the joined form for both spellings."""
    analyzer = schema["text"].analyzer
    joined, parts = getattr(analyzer, "joined", None), getattr(analyzer, "parts", None)
    if not joined or not any(isinstance(leaf, wq.Phrase) for leaf in q.leaves()):
        return q  # nothing to widen: spare the copy of the tree

    def widen(node: wq.Query) -> wq.Query:
        if not isinstance(node, wq.Phrase) or node.fieldname not in TEXT_FIELDS:
            return node
        f = node.fieldname
        alts = [
            wq.Term(f, v[0], boost=node.boost) if len(v) == 1 else wq.Phrase(f, v, slop=node.slop, boost=node.boost)
            for v in _variants(list(node.words), joined, parts)
        ]
        return wq.Or([node, *alts]) if alts else node

    return q.accept(widen)


def _operators(outside: str) -> None:
    """QuerySyntaxError unless every AND/OR/ANDNOT/ANDMAYBE has a word (or group) on both sides and
    every NOT a word after it. `outside` is the query with each phrase replaced by `""`."""
    expect_operand, previous = True, ""
    for token in _TOKEN.findall(_GROUP_FIELD.sub("", outside)):
        if token == "(":
            expect_operand = True
        elif token == ")":
            if previous == "(":
                raise QuerySyntaxError("empty parentheses in the query")
            if expect_operand:
                raise QuerySyntaxError(f"'{previous}' has no word after it (before ')')")
            expect_operand = False
        elif token == "NOT":
            if previous == "NOT":
                raise QuerySyntaxError("'NOT NOT' in the query: give NOT a word (or drop both)")
            expect_operand = True
        elif token in _BINARY:
            if previous == "NOT" or previous in _BINARY:
                raise QuerySyntaxError(f"two operators in a row ('{previous} {token}'): a word is missing between them")
            if expect_operand:
                where = "after '('" if previous else "at the start of the query"
                raise QuerySyntaxError(f"'{token}' has no word before it ({where})")
            expect_operand = True
        else:
            expect_operand = False
        previous = token
    if expect_operand and previous:
        raise QuerySyntaxError(f"'{previous}' has no word after it (at the end of the query)")


def _parser(schema: Schema) -> MultifieldParser:
    parsers = getattr(_local, "parsers", None)
    if parsers is None or parsers[0] is not schema:
        parser = MultifieldParser(list(SEARCHED), schema=schema)
        parser.add_plugin(FuzzyTermPlugin())
        parsers = _local.parsers = (schema, parser)
    return parsers[1]


def _simple(text: str, schema: Schema) -> wq.Query | None:
    """The query Whoosh's parser builds for `text` (before normalize), built directly when `text` is
    only words, word* prefixes and "phrases" of plain words, joined all by spaces (AND) or all by
    OR; None for anything else, which goes to the parser. tests/test_search_analysis.py checks
    that both give the same query."""
    items: list[str | tuple[str, str]] = []
    at = 0
    while at < len(text):
        m = _SIMPLE.match(text, at)
        if m is None:
            return None
        phrase_, word, star = m.groups()
        if word in _OPERATORS:
            if word != "OR":
                return None
            items.append("OR")
        else:
            items.append(("*", word) if star else ("", phrase_ or word))
        at = m.end()
    ored = "OR" in items
    operands = items[::2] if ored else items
    if ored and (len(items) % 2 == 0 or any(i != "OR" for i in items[1::2]) or "OR" in operands):
        return None
    analyzer = schema["text"].analyzer
    if schema["title"].analyzer != analyzer:
        return None
    nodes = []
    for kind, value in operands:
        if kind == "*":
            nodes.append(wq.Or([wq.Prefix(f, value.lower()) for f in SEARCHED]))
            continue
        terms = [t for t, _, _ in analyzer.query_terms(value)]
        if not terms:
            return None
        if len(terms) == 1:
            nodes.append(wq.Or([wq.Term(f, terms[0]) for f in SEARCHED]))
        else:
            nodes.append(wq.Or([wq.Phrase(f, terms, slop=1) for f in SEARCHED]))
    if len(nodes) == 1:
        return nodes[0]
    return wq.Or(nodes) if "OR" in items else wq.And(nodes)


def _wildcard_only(leaf: wq.Query) -> bool:
    """`*`, `**`, `?`, `?*`...: a pattern with no letter or digit, which matches every word of
    every clause (and `*` beside other words, `risk AND *`, means nothing)."""
    if isinstance(leaf, wq.Every):
        return True
    return isinstance(leaf, wq.PatternQuery) and not any(c.isalnum() for c in leaf.text)


def _has_pattern(q: wq.Query) -> bool:
    return any(isinstance(sub, wq.PatternQuery | wq.FuzzyTerm) for sub in q.leaves())


def phrase(text: str, schema: Schema, *, max_length: int = 1000) -> wq.Query:
    """The query for an exact phrase (quotes optional) over the clause text (footnotes included)."""
    text = check_text(text, what="phrase", max_length=max_length).strip('"“”').strip()
    if not text:
        raise InvalidInput("empty phrase")
    terms = [t for t, _, _ in schema["text"].analyzer.query_terms(text)]
    if not terms:
        raise QuerySyntaxError("the phrase has no searchable words")
    if len(terms) == 1:
        return wq.Term("text", terms[0])
    return with_compounds(wq.Phrase("text", terms), schema)


def words_query(text: str, schema: Schema, *, require_all: bool, max_terms: int = 0, rarity=None) -> wq.Query | None:
    """Terms of free text (for candidate retrieval): And/Or of its distinct indexed terms."""
    terms = list(dict.fromkeys(t for t, _, _ in schema["text"].analyzer.query_terms(text)))
    if rarity is not None:
        terms.sort(key=rarity)
    if max_terms:
        terms = terms[:max_terms]
    if not terms:
        return None
    leaves = [wq.Term("text", t) for t in terms]
    return wq.And(leaves) if require_all else wq.Or(leaves)


def parser_for(schema: Schema) -> QueryParser:
    return QueryParser("text", schema=schema)
