"""The analyzer, index, and quote matching on small hand-made clause lists (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from archive.errors import InvalidInput, QuerySyntaxError
from archive.search import quotes as qt
from archive.search.analysis import ArchiveTokenizer, learn_splits
from archive.search.index import entry_for, open_index, write_index
from archive.search.query import parse, phrase
from archive.search.searching import run_search
from archive.types import Clause, PolicyInfo, SnapshotStatus, VersionInfo

POLICY = PolicyInfo(slug="p", title="Test Policy", publisher="Acme")


def _version(label: str, day: int) -> VersionInfo:
    return VersionInfo(
        policy="p",
        label=label,
        effective=dt.date(2025, 1, day),
        page_count=2,
        clause_count=3,
        status=SnapshotStatus.NO_REFERENCE,
        sha256="0" * 64,
        reference_sha256=None,
        source_url=None,
        origin="test",
        extractor="x",
        extractor_version="1",
        engine_version="1",
        extracted_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        text_sha256="0" * 64,
    )


def _clause(number: str, title: str, text: str, page: int = 1) -> Clause:
    return Clause(
        number=number,
        title=title,
        level=1,
        parent=None,
        ordinal=0,
        text=text,
        page_start=page,
        page_end=page,
        char_start=0,
        char_end=len(text),
    )


COMMON = "the risk report contains sufficient information and reports discussing risks. " * 3
V1 = [
    _clause("1", "Scope", "We will publishRisk Reportsdiscussing the risks5beyond our “control”. " + COMMON),
    _clause("2", "Review", "Whether the Risk Report containssufficient information to assess the identiﬁed risks."),
    _clause("3", "Other", "Nothing to see here, but well-known co‑operation in 2018 – 2024."),
]
V2 = [
    _clause("1", "Scope", "We will publish Risk Reports discussing the risks beyond our control. " + COMMON),
    _clause("2.1", "Review", "Whether the Risk Report contains sufficient information to assess the identified risks."),
]


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    path = tmp_path_factory.mktemp("ix") / "index"
    entries = [entry_for(_version("1.0", 1), i, c, policy=POLICY) for i, c in enumerate(V1)]
    entries += [entry_for(_version("2.0", 2), i, c, policy=POLICY) for i, c in enumerate(V2)]
    write_index(path, entries, "fp-1")
    ix = open_index(path, "fp-1")
    assert ix is not None
    return ix


def test_tokenizer_splits_pdf_artefacts():
    tok = ArchiveTokenizer({"reportsdiscussing": ("reports", "discussing")})
    terms = [t for t, _, _ in tok.terms("publishRisk Reportsdiscussing risks5beyond “ﬁne” co-operate")]
    assert terms == ["publish", "risk", "report", "discuss", "risk", "beyond", "fine", "co", "oper"]


def test_learned_splits_need_common_parts():
    texts = [f"contains sufficient text {i}" for i in range(5)] + ["the report containssufficient data"]
    splits = learn_splits(texts)
    assert splits["containssufficient"] == ("contains", "sufficient")
    assert "sufficient" not in splits


@pytest.mark.parametrize(
    "query",
    [
        '"publish risk reports discussing"',
        '"contains sufficient information"',
        '"risks beyond our control"',
        '"identified risks"',
        "control",
        '"2018 2024"',
        '"co-operation"',
    ],
)
def test_pdf_text_found_by_normal_words(small_index, query):
    result = run_search(small_index, parse(query, small_index.schema))
    assert any(h["version"] == "1.0" for h in result["hits"]), query


def test_collapse_groups_versions(small_index):
    result = run_search(small_index, parse('"contains sufficient information"', small_index.schema), collapse=True)
    by_number = {h["clause"]["number"]: [v["version"] for v in h["versions"]] for h in result["hits"]}
    assert by_number["1"] == ["1.0", "2.0"]
    assert "<mark>" in result["hits"][0]["snippet"]


@pytest.mark.parametrize(
    "bad, error",
    [
        ("", InvalidInput),
        ("   ", InvalidInput),
        ('"open phrase', QuerySyntaxError),
        ("(risk", QuerySyntaxError),
        ("risk)", QuerySyntaxError),
        ("risk AND", QuerySyntaxError),
        ("OR risk", QuerySyntaxError),
        ("nosuchfield:x", QuerySyntaxError),
        ("~", QuerySyntaxError),
        ("x" * 2000, InvalidInput),
    ],
)
def test_bad_queries(small_index, bad, error):
    with pytest.raises(error):
        parse(bad, small_index.schema, max_length=1000)


def test_query_syntax_supported(small_index):
    for q in [
        "risk AND control",
        "risk OR nothing",
        "risk NOT nothing",
        "contain*",
        "contrl~",
        "contrls~2",
        "title:review",
        "number:2.1",
        "(risk OR x) AND report",
    ]:
        assert run_search(small_index, parse(q, small_index.schema))["total"] >= 1, q
    assert phrase("publish risk", small_index.schema)


def test_stale_and_damaged_index_detected(small_index, tmp_path):
    assert open_index(small_index.path, "another-fingerprint") is None
    path = tmp_path / "index"
    write_index(path, [entry_for(_version("1.0", 1), 0, V1[0], policy=POLICY)], "fp")
    assert open_index(path, "fp") is not None
    for f in path.glob("*.seg"):
        f.write_bytes(b"garbage")
    for f in path.glob("*.trm"):
        f.write_bytes(b"")
    assert open_index(path, "fp") is None
    assert open_index(tmp_path / "missing", "fp") is None


def test_compact_quote_matching():
    doc = entry_for(_version("1.0", 1), 0, V1[0], policy=POLICY)
    for quote in [
        'publish Risk Reports discussing the risks beyond our "control"',
        "publish risk reports discussing ... beyond our control",
        "publish risk reports discussing … our control",
        "risks5beyond our control",
    ]:
        found = qt.find_in(doc, qt.quote_segments(quote))
        assert len(found) == 1, quote
        assert doc.text[found[0].start :].startswith(("publish", "risks"))
    assert not qt.find_in(doc, qt.quote_segments("publish risk papers discussing"))
    with pytest.raises(InvalidInput):
        qt.quote_segments("a b")


def test_hyphenation_and_ligatures():
    doc = entry_for(
        _version("1.0", 1), 0, _clause("9", "T", "the identi-\nﬁed risks of co‑opera-\ntion"), policy=POLICY
    )
    assert qt.find_in(doc, qt.quote_segments("identified risks of co-operation"))


def test_closest_is_scored_not_found():
    doc = entry_for(_version("1.0", 1), 1, V1[1], policy=POLICY)
    best = qt.closest_in(doc, "Whether the Risk Report contains enough information to assess the identified risks")
    assert best is not None and 0.8 < best.score < 1.0
    d = qt.describe(best, with_score=True)
    assert d["selector"]["type"] == "TextQuoteSelector"
    assert d["citation"] == "Acme, Test Policy v1.0 (effective 2025-01-01), §2, p. 1"
    assert d["permalink"] == "/policies/p/versions/1.0/clauses/2"


def test_page_from_offsets():
    full = "Heading\nfirst page text\fsecond page text"
    clause = Clause(
        number="1",
        title="Heading",
        level=1,
        parent=None,
        ordinal=0,
        text="first page text\nsecond page text",
        page_start=1,
        page_end=2,
        char_start=0,
        char_end=len(full),
    )
    doc = entry_for(_version("1.0", 1), 0, clause, full_text=full, policy=POLICY)
    m = qt.find_in(doc, qt.quote_segments("second page text"))[0]
    assert doc.page_at(m.start) == 2
    assert qt.describe(m)["char_start"] == full.index("second")


def test_tokenised_text_cache_is_bounded_by_characters(monkeypatch):
    from archive.search import analysis

    monkeypatch.setattr(analysis, "_TERMS_CACHE", {})
    monkeypatch.setattr(analysis, "_POSITIONS", {})
    monkeypatch.setattr(analysis, "_terms_cache_chars", 0)
    monkeypatch.setattr(analysis, "_TERMS_CACHE_CHARS", 1000)
    tok = analysis.ArchiveTokenizer()
    texts = [f"clause {n} says the developer shall report risks " * 4 for n in range(40)]
    for text in texts:
        assert tok.terms(text) == tok._terms(text)
    assert 0 < analysis._terms_cache_chars <= 1000
    assert analysis._terms_cache_chars == sum(len(k[1]) for k in analysis._TERMS_CACHE)
    assert (tok.key, texts[-1]) in analysis._TERMS_CACHE and (tok.key, texts[0]) not in analysis._TERMS_CACHE
    assert set(analysis._POSITIONS) == set(analysis._TERMS_CACHE)  # evicted together
    tok.terms("x" * 2000)  # longer than the whole cache: tokenised, not kept
    assert analysis._terms_cache_chars <= 1000


def test_repeated_run_together_split_when_its_parts_are_far_more_common():
    # An unchanged sentence carried into later versions repeats its run-together ("capablemodels" in
    # 3.1, 3.3 and 3.4): more often than MAX_RARE, yet its parts are each far more common alone.
    texts = [f"capable models {i}" for i in range(40)] + [f"highly capablemodels v{i}" for i in range(6)]
    # A real compound about as common as its rarer part stays whole.
    texts += [f"throughout the outline {i}" for i in range(8)] + [f"through out line {i}" for i in range(9)]
    splits = learn_splits(texts)
    assert splits["capablemodels"] == ("capable", "models")
    assert "throughout" not in splits and "outline" not in splits
