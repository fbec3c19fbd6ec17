"""HTTP edges a tester found against a served archive: validators, conditional requests, negotiation,
links, method and body errors, redirects, dates, the feed's links and CORS refusals."""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET

import anyio
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.body_limit import MAX_BODY_BYTES
from api.negotiation import preferred
from tests.conftest import RSP_PDFS

RSP = "/policies/anthropic-rsp"
V = f"{RSP}/versions/3.1"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def client(corpus_settings):
    with TestClient(create_app(corpus_settings), raise_server_exceptions=False) as c:
        yield c


def problem_of(r, status: int) -> dict:
    assert r.status_code == status, (r.request.url, r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status and body["detail"] and "\n" not in body["detail"]
    return body


# 1. ETags cover everything in the body -----------------------------------------------------------


def ingest_rsp(engine, settings, label: str, pdf: str, effective: str) -> None:
    """Ingest one corpus PDF of the RSP into a test's own archive."""
    from ingest import service

    req = service.single_file_request(
        RSP_PDFS / pdf, slug="anthropic-rsp", label=label, effective=effective, title=None,
        policy_title="Responsible Scaling Policy",
    )  # fmt: skip
    [outcome] = service.ingest(engine, [req], settings=settings)
    assert not outcome.failed, outcome


def test_version_etag_changes_when_a_newer_version_arrives(fresh_env, fresh_engine):
    ingest_rsp(fresh_engine, fresh_env, "3.3", "rsp-v3.3_2026-05-26.pdf", "2026-05-26")
    with TestClient(create_app(fresh_env)) as c:
        before = c.get(f"{RSP}/versions/3.3")
        assert before.status_code == 200 and before.json()["next"] is None
        ingest_rsp(fresh_engine, fresh_env, "3.4", "rsp-v3.4_2026-07-08.pdf", "2026-07-08")
        after = c.get(f"{RSP}/versions/3.3", headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200, "a cache holding next: null must not be told it is current"
        assert after.json()["next"] == "3.4"
        assert after.headers["etag"] != before.headers["etag"]
        assert c.get(f"{RSP}/versions/3.3", headers={"If-None-Match": after.headers["etag"]}).status_code == 304


def test_feed_last_modified_moves_when_an_older_version_is_back_filled(fresh_env, fresh_engine):
    """A reader that revalidates with If-Modified-Since alone must see a version archived after its
    last visit even when that version's effective date is older than the newest one's."""
    ingest_rsp(fresh_engine, fresh_env, "3.4", "rsp-v3.4_2026-07-08.pdf", "2026-07-08")
    with TestClient(create_app(fresh_env)) as c:
        first = c.get(f"{RSP}/feed.atom")
        seen = first.headers["last-modified"]
        assert c.get(f"{RSP}/feed.atom", headers={"If-Modified-Since": seen}).status_code == 304
        time.sleep(1.05)  # HTTP dates count whole seconds
        ingest_rsp(fresh_engine, fresh_env, "3.3", "rsp-v3.3_2026-05-26.pdf", "2026-05-26")
        again = c.get(f"{RSP}/feed.atom", headers={"If-Modified-Since": seen})
        assert again.status_code == 200, "the back-filled 3.3 is news to this reader"
        assert len(ET.fromstring(again.content).findall(f"{ATOM}entry")) == 2
        assert again.headers["last-modified"] != seen


def _entries(feed_bytes: bytes) -> dict[str, tuple[str, str]]:
    """Entry id's version -> (published, updated), and the feed's own updated under ''."""
    feed = ET.fromstring(feed_bytes)
    out = {"": ("", feed.find(f"{ATOM}updated").text)}
    for e in feed.findall(f"{ATOM}entry"):
        out[e.find(f"{ATOM}id").text.rsplit("/", 1)[1]] = (e.find(f"{ATOM}published").text,
                                                              e.find(f"{ATOM}updated").text)
    return out


def test_feed_entries_updated_by_a_back_fill_not_by_a_re_extraction(fresh_env, fresh_engine, monkeypatch):
    """RFC 4287: `updated` is when an entry last changed. A back-filled 3.3 rewrites 3.4's summary
    ("Since 3.3: ..."), so 3.4's entry and the feed are updated; reading 3.4 again with a newer
    extractor changes nothing a reader sees, so nothing is updated."""
    from ingest import service

    ingest_rsp(fresh_engine, fresh_env, "3.4", "rsp-v3.4_2026-07-08.pdf", "2026-07-08")
    with TestClient(create_app(fresh_env)) as c:
        before = _entries(c.get(f"{RSP}/feed.atom").content)
        time.sleep(1.05)  # moments count whole seconds
        ingest_rsp(fresh_engine, fresh_env, "3.3", "rsp-v3.3_2026-05-26.pdf", "2026-05-26")
        after = _entries(c.get(f"{RSP}/feed.atom").content)
        assert after["3.3"][0].startswith("2026-05-26") and after["3.3"][1] > before["3.4"][1]
        assert after["3.4"][0] == before["3.4"][0] and after["3.4"][1] > before["3.4"][1]
        assert after[""][1] == max(after["3.3"][1], after["3.4"][1]) > before[""][1]
        time.sleep(1.05)
        monkeypatch.setattr(service, "EXTRACTOR_VERSION", service.EXTRACTOR_VERSION + "+test")
        ingest_rsp(fresh_engine, fresh_env, "3.4", "rsp-v3.4_2026-07-08.pdf", "2026-07-08")
        assert _entries(c.get(f"{RSP}/feed.atom").content) == after


# 2. If-None-Match: * only matches what exists ----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{V}/clauses/9.9",
        f"{V}/text?page=99",
        f"{RSP}/compare/3.0..3.1?clause=99",
        f"{RSP}/versions/9.9",
        f"{RSP}/versions/9.9/clauses",
        f"{RSP}/versions/9.9/source",
        "/policies/nope/feed.atom",
    ],
)
def test_if_none_match_star_on_a_missing_resource_is_404(client, path):
    problem_of(client.get(path, headers={"If-None-Match": "*"}), 404)


def test_if_none_match_star_on_an_existing_resource_is_304(client):
    for path in (V, f"{V}/clauses", f"{V}/clauses/3.6", f"{V}/text?page=2", f"{RSP}/compare/3.0..3.1?clause=3.6"):
        assert client.get(path, headers={"If-None-Match": "*"}).status_code == 304, path


# 3. Accept with q-values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "kind"),
    [
        ("application/json, text/plain;q=0.1", "application/json"),
        ("text/plain;q=0.2, application/json;q=0.9", "application/json"),
        ("application/*", "application/json"),
        ("text/plain;q=0, */*", "application/json"),
        ("text/*;q=0.5, application/json;q=0.4", "text/plain"),
        ("application/json;q=0, */*;q=0.1", "text/plain"),
        ("application/json, text/plain", "text/plain"),  # a tie: plain text, as without a header
        ("*/*", "text/plain"),
        (None, "text/plain"),
    ],
)
def test_text_negotiation_honours_q_values(client, accept, kind):
    r = client.get(f"{V}/text", params={"page": 1}, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == kind
    assert "accept" in r.headers["vary"].lower()


def test_preferred_follows_rfc_9110():
    offers = ("text/plain", "application/json")
    assert preferred("application/json;q=0.5, text/*;q=0.4, text/plain;q=0.6", offers) == "text/plain"
    assert preferred("text/*;q=0.4, application/json;q=0.5", offers) == "application/json"
    assert preferred("image/png", offers) is None
    assert preferred("text/plain;q=0, application/json;q=0", offers) is None
    assert preferred("application/json;q=bogus, text/plain;q=0.1", offers) == "text/plain"  # malformed: skipped
    assert preferred("nonsense", offers) == "text/plain"
    assert preferred("APPLICATION/JSON", offers) == "application/json"


# 4. Links are percent-encoded ---------------------------------------------------------------------


def test_clause_links_are_percent_encoded_and_followable(client):
    links = client.get(f"{RSP}/versions/3.4/clauses/Appendix%20A").json()["links"]
    assert links["self"] == f"{RSP}/versions/3.4/clauses/Appendix%20A"
    assert links["history"] == f"{RSP}/clauses/Appendix%20A/history?version=3.4"
    title = client.get(f"{RSP}/versions/3.4/clauses").json()["clauses"][-1]["children"][0]["title"]
    assert "(" in title and " " in title  # a changelog entry: "September 19, 2023 (RSP v1.0)"
    r = client.get(f"{RSP}/versions/3.4/clauses/{title}")
    assert r.status_code == 200
    for link in r.json()["links"].values():
        assert not re.search(r"[ (),]", link), link
        assert client.get(link).status_code == 200, link


# 5. A search page past the last one ---------------------------------------------------------------


def test_search_page_past_the_last_says_so(client):
    api = client.get("/search", params={"q": "risk", "page": 999}).json()
    assert api["hits"] == [] and api["pages"] > 1  # the API answers such a page with no hits
    r = client.get("/p/search", params={"q": "risk", "page": 999})
    assert r.status_code == 200
    assert "past the last page" in r.text and f'page={api["pages"]}">' in r.text
    assert "Nothing matched" not in r.text and "Page 999 of" not in r.text
    last = client.get("/p/search", params={"q": "risk", "page": api["pages"]})
    assert last.status_code == 200 and "past the last page" not in last.text and 'class="hit"' in last.text


# 6. 405 names the methods allowed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow", "read_only"),
    [
        ("GET", "/citations/check", "POST", False),
        ("DELETE", V, "GET, HEAD", True),
        ("POST", "/policies", "GET, HEAD", True),
        ("PUT", "/resolve", "GET, HEAD, POST", True),
    ],
)
def test_405_names_the_allowed_methods(client, method, path, allow, read_only):
    r = client.request(method, path)
    body = problem_of(r, 405)
    assert r.headers["allow"] == allow
    assert f"allowed: {allow}" in body["detail"]
    assert ("read-only" in body["detail"]) == read_only


# 7. One status and one detail style per parameter, whatever the size ------------------------------


def test_same_parameter_same_status_at_any_size(client):
    for n in (101, 10_001, 10**20):
        body = problem_of(client.get("/policies", params={"per_page": n}), 400)
        assert body["detail"] == "per_page must be at most 100"
    for value in ("x" * 1001, "x" * 10_001):
        for path in ("/search", "/resolve", "/phrases/history"):
            body = problem_of(client.get(path, params={"q": value}), 400)
            assert body["detail"] == "q is longer than 1000 characters"
        body = problem_of(client.post("/resolve", json={"exact": value}), 400)
        assert body["detail"] == "exact is longer than 1000 characters"
        body = problem_of(client.post("/citations/check", json={"citations": [{"quote": value}]}), 400)
        assert body["detail"] == "citations.0.quote is longer than 1000 characters"
    for empty in ("", "  "):
        assert problem_of(client.get("/search", params={"q": empty}), 400)["detail"] == "q is empty"
        assert problem_of(client.post("/resolve", json={"exact": empty}), 400)["detail"] == "exact is empty"


# 8. Trailing slashes on pages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/p/anthropic-rsp/3.1/", "/p/anthropic-rsp/3.1"),
        ("/p/anthropic-rsp/clauses/3.6/history/", "/p/anthropic-rsp/clauses/3.6/history"),
        ("/p/anthropic-rsp/clauses/Appendix%20A/history/", "/p/anthropic-rsp/clauses/Appendix%20A/history"),
        ("/p/anthropic-rsp/compare/3.0..3.1/?clause=3.6", "/p/anthropic-rsp/compare/3.0..3.1?clause=3.6"),
        ("/p/search/?q=risk", "/p/search?q=risk"),
        ("/p/anthropic-rsp/", "/p/anthropic-rsp"),
        ("/p", "/"),
        ("/p/", "/"),
    ],
)
def test_trailing_slash_on_a_page_redirects_to_it(client, path, location):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == location
    assert client.get(path).status_code == 200


def test_trailing_slash_where_no_page_is_still_404(client):
    for path in ("/p/anthropic-rsp/a/b/c/", "/p/anthropic-rsp/3.1%2F"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), path


# 9. Dates are YYYY-MM-DD, and only that ------------------------------------------------------------


@pytest.mark.parametrize("day", ["1775088000", "2026-04-02T00:00", "20260402", "2026-4-2", "2026-W14-4", "2026-02-30"])
def test_as_of_takes_only_yyyy_mm_dd(client, day):
    body = problem_of(client.get(f"{RSP}/as-of/{day}", follow_redirects=False), 422)
    assert body["detail"].startswith(f"date: '{day}' is not a date (YYYY-MM-DD)")


def test_a_day_in_place_of_a_version_label_redirects_to_the_version_then_in_force(client):
    """Every version resource takes a day for its label, as /as-of/ and the pages do: a 302 to the same
    resource (sub-path and query kept) at the label of the version in force that day."""
    for rest in ("", "/text?page=2", "/clauses", "/clauses/3.6", "/source"):
        r = client.get(f"{RSP}/versions/2026-04-02{rest}", follow_redirects=False)
        assert r.status_code == 302 and r.headers["location"] == f"{V}{rest}", (rest, r.headers)
    assert client.get(f"{RSP}/versions/2026-04-02/clauses/3.6").json()["version"] == "3.1"
    assert client.get(f"{RSP}/versions/2026-04-02/text?page=2").text == client.get(f"{V}/text?page=2").text
    problem_of(client.get(f"{RSP}/versions/2001-01-01"), 404)  # before the first version
    body = problem_of(client.get(f"{RSP}/versions/2026-02-30"), 400)  # no such day: a mistake, not a miss
    assert body["detail"] == "version '2026-02-30' is not a date (YYYY-MM-DD): no such day, February 2026 has 28 days"
    assert problem_of(client.get(f"{RSP}/compare/2025-01-01..2026-02-30"), 400)["detail"] == body["detail"]


def test_every_date_parameter_takes_only_yyyy_mm_dd(client):
    assert client.get(f"{RSP}/as-of/2026-04-02", follow_redirects=False).headers["location"] == V
    for name in ("as_of", "effective_from", "effective_to"):
        body = problem_of(client.get("/search", params={"q": "risk", name: "1775088000"}), 422)
        assert body["detail"] == f"{name}: '1775088000' is not a date (YYYY-MM-DD)"
    assert client.get("/search", params={"q": "risk", "as_of": "2026-04-02"}).status_code == 200
    problem_of(client.get("/resolve", params={"q": "risk", "as_of": "2026-04-02T00:00"}), 422)
    body = problem_of(client.post("/resolve", json={"exact": "risk", "as_of": 1775088000}), 422)
    assert "YYYY-MM-DD" in body["detail"]
    # Compare refs: a label, or a date written YYYY-MM-DD (not Python's other ISO forms).
    assert "YYYY-MM-DD" in problem_of(client.get(f"{RSP}/compare/20260402..3.4"), 404)["detail"]
    assert client.get(f"{RSP}/compare/2026-04-02..3.4").json()["from"]["label"] == "3.1"
    for url in ("/p/search?q=risk&as_of=20260402", "/p/cite?quote=risk&as_of=2026-04-02T00:00"):
        page = client.get(url)
        assert page.status_code == 400 and "not a date (YYYY-MM-DD)" in page.text, url
    assert client.get("/p/anthropic-rsp/compare/20260402..3.4").status_code == 404
    assert client.get("/p/anthropic-rsp/compare/2026-04-02..3.4").status_code == 200


# 10. Request bodies ------------------------------------------------------------------------------------


def test_body_without_json_content_type_is_415(client):
    for headers in ({}, {"content-type": "text/plain"}):
        r = client.post("/citations/check", content=b'{"citations": [{"quote": "risk"}]}', headers=headers)
        body = problem_of(r, 415)
        assert body["detail"].startswith("send Content-Type: application/json")
        assert r.headers["accept-post"] == "application/json"


def test_invalid_json_says_so(client):
    r = client.post("/citations/check", content=b"{bad", headers={"content-type": "application/json"})
    assert problem_of(r, 400)["detail"].startswith("request body is not valid JSON: ")
    r = client.post("/resolve", content=b"", headers={"content-type": "application/json"})
    assert problem_of(r, 400)["detail"].startswith("request body is missing")


def test_a_body_over_the_limit_is_413_before_it_is_read(client):
    big = b'{"citations": [{"quote": "' + b"a" * (MAX_BODY_BYTES + 1) + b'"}]}'
    r = client.post("/citations/check", content=big, headers={"content-type": "application/json"})
    body = problem_of(r, 413)
    assert body["detail"] == f"request body is larger than the limit of {MAX_BODY_BYTES} bytes"
    small = {"citations": [{"quote": "external review", "policy": "anthropic-rsp", "version": "3.1"}]}
    assert client.post("/citations/check", json=small).status_code == 200


def test_a_chunked_body_is_cut_off_at_the_limit(corpus_settings):
    """Without Content-Length the body is counted as it arrives: reading stops just past the limit."""
    app = create_app(corpus_settings)
    chunk = b"a" * (1024 * 1024)
    pulled = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": pulled < 50}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/citations/check", "raw_path": b"/citations/check", "root_path": "", "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                    (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 1), "server": ("testserver", 80), "state": {},
    }  # fmt: skip
    anyio.run(app, scope, receive, send)
    app.state.engine.dispose()
    assert sent[0]["status"] == 413
    assert dict(sent[0]["headers"])[b"content-type"] == b"application/problem+json"
    assert json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["status"] == 413
    assert pulled == MAX_BODY_BYTES // len(chunk) + 1  # not the 50 chunks sent


# 11. The feed links people to pages ----------------------------------------------------------------


def test_feed_links_start_at_the_public_url_when_one_is_set(corpus_settings):
    """A feed is cached for everyone: with PUBLIC_URL set, a client's Host header changes no link."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    settings = corpus_settings.model_copy(update={"public_url": "https://archive.example.org"})
    with TestClient(create_app(settings)) as c:
        feed = c.get(f"{RSP}/feed.atom", headers={"Host": "evil.example"}).text
        assert "evil.example" not in feed and "https://archive.example.org/p/anthropic-rsp/3.4" in feed
    with TestClient(create_app(corpus_settings)) as c:  # unset: the request's own, and its tag differs
        tags = {c.get(f"{RSP}/feed.atom", headers={"Host": h}).headers["etag"] for h in ("a.example", "b.example")}
        assert len(tags) == 2


def test_feed_entries_link_to_the_html_page(client):
    feed = ET.fromstring(client.get(f"{RSP}/feed.atom").content)
    newest = feed.findall(f"{ATOM}entry")[0]
    links = {(a.get("rel"), a.get("type")): a.get("href") for a in newest.findall(f"{ATOM}link")}
    assert links[("alternate", "text/html")] == "http://testserver/p/anthropic-rsp/3.4"
    assert links[("alternate", "application/json")] == f"http://testserver{RSP}/versions/3.4"
    first_alternate = next(a for a in newest.findall(f"{ATOM}link") if a.get("rel") == "alternate")
    assert first_alternate.get("type") == "text/html"  # readers that take the first alternate open the page
    assert client.get(links[("alternate", "text/html")]).status_code == 200
    feed_links = {(a.get("rel"), a.get("type")) for a in feed.findall(f"{ATOM}link")}
    assert ("alternate", "text/html") in feed_links


# 12. A refused CORS preflight is a problem too --------------------------------------------------------


def test_refused_cors_preflight_is_problem_json(corpus_settings):
    settings = corpus_settings.model_copy(update={"cors_origins": ["https://wiki.example"]})
    with TestClient(create_app(settings)) as c:
        ok = {"Origin": "https://wiki.example", "Access-Control-Request-Method": "POST"}
        assert c.options("/resolve", headers=ok).status_code == 200
        for headers, says in (
            ({**ok, "Access-Control-Request-Method": "PUT"}, "method 'PUT' is not allowed"),
            ({**ok, "Origin": "https://evil.example"}, "origin 'https://evil.example' is not allowed"),
            ({**ok, "Access-Control-Request-Headers": "x-secret"}, "header 'x-secret' is not allowed"),
        ):
            r = c.options("/resolve", headers=headers)
            body = problem_of(r, 400)
            assert body["instance"] == "/resolve" and says in body["detail"]
            assert "POST" in r.headers["access-control-allow-methods"]
