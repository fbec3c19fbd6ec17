"""The per-query shortcuts of archive.search give what the plain Whoosh/Python code they replace
gives: the collector-free scoring walk, field lengths read once, the term-position table behind
snippets, the patched ArrayUnionMatcher and the parsed-query cache."""

from __future__ import annotations

import random
import re

import pytest
from whoosh import query as wq
from whoosh.matching import combo

from archive.search import distinct, searching, whoosh_patch
from archive.search import query as qp
from archive.search.index import make_schema


@pytest.fixture(scope="module")
def queries(corpus_index):
    words = sorted({w for d in corpus_index.all_docs() for w in re.findall(r"[A-Za-z]{3,}", d.text)})
    rng = random.Random(11)
    out = ["risk", "capab*", "risk OR safety OR capability", '"risk report"', "mod* OR eval*", "report NOT risk"]
    for i in range(60):
        w = rng.sample(words, 3)
        out.append([f"{w[0]} {w[1]}", f"{w[0]} OR {w[1]} OR {w[2]}", f"{w[0][:3]}*", f"{w[0]}~"][i % 4])
    return [qp.parse(q, corpus_index.schema) for q in out]


def _whoosh_collected(ts, q):
    collector = ts.collector(limit=None, optimize=False)
    ts.search_with_collector(q, collector)
    return list(collector.results().top_n)


def test_scored_walk_equals_whoosh_collector(corpus_index, queries):
    with corpus_index.searcher() as ms, corpus_index.texts_searcher() as ts:
        ts.doc_count_all = ms.doc_count_all
        lengths = distinct.field_lengths(corpus_index, ts)
        assert lengths is not None
        for q in queries:
            ts.weighting = distinct.MainStats(ms)  # lengths read through the reader, per match
            expected = _whoosh_collected(ts, q)
            ts.weighting = distinct.MainStats(ms, lengths)
            assert distinct.scored(ts, q) == expected, q


def test_array_union_patch_gives_whoosh_scores(corpus_index, queries, monkeypatch):
    # An OR of three or more parts in a small index is where Whoosh uses ArrayUnionMatcher.
    ors = [q for q in queries if isinstance(q, wq.Or) and len(q.subqueries) >= 3] + [
        wq.Or([wq.Term("text", t) for t in ("risk", "model", "safeti", "capabl")])
    ]
    with corpus_index.searcher() as s:
        assert s.doc_count_all() < 5000
        patched = [list(s.search(q, limit=None).items()) for q in ors]
        monkeypatch.setattr(combo.ArrayUnionMatcher, "__init__", whoosh_patch.ORIGINAL[0])
        monkeypatch.setattr(combo.ArrayUnionMatcher, "_read_part", whoosh_patch.ORIGINAL[1])
        assert combo.ArrayUnionMatcher._read_part is not whoosh_patch._read_part
        plain = [list(s.search(q, limit=None).items()) for q in ors]
    assert patched == plain
    assert any(patched)


def _naive_spans(corpus_index, text, terms):
    found = [(t, s, e) for t, s, e in corpus_index.analyzer.terms(text) if t in terms]
    if not found:
        return []
    best, best_n, n = 0, 0, len(found)
    for i in range(n):
        start, seen, j = found[i][1], set(), i
        while j < n and found[j][1] - start <= searching.CLUSTER_CHARS:
            seen.add(found[j][0])
            j += 1
        if len(seen) > best_n:
            best, best_n = i, len(seen)
    return [(s, e) for _, s, e in found[best:] + found[:best]]


def test_match_spans_equal_a_scan_of_every_term(corpus_index):
    texts = sorted({d.text for d in corpus_index.all_docs()})
    vocab = sorted({t for text in texts for t, _, _ in corpus_index.analyzer.terms(text)})
    rng = random.Random(5)
    for text in texts:
        for k in (1, 2, 3, 40):
            own = corpus_index.analyzer.terms(text)
            terms = set(rng.sample(vocab, k)) | ({rng.choice(own)[0]} if own else set())
            assert searching.match_spans(corpus_index, text, terms) == _naive_spans(corpus_index, text, terms)


def test_parse_cache_is_per_schema_and_bounded(corpus_index, monkeypatch):
    q = qp.parse("risk report", corpus_index.schema)
    assert qp.parse("risk report", corpus_index.schema) is q
    assert qp._parse("risk report", corpus_index.schema, max_length=1000) == q
    other = make_schema({})
    assert qp.parse("risk report", other) is not q
    monkeypatch.setattr(qp, "PARSE_CACHE", 3)
    for w in ("alpha", "beta", "gamma", "delta"):
        qp.parse(w, corpus_index.schema)
    assert len(qp._parsed) <= 3
