"""Every route's error paths answer in one shape: RFC 9457 application/problem+json."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.settings import Settings

RSP = "/policies/anthropic-rsp"
V = f"{RSP}/versions/3.1"
LONG = "x" * 1001  # over the default max_query_length

# (method, path, query or JSON body, expected status)
ERROR_PATHS: list[tuple[str, str, dict | None, int]] = [
    ("GET", "/policies", {"per_page": 0}, 422),
    ("GET", "/policies", {"per_page": 101}, 400),
    ("GET", "/policies", {"page": "x"}, 422),
    ("GET", "/policies/Not_A_Slug!", None, 422),
    ("GET", "/policies/nope", None, 404),
    ("GET", "/problems/no-such-problem", None, 404),
    ("GET", "/policies/nope/versions", None, 404),
    ("GET", f"{RSP}/versions", {"per_page": 1000}, 400),
    ("GET", f"{RSP}/versions/9.9", None, 404),
    ("GET", f"{RSP}/versions/-bad", None, 422),
    ("GET", "/policies/nope/versions/3.1", None, 404),
    ("GET", f"{V}/text", {"page": 0}, 422),
    ("GET", f"{V}/text", {"page": 999}, 404),
    ("GET", f"{V}/text", {"format": "xml"}, 422),
    ("GET", f"{RSP}/versions/9.9/text", None, 404),
    ("GET", f"{RSP}/versions/9.9/clauses", None, 404),
    ("GET", f"{V}/clauses/99.99", None, 404),
    ("GET", f"{RSP}/versions/9.9/clauses/1", None, 404),
    ("GET", f"{RSP}/versions/9.9/source", None, 404),
    ("GET", f"{RSP}/as-of/2001-01-01", None, 404),
    ("GET", f"{RSP}/as-of/yesterday", None, 422),
    ("GET", "/policies/nope/as-of/2026-01-01", None, 404),
    ("GET", f"{RSP}/compare/3.0..9.9", None, 404),
    ("GET", f"{RSP}/compare/3.0..3.1", {"format": "pdf"}, 422),
    ("GET", f"{RSP}/compare/3.0", None, 404),
    ("GET", "/policies/nope/compare/3.0..3.1", None, 404),
    ("GET", "/policies/nope/clauses/1/history", None, 404),
    ("GET", "/policies/nope/unannounced", None, 404),
    ("GET", f"{RSP}/versions/3.1/cite", {"format": "mla"}, 422),
    ("GET", "/policies/nope/feed.atom", None, 404),
    ("GET", "/search", None, 422),
    ("GET", "/search", {"q": LONG}, 400),
    ("GET", "/search", {"q": "risk", "per_page": 1000}, 400),
    ("GET", "/search", {"q": "risk", "sort": "sideways"}, 422),
    ("GET", "/search", {"q": "risk", "as_of": "soon"}, 422),
    ("GET", "/search", {"q": "risk", "effective_from": "2026-01-01", "effective_to": "2025-01-01"}, 400),
    ("GET", "/resolve", None, 422),
    ("GET", "/resolve", {"q": LONG}, 400),
    ("POST", "/resolve", {"type": "TextQuoteSelector"}, 422),
    ("POST", "/resolve", {"type": "RangeSelector", "exact": "risk"}, 422),
    ("POST", "/resolve", {"exact": "risk", "as_of": "not a date"}, 422),
    ("POST", "/resolve", {"exact": "external review on our Risk Reports \udfff"}, 422),  # half a UTF-16 pair
    ("POST", "/resolve", {"exact": "external review on our Risk Reports", "version": "3.1\n"}, 422),
    ("GET", "/phrases/history", None, 422),
    ("POST", "/citations/check", {}, 422),
    ("POST", "/citations/check", {"citations": []}, 422),
    ("POST", "/citations/check", {"citations": [{"quote": LONG}]}, 400),
    ("POST", "/citations/check", {"citations": [{"quote": "external review \ud800", "policy": "anthropic-rsp"}]}, 422),
    ("POST", "/policies", None, 405),
    ("DELETE", V, None, 405),
    ("GET", "/no/such/route", None, 404),
]


@pytest.fixture(scope="module")
def client(corpus_settings):
    with TestClient(create_app(corpus_settings), raise_server_exceptions=False) as c:
        yield c


def assert_problem(response, status: int, path: str) -> dict:
    assert response.status_code == status, (path, response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body), body
    assert body["status"] == status
    assert body["instance"] == path
    assert isinstance(body["detail"], str) and body["detail"] and "\n" not in body["detail"]
    assert "Traceback" not in response.text
    return body


@pytest.mark.parametrize(("method", "path", "params", "status"), ERROR_PATHS, ids=lambda v: str(v)[:40])
def test_error_shape(client, method, path, params, status):
    if method == "POST":  # JSON as clients send it: ASCII, "\udfff" escaped (httpx's json= would not encode it)
        response = client.post(path, content=json.dumps(params), headers={"content-type": "application/json"})
    else:
        response = client.request(method, path, params=params)
    assert_problem(response, status, path)


def test_every_problem_type_resolves(client):
    """An error's `type` is a URI reference (RFC 9457): /problems/{slug} says what it means, for every
    slug the API or a domain error may give."""
    from pathlib import Path

    from archive.errors import ArchiveError

    slugs = set(re.findall(r'slug="([a-z-]+)"', Path("api/problems.py").read_text()))
    pending = [ArchiveError]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        slugs.add(cls.slug)
    listed = {p["type"] for p in client.get("/problems").json()["problem_types"]}
    assert {f"/problems/{s}" for s in slugs} <= listed
    for slug in slugs:
        r = client.get(f"/problems/{slug}")
        assert r.status_code == 200 and r.json()["type"] == f"/problems/{slug}"
        assert r.json()["description"] not in ("", r.json()["title"]), slug  # says more than its name
    assert client.get("/no/such/route").json()["type"] == "/problems/not-found"
    missing = client.get("/policies/nope").json()
    assert client.get(missing["type"]).json()["title"] == missing["title"] == "Policy not found"


def test_every_route_has_an_error_case(client):
    """The table above walks every operation in the schema."""
    spec = client.get("/openapi.json").json()
    covered = {("get", "/healthz")}  # its one error, 503, is walked in test_database_unavailable_is_a_quick_503
    covered.add(("get", "/problems"))  # a fixed list: no input, no error of its own
    for method, path, _, _ in ERROR_PATHS:
        for template, ops in spec["paths"].items():
            pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
            if method.lower() in ops and re.match(pattern, path):
                covered.add((method.lower(), template))
    expected = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert expected - covered == set()


def test_validation_problem_lists_errors(client):
    body = client.get("/policies", params={"per_page": 0}).json()
    assert body["errors"][0]["loc"] == ["query", "per_page"]


def test_a_malformed_name_is_told_in_words_not_as_a_regex(client):
    assert client.get("/policies/ANTHROPIC-RSP").json()["detail"] == (
        "slug: 'ANTHROPIC-RSP' is not a policy slug (lower-case letters, digits, '.', '_' and '-', at most 100)"
    )
    detail = client.get("/policies/anthropic-rsp/versions/3..1").json()["detail"]
    assert detail == "label: '3..1' is not a version label or a date (YYYY-MM-DD)"


def test_unexpected_error_is_a_500_problem(corpus_settings):
    app = create_app(corpus_settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    body = assert_problem(r, 500, "/boom")
    assert "secret" not in r.text and body["detail"] == "internal error"


def test_database_unavailable_is_a_quick_503(tmp_path):
    # Nothing listens on port 1: the connection is refused at once.
    settings = Settings(var_dir=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", db_timeout_s=2)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        for path in ("/healthz", "/policies", f"{V}", f"{V}/source", "/search?q=risk"):
            r = c.get(path)
            body = assert_problem(r, 503, path.split("?")[0])
            assert body["type"].endswith("service-unavailable")
