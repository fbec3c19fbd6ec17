"""The HTML pages through the test client: every page, its links, and its error pages (issue 6)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from api.app import create_app

RSP = "/p/anthropic-rsp"
QUOTE = "crosses the threshold for automated AI R&D"


@pytest.fixture(scope="module")
def client(corpus_settings):
    with TestClient(create_app(corpus_settings)) as c:
        yield c


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.labels_for: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label" and a.get("for"):
            self.labels_for.append(a["for"])


def html_ok(r, status: int = 200) -> str:
    """A well-formed page of ours: status, HTML type, landmarks, unique ids, labels that point somewhere."""
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    body = r.text
    assert body.startswith("<!doctype html>") and '<html lang="en">' in body
    assert 'class="skip" href="#main"' in body and '<main id="main"' in body
    p = _Ids()
    p.feed(body)
    dupes = {i for i in p.ids if p.ids.count(i) > 1}
    assert not dupes, dupes
    assert set(p.labels_for) <= set(p.ids), set(p.labels_for) - set(p.ids)
    assert "Traceback" not in body
    return body


def test_home_timeline_links_each_redline(client):
    body = html_ok(client.get("/"))
    assert "Responsible Scaling Policy" in body and "RSP Noncompliance" in body
    for label in ("1.0", "2.0", "2.2", "3.0", "3.1", "3.2", "3.3", "3.4"):
        assert f'href="{RSP}/{label}"' in body
    assert f'href="{RSP}/compare/3.0..3.1"' in body
    assert re.search(r"\d+ clauses? changed since 3\.0", body)
    assert '<time datetime="2026-04-02">' in body  # 3.1's effective date
    # The changelog audit's verdict on each step, linked to the compare page's audit.
    link = f'<a class="unmentioned" href="{RSP}/compare/3.0..3.1#audit-h">2 not mentioned in 3.1\'s changelog</a>'
    assert link in body
    assert "every change the audit checks accounted for by 3.4's changelog" in body


def test_version_page_tree_anchors_and_provenance(client):
    body = html_ok(client.get(f"{RSP}/3.1"))
    assert 'id="clause-3.6"' in body and 'href="#clause-3.6"' in body
    assert "External Review" in body and "p. 14" in body
    assert 'href="/policies/anthropic-rsp/versions/3.1/source"' in body
    with TestClient(create_app(client.app.state.settings)) as c:
        meta = c.get("/policies/anthropic-rsp/versions/3.1").json()
    assert meta["provenance"]["sha256"] in body
    assert ("Verified" in body) or ("Unverified" in body and meta["provenance"]["reference_sha256"] in body)
    assert meta["provenance"]["extractor"] in body
    assert 'rel="prev"' in body and 'rel="next"' in body


def test_compare_marks_the_ai_rnd_threshold_change(client):
    body = html_ok(client.get(f"{RSP}/compare/3.0..3.1"))
    assert re.search(r"<ins class=\"block\">[^<]*double the rate of progress[^<]*</ins>", body)
    assert "added</li>" in body or "added" in body
    assert 'class="summary-bar"' in body and "What the changelog says" in body
    assert f'href="{RSP}/compare/3.0..3.1?all=1"' in body  # changed-only by default, a link to all
    changed_only = body.count('<article class="change')
    every = html_ok(client.get(f"{RSP}/compare/3.0..3.1", params={"all": "1"})).count('<article class="change')
    assert every > changed_only > 0


def test_the_changelog_audit_links_each_clause_it_names_to_its_redline(client):
    """3.0 -> 3.1: "not mentioned" 3.1 and 3.6, and item 2's 3.4, each link to that clause's article."""
    body = html_ok(client.get(f"{RSP}/compare/3.0..3.1"))
    audit = body.split('<section class="audit"', 1)[1].split("</section>", 1)[0]
    links = dict(re.findall(r'<a href="#(change-\d+)">([^<]+)</a>', audit))
    # Named by number and title: a bare "3.1" reads like a version.
    assert sorted(n.split(" ", 1)[0] for n in links.values()) == ["1", "3.1", "3.4", "3.6", "Appendix"], links
    assert links[next(k for k, v in links.items() if v.startswith("3.6"))] == "3.6 External Review"
    for anchor, name in links.items():
        article = body.split(f'id="{anchor}"', 1)[1].split("</h3>", 1)[0]
        assert re.search(rf'<span class="kind">modified</span>\s*{re.escape(name)}', article), (name, article)


def test_compare_one_clause_and_dates(client):
    body = html_ok(client.get(f"{RSP}/compare/3.0..3.1", params={"clause": "1"}))
    assert body.count('<article class="change') == 1
    dated = html_ok(client.get(f"{RSP}/compare/2026-03-01..2026-04-10"))
    assert "3.0</a> → <a" in dated and ">3.1</a>" in dated


def test_compare_form_redirects_to_a_stable_url(client):
    r = client.get(f"{RSP}/compare", params={"a": "2.2", "b": "3.0", "clause": "3.6"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"{RSP}/compare/2.2..3.0?clause=3.6"
    cited = client.get(f"{RSP}/compare", params={"a": "2.2", "b": "3.0", "clause": "§ 3.6"}, follow_redirects=False)
    assert cited.headers["location"] == f"{RSP}/compare/2.2..3.0?clause=3.6"  # as a citation writes it
    html_ok(client.get(f"{RSP}/compare", params={"a": "3.0"}), 400)


def test_the_compare_forms_own_url_is_the_form(client):
    """/p/SLUG/compare (the forms' action, bookmarked or with its query trimmed) offers the form, the
    latest revision picked, and each revision's redline; not an error."""
    body = html_ok(client.get(f"{RSP}/compare"))
    assert "<h1>Compare two versions of Responsible Scaling Policy</h1>" in body
    assert '<form class="inline compare-form" action="/p/anthropic-rsp/compare" method="get">' in body
    assert re.search(r'<select id="a" name="a">.*?<option value="3.3" selected>', body, re.S)
    assert re.search(r'<select id="b" name="b">.*?<option value="3.4" selected>', body, re.S)
    revisions = re.findall(rf'<a href="{RSP}/compare/([\d.]+\.\.[\d.]+)">', body)
    assert revisions == ["3.3..3.4", "3.2..3.3", "3.1..3.2", "3.0..3.1", "2.2..3.0", "2.0..2.2", "1.0..2.0"]
    # One version only: still a usage error, said above the form, what was given filled in.
    half = html_ok(client.get(f"{RSP}/compare", params={"b": "3.0", "clause": "3.6"}), 400)
    assert '<p class="error" role="alert">Only To (3.0) was given: pick the version to compare it with' in half
    assert re.search(r'<select id="b" name="b">.*?<option value="3.0" selected>', half, re.S)
    assert re.search(r'<select id="a" name="a">.*?<option value="2.2" selected>', half, re.S)  # the one before
    assert 'name="clause" value="3.6"' in half
    def offered(params: dict) -> tuple[str, str]:
        body = html_ok(client.get(f"{RSP}/compare", params=params), 400)
        return tuple(re.search(rf'<select id="{s}" name="{s}">.*?<option value="([\d.]+)" selected>', body, re.S)
                     .group(1) for s in "ab")

    assert offered({"a": "3.3"}) == ("3.3", "3.4")  # the one after
    # At either end, or given as a day, never a version against itself.
    assert offered({"a": "3.4"}) == ("3.4", "3.3") and offered({"b": "1.0"}) == ("2.0", "1.0")
    assert offered({"b": "2026-04-10"}) == ("3.0", "3.1")  # the version in force that day
    assert offered({"b": "9.9"}) == ("3.3", "3.4")  # none the archive names: the latest revision
    assert "Only From (3.3) was given" in html_ok(client.get(f"{RSP}/compare", params={"a": "3.3"}), 400)
    html_ok(client.get("/p/no-such-policy/compare"), 404)


def test_one_clause_keeps_its_changelog_audit(client):
    """3.0 -> 3.1 limited to §3.6: the audit still says the changelog does not mention it (the JSON and
    text views did; the page dropped the audit), and the toggle says what it does."""
    body = html_ok(client.get(f"{RSP}/compare/3.0..3.1", params={"clause": "3.6"}))
    audit = body.split('<section class="audit"', 1)[1].split("</section>", 1)[0]
    assert "1 substantive and 0 editorial changes checked against it (of this clause)" in audit
    # Numbered as on the whole comparison's page: #change-6 names §3.6 on both.
    assert '<a href="#change-6">3.6 External Review</a>' in audit and 'id="change-6"' in body
    whole = html_ok(client.get(f"{RSP}/compare/3.0..3.1"))
    assert re.search(r'id="change-6"[^>]*>\s*<h3[^>]*><span class="kind">modified</span>\s+3.6 External', whole)
    assert "Limited to clause 3.6 and what it aligns with: 1 changed clause." in body
    assert f'<a href="{RSP}/compare/3.0..3.1">The whole comparison</a>' in body
    assert "<title>Responsible Scaling Policy: 3.0 → 3.1, clause 3.6 · policy archive</title>" in body
    both = html_ok(client.get(f"{RSP}/compare/3.0..3.1", params={"clause": "3.6", "all": "1"}))
    assert "Showing all" not in both and "unchanged clauses too: 1 shown" in both
    # A clause the comparison leaves unchanged: nothing checked, and no claim that all is accounted for.
    same = html_ok(client.get(f"{RSP}/compare/3.0..3.1", params={"clause": "2"}))
    # A clause neither version has: a 404 that offers the whole comparison.
    missing = html_ok(client.get(f"{RSP}/compare/3.0..3.1", params={"clause": "99"}), 404)
    assert f'<li><a href="{RSP}/compare/3.0..3.1">The whole comparison, 3.0 → 3.1</a></li>' in missing
    assert "Clause 2 has no change for the audit to check against it." in same and "accounted for" not in same


def test_a_span_numbers_each_changelog_item_as_its_entry_does(client):
    """1.0 -> 3.4 reads eight changelog entries: each item is listed under its entry with the number that
    entry gives it (3.0's rewrite item is its item 1, not the span's 17th), and a change names it so.
    A clause added in 3.0 and changed unannounced in 3.1 says what 3.1 did."""
    body = html_ok(client.get(f"{RSP}/compare/1.0..3.4"))
    items = body.split("Changelog items and the clauses they match", 1)[1].split("</details>", 1)[0]
    titles = re.findall(r'<p class="entry-title"><strong>([^<]+)</strong></p>', items)
    assert len(titles) == 8 and titles[0] == "October 15, 2024 (RSP v2.0)" and titles[-1] == "July 8, 2026 (RSP v3.4)"
    rewrite = items.split("February 24, 2026 (RSP v3.0)", 1)[1]
    assert re.match(r'</strong></p>\s*<ol><li value="1">This update is a comprehensive rewrite', rewrite)
    assert "item 1 of February 24, 2026 (RSP v3.0), “This update is a comprehensive rewrite" in body
    assert re.search(r'3.6 External Review</a> <span class="facts">\(added, substantive\); not announced in '
                     r'version 3.1 \(modified, substantive\)', body)


def test_the_redline_page_shows_dot_leaders_short(client):
    """1.0's contents page ("Framework......2") reads "Framework … 2" on the page, as in the other views."""
    body = html_ok(client.get(f"{RSP}/compare/1.0..2.0"))
    assert "....." not in body and "Framework … 2 Initial Commitments … 3" in body


def test_one_clause_says_what_it_leaves_out(client):
    """A clause with text of its own is compared alone: its subsections are named, each linked to its
    own comparison. A number the older version gives to another clause (2.2's §4 "Safeguards
    Assessment" is not 3.0's §4 "Governance") is said to be another clause, with what became of it."""
    body = html_ok(client.get(f"{RSP}/compare/3.0..3.1", params={"clause": "3.6"}))
    subs = re.search(r"Its subsections are clauses of their own, each compared on its own:(.*?)</p>", body, re.S)
    assert subs, body[:3000]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', subs.group(1)) == [
        (f"{RSP}/compare/3.0..3.1?clause=3.6.1", "3.6.1 Selecting external reviewers"),
        (f"{RSP}/compare/3.0..3.1?clause=3.6.2", "3.6.2 Timing and access"),
        (f"{RSP}/compare/3.0..3.1?clause=3.6.3", "3.6.3 Contents of external review"),
    ]
    # A leaf clause, and a heading whose subsections are brought in, have nothing to add.
    assert "Its subsections" not in html_ok(client.get(f"{RSP}/compare/3.0..3.1", params={"clause": "3.6.1"}))
    assert "another clause" not in body
    renumbered = html_ok(client.get(f"{RSP}/compare/2.2..3.0", params={"clause": "4"}))
    other = re.search(r"In 2.2, (.*?)</p>", renumbered, re.S)
    assert other and "clause 4 (Safeguards Assessment) is a different clause; it was removed in 3.0." in " ".join(
        other.group(1).split())
    assert f'<a href="{RSP}/clauses/4/history?version=2.2">Its history</a>' in other.group(1)
    html_ok(client.get(f"{RSP}/clauses/4/history", params={"version": "2.2"}))


def test_each_changed_clause_says_what_the_changelog_says_of_it(client):
    body = html_ok(client.get(f"{RSP}/compare/3.0..3.1"))
    # The badge and the clause's name are apart (an accessible name "modified3.1 Scope" is no name).
    assert re.search(r'<span class="kind">modified</span>\s+3.1 Scope and Timing</h3>', body)

    def article(name: str) -> str:
        return next(a for a in body.split('<article class="change')[1:] if re.search(rf"</span>\s*{name}", a))

    said = re.compile(r'<div class="facts changelog-says">(.*?)</div>', re.S)
    assert "item 1, “how we operationalize the Automated R&amp;D capability threshold”" in said.search(
        article("1 Our Recommendations")).group(1)
    assert "<strong>not mentioned</strong> (a substantive change)" in said.search(article("3.6 External")).group(1)
    # The two editorial changes the summary counts are named where they stand.
    assert "under its note on minor edits" in said.search(article("Introduction")).group(1)
    assert "under its note on minor edits" in said.search(article("Appendices")).group(1)
    assert "5 substantive and 2 editorial changes checked" in body
    # Over several revisions: whose changelog was silent.
    span = html_ok(client.get(f"{RSP}/compare/3.0..3.4"))
    assert "Changed by a revision whose changelog does not mention it (" in span
    scope = next(a for a in span.split('<article class="change')[1:] if re.search(r"</span>\s*3.1 Scope", a))
    assert re.search(r"The changelogs since 3.0:\s*<strong>not announced in</strong> version 3.1; "
                     r"announced: item 2 of May 26, 2026 \(RSP v3.3\), “refines our approach to off-cycle",
                     scope), scope[:1500]
    # A heading with no text of its own reads so, as the audit's list says it.
    rewrite = html_ok(client.get(f"{RSP}/compare/1.0..2.0"))
    asl2 = next(a for a in rewrite.split('<article class="change')[1:] if re.search(r"</span>\s*ASL-2 Commitments", a))
    assert "<strong>not mentioned</strong> (a heading only)" in asl2
    assert "ASL-2 Commitments</a> <span class=\"facts\">(removed, heading only)" in rewrite


def test_one_clause_numbers_its_changelog_items_as_the_whole_audit(client):
    """3.0 -> 3.1 limited to §3.4: the clause cites item 2, and the list shows it as item 2, not 1."""
    body = html_ok(client.get(f"{RSP}/compare/3.0..3.1", params={"clause": "3.4"}))
    assert re.search(r"3.1's changelog:\s+item 2, “how we use internal feedback on Risk Reports”", body)
    # Its change keeps the number it has on the whole comparison's page.
    whole = html_ok(client.get(f"{RSP}/compare/3.0..3.1"))
    n = re.search(r'<h3 id="change-(\d+)-h"><span class="kind">modified</span>\s+3.4 ', whole).group(1)
    assert re.search(rf'<li value="2">how we use internal feedback on Risk Reports <em>→ <a href="#change-{n}">', body)
    assert f'id="change-{n}"' in body


def test_change_anchors_hold_with_unchanged_clauses_shown(client):
    """#change-N names the same clause with or without ?all=1 (the unannounced report links to it)."""
    def anchors(params: dict) -> dict[str, str]:
        body = html_ok(client.get(f"{RSP}/compare/3.0..3.1", params=params))
        return dict(re.findall(r'<h3 id="((?:change|same)-\d+)-h"><span class="kind">\w+</span>\s*([^<\n]+)', body))

    changed, every = anchors({}), anchors({"all": "1"})
    assert changed and all(k.startswith("change-") for k in changed)
    assert {k: v for k, v in every.items() if k.startswith("change-")} == changed
    assert sum(k.startswith("same-") for k in every) == 16  # the unchanged clauses, apart
    report = html_ok(client.get(f"{RSP}/unannounced"))
    link = re.search(rf'<a href="{RSP}/compare/3.0..3.1#(change-\d+)">3.6 External Review</a>', report)
    assert changed[link.group(1)].startswith("3.6 External Review")


def test_the_unannounced_report_says_how_many_revisions_have_some(client):
    body = html_ok(client.get(f"{RSP}/unannounced"))
    assert re.search(r"12 such changes \(7 substantive, 5 editorial or heading only\)\s+in 4 of the 7 revisions "
                     r"with a changelog entry to check against\.", body)
    one = html_ok(client.get("/p/anthropic-rsp-noncompliance/unannounced"))
    assert re.search(r"in the one revision with a changelog entry", one)


def test_a_renumbered_clause_whose_words_changed_says_so(client):
    """2.2 -> 3.0: 7.1 Internal Governance became 4 Governance, 30% alike: not only a new number."""
    body = html_ok(client.get(f"{RSP}/compare/2.2..3.0"))
    article = next(a for a in body.split('<article class="change')[1:] if "7.1 Internal Governance →" in a)
    head = article.split("</h3>", 1)[0]
    assert '<span class="kind">renumbered</span> <span class="kind also">text changed</span>' in head, head
    same = html_ok(client.get(f"{RSP}/compare/3.0..3.1"))
    assert "text changed" not in same  # no renumbered or moved clause there


def test_clause_history_page(client):
    body = html_ok(client.get(f"{RSP}/clauses/3.6/history"))
    assert "Version 3.1" in body and "Version 3.4" in body
    assert f'href="{RSP}/3.1#clause-3.6"' in body
    # What each version's changelog says of the step: 3.1's narrower definition is not mentioned,
    # 3.2's addition is its first item.
    said = re.findall(r'<div class="facts changelog-says">(.*?)</div>', body, re.S)
    assert len(said) == 3, said  # 3.0 (added), 3.1, 3.2; 3.3 and 3.4 are unchanged
    assert "3.1's changelog:" in said[1] and "<strong>not mentioned</strong> (a substantive change)" in said[1]
    assert "item 1, “This update authorizes the LTBT to request external review" in said[2]
    # A step many items account for (2.0's new Executive Summary) names three, the rest on demand.
    body = html_ok(client.get(f"{RSP}/clauses/Executive Summary/history"))
    first = body.split('<div class="facts changelog-says">', 1)[1].split("</div>", 1)[0]
    assert first.count("item ") == 3 + 2 and '<details class="more-items"><summary>and 2 more items' in first


def test_history_links_of_an_older_version_name_it(client):
    body = html_ok(client.get(f"{RSP}/2.2"))
    assert f'href="{RSP}/clauses/2/history?version=2.2"' in body
    page = html_ok(client.get(f"{RSP}/clauses/2/history", params={"version": "2.2"}))
    assert "Capability Thresholds and Required Safeguards" in page and "Frontier Safety Roadmap" in page
    # The other clause of that number is named once, with a link to its own history.
    assert page.count("Frontier Safety Roadmap") == 1
    assert re.search(r'Versions 3\.0, 3\.1, 3\.2, 3\.3, 3\.4 have another clause numbered 2:\s*<a href="'
                     + re.escape(f"{RSP}/clauses/2/history?version=3.4") + '">2 Frontier Safety Roadmap</a>', page)
    assert "As numbered in version 2.2." in page
    # Named as a citation names it, the same.
    cited = html_ok(client.get(f"{RSP}/clauses/§2/history", params={"version": "2.2"}))
    assert re.search(r"have another clause numbered 2:\s*<a", cited)
    html_ok(client.get(f"{RSP}/clauses/2/history", params={"version": "9.9"}), 404)


def test_an_unexpected_failure_on_a_page_is_an_html_500(corpus_settings, monkeypatch):
    """Not the API's problem+json: a person in a browser gets a page, and the failure is logged."""
    from api.pages import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "timeline", broken)
    with TestClient(create_app(corpus_settings), raise_server_exceptions=False) as c:
        body = html_ok(c.get("/"), 500)
    assert "Something went wrong on our side" in body and "a bug" not in body


def test_search_page(client):
    html_ok(client.get("/p/search"))
    body = html_ok(client.get("/p/search", params={"q": "external review", "policy": "anthropic-rsp"}))
    assert "<mark>" in body and f'href="{RSP}/3.4#clause-3.6"' in body
    collapsed = html_ok(client.get("/p/search", params={"q": "external review", "collapse": "1"}))
    assert "In " in collapsed and "versions:" in collapsed
    hist = html_ok(client.get("/p/search", params={"q": '"highly capable"', "history": "1"}))
    assert "History of" in hist and "First in 3.0" in hist
    scoped = html_ok(client.get("/p/search", params={"q": "external review", "as_of": "2026-04-10"}))
    assert "3.1: 3.6" in scoped and "3.4: 3.6" not in scoped


def test_cite_page(client):
    html_ok(client.get("/p/cite"))
    body = html_ok(client.get("/p/cite", params={"quote": QUOTE, "policy": "anthropic-rsp", "version": "3.1"}))
    assert "Found" in body and "§3.6" in body and 'class="cite-text" readonly' in body
    assert "Responsible Scaling Policy v3.1" in body
    near = html_ok(client.get("/p/cite", params={"quote": "we will double the rate of external reviews of models"}))
    assert "Not found word for word" in near and "similarity" in near
    # Copied from the heading on: found in that clause, shown from the heading with nothing cut before it.
    heading = html_ok(client.get("/p/cite", params={"quote": "3.6 External Review We will work toward a practice"}))
    assert "Found" in heading and "<p><mark>3.6. External Review" in heading


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        (f"{RSP}/9.9", 404, "no version"),
        ("/p/nope/1.0", 404, "nope"),
        (f"{RSP}/compare/3.0..9.9", 404, "9.9"),
        (f"{RSP}/compare/3.0..3.1?clause=99", 404, "99"),
        (f"{RSP}/compare/1900-01-01..3.1", 404, "1900-01-01"),
        (f"{RSP}/clauses/99.99/history", 404, "99.99"),
        ("/p/search?q=", 400, "empty"),
        ("/p/search?q=%20%20", 400, "empty"),
        ("/p/search?q=risk&as_of=yesterday", 400, "not a date"),
        ("/p/search?q=risk&page=two", 400, "whole number"),
        ("/p/search?q=risk&version=9.9&policy=anthropic-rsp", 404, "9.9"),
        ("/p/search?q=%22unbalanced", 400, "quote"),
        ("/p/cite?quote=", 400, "empty"),
        ("/p/cite?quote=" + "x" * 5000, 400, "limit"),
        ("/p/anthropic-rsp/a/b/c", 404, "no page"),
        (f"{RSP}/3.1%0A", 400, "is not valid"),  # a line break is no part of a label
        ("/p/search?q=safety&version=3.1%0A", 400, "is not valid"),
        (f"{RSP}/compare/3.0..2026-02-30", 400, "no such day"),
    ],
)
def test_bad_input_gives_a_helpful_page(client, url, status, says):
    body = html_ok(client.get(url), status)
    assert 'role="alert"' in body and says.lower() in body.lower()
    assert 'href="/p/search"' in body  # somewhere to go next


def test_everything_is_escaped(client):
    evil = '<script>alert("x")</script>'
    for r in (
        client.get("/p/search", params={"q": evil}),
        client.get("/p/cite", params={"quote": evil + " and more words here"}),
        client.get("/p/search", params={"q": "risk", "version": evil}),
        client.get(f"{RSP}/compare/3.0..3.1", params={"clause": evil}),
    ):
        assert "<script>alert" not in r.text and r.headers["content-type"].startswith("text/html"), r.url


def test_pages_are_revalidated_by_etag(client):
    for url in ("/", f"{RSP}/3.1", f"{RSP}/compare/3.0..3.1", "/p/search?q=risk"):
        r = client.get(url)
        etag = r.headers["etag"]
        assert r.status_code == 200 and r.headers["cache-control"] == "no-cache", url
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag, url
        assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200, url
    assert client.get(f"{RSP}/3.0").headers["etag"] != client.get(f"{RSP}/3.1").headers["etag"]
    assert "etag" not in client.get("/p/anthropic-rsp/a/b/c").headers  # error pages are not validated


def test_pages_stay_out_of_the_api_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(p == "/" or p.startswith("/p/") for p in paths)
    # and the API keeps answering problem+json
    r = client.get("/policies/anthropic-rsp/versions/9.9")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_static_css_is_responsive_and_printable(client):
    css = client.get("/p/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@media print" in css.text and "@media (max-width" in css.text
    assert "line-through" in css.text and "underline" in css.text
    assert client.get("/p/static/pages.js").status_code == 200
    assert client.get("/p/anthropic-rsp", follow_redirects=False).headers["location"] == f"{RSP}/3.4"


def test_fold_ops_keeps_changes_and_context():
    from api.pages.views import paragraphs
    from archive.diff.render import fold_ops

    long = " ".join(f"w{i}" for i in range(200)) + " "
    ops = [{"op": "equal", "text": long}, {"op": "insert", "text": "new words "}, {"op": "equal", "text": long}]
    out = fold_ops(ops, context=10)
    assert [o["op"] for o in out] == ["fold", "equal", "insert", "equal", "fold"]
    assert "".join(o["text"] for o in out).split() == "".join(o["text"] for o in ops).split()  # nothing lost
    assert fold_ops([{"op": "equal", "text": long}]) == [{"op": "equal", "text": long}]
    assert paragraphs("One line\nwrapped.\n\n● a bullet\n● another") == ["One line wrapped.", "● a bullet", "● another"]


def test_compare_marks_text_moved_within_a_clause(client):
    """3.2 -> 3.3: the §1 table's rows broke across pages differently; moved rows are unchanged text."""
    body = html_ok(client.get(f"{RSP}/compare/3.2..3.3"))
    assert 'class="moved"' in body or 'class="fold moved"' in body
    assert not re.search(r"<del>[^<]*tractable to assess than capabilities in other domains", body)


def test_fold_ops_counts_words_not_the_spaces_around_them():
    """An unchanged run ending in a space before the change keeps `context` real words beside it, and
    the pieces join back to the very same text."""
    from archive.diff.render import fold_ops

    long = " ".join(f"w{i}" for i in range(100)) + " "
    ops = [{"op": "equal", "text": long}, {"op": "insert", "text": "new "}, {"op": "equal", "text": " " + long}]
    out = fold_ops(ops, context=10)
    assert [len(o["text"].split()) for o in out] == [90, 10, 1, 10, 90]
    assert "".join(o["text"] for o in out) == "".join(o["text"] for o in ops)


def test_the_method_page_is_the_docs_own_text_linked_from_every_redline(client):
    body = html_ok(client.get("/p/method"))
    assert "<h1>How redlines and the changelog audit work</h1>" in body
    assert '<h2 id="the-changelog-audit">4. The changelog audit</h2>' in body
    assert "<table>" in body and "<code>align.MOVE_SIM</code> = 0.75" in body
    compare = html_ok(client.get(f"{RSP}/compare/3.0..3.1"))
    assert 'href="/p/method#the-changelog-audit"' in compare and "candidate for an" in compare
    assert 'href="/p/method"' in html_ok(client.get(f"{RSP}/clauses/3.6/history"))


def test_a_doc_page_shows_raw_html_as_text(tmp_path, monkeypatch):
    from api.pages import docs

    (tmp_path / "redlines.md").write_text("# T\n\n<script>alert(1)</script> and <b>bold</b>\n")
    monkeypatch.setattr(docs, "DOCS", tmp_path)
    title, body = docs.page("method")
    assert title == "T" and "<script>" not in body and "&lt;script&gt;" in body


def test_a_doc_page_that_is_not_there_is_a_404(tmp_path, monkeypatch):
    from api.pages import docs
    from archive.errors import NotFound

    monkeypatch.setattr(docs, "DOCS", tmp_path)
    with pytest.raises(NotFound):
        docs.page("method")
    with pytest.raises(NotFound):
        docs.page("nothing")


@pytest.mark.parametrize("page", [
    f"{RSP}/compare/3.0..3.1", f"{RSP}/compare/2026-03-01..3.1?clause=3.6", f"{RSP}/clauses/Appendix%20A/history",
    f"{RSP}/3.1",
])
def test_each_page_links_its_data_as_the_api_serves_it(client, page):
    """The formats line and <link rel="alternate"> point at the API's representations of the same thing,
    each answering with the media type the link announces."""
    body = html_ok(client.get(page))
    links = re.findall(r'<a href="([^"]+)" type="([^"]+)">', body.split('class="formats', 1)[1].split("</p>", 1)[0])
    alternates = re.findall(r'<link rel="alternate" type="application/json" href="([^"]+)"', body)
    assert links and alternates and set(alternates) <= {u for u, _ in links}
    for url, kind in links:
        url = url.replace("&amp;", "&")
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"].startswith(kind), (url, r.headers["content-type"])
    if "clause=3.6" in page:  # a date resolves to its version; the clause limit carries over
        assert "/policies/anthropic-rsp/compare/3.0..3.1?clause=3.6" in alternates


def test_a_day_opens_the_version_in_force_then(client):
    """Point in time, as legislation services do it: a day answers with a redirect to the version in
    force that day (the day it took effect included); before the first version, a 404 page."""
    for day, label in (("2026-05-01", "3.2"), ("2026-04-29", "3.2"), ("2026-04-28", "3.1"), ("2030-01-01", "3.4")):
        r = client.get(f"{RSP}/{day}", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (302, f"{RSP}/{label}"), day
        r = client.get(f"{RSP}?as_of={day}", follow_redirects=False)  # the home page's form
        assert (r.status_code, r.headers["location"]) == (302, f"{RSP}/{label}"), day
    assert "had no version in force on 2020-01-01" in html_ok(client.get(f"{RSP}/2020-01-01"), 404)
    assert "had no version in force" in html_ok(client.get(f"{RSP}?as_of=2020-01-01"), 404)
    assert "date" in html_ok(client.get(f"{RSP}?as_of=2026-02-30"), 400)
    assert client.get(f"{RSP}", follow_redirects=False).headers["location"] == f"{RSP}/3.4"
    home = html_ok(client.get("/"))
    assert f'<form class="inline" action="{RSP}" method="get">' in home and 'min="2023-09-19"' in home
    # Each version page says until when it was in force, so a reader landing there from a day knows.
    page = html_ok(client.get(f"{RSP}/3.1"))
    assert 'in force until <time datetime="2026-04-28">2026-04-28</time>, then replaced by 3.2' in page
    assert "the newest version in the archive" in html_ok(client.get(f"{RSP}/3.4"))



def test_what_the_changelogs_leave_out_page(client):
    body = html_ok(client.get(f"{RSP}/unannounced"))
    assert "What the changelogs leave out" in body and 'href="/p/method#the-changelog-audit"' in body
    assert '<section class="revision" id="rev-3.1"' in body
    # Each listed change links to its redline on the compare page, where that anchor is the same clause.
    link = f'href="{RSP}/compare/3.0..3.1#change-'
    numbers = re.findall(re.escape(link) + r'(\d+)">([^<]+)</a>', body)
    assert [name for _, name in numbers] == ["3.1 Scope and Timing", "3.6 External Review"]
    compare = html_ok(client.get(f"{RSP}/compare/3.0..3.1"))
    for n, name in numbers:
        heading = compare.split(f'id="change-{n}-h">', 1)[1].split("</h3>", 1)[0]
        assert name in heading
    assert "accounts for every one of the 7 changed clauses" in body  # 3.3 -> 3.4
    assert "1 of the 4 changed clauses checked is not mentioned" in body  # 3.1 -> 3.2
    assert f'href="{RSP}/unannounced"' in html_ok(client.get("/"))
    assert html_ok(client.get("/p/no-such-policy/unannounced"), 404)


def test_a_search_or_quote_the_page_cannot_run_is_told_above_its_form_filled_in(client):
    """Not a dead end: the message sits above the form, which still holds what was typed."""
    r = client.get("/p/search", params={"q": '"capability thresholds', "policy": "anthropic-rsp"})
    body = html_ok(r, 400)
    assert 'role="alert"' in body and "Unbalanced quotes" in body
    assert 'value="&#34;capability thresholds"' in body or 'value="&quot;capability thresholds"' in body
    assert '<form class="search-form"' in body
    body = html_ok(client.get("/p/cite", params={"quote": "double the rate of progress", "as_of": "soon"}), 400)
    assert 'role="alert"' in body and '<form class="cite-form"' in body and "double the rate of progress" in body


def test_pages_link_only_web_addresses():
    """An archive made before manifests were checked may hold any URL: pages link only http(s)."""
    from api.pages.views import web_url

    assert web_url("https://www.anthropic.com/rsp") == "https://www.anthropic.com/rsp"
    assert [web_url(u) for u in ("javascript:alert(1)", "JavaScript:x", "data:text/html,x", "", None)] == [None] * 5


def test_compare_pages_say_what_the_audit_checked_and_found(client):
    span = html_ok(client.get(f"{RSP}/compare/3.0..3.4"))
    assert ('3.6 External Review</a> <span class="facts">(modified, substantive); not announced in version 3.1'
            in span)
    rewrite = html_ok(client.get(f"{RSP}/compare/2.2..3.0"))
    assert "The other 2 of the 40 changed clauses are not checked: the changelog&#39;s own entries" in rewrite
    assert "an item announcing a\n    comprehensive rewrite accounts for every change" in rewrite
    assert "similarity 0%" not in html_ok(client.get(f"{RSP}/compare/1.0..2.0"))  # no text on one side
    headings = html_ok(client.get("/p/anthropic-rsp-noncompliance/compare/2025-12..2026-02"))
    assert "(removed, heading only)" in headings
    assert "this comparison runs backwards" in html_ok(client.get(f"{RSP}/compare/3.4..3.1"))
    assert "No changed clauses." in html_ok(client.get(f"{RSP}/compare/3.1..3.1"))
    moved = client.get(f"{RSP}/compare", params={"from": "3.0", "to": "3.1"}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"{RSP}/compare/3.0..3.1"


def test_history_page_names_the_clause_and_what_changed_under_it(client):
    body = html_ok(client.get(f"{RSP}/clauses/Changelog/history"))
    assert "<h1>Clause Changelog through every version</h1>" in body
    assert "changed within" in body and "its own text unchanged from the version before" in body
    # 1.0's "Version History" line became 2.0's "Changelog" heading: no text on one side, no similarity.
    assert "similarity 0%" not in body
    renumbered = html_ok(client.get(f"{RSP}/clauses/4/history"))
    assert re.search(r'<span class="kind">renumbered</span> \(retitled\)\s+\d+ words inserted', renumbered)
    # One word is one word (2.0's Changelog took one word in 2.2).
    assert not re.search(r"\b1 words", body + renumbered) and re.search(r"\b1 word inserted", body)
    # Each subsection named as changed within §3.6 links to a redline that shows it changed.
    history = html_ok(client.get(f"{RSP}/clauses/3.6/history"))
    within = re.findall(r'<a href="(/p/anthropic-rsp/compare/[^"]+)">([^<]+)</a> \((modified|added|removed)\)', history)
    assert within, history
    for url, name, kind in within:
        page = html_ok(client.get(url.replace("&amp;", "&")))
        assert "No changed clauses" not in page and f'<span class="kind">{kind}</span>' in page, (url, name)
    older = html_ok(client.get(f"{RSP}/clauses/2/history", params={"version": "2.2"}))
    assert "<h1>Clause 2 Capability Thresholds and Required Safeguards through every version</h1>" in older


def test_a_changed_clause_never_reads_100_percent_similar():
    from archive.diff.render import percent

    assert [percent(x) for x in (1.0, 0.9986, 0.995, 0.994, 0.5)] == ["100%", "99.8%", "99.5%", "99%", "50%"]


def test_clause_headings_follow_the_outline(client):
    body = html_ok(client.get(f"{RSP}/3.1"))
    levels = {anchor: level for level, anchor in re.findall(r'<h(\d) id="clause-([\d.]+)-h">', body)}
    assert (levels["3"], levels["3.6"], levels["3.6.1"]) == ("3", "4", "5")


def test_home_says_which_named_versions_are_not_archived(client):
    body = html_ok(client.get("/"))
    assert "Not archived: version 2.1, which the newest changelog names." in body


def test_redlines_show_a_footnote_as_a_note_not_markup(client):
    body = html_ok(client.get(f"{RSP}/compare/3.0..3.1"))
    assert "[^4]" not in body and '<span class="note-mark">note 4</span>' in body
    from api.pages.views import notes

    assert str(notes("a <b> [^12] c")) == 'a &lt;b&gt; <span class="note-mark">note 12</span> c'  # still escaped


def test_a_name_typed_with_spaces_around_it_is_the_name(client):
    """The pages strip the spaces a hand-typed address may carry around a version or clause, as their
    forms do; an empty version is no version (the latest that has the clause)."""
    spaced = html_ok(client.get(f"{RSP}/compare/%203.0..3.1%20"))
    assert spaced == html_ok(client.get(f"{RSP}/compare/3.0..3.1"))

    def steps(page: str) -> str:
        return page[page.index('<ol class="history">'):]

    latest = html_ok(client.get(f"{RSP}/clauses/3.6/history"))
    assert html_ok(client.get(f"{RSP}/clauses/3.6/history", params={"version": ""})) == latest
    assert steps(html_ok(client.get(f"{RSP}/clauses/%203.6/history", params={"version": " 3.4 "}))) == steps(latest)
