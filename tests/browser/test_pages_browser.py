"""Researchers' journeys through the pages in a real browser (issue 6)."""

from __future__ import annotations

import re

from tests.browser.conftest import SCREENSHOTS

QUOTE = "crosses the threshold for automated AI R&D"


def test_home_timeline_to_the_3_1_redline(page):
    page.goto("/")
    page.get_by_role("link", name=re.compile(r"Redline from 3\.0 to 3\.1")).click()
    page.wait_for_url(re.compile(r"/p/anthropic-rsp/compare/3\.0\.\.3\.1$"))
    assert "3.0 → 3.1" in page.title()
    change = page.locator("ins", has_text="double the rate of progress").first
    change.scroll_into_view_if_needed()
    assert change.is_visible()
    # marked by more than colour: inserted words underlined, deleted words struck through, and a long
    # inserted passage (this one) set apart as a block ruled at its side and labelled
    short = page.locator("ins", has_text="We will consider").first
    assert "underline" in short.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "line-through" in page.locator("del").first.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert change.evaluate("e => getComputedStyle(e).borderLeftStyle") == "solid"
    assert change.evaluate("e => getComputedStyle(e, '::before').content") == '"Inserted"'
    assert page.locator(".summary-bar").is_visible()
    page.get_by_role("link", name="Show all clauses").click()
    page.wait_for_url(re.compile(r"\?all=1$"))
    page.locator("ins", has_text="double the rate of progress").first.scroll_into_view_if_needed()


def test_search_a_phrase_and_open_a_hit(page):
    page.goto("/p/search")
    page.get_by_label("Words or a").fill('"external review"')
    page.get_by_label("Policy").select_option("anthropic-rsp")
    page.get_by_label("Words or a").press("Enter")
    page.wait_for_url(re.compile(r"/p/search\?q="))
    first = page.locator("a.hit").first
    assert page.locator(".snippet mark").first.is_visible()
    first.click()
    page.wait_for_url(re.compile(r"/p/anthropic-rsp/[0-9.]+#clause-3\.6$"))
    target = page.locator("#clause-3\\.6")
    assert target.is_visible()
    assert "External Review" in target.locator("#clause-3\\.6-h").inner_text()  # an h4: under §3


def test_resolve_a_quote_and_copy_its_citation(page, live_server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto("/p/cite")
    page.get_by_label("Paste the quote").fill(QUOTE)
    page.get_by_label("Version").fill("3.1")
    page.get_by_label("Policy").select_option("anthropic-rsp")
    page.get_by_role("button", name="Find it").click()
    page.wait_for_url(re.compile(r"/p/cite\?quote="))
    assert page.get_by_role("heading", name="Found", exact=True).is_visible()
    citation = page.locator(".cite-text").first.input_value()
    assert citation.startswith("Anthropic, Responsible Scaling Policy v3.1") and "§3.6" in citation
    copy = page.get_by_role("button", name="Copy").first
    assert copy.is_visible()  # the JavaScript extra ran
    copy.click()
    page.wait_for_function("document.querySelector('.copy').textContent !== 'Copy'")
    assert page.evaluate("navigator.clipboard.readText()") == citation


def test_phone_viewport_and_keyboard(browser, live_server):
    # Not is_mobile: mobile emulation widens the layout viewport to fit overflowing content, hiding it.
    context = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, has_touch=True)
    pg = context.new_page()
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        for name, url in (("home", "/"), ("compare", "/p/anthropic-rsp/compare/3.0..3.1"),
                          ("version", "/p/anthropic-rsp/3.1#clause-3.6"), ("cite", f"/p/cite?quote={QUOTE}"),
                          ("search", "/p/search?q=external+review&collapse=1&history=1"),
                          ("history", "/p/anthropic-rsp/clauses/3.6/history"), ("method", "/p/method"),
                          ("unannounced", "/p/anthropic-rsp/unannounced"),
                          ("compare-one-clause", "/p/anthropic-rsp/compare/3.0..3.1?clause=3.6"),
                          ("compare-rewrite", "/p/anthropic-rsp/compare/2.2..3.0"),
                          ("compare-form", "/p/anthropic-rsp/compare"),
                          # The standalone page (the API's and the CLI's HTML) has a summary of six counts.
                          ("standalone", "/policies/anthropic-rsp/compare/3.0..3.1?format=html"),
                          # ...and long unbroken runs (a table of contents' dot leaders, run-together words).
                          ("standalone-rewrite", "/policies/anthropic-rsp/compare/1.0..3.4?format=html")):
            pg.goto(url.replace("&", "%26") if url.startswith("/p/cite") else url)
            overflow = pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{url} overflows a phone screen by {overflow}px"
            pg.screenshot(path=str(SCREENSHOTS / f"phone_{name}.png"))
        # keyboard: the first Tab reaches the skip link, which moves focus to the content
        pg.goto("/")
        pg.keyboard.press("Tab")
        assert pg.evaluate("document.activeElement.textContent") == "Skip to content"
        pg.keyboard.press("Enter")
        assert pg.evaluate("location.hash") == "#main"
    finally:
        context.close()


def test_error_page_in_the_browser(page):
    response = page.goto("/p/anthropic-rsp/9.9")
    assert response is not None and response.status == 404
    assert "has no version" in page.get_by_role("alert").inner_text()


# WCAG 2.x contrast of every visible text run against the background it is drawn on (the nearest
# ancestor with an opaque background, else white). Large text (24px, or 18.66px bold) needs 3:1,
# other text 4.5:1 (success criterion 1.4.3, level AA).
CONTRAST_JS = """
() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  let checked = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || !el.getClientRects().length) continue;
    const st = getComputedStyle(el);
    if (st.visibility === "hidden" || st.display === "none") continue;
    if (el.closest("[aria-hidden=true], details:not([open]) > :not(summary)")) continue;
    const fg = lum(rgb(st.color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    checked++;
    const where = `${el.tagName.toLowerCase()}.${el.className} "${n.textContent.trim().slice(0, 30)}"`;
    if (ratio < need) failures.push(`${where} ${ratio.toFixed(2)} < ${need}`);
  }
  return {checked, failures: [...new Set(failures)]};
}
"""


def test_text_contrast_meets_wcag_aa(page):
    for url in ("/", "/p/anthropic-rsp/3.1", "/p/anthropic-rsp/compare/3.0..3.1?all=1",
                "/p/search?q=external+review&history=1", "/p/anthropic-rsp/clauses/3.6/history",
                "/p/anthropic-rsp/9.9", "/p/method", "/p/anthropic-rsp/unannounced"):
        page.goto(url)
        result = page.evaluate(CONTRAST_JS)
        assert result["checked"] > 10, url
        assert not result["failures"], f"{url}: {result['failures'][:10]}"


def test_a_folded_stretch_reads_inline_and_opens_in_place(page):
    """3.0 -> 3.1 Introduction: ~250 unchanged words folded before the inserted "with". Closed, the fold's
    button stands on the line of the text after it (a hidden block would break the line); opened,
    the words appear where they stood, and the button stays, focused, to fold them back."""
    page.goto("/p/anthropic-rsp/compare/3.0..3.1")
    fold = page.locator("article", has_text="Introduction").locator("details.fold").first
    fold.scroll_into_view_if_needed()
    # The top of the first line box after the fold, against the fold's button.
    after = """d => { const r = document.createRange(); r.selectNodeContents(d.nextSibling);
                      return r.getClientRects()[0].top; }"""
    summary_top = fold.locator("summary").bounding_box()["y"]
    assert abs(fold.evaluate(after) - summary_top) < 12
    summary = fold.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert fold.evaluate("d => d.open")
    assert "Our Responsible Scaling Policy (RSP) is our voluntary framework" in fold.inner_text()
    # A keyboard user keeps their place: the button is still there, focused, and folds the text back.
    assert summary.is_visible() and fold.evaluate("d => document.activeElement === d.querySelector('summary')")
    page.keyboard.press("Enter")
    assert not fold.evaluate("d => d.open")


def test_a_resolved_quote_opens_its_page_at_the_quote(page):
    """The cite page's link carries a text fragment: the version page opens scrolled to the quote,
    pages below the clause's heading (the anchor alone would stop at the heading)."""
    page.goto("/p/cite?quote=double+the+rate+of+progress+in+AI+aggregate+capabilities&version=3.1")
    page.locator("a.hit").first.click()
    page.wait_for_url(re.compile(r"/p/anthropic-rsp/3\.1#clause-1:~:text="))
    para = page.locator("p", has_text="expectdouble the rate of progress").first
    page.wait_for_function("window.scrollY > 0")
    box, clause = para.bounding_box(), page.locator("#clause-1").bounding_box()
    viewport = page.viewport_size["height"]
    assert 0 <= box["y"] < viewport, box  # the quote is on screen
    assert clause["y"] < -viewport, clause  # and the clause's top more than a screen above it


def test_cite_a_version_for_a_wiki_and_copy_it(page, live_server):
    """The version page's "cite this" box opens in place, and its copy button copies the whole citation."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto("/p/anthropic-rsp/3.1")
    box = page.locator("details.cite-as")
    assert not box.locator("textarea").first.is_visible()  # closed until asked for
    box.locator("summary").click()
    field = page.get_by_label("Wikipedia {{cite web}}")
    assert field.is_visible()
    wikitext = field.input_value()
    assert wikitext.startswith("{{cite web |url=https://")
    assert "|title=Responsible Scaling Policy, version 3.1" in wikitext
    copy = box.locator(".citation", has=field).get_by_role("button", name="Copy")
    copy.click()
    page.wait_for_function("[...document.querySelectorAll('.cite-as .copy')].some(b => b.textContent !== 'Copy')")
    assert page.evaluate("navigator.clipboard.readText()") == wikitext
