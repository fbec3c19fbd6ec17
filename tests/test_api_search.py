"""Contract tests of search, quote resolution, phrase history and the bulk citation check."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app

QUOTE = "crosses the threshold for automated AI R&D"


@pytest.fixture(scope="module")
def client(corpus_settings):
    with TestClient(create_app(corpus_settings)) as c:
        yield c


def test_search(client):
    r = client.get("/search", params={"q": "external review", "policy": "anthropic-rsp", "per_page": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body, dict) and body
    again = client.get("/search", params={"q": "external review", "as_of": "2026-04-10", "collapse": "true"})
    assert again.status_code == 200, again.text
    dated = client.get(
        "/search", params={"q": "risk", "effective_from": "2026-01-01", "effective_to": "2026-12-31", "sort": "date"}
    )
    assert dated.status_code == 200, dated.text


def test_search_query_syntax_error_is_a_problem(client):
    r = client.get("/search", params={"q": '"unbalanced'})
    assert r.status_code in (200, 400)
    if r.status_code == 400:
        assert r.headers["content-type"] == "application/problem+json"


def test_resolve_get_and_post_agree(client):
    got = client.get("/resolve", params={"q": QUOTE, "policy": "anthropic-rsp", "version": "3.1"})
    assert got.status_code == 200, got.text
    posted = client.post(
        "/resolve",
        json={
            "type": "TextQuoteSelector",
            "exact": QUOTE,
            "policy": "anthropic-rsp",
            "version": "3.1",
        },
        headers={"Origin": "https://wiki.example"},
    )
    assert posted.status_code == 200, posted.text
    assert posted.json() == got.json()
    assert posted.headers["access-control-allow-origin"] in ("*", "https://wiki.example")
    assert "3.1" in got.text


def test_phrase_history(client):
    r = client.get("/phrases/history", params={"q": "highly capable", "policy": "anthropic-rsp"})
    assert r.status_code == 200, r.text
    assert r.json()


def test_citations_check(client):
    r = client.post(
        "/citations/check",
        json={
            "citations": [
                {"id": "a", "quote": QUOTE, "policy": "anthropic-rsp", "version": "3.1", "section": "3.6"},
                {"id": "b", "quote": "we promise to never train any model at all", "policy": "anthropic-rsp"},
            ]
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()
