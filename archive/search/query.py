"""Query parsing: Whoosh's parser over the clause text and title, with strict input checks.

Syntax: words (all must match), "exact phrases", AND / OR / NOT and parentheses, prefix*, fuzzy~
(or word~2), and field filters: policy:, version:, number:, title:, text:, lineage:.
Whoosh's parser accepts nearly anything; a researcher's typo should not silently search for
something else, so unbalanced quotes or parentheses, dangling operators, unknown fields and
queries that reduce to nothing are errors here (QuerySyntaxError), as are empty or over-long queries.
"""

from __future__ import annotations

import re
import threading

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import FuzzyTermPlugin, MultifieldParser, QueryParser

from archive.errors import InvalidInput, QuerySyntaxError

FIELDS = ("policy", "version", "number", "title", "text", "lineage")
_OPERATOR = re.compile(r"\b(AND|OR|NOT|ANDNOT|ANDMAYBE)\b")
_FIELD_PREFIX = re.compile(r"(?:^|[\s(])([A-Za-z_]+):(?=\S)")
_DANGLING = re.compile(r"(^\s*(AND|OR|ANDNOT|ANDMAYBE)\b)|(\b(AND|OR|NOT|ANDNOT|ANDMAYBE)\s*$)")
_BAD_FUZZY = re.compile(r"~(?![\d\s)\"]|$)|(^|\s)~")
# The simple queries most searches are (see _simple): words, word*, "phrases", all ANDed or all ORed.
_SIMPLE = re.compile(r'\s*(?:"([^\W_]+(?:\s+[^\W_]+)+)"|([^\W_]+)(\*?))(?=\s|$)')
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})
PARSE_CACHE = 1024
_parsed: dict[tuple[str, int], tuple[Schema, wq.Query]] = {}
_parsed_lock = threading.Lock()
_local = threading.local()  # one Whoosh parser per thread and schema (building one costs more than parsing)


def check_text(text: str | None, *, what: str, max_length: int) -> str:
    """Reject empty and over-long input with one clear line."""
    if text is None or not text.strip():
        raise InvalidInput(f"empty {what}")
    if len(text) > max_length:
        raise InvalidInput(f"{what} is {len(text)} characters long; the limit is {max_length}")
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


def _parse(text: str, schema: Schema, *, max_length: int) -> wq.Query:
    text = check_text(text, what="query", max_length=max_length)
    _balanced(text)
    outside = re.sub(r'"[^"]*"', '""', text)  # a phrase still counts as an operand
    if _DANGLING.search(outside):
        raise QuerySyntaxError("an AND/OR/NOT operator is missing a word on one side")
    if _BAD_FUZZY.search(outside):
        raise QuerySyntaxError("'~' must follow a word (fuzzy~ or fuzzy~2)")
    for name in _FIELD_PREFIX.findall(outside):
        if name not in FIELDS:
            raise QuerySyntaxError(f"unknown field '{name}:' (use one of {', '.join(FIELDS)})")
    q = _simple(text, schema)
    if q is not None:
        return q.normalize()
    try:
        q = _parser(schema).parse(text)
    except Exception as exc:  # noqa: BLE001 - Whoosh raises assorted errors on odd input
        raise QuerySyntaxError(f"cannot parse the query: {exc}") from None
    if q is wq.NullQuery or not q.all_terms(phrases=True) and not _has_pattern(q):
        raise QuerySyntaxError("the query has no searchable words")
    return q.normalize()


def _parser(schema: Schema) -> MultifieldParser:
    parsers = getattr(_local, "parsers", None)
    if parsers is None or parsers[0] is not schema:
        parser = MultifieldParser(["title", "text"], schema=schema)
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
            nodes.append(wq.Or([wq.Prefix(f, value.lower()) for f in ("title", "text")]))
            continue
        terms = [t for t, _, _ in analyzer.terms(value)]
        if not terms:
            return None
        if len(terms) == 1:
            nodes.append(wq.Or([wq.Term(f, terms[0]) for f in ("title", "text")]))
        else:
            nodes.append(wq.Or([wq.Phrase(f, terms, slop=1) for f in ("title", "text")]))
    if len(nodes) == 1:
        return nodes[0]
    return wq.Or(nodes) if "OR" in items else wq.And(nodes)


def _has_pattern(q: wq.Query) -> bool:
    return any(isinstance(sub, wq.PatternQuery | wq.FuzzyTerm) for sub in q.leaves())


def phrase(text: str, schema: Schema, *, max_length: int = 1000) -> wq.Query:
    """The query for an exact phrase (quotes optional) over the clause text."""
    text = check_text(text, what="phrase", max_length=max_length).strip('"“”').strip()
    if not text:
        raise InvalidInput("empty phrase")
    terms = [t for t, _, _ in schema["text"].analyzer.terms(text)]
    if not terms:
        raise QuerySyntaxError("the phrase has no searchable words")
    if len(terms) == 1:
        return wq.Term("text", terms[0])
    return wq.Phrase("text", terms)


def words_query(text: str, schema: Schema, *, require_all: bool, max_terms: int = 0, rarity=None) -> wq.Query | None:
    """Terms of free text (for candidate retrieval): And/Or of its distinct indexed terms."""
    terms = list(dict.fromkeys(t for t, _, _ in schema["text"].analyzer.terms(text)))
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
