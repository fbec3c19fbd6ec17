"""The distinct-texts engine (archive.search.distinct) and the parser's fast path give exactly what
the per-version index and Whoosh's parser give, over the real corpus."""

from __future__ import annotations

import random
import re

import pytest
from whoosh import query as wq

from archive.errors import QuerySyntaxError
from archive.search import distinct
from archive.search import query as qp
from archive.search.index import open_index
from archive.search.searching import _ranked, run_search, version_filter


@pytest.fixture(scope="module")
def words(corpus_index):
    texts = [d.text for d in corpus_index.all_docs()]
    found = sorted({w for t in texts for w in re.findall(r"[A-Za-z]{3,}", t)})
    assert len(found) > 500
    return found


def _queries(words: list[str], n: int) -> list[str]:
    rng = random.Random(4)
    out = []
    for i in range(n):
        w = rng.sample(words, 3)
        out.append(
            [
                f"{w[0]} {w[1]}",
                f"{w[0]} OR {w[1]} OR {w[2]}",
                f'"{w[0]} {w[1]}"',
                f"{w[0][:3]}*",
                f"{w[0]}~",
                f"({w[0]} OR {w[1]}) AND {w[2]}",
                f"{w[0]} NOT {w[1]}",
                f"title:{w[0]} OR {w[1]}",
            ][i % 8]
        )
    # common words: many matches, so paging, ties and counting all matter
    out += ["risk", "the model", "risk OR safety OR capability", "capab*", '"risk report"', "report NOT risk"]
    return out


def test_texts_engine_matches_the_per_version_index(corpus_index, words):
    assert corpus_index.texts is not None
    versions = sorted({(d.policy, d.version) for d in corpus_index.all_docs()})
    filters = [
        None,
        version_filter(versions[:1]),
        version_filter(versions[2:5]),
        wq.Term("policy", "anthropic-rsp"),
        wq.TermRange("effective", "2025-01-01", None),
    ]
    checked = 0
    with corpus_index.searcher() as s:
        for text in _queries(words, 120):
            q = qp.parse(text, corpus_index.schema)
            if not distinct.eligible(q):
                continue
            for f in filters:
                for sort in ("relevance", "date"):
                    for limit in (7, None):
                        fast = _ranked(corpus_index, s, q, f, sort, limit)
                        slow = _ranked(corpus_index, s, q, f, sort, limit, use_texts=False)
                        if sort == "date":  # the per-version path carries Whoosh's sort keys
                            slow = (slow[0], [(None, d) for _, d in slow[1]])
                        assert fast == slow, (text, f, sort, limit)
                        checked += 1
    assert checked > 1000


def test_totals_count_every_match_and_filters_do_not_score(corpus_index):
    with corpus_index.searcher() as s:
        for text in ("risk OR safety OR capability", "the OR model", "capab*"):
            q = qp.parse(text, corpus_index.schema)
            everything = set(s.docs_for_query(q))
            for use_texts in (True, False):
                total, top = _ranked(corpus_index, s, q, None, "relevance", 5, use_texts=use_texts)
                assert total == len(everything) > 5
                full = _ranked(corpus_index, s, q, None, "relevance", None)[1]
                assert [d for _, d in top] == [d for _, d in full[:5]]
            policy = wq.Term("policy", "anthropic-rsp")
            scores = dict((d, sc) for sc, d in _ranked(corpus_index, s, q, None, "relevance", None)[1])
            for use_texts in (True, False):
                _, top = _ranked(corpus_index, s, q, policy, "relevance", None, use_texts=use_texts)
                assert all(sc == scores[d] for sc, d in top)  # the filter adds nothing to the score


def test_fast_parse_equals_whoosh_parser(corpus_index, words):
    rng = random.Random(5)
    edge = ['"Risk Report"', "ASL3 safeguards", "risks5beyond", "ﬁnance OR Risk*", "a b a", '"a b" OR c*', "X TO Y"]
    queries = edge + [
        " ".join(
            rng.choice([w, w + "*", f'"{w} {rng.choice(words)}"', "OR"])
            for w in rng.sample(words, rng.randrange(1, 5))
        )
        for _ in range(1500)
    ]
    fast = 0
    for text in queries:
        built = qp._simple(text, corpus_index.schema)
        if built is None:
            continue
        fast += 1
        parsed = qp._parser(corpus_index.schema).parse(text)
        assert repr(built.normalize()) == repr(parsed.normalize()), text
        assert built.normalize() == parsed.normalize(), text
    assert fast > 500


def test_phrase_then_or_is_accepted(corpus_index):
    q = qp.parse('"risk report" OR safeguard*', corpus_index.schema)
    assert isinstance(q, wq.Or)
    with pytest.raises(QuerySyntaxError):
        qp.parse('"risk report" OR', corpus_index.schema)


def test_missing_texts_index_means_rebuild(corpus_index, tmp_path):
    import shutil

    copy = tmp_path / "index"
    shutil.copytree(corpus_index.path, copy)
    assert open_index(copy, corpus_index.fingerprint) is not None
    for f in copy.glob("texts_*.seg"):
        f.write_bytes(b"garbage")
    assert open_index(copy, corpus_index.fingerprint) is None
    for f in copy.glob("_texts_*"):
        f.unlink()
    assert open_index(copy, corpus_index.fingerprint) is None


def test_collapsed_and_paged_results_unchanged(corpus_index):
    q = qp.parse("risk report", corpus_index.schema)
    a = run_search(corpus_index, q, collapse=True, per_page=5)
    assert a["total"] >= 1 and all(h["versions"] for h in a["hits"])
    paged = [run_search(corpus_index, q, page=p, per_page=4)["hits"] for p in (1, 2, 3)]
    whole = run_search(corpus_index, q, per_page=12)["hits"]
    assert [h["id"] for page in paged for h in page] == [h["id"] for h in whole]
