"""Contract tests of compare, clause history and the Atom feed."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.db import storage
from archive.db.engine import read_session

RSP = "/policies/anthropic-rsp"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def client(corpus_settings):
    with TestClient(create_app(corpus_settings)) as c:
        yield c


def test_compare_json(client):
    r = client.get(f"{RSP}/compare/3.0..3.1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"policy", "from", "to", "summary", "changes"} <= set(body)
    assert body["changes"]
    assert r.headers["cache-control"] == "public, no-cache"
    again = client.get(f"{RSP}/compare/3.0..3.1", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


def test_compare_by_dates_is_the_same_redline(client):
    by_label = client.get(f"{RSP}/compare/3.0..3.1")
    by_date = client.get(f"{RSP}/compare/2026-03-01..2026-04-10")
    assert by_date.status_code == 200
    assert by_date.headers["etag"] == by_label.headers["etag"]
    # A day names whatever is in force, which the next version ingested changes (2030-01-01 is 3.4
    # today), and a version archived in between changes a span's audit: caches ask again, a 304 says so.
    later = client.get(f"{RSP}/compare/3.0..2030-01-01")
    assert later.json()["to"]["label"] == "3.4"
    held = client.get(f"{RSP}/compare/3.0..2030-01-01", headers={"If-None-Match": later.headers["etag"]})
    assert held.status_code == 304
    for r in (by_label, by_date, later, held):
        assert r.headers["cache-control"] == "public, no-cache", r.request.url


def test_compare_html_text_and_clause(client):
    html = client.get(f"{RSP}/compare/3.0..3.1", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html") and "<" in html.text
    text = client.get(f"{RSP}/compare/3.0..3.1", params={"format": "text"})
    assert text.headers["content-type"].startswith("text/plain") and text.text
    one = client.get(f"{RSP}/compare/3.0..3.1", params={"clause": "3.6"})
    assert one.status_code == 200, one.text
    assert one.headers["etag"] != client.get(f"{RSP}/compare/3.0..3.1").headers["etag"]
    for fmt in ("json", "html", "text"):
        assert client.get(f"{RSP}/compare/3.0..3.1", params={"format": fmt}).status_code == 200
    # The standalone page names the policy by its title, and both say when they hold one clause only.
    assert "<title>Responsible Scaling Policy: 3.0 → 3.1</title>" in html.text
    assert "Limited to" not in html.text and "Limited to" not in text.text
    one_html = client.get(f"{RSP}/compare/3.0..3.1", params={"format": "html", "clause": "3.6"}).text
    assert "<title>Responsible Scaling Policy: 3.0 → 3.1, clause 3.6</title>" in one_html
    assert '<p class="meta">Limited to clause 3.6 and what it aligns with.</p>' in one_html
    # §3.6 keeps the anchor it has on the whole comparison's page (#change-6), in its audit link too.
    whole_id = re.search(r'<section id="(change-\d+)"><h2><span class="kind">modified</span> 3.6 External', html.text)
    assert whole_id and f'<section id="{whole_id.group(1)}">' in one_html
    assert f'<a href="#{whole_id.group(1)}">3.6 External Review</a>' in one_html
    one_text = client.get(f"{RSP}/compare/3.0..3.1", params={"format": "text", "clause": "3.6"}).text
    assert one_text.splitlines()[3] == "note: Limited to clause 3.6 and what it aligns with."
    assert "note: Its subsections are clauses of their own, each compared on its own: 3.6.1 Selecting" in one_text
    assert "<p class=\"meta\">Its subsections are clauses of their own" in one_html
    # Backwards, the text says why there is no audit, as the HTML does.
    back = client.get(f"{RSP}/compare/3.1..3.0", params={"format": "text", "width": "0"}).text
    assert back.splitlines()[3] == ("no changelog audit: this comparison runs backwards, from the newer version "
                                    "to the older, and a changelog tells what a revision changed")
    assert "no changelog audit" not in text.text


def test_compare_lists_unchanged_clauses_when_asked(client):
    """?all=1 (as the CLI's --all and the pages' ?all=1): every aligned clause, unchanged ones too, so a
    tool can map each clause of one version to the other."""
    changed = client.get(f"{RSP}/compare/3.0..3.1").json()
    every = client.get(f"{RSP}/compare/3.0..3.1", params={"all": "1"})
    body = every.json()
    kinds = [c["kind"] for c in body["changes"]]
    assert kinds.count("unchanged") == body["summary"]["unchanged"] > 0
    assert len(kinds) == sum(body["summary"].values())
    assert [c for c in body["changes"] if c["kind"] != "unchanged"] == changed["changes"]
    assert every.headers["etag"] != client.get(f"{RSP}/compare/3.0..3.1").headers["etag"]
    assert client.get(f"{RSP}/compare/3.0..3.1", params={"all": "maybe"}).status_code == 422


def test_compare_errors(client):
    assert client.get(f"{RSP}/compare/3.0..9.9").status_code == 404
    assert client.get(f"{RSP}/compare/3.0..3.1", params={"format": "pdf"}).status_code == 422
    assert client.get(f"{RSP}/compare/2001-01-01..3.1").status_code == 404


def test_clause_history(client):
    r = client.get(f"{RSP}/clauses/3.6/history")
    assert r.status_code == 200, r.text
    assert [v["version"] for v in r.json()["versions"]][-1] == "3.4"
    assert client.get(f"{RSP}/clauses/99.99/history").status_code == 404
    # Revalidated by its ETag, like every other redline resource; `*` asked of a missing clause is a 404.
    again = client.get(f"{RSP}/clauses/3.6/history", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == r.headers["etag"]
    # The next version ingested adds a step: revalidated every time.
    assert r.headers["cache-control"] == again.headers["cache-control"] == "public, no-cache"
    other = client.get(f"{RSP}/clauses/3.1/history", headers={"If-None-Match": r.headers["etag"]})
    assert other.status_code == 200
    assert client.get(f"{RSP}/clauses/99.99/history", headers={"If-None-Match": "*"}).status_code == 404


def test_a_clause_links_to_its_own_history_not_a_later_one_of_that_number(client):
    """2.2's §2 links its history with its version: 3.0 gave the number 2 to another section."""
    node = client.get(f"{RSP}/versions/2.2/clauses/2").json()
    link = node["links"]["history"]
    assert link == f"{RSP}/clauses/2/history?version=2.2"
    h = client.get(link).json()
    assert h["looked_up_in"] == "2.2" and h["versions"][-1]["clause"]["lineage"] == node["lineage"]
    assert client.get(f"{RSP}/clauses/2/history", params={"version": "9.9"}).status_code == 404
    assert client.get(f"{RSP}/clauses/2/history", params={"version": "a b"}).status_code == 422


def test_feed(client, corpus_engine):
    r = client.get(f"{RSP}/feed.atom")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(r.content)
    assert feed.find(f"{ATOM}id").text.startswith("tag:")
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 8
    newest = entries[0]
    assert newest.find(f"{ATOM}id").text.endswith("anthropic-rsp/versions/3.4")
    related = [link.get("href") for link in newest.findall(f"{ATOM}link") if link.get("rel") == "related"]
    assert related and related[0].endswith("/compare/3.3..3.4?format=html")
    assert "Since 3.3" in newest.find(f"{ATOM}summary").text
    assert "first archived" in entries[-1].find(f"{ATOM}summary").text
    # Each step says what the changelog audit found: 3.1 left two changed clauses unannounced.
    by_id = {e.find(f"{ATOM}id").text.rsplit("/", 1)[1]: e.find(f"{ATOM}summary").text for e in entries}
    assert by_id["3.1"].endswith("; changelog: 2 changed clauses not mentioned (3.1, 3.6)."), by_id["3.1"]
    assert by_id["3.4"].endswith("; changelog: every changed clause accounted for."), by_id["3.4"]
    assert by_id["2.2"].endswith("; changelog: 3 changed clauses not mentioned (1, 3.3, 4.3)."), by_id["2.2"]
    # Last-Modified: when the archive last took in or re-extracted a version, not an effective date.
    with read_session(corpus_engine) as s:
        newest = max(v.extracted_at for v in storage.list_versions(s, "anthropic-rsp"))
    assert parsedate_to_datetime(r.headers["last-modified"]) == newest.astimezone(dt.UTC).replace(microsecond=0)
    assert client.get(f"{RSP}/feed.atom", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    since = client.get(f"{RSP}/feed.atom", headers={"If-Modified-Since": r.headers["last-modified"]})
    assert since.status_code == 304
    older = client.get(f"{RSP}/feed.atom", headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})
    assert older.status_code == 200


def test_a_new_rendering_of_the_same_redline_gets_a_new_etag(client, monkeypatch):
    """The HTML and text of a redline change when their rendering does (folding, in RENDER_VERSION 2):
    a cache holding the older page must not be told it is current. The JSON's tag stays."""
    from archive.services import redlines

    before = {fmt: client.get(f"{RSP}/compare/3.0..3.1", params={"format": fmt}).headers["etag"]
              for fmt in ("json", "html", "text")}
    monkeypatch.setattr(redlines, "RENDER_VERSION", redlines.RENDER_VERSION + 1)
    for fmt in ("html", "text"):
        r = client.get(f"{RSP}/compare/3.0..3.1", params={"format": fmt}, headers={"If-None-Match": before[fmt]})
        assert r.status_code == 200 and r.headers["etag"] != before[fmt]
    assert client.get(f"{RSP}/compare/3.0..3.1").headers["etag"] == before["json"]


def test_text_redline_wraps_at_the_width_asked(client):
    url = f"{RSP}/compare/2.2..3.0"
    default = client.get(url, params={"format": "text"})
    flat = client.get(url, params={"format": "text", "width": 0})
    narrow = client.get(url, params={"format": "text", "width": 60})
    assert max(map(len, flat.text.splitlines())) > 1000
    ops = [ln for ln in narrow.text.splitlines() if ln[:2] in ("- ", "+ ", "  ")]  # not the headers
    assert len(ops) > 100 and max(len(ln) for ln in ops if len(ln.split()) > 2) <= 60
    assert len({default.headers["etag"], flat.headers["etag"], narrow.headers["etag"]}) == 3

    def words(text: str) -> list[str]:  # less the line prefixes a wrap repeats
        return [w for w in text.split() if w not in {"-", "+", "~"}]

    assert words(flat.text) == words(narrow.text) == words(default.text)
    assert client.get(url, params={"format": "text", "width": -1}).status_code == 422


def test_feed_names_at_most_five_unmentioned_clauses():
    from api.feed import _audit_phrase

    audit = {"unmentioned": [{"clause": f"{k}"} for k in range(1, 9)]}
    assert _audit_phrase(audit) == "; changelog: 8 changed clauses not mentioned (1, 2, 3, 4, 5 and 3 more)"
    assert _audit_phrase({"unmentioned": [{"clause": "3.6"}]}) == "; changelog: 1 changed clause not mentioned (3.6)"
    assert _audit_phrase(None) == ""


def test_unannounced(client):
    r = client.get(f"{RSP}/unannounced")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["policy"] == "anthropic-rsp" and body["counts"]["revisions"] == 7
    r31 = next(x for x in body["revisions"] if x["to"]["label"] == "3.1")
    assert [u["clause"] for u in r31["unmentioned"]] == ["3.1", "3.6"]
    again = client.get(f"{RSP}/unannounced", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    assert r.headers["cache-control"] == again.headers["cache-control"] == "public, no-cache"
    missing = client.get("/policies/no-such-policy/unannounced")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
