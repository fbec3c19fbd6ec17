"""Contract tests of the read routes: policies, versions, provenance, text, clauses, source, as-of."""

from __future__ import annotations

import base64
import hashlib

import pytest
from fastapi.testclient import TestClient

from api.app import create_app

RSP = "/policies/anthropic-rsp"


@pytest.fixture(scope="module")
def client(corpus_settings):
    with TestClient(create_app(corpus_settings)) as c:
        yield c


def test_policies_list_and_detail(client):
    r = client.get("/policies")
    assert r.status_code == 200
    body = r.json()
    slugs = [p["slug"] for p in body["items"]]
    assert slugs == ["anthropic-rsp", "anthropic-rsp-noncompliance"]
    assert body["pagination"] == {"page": 1, "per_page": 20, "total": 2, "pages": 1, "first": "/policies?page=1",
                                  "prev": None, "next": None, "last": "/policies?page=1"}
    one = client.get(RSP).json()
    assert one["slug"] == "anthropic-rsp" and one["links"]["feed"] == f"{RSP}/feed.atom"


def test_pagination_is_bounded(client):
    r = client.get(f"{RSP}/versions", params={"per_page": 3, "page": 2})
    body = r.json()
    assert [v["label"] for v in body["items"]] == ["3.0", "3.1", "3.2"]
    assert body["pagination"]["total"] == 8
    assert client.get(f"{RSP}/versions", params={"per_page": 101}).status_code == 400  # over the cap
    assert client.get(f"{RSP}/versions", params={"per_page": 0}).status_code == 422
    assert client.get(f"{RSP}/versions", params={"page": 99}).json()["items"] == []


def test_pages_link_to_each_other(client):
    """A client walks a list by following `next` (body or Link header) until there is none."""
    seen, url = [], f"{RSP}/versions?per_page=3"
    while url:
        r = client.get(url)
        seen += [v["label"] for v in r.json()["items"]]
        page = r.json()["pagination"]
        assert page["pages"] == 3 and page["last"].endswith("page=3")
        assert ('rel="next"' in r.headers["link"]) == (page["next"] is not None)
        url = page["next"]
    assert seen == ["1.0", "2.0", "2.2", "3.0", "3.1", "3.2", "3.3", "3.4"]
    assert page["prev"] == f"{RSP}/versions?per_page=3&page=2"
    hits = client.get("/search", params={"q": "risk", "policy": "anthropic-rsp", "per_page": 5, "page": 2})
    body = hits.json()
    assert body["prev"] == "/search?q=risk&policy=anthropic-rsp&per_page=5&page=1"
    assert body["next"].endswith("page=3") and '; rel="last"' in hits.headers["link"]
    assert body["first"].endswith("page=1") and body["last"].endswith(f"&page={body['pages']}")
    following = client.get(body["next"]).json()
    assert following["page"] == 3 and following["hits"][0]["id"] not in {h["id"] for h in body["hits"]}


def test_versions_oldest_first(client):
    items = client.get(f"{RSP}/versions").json()["items"]
    assert [v["label"] for v in items] == ["1.0", "2.0", "2.2", "3.0", "3.1", "3.2", "3.3", "3.4"]
    assert items[0]["links"]["source"] == f"{RSP}/versions/1.0/source"


def test_version_provenance(client):
    r = client.get(f"{RSP}/versions/3.1")
    assert r.status_code == 200
    v = r.json()
    assert (v["previous"], v["next"]) == ("3.0", "3.2")
    prov = v["provenance"]
    # The corpus PDFs are reconstructions: their hash differs from the publisher's, and we say so.
    assert prov["status"] == "unverified"
    assert prov["reference_sha256"] and prov["reference_sha256"] != prov["sha256"]
    assert prov["extractor"] and prov["extractor_version"] and prov["text_sha256"]
    assert [s["sha256"] for s in prov["snapshots"] if s["current"]] == [prov["sha256"]]
    assert prov["extraction_log"][0]["snapshot_sha256"] == prov["sha256"]
    # Every moment is UTC and says so, in one spelling.
    moments = [prov["extracted_at"], *(s["retrieved_at"] for s in prov["snapshots"]),
               *(e["extracted_at"] for e in prov["extraction_log"])]
    assert all(m.endswith("Z") and "+" not in m for m in moments), moments


def test_etag_and_conditional_get(client):
    for path in (
        f"{RSP}/versions/3.1",
        f"{RSP}/versions/3.1/clauses",
        f"{RSP}/versions/3.1/clauses/1",
        f"{RSP}/versions/3.1/text",
        f"{RSP}/versions/3.1/source",
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        etag = r.headers["etag"]
        # A version's detail names its neighbours: caches ask again (a 304) rather than keep next: null.
        wanted = "no-cache" if path.endswith("/versions/3.1") else "max-age"
        assert wanted in r.headers["cache-control"], path
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        # A 304 varies as its 200 does (RFC 9110 15.4.5), or a cache could mix /text's two forms.
        assert set(again.headers["vary"].split(", ")) == set(r.headers["vary"].split(", ")), path
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(f"{RSP}/versions/3.0").headers["etag"] != client.get(f"{RSP}/versions/3.1").headers["etag"]


def test_text_plain_json_and_page(client):
    plain = client.get(f"{RSP}/versions/3.1/text")
    assert plain.headers["content-type"].startswith("text/plain")
    assert "\f" in plain.text
    as_json = client.get(f"{RSP}/versions/3.1/text", params={"format": "json"}).json()
    assert len(as_json["pages"]) == as_json["page_count"] > 1
    assert "\f".join(p["text"] for p in as_json["pages"]) == plain.text
    negotiated = client.get(f"{RSP}/versions/3.1/text", headers={"Accept": "application/json"})
    assert negotiated.json()["page_count"] == as_json["page_count"]
    page2 = client.get(f"{RSP}/versions/3.1/text", params={"page": 2})
    assert page2.text == as_json["pages"][1]["text"]
    assert client.get(f"{RSP}/versions/3.1/text", params={"page": 999}).status_code == 404


def test_json_pages_carry_what_the_extractor_set_aside(client):
    """A page's running footer and a table header repeated at its top are not body text, but the page
    as printed had them: the JSON says what they were."""
    pages = client.get(f"{RSP}/versions/3.1/text", params={"format": "json"}).json()["pages"]
    p7 = pages[6]
    assert p7["number"] == 7 and p7["footer"] == "Responsible Scaling Policy, Anthropic 7"
    assert p7["header"].startswith("Capability or usage threshold\nMitigations")
    assert not p7["text"].startswith("Capability or usage threshold")
    assert pages[5]["header"] == "" and pages[5]["text"].startswith("Capability or usage threshold")
    assert pages[0]["footer"] == ""  # the cover page prints none


def test_clause_tree_and_clause(client):
    tree = client.get(f"{RSP}/versions/3.1/clauses").json()

    def walk(nodes):
        for n in nodes:
            yield n
            yield from walk(n["children"])

    flat = list(walk(tree["clauses"]))
    assert len(flat) == tree["count"] > 10
    assert sorted(n["position"] for n in flat) == list(range(tree["count"]))
    numbered = next(n for n in flat if n["children"] and n["number"])
    r = client.get(f"{RSP}/versions/3.1/clauses/{numbered['number']}")
    assert r.status_code == 200
    clause = r.json()
    assert clause["number"] == numbered["number"] and clause["text"]
    assert [c["position"] for c in clause["children"]] == [c["position"] for c in numbered["children"]]
    assert clause["links"]["history"].endswith("/history?version=3.1")
    child = client.get(f"{RSP}/versions/3.1/clauses/{numbered['children'][0]['number']}").json()
    assert child["parent"]["number"] == numbered["number"]


def test_source_bytes_and_digest(client, corpus_settings):
    r = client.get(f"{RSP}/versions/3.1/source")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    sha = hashlib.sha256(r.content).hexdigest()
    assert r.headers["x-content-sha256"] == sha
    assert r.headers["etag"] == f'"{sha}"'
    b64 = base64.b64encode(hashlib.sha256(r.content).digest()).decode()
    assert r.headers["repr-digest"] == f"sha-256=:{b64}:"
    assert sha == client.get(f"{RSP}/versions/3.1").json()["provenance"]["sha256"]
    assert r.content.startswith(b"%PDF")
    # A corpus reconstruction: a program saving the bytes is told they are not the publisher's file.
    assert r.headers["x-provenance-status"] == "unverified"
    assert r.headers["link"].startswith("<https://") and r.headers["link"].endswith('>; rel="original"')


def test_as_of_redirects_to_version_in_force(client):
    r = client.get(f"{RSP}/as-of/2026-04-10", follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == f"{RSP}/versions/3.1"
    assert client.get(f"{RSP}/as-of/2026-04-02", follow_redirects=False).headers["location"].endswith("/3.1")
    assert client.get(f"{RSP}/as-of/2026-04-01", follow_redirects=False).headers["location"].endswith("/3.0")
    followed = client.get(f"{RSP}/as-of/2026-04-10")
    assert followed.status_code == 200 and followed.json()["label"] == "3.1"
    before = client.get(f"{RSP}/as-of/2020-01-01", follow_redirects=False)
    assert before.status_code == 404 and before.headers["content-type"] == "application/problem+json"


def test_cors(client):
    r = client.get("/policies", headers={"Origin": "https://wiki.example"})
    assert r.headers["access-control-allow-origin"] in ("*", "https://wiki.example")
    pre = client.options(
        "/resolve",
        headers={
            "Origin": "https://wiki.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert "POST" in pre.headers["access-control-allow-methods"]
    src = client.get(f"{RSP}/versions/3.1/source", headers={"Origin": "https://wiki.example"})
    assert "X-Content-SHA256" in src.headers["access-control-expose-headers"]


def test_cors_origins_from_settings(corpus_settings):
    settings = corpus_settings.model_copy(update={"cors_origins": ["https://wiki.example"]})
    with TestClient(create_app(settings)) as c:
        ok = c.get("/policies", headers={"Origin": "https://wiki.example"})
        assert ok.headers["access-control-allow-origin"] == "https://wiki.example"
        other = c.get("/policies", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_head_is_get_without_the_body(client):
    for path in ("/healthz", f"{RSP}/versions/3.1", f"{RSP}/versions/3.1/text", f"{RSP}/versions/3.1/source",
                 "/p/anthropic-rsp/3.1", f"{RSP}/feed.atom"):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"", path
        for name in ("content-type", "content-length", "etag", "cache-control"):
            assert head.headers.get(name) == get.headers.get(name), (path, name)
    etag = client.get(f"{RSP}/versions/3.1").headers["etag"]
    again = client.head(f"{RSP}/versions/3.1", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    missing = client.head(f"{RSP}/versions/9.9")
    assert missing.status_code == 404 and missing.content == b""
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.head("/citations/check").status_code == 405  # POST-only routes stay POST-only


def test_nothing_writes_over_http(client):
    for path in ("/policies", f"{RSP}/versions", f"{RSP}/versions/3.1", f"{RSP}/versions/3.1/source"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert client.request(method, path).status_code == 405, (method, path)


def test_healthz_and_docs(client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/policies/{slug}/compare/{a}..{b}" in spec["paths"]
    assert spec["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status", "detail", "instance"]


def test_healthz_answers_while_every_handler_thread_is_busy(corpus_settings):
    """Handlers run on API_THREADS threads; /healthz pings on threads of its own, so a server whose
    handlers are all busy still says it is healthy, at once."""
    import threading
    import time

    app = create_app(corpus_settings.model_copy(update={"api_threads": 1}))
    release = threading.Event()

    @app.get("/_busy")
    def busy() -> dict:
        release.wait(10)
        return {}

    with TestClient(app) as c:
        holder = threading.Thread(target=c.get, args=("/_busy",))
        holder.start()
        time.sleep(0.3)  # the one handler thread is now taken
        started = time.perf_counter()
        r = c.get("/healthz")
        waited = time.perf_counter() - started
        release.set()
        holder.join()
    assert r.json() == {"status": "ok", "database": "ok"}
    assert waited < 2, waited


def test_a_policy_names_the_versions_its_changelog_names_but_the_archive_lacks(client):
    """3.4's changelog has an entry for 2.1 (2025-03-31), which the corpus does not hold."""
    assert client.get(RSP).json()["unarchived_versions"] == ["2.1"]
    assert client.get("/policies/anthropic-rsp-noncompliance").json()["unarchived_versions"] == []
