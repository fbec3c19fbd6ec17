"""What a tester found using a served corpus archive as a researcher and as another program would:
validators that must move with the redline algorithm, compare pages naming what an added or removed
bare heading is, and the version page naming its extractor once (extractor 2 -> 3 re-extraction)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import RSP_PDFS

RSP = "/policies/anthropic-rsp"
PAGES = "/p/anthropic-rsp"


@pytest.fixture(scope="module")
def client(corpus_settings):
    with TestClient(create_app(corpus_settings), raise_server_exceptions=False) as c:
        yield c


# 1. A new redline algorithm is a new representation ------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{RSP}/compare/3.0..3.1",
        f"{RSP}/compare/3.0..3.1?format=text",
        f"{RSP}/compare/3.0..3.1?format=html&clause=3.6",
        "/policies/anthropic-rsp-noncompliance/feed.atom",  # its entries summarise each redline
    ],
)
def test_redline_etags_change_with_the_redline_algorithm(client, monkeypatch, path):
    """The bodies say what ALGORITHM_VERSION computed (redline/6 -> redline/7 changed 3.0 -> 3.1 §1):
    a cache holding the old algorithm's redline must not be told it is current."""
    from archive.diff import redline as rl

    before = client.get(path)
    assert before.status_code == 200 and before.headers["etag"]
    assert client.get(path, headers={"If-None-Match": before.headers["etag"]}).status_code == 304
    monkeypatch.setattr(rl, "ALGORITHM_VERSION", "redline/qa3-next")
    after = client.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200, "an upgraded redline was answered 304 with the old one's tag"
    assert after.headers["etag"] != before.headers["etag"]
    assert client.get(path, headers={"If-None-Match": after.headers["etag"]}).status_code == 304


def test_compare_json_names_the_algorithm_its_etag_covers(client, monkeypatch):
    from archive.diff import redline as rl

    monkeypatch.setattr(rl, "ALGORITHM_VERSION", "redline/qa3-next")
    r = client.get(f"{RSP}/compare/3.1..3.2")
    assert r.status_code == 200 and r.json()["algorithm"] == "redline/qa3-next"


# 2. An added or removed bare heading is not "Unchanged." --------------------------------------------


def _articles(body: str, kind: str) -> dict[str, str]:
    """Compare-page articles of one kind, by their heading text."""
    out = {}
    for m in re.finditer(rf'<article class="change kind-{kind}"(.*?)</article>', body, re.S):
        heading = re.search(r"<h3[^>]*>(.*?)</h3>", m.group(1), re.S).group(1)
        name = " ".join(re.sub(r"<[^>]+>", " ", heading).split()[1:])  # drop the kind badge
        out[name] = m.group(1)
    return out


@pytest.mark.parametrize(
    "pair, kind, name",
    [
        ("3.0..3.1", "added", "Appendices"),  # a new heading over the appendices, no text of its own
        ("1.0..2.0", "removed", "ASL-2 Commitments"),
        ("3.4..1.0", "added", "ASL-2 Commitments"),  # backwards, the same heading comes back
    ],
)
def test_compare_page_says_a_bare_heading_has_no_text_not_that_it_is_unchanged(client, pair, kind, name):
    r = client.get(f"{PAGES}/compare/{pair}")
    assert r.status_code == 200
    articles = _articles(r.text, kind)
    assert name in articles, sorted(articles)
    assert "Unchanged." not in articles[name], f"{kind} clause '{name}' is called unchanged"
    assert "A heading only: no text of its own." in articles[name]
    for other, html in {**_articles(r.text, "added"), **_articles(r.text, "removed")}.items():
        assert "Unchanged." not in html, other


def test_compare_page_still_says_unchanged_of_unchanged_clauses(client):
    body = client.get(f"{PAGES}/compare/3.0..3.1?all=1").text
    unchanged = _articles(body, "unchanged")
    assert unchanged and all("Unchanged." in html for html in unchanged.values())


# 3. The version page names its extractor once, and its re-extraction coherently ----------------------


def test_version_page_names_the_extractor_once_across_a_reextraction(fresh_env, fresh_engine, monkeypatch):
    """An archive made by extractor 2 (table headers repeated at page tops kept in the body) is
    re-extracted by the current one: the page and the API tell the same story, each extractor once."""
    import ingest.pdf
    import ingest.service
    from ingest import service

    def ingest_31() -> str:
        req = service.single_file_request(
            RSP_PDFS / "rsp-v3.1_2026-04-02.pdf", slug="anthropic-rsp", label="3.1", effective="2026-04-02",
            title=None, policy_title="Responsible Scaling Policy",
        )  # fmt: skip
        [outcome] = service.ingest(fresh_engine, [req], settings=fresh_env)
        assert not outcome.failed, outcome
        return outcome.status

    current = ingest.pdf.EXTRACTOR_VERSION
    name = f"{ingest.pdf.EXTRACTOR_NAME}/{current}"
    with monkeypatch.context() as old:  # extractor 2: no repeated-header rule
        old.setattr(ingest.pdf, "EXTRACTOR_VERSION", "2")
        old.setattr(ingest.service, "EXTRACTOR_VERSION", "2")
        old.setattr(ingest.pdf, "repeated_tops", lambda pages, *_: [0] * len(pages))
        assert ingest_31() == "ingested"
    with TestClient(create_app(fresh_env)) as c:
        before = {p: c.get(f"{RSP}/versions/3.1{p}") for p in ("", "/text", "/source")}
        page = c.get(f"{PAGES}/3.1").text
        assert f"{ingest.pdf.EXTRACTOR_NAME}/2 (pdfplumber" in page
        assert f"{ingest.pdf.EXTRACTOR_NAME}/2 2" not in page
        assert ingest_31() == "re-extracted"
        detail = c.get(f"{RSP}/versions/3.1")
        prov = detail.json()["provenance"]
        log = [(e["kind"], e["extractor"], e["extractor_version"]) for e in prov["extraction_log"]]
        assert log == [("initial", f"{ingest.pdf.EXTRACTOR_NAME}/2", "2"), ("re-extraction", name, current)]
        assert (prov["extractor"], prov["extractor_version"]) == (name, current)
        assert prov["text_sha256"] == prov["extraction_log"][-1]["text_sha256"]
        assert prov["extraction_log"][0]["text_sha256"] != prov["text_sha256"]  # the header copies left
        page = c.get(f"{PAGES}/3.1").text
        assert f"<dd>{name} (pdfplumber" in page, "the Extractor line names the extractor and its version once"
        assert f"{name} {current}" not in page
        assert f"<li>initial: {ingest.pdf.EXTRACTOR_NAME}/2, " in page
        assert f"<li>re-extraction: {name}, " in page
        # Same bytes, new text: the source keeps its validator, the text and metadata do not.
        for p, r in before.items():
            again = c.get(f"{RSP}/versions/3.1{p}", headers={"If-None-Match": r.headers["etag"]})
            assert again.status_code == (304 if p == "/source" else 200), p
