"""The documented result shapes (api.results, published in /openapi.json) accept what the routes
really send, over varied requests: a client generated from the schema reads every one of them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import results
from api.app import create_app

RSP = "/policies/anthropic-rsp"

CASES = [
    (results.SearchResult, "GET", "/search", {"q": "risk report", "per_page": 50}),
    (results.SearchResult, "GET", "/search", {"q": '"highly capable"', "collapse": "true", "sort": "date"}),
    (results.SearchResult, "GET", "/search", {"q": "scaleup", "as_of": "2026-05-01"}),  # footnote hits
    (results.SearchResult, "GET", "/search", {"q": "nothingofthekind"}),
    (results.Resolution, "GET", "/resolve", {"q": "double the rate of progress"}),
    (results.Resolution, "GET", "/resolve", {"q": "we will double the rate of external reviews of models"}),
    (results.Resolution, "GET", "/resolve", {"q": "compress two years of 2018", "policy": "anthropic-rsp"}),
    (results.Resolution, "POST", "/resolve",
     {"type": "TextQuoteSelector", "exact": "Risk Report", "prefix": "a prior ", "suffix": "zzz"}),
    (results.PhraseHistory, "GET", "/phrases/history", {"q": "to avoid a race to the bottom"}),
    (results.PhraseHistory, "GET", "/phrases/history", {"q": "nothingofthekind at all"}),
    (results.ClauseHistory, "GET", f"{RSP}/clauses/3.6/history", None),
    (results.ClauseHistory, "GET", f"{RSP}/clauses/Changelog/history", {"version": "2.0"}),
    (results.ClauseHistory, "GET", f"{RSP}/clauses/Executive Summary/history", None),
    (results.Redline, "GET", f"{RSP}/compare/3.0..3.1", None),
    (results.Redline, "GET", f"{RSP}/compare/1.0..3.4", {"clause": "1"}),
    (results.Redline, "GET", f"{RSP}/compare/3.1..3.0", None),  # backwards: no audit
    (results.Redline, "GET", "/policies/anthropic-rsp-noncompliance/compare/2025-12..2026-02", None),
]


@pytest.fixture(scope="module")
def client(corpus_settings):
    with TestClient(create_app(corpus_settings)) as c:
        yield c


@pytest.mark.parametrize(("model", "method", "path", "params"), CASES, ids=lambda v: str(v)[:50])
def test_results_match_their_documented_shape(client, model, method, path, params):
    r = client.post(path, json=params) if method == "POST" else client.get(path, params=params)
    assert r.status_code == 200, r.text
    model.model_validate(r.json(), strict=True)


def test_the_schema_names_the_documented_shapes(client):
    spec = client.get("/openapi.json").json()
    ok = spec["paths"]["/search"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/SearchResult"}
    change = spec["components"]["schemas"]["Change"]["properties"]["kind"]
    assert set(change["enum"]) == {"added", "removed", "modified", "moved", "renumbered", "unchanged"}
