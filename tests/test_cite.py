"""Citations in BibTeX, CSL-JSON and Wikipedia's {{cite web}}: the formats (pure), the service on the
corpus, the API route and the pages' "cite this" boxes and <meta> tags."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive import cite
from archive.db.engine import read_session
from archive.services import cite as cite_service
from tests.conftest import WILD

RSP = "anthropic-rsp"
TODAY = dt.date(2026, 11, 29)
REF = cite.Reference(
    publisher="Anthropic", policy_title="Responsible Scaling Policy", version="3.1",
    effective=dt.date(2026, 4, 2), url="https://example.org/rsp-3.1.pdf", section="§3.6",
    page_first=14, page_last=15, quote="a model | with }} braces {{and}} & 100% {odd} chars", accessed=TODAY,
)


def test_bibtex_is_a_misc_entry_with_special_characters_escaped():
    text = cite.bibtex(REF)
    # The key names the section and the quote: one bibliography may cite several passages of 3.1.
    assert text.startswith("@misc{anthropic2026rsp_v3_1_s3_6_q") and text.endswith("}\n")
    assert "  author = {{Anthropic}},\n" in text  # an organisation, not "Anthropic" as a surname
    assert "  title = {{Responsible Scaling Policy}, version 3.1},\n" in text
    assert "  month = apr,\n" in text and "  date = {2026-04-02},\n" in text and "  urldate = {2026-11-29},\n" in text
    assert r"\S{}3.6, pp. 14–15" in text
    assert r"100\% \{odd\} chars" in text and r"\&" in text
    assert text.count("{") - text.count(r"\{") == text.count("}") - text.count(r"\}")  # braces balance


def test_wikitext_escapes_what_would_end_a_parameter_or_the_template():
    text = cite.wikitext(REF)
    assert text.startswith("{{cite web |url=https://example.org/rsp-3.1.pdf "
                           "|title=Responsible Scaling Policy, version 3.1")
    assert "|at=§3.6, pp. 14–15 " in text and "|date=2026-04-02 " in text and text.endswith("|access-date=2026-11-29}}")
    assert "|quote=a model {{!}} with } } braces { {and} } & 100%" in text
    assert text.count("{{") == text.count("}}") == 2  # its own {{!}} and the template, no other


def test_an_archived_copy_is_named_only_when_given():
    assert "archive-url" not in cite.wikitext(REF) and "archive_location" not in cite.csl(REF)
    at = "https://archive.example/policies/x/versions/1/source"
    copy = dataclasses.replace(REF, archived_url=at, archived_on=dt.date(2026, 4, 3))
    assert f"|archive-url={at} |archive-date=2026-04-03" in cite.wikitext(copy)
    assert cite.csl(copy)["archive_location"] == copy.archived_url
    assert rf"Archived copy: \url{{{at}}} (2026-04-03)" in cite.bibtex(copy)


def test_csl_json_is_one_report_item():
    [item] = json.loads(cite.csl_json(REF))
    assert item["type"] == "report" and item["title"] == "Responsible Scaling Policy" and item["version"] == "3.1"
    assert item["author"] == [{"literal": "Anthropic"}] and item["issued"] == {"date-parts": [[2026, 4, 2]]}
    assert (item["section"], item["page"], item["URL"]) == ("§3.6", "14-15", "https://example.org/rsp-3.1.pdf")


def test_one_page_and_a_footnote():
    ref = dataclasses.replace(REF, section="§1", page_first=9, page_last=9, footnote="4", quote="")
    assert "|at=§1, p. 9 n. 4 " in cite.wikitext(ref) and cite.csl(ref)["page"] == "9"
    assert cite.csl(ref)["note"] == "n. 4"  # CSL has no footnote variable: every format names it


def test_a_quote_holding_quotation_marks_is_nested_not_doubled():
    ref = dataclasses.replace(REF, quote="“Double the rate of progress” means “as much progress”")
    assert cite.csl(ref)["note"] == "“‘Double the rate of progress’ means ‘as much progress’”"
    assert "|quote=‘Double the rate of progress’ means ‘as much progress’ " in cite.wikitext(ref)
    assert "``‘Double the rate of progress’ means ‘as much progress’''" in cite.bibtex(ref)


def test_a_url_inside_a_bibtex_field_has_its_percent_escaped():
    """A .bbl copies howpublished as it is, where an unescaped % starts a comment and cuts the URL."""
    url = "https://example.org/RSP%20Noncompliance%20Policy.pdf#page=2"
    text = cite.bibtex(dataclasses.replace(REF, url=url))
    assert r"howpublished = {\url{https://example.org/RSP\%20Noncompliance\%20Policy.pdf\#page=2}}" in text
    assert f"  url = {{{url}}},\n" in text  # biblatex reads its url field verbatim


@pytest.fixture(scope="module")
def session(corpus_engine):
    with read_session(corpus_engine) as s:
        yield s


def test_a_reconstruction_is_cited_at_the_publishers_address_never_as_an_archived_copy(session, corpus_settings):
    ref = cite_service.reference(session, RSP, "2026-04-10", clause="3.6", base_url="http://archive.test/", today=TODAY)
    assert (ref.version, ref.section, ref.page_first, ref.page_last) == ("3.1", "§3.6", 14, 14)
    assert ref.url and ref.url.startswith("https://") and ref.archived_url is None  # the corpus holds reconstructions
    quoted = cite_service.reference(session, RSP, "3.1", quote="double the rate of progress", settings=corpus_settings)
    assert (quoted.section, quoted.page_first, quoted.footnote) == ("§1", 9, "")  # the body text, not the footnote
    from archive.errors import InvalidInput, NotFound

    with pytest.raises(NotFound, match="not in version 3.1"):
        cite_service.reference(session, RSP, "3.1", quote="nothing of the kind stands here", settings=corpus_settings)
    with pytest.raises(InvalidInput):
        cite_service.reference(session, RSP, "3.1", clause="1", quote="double the rate", settings=corpus_settings)


def test_the_publishers_own_bytes_are_an_archived_copy(fresh_env, fresh_engine):
    from ingest import service

    pdf = WILD / "simple1.pdf"
    req = dataclasses.replace(
        service.single_file_request(pdf, slug="demo", label="1", effective="2024-01-01", title=None,
                                    policy_title="Demo"),
        source_url="https://publisher.example/demo.pdf", reference_sha256=hashlib.sha256(pdf.read_bytes()).hexdigest(),
    )
    assert not service.ingest(fresh_engine, [req], settings=fresh_env)[0].failed
    with read_session(fresh_engine) as s:
        ref = cite_service.reference(s, "demo", "1", base_url="http://archive.test/")
    assert ref.archived_url == "http://archive.test/policies/demo/versions/1/source"
    assert ref.archived_on == dt.date.today()
    assert "|url=https://publisher.example/demo.pdf " in cite.wikitext(ref)
    assert "|archive-url=http://archive.test/policies/demo/versions/1/source |archive-date=" in cite.wikitext(ref)
    with TestClient(create_app(fresh_env)) as c:
        r = c.get("/policies/demo/versions/1/cite", params={"format": "wikitext"})
        assert "|archive-url=http://testserver/policies/demo/versions/1/source" in r.text
        assert c.get("/policies/demo/versions/1/source").status_code == 200  # the archived copy is there
    public = fresh_env.model_copy(update={"public_url": "https://archive.example.org/pa"})
    with TestClient(create_app(public)) as c:  # behind a proxy: the configured address, not the Host
        r = c.get("/policies/demo/versions/1/cite", params={"format": "wikitext"}, headers={"Host": "evil.example"})
        assert "|archive-url=https://archive.example.org/pa/policies/demo/versions/1/source" in r.text


@pytest.fixture(scope="module")
def client(corpus_settings):
    with TestClient(create_app(corpus_settings)) as c:
        yield c


@pytest.mark.parametrize(("fmt", "media", "starts"), [
    ("bibtex", "application/x-bibtex", "@misc{anthropic2026rsp_v3_1_s3_6,"),
    ("csl-json", "application/vnd.citationstyles.csl+json", "["),
    ("wikitext", "text/plain", "{{cite web |url=https://"),
])
def test_cite_route(client, fmt, media, starts):
    r = client.get(f"/policies/{RSP}/versions/3.1/cite", params={"format": fmt, "clause": "3.6"})
    assert r.status_code == 200 and r.headers["content-type"] == f"{media}; charset=utf-8"
    assert r.text.startswith(starts) and "3.6" in r.text


def test_cite_route_errors(client):
    for params, status in (({"quote": "nothing of the kind stands anywhere"}, 404), ({"format": "mla"}, 422),
                           ({"clause": "9.9"}, 404), ({"clause": "1", "quote": "double the rate"}, 400)):
        r = client.get(f"/policies/{RSP}/versions/3.1/cite", params=params)
        assert r.status_code == status and r.headers["content-type"] == "application/problem+json", params
    assert client.get(f"/policies/{RSP}/versions/0.1/cite").status_code == 404


def test_cite_by_date_redirects_like_every_version_resource(client):
    r = client.get(f"/policies/{RSP}/versions/2026-05-01/cite", params={"format": "wikitext"}, follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == f"/policies/{RSP}/versions/3.2/cite?format=wikitext"


def test_pages_offer_each_format_and_tell_reference_managers_what_the_page_is(client):
    page = client.get(f"/p/{RSP}/3.1").text
    assert '<meta name="citation_title" content="Responsible Scaling Policy, version 3.1">' in page
    assert '<meta name="citation_date" content="2026/04/02">' in page and '<meta name="citation_pdf_url"' in page
    assert 'id="cite-version-wikitext"' in page and "{{cite web |url=https://" in page
    found = client.get("/p/cite", params={"quote": "crosses the threshold for automated AI R&D"}).text
    assert 'id="cite-1-bibtex"' in found and "|quote=crosses the threshold for automated AI R&amp;D" in found


def test_cite_command(corpus_env, corpus_index, cli):
    result = cli("cite", RSP, "3.1", "--format", "wikitext", "--quote", "double the rate of progress")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("{{cite web |url=https://") and result.stdout.endswith("}}\n")
    assert "|at=§1, p. 9 |quote=double the rate of progress " in result.stdout
    assert cli("cite", RSP, "2026-05-01").stdout.startswith("@misc{anthropic2026rsp_v3_2,")
    # Nothing found exits 1, what cannot be used exits 2 (README: the same for every command).
    for args, code in ((("--clause", "9.9"), 1), (("--quote", "nothing of the kind stands here"), 1),
                       (("--format", "mla"), 2)):
        bad = cli("cite", RSP, "3.1", *args)
        assert bad.exit_code == code and len(bad.output.strip().splitlines()) == 1, (args, bad.output)


def test_citation_keys_tell_a_version_its_clauses_and_quotes_apart():
    keys = {cite.key(dataclasses.replace(REF, section=s, quote=q, footnote=f)) for s, q, f in (
        ("", "", ""), ("§3.6", "", ""), ("§3.5", "", ""), ("§3.6", "one passage", ""), ("§3.6", "another", ""),
        ("§1", "a note", "4"))}
    assert len(keys) == 6 and "anthropic2026rsp_v3_1" in keys and "anthropic2026rsp_v3_1_s3_6" in keys
    assert all(re.fullmatch(r"[a-z0-9_]+", k) for k in keys)
