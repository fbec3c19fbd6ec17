"""PDF extraction: fidelity on the corpus and on publisher-like PDFs, bad input, normalisation.

Fidelity is word-level F1 (multiset) against the reference text; see `pdfmaker.tokens` for what is
compared and why that is fair to both sides.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from archive.errors import ArchiveError, ExtractionFailed, LimitExceeded, PasswordRequired
from archive.types import PAGE_SEPARATOR
from ingest.normalize import join_hyphenated, normalize_line, normalize_text
from ingest.pdf import EXTRACTOR_NAME, EXTRACTOR_VERSION, extract_pdf
from tests.pdfmaker import (
    CORPUS,
    PUBLISHER_HEADER,
    corpus_versions,
    document_text,
    extracted,
    f1,
    publisher_pdf,
    reference_text,
    tokens,
)

VERSIONS = corpus_versions()
IDS = [f"{v.policy}-{v.version}" for v in VERSIONS]
WILD = CORPUS / "wild"
LIMITS = {"max_pages": 500, "max_bytes": 50_000_000}
FLOOR = 0.995


@pytest.mark.parametrize("v", VERSIONS, ids=IDS)
def test_corpus_fidelity(v) -> None:  # noqa: ANN001
    doc = extracted(v.version)
    assert doc.page_count == v.pages
    score = f1(tokens(document_text(doc)), tokens(reference_text(v.text)))
    assert score >= FLOOR, f"{v.version}: F1 {score:.4f}"


@pytest.mark.parametrize("v", VERSIONS, ids=IDS)
def test_running_lines_kept_out_of_body(v) -> None:  # noqa: ANN001
    doc = extracted(v.version)
    for page in doc.pages[1:]:
        assert page.footer, f"page {page.number} has no footer"
        # Printed numbers need not match the PDF's page index (v2.x number front pages apart).
        assert "Anthropic" in page.footer or page.footer == f"Page {page.number}"
        assert "Responsible Scaling Policy, Anthropic" not in page.text
        assert not page.text.rstrip().endswith(f"\n{page.number}")
    if v.policy == "anthropic-rsp-noncompliance":
        header = "RSP Noncompliance Reporting and Anti-Retaliation Policy"
        # The page where the roles table goes on also holds its header row's copy (ingest/repeats.py).
        copy = {"2025-12": 3, "2026-02": 5}[v.version]
        assert all(p.header == header for p in doc.pages[1:] if p.number != copy)
        assert doc.pages[copy - 1].header == f"{header}\nRole\nResponsibilities"
        assert all(header not in p.text for p in doc.pages[1:])
        assert doc.pages[1].footer == "Page 2"


def test_footnotes_split_and_markers_removed() -> None:
    doc = extracted("3.4")
    page4 = doc.pages[3]
    assert [n.marker for n in page4.footnotes] == ["1"]
    assert page4.footnotes[0].text.startswith("“Catastrophic risk” as used in our RSP")
    assert "Catastrophic risk” as used" not in doc.full_text
    assert "every obligation we face. Where" in page4.text
    intro = next(c for c in doc.clauses if c.title == "Introduction")
    assert [n.marker for n in intro.footnotes] == ["1"]  # marker on p.4, heading on p.3
    v20 = extracted("2.0")
    assert "Effective Compute)." in v20.full_text and "Compute4)" not in v20.full_text
    notes = [n.marker for p in v20.pages for n in p.footnotes]
    assert sorted(notes, key=int) == [str(i) for i in range(1, 24)]
    v31 = extracted("3.1")
    assert "significant risks beyond those" in v31.full_text and "risks5beyond" not in v31.full_text
    # A marker after a parenthesis and a full stop ("(see Section 3).1"): the note is the clause's
    # holding the marker, though printed at the foot of the page where the next clause begins.
    v22 = extracted("2.2")
    sec2 = next(c for c in v22.clauses if c.number == "2")
    assert [n.marker for n in sec2.footnotes] == ["1", "2"] and "(seeSection\n3)." in sec2.text
    assert "We hope to publish" in sec2.footnotes[0].text


def test_extractor_identity() -> None:
    doc = extracted("3.4")
    assert (EXTRACTOR_NAME, EXTRACTOR_VERSION) == ("policy-archive-pdf", "7")
    assert doc.extractor == "policy-archive-pdf/7" and doc.engine_version
    assert doc.full_text == PAGE_SEPARATOR.join(p.text for p in doc.pages)


def test_ligatures_expanded() -> None:
    doc = extracted("2025-12")
    assert "\ufb01" not in doc.full_text
    assert "Confidentiality Protections" in doc.full_text


# --- publisher-like PDFs: no spaces, justified, ligatures, running header, mixed fonts ---------


@pytest.fixture(scope="module")
def publisher_docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = {}
    folder = tmp_path_factory.mktemp("publisher")
    for v in VERSIONS:
        path = folder / f"{v.version}.pdf"
        publisher_pdf(v.text, path)
        out[v.version] = extract_pdf(path, **LIMITS)
    return out


def test_publisher_pdf_has_no_spaces(tmp_path: Path) -> None:
    import pdfplumber

    path = tmp_path / "p.pdf"
    publisher_pdf(VERSIONS[-1].text, path)
    with pdfplumber.open(path) as pdf:
        # Body glyphs only: the running header and footer are drawn as plain strings.
        chars = [c for c in pdf.pages[1].chars if 50 < c["top"] < 740]
    assert chars and not any(c["text"] == " " for c in chars)
    assert any(c["text"] == "\ufb01" for c in chars)


@pytest.mark.parametrize("v", VERSIONS, ids=IDS)
def test_publisher_like_fidelity(v, publisher_docs) -> None:  # noqa: ANN001
    doc = publisher_docs[v.version]
    assert doc.page_count == v.pages
    assert all(PUBLISHER_HEADER in p.header for p in doc.pages)
    score = f1(tokens(document_text(doc, skip_header=PUBLISHER_HEADER)), tokens(reference_text(v.text)))
    assert score >= FLOOR, f"{v.version}: F1 {score:.4f}"
    clean = extracted(v.version)
    # The same clause tree and the same notes as from the clean PDF.
    assert [(c.number, c.title, c.page_start, c.parent) for c in doc.clauses] == [
        (c.number, c.title, c.page_start, c.parent) for c in clean.clauses
    ]
    assert [(n.marker, n.text) for p in doc.pages for n in p.footnotes] == [
        (n.marker, n.text) for p in clean.pages for n in p.footnotes
    ]


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(WILD.glob("*.pdf")), ids=lambda p: p.name)
def test_wild_extracts_or_fails_cleanly(path: Path) -> None:
    start = time.monotonic()
    try:
        # 100 pages: the 117-page LaTeX book then fails fast with LimitExceeded (keeps tests quick).
        doc = extract_pdf(path, max_pages=100, max_bytes=50_000_000)
    except ArchiveError as e:
        assert path.name in str(e) and "\n" not in str(e)
    else:
        assert doc.page_count > 0 and doc.full_text.strip()
    assert time.monotonic() - start < 30


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_two_columns_read_down_each_column() -> None:
    """LaTeX twocolumn (justified, hyphenated): the left column's sentences come whole, then the right's."""
    page = extract_pdf(WILD / "multicolumn.pdf", **LIMITS).pages[0]
    text = _flat(page.text)
    assert text.startswith("Two-Column Document with Lorem Ipsum")
    assert ("Lorem ipsum dolor sit amet, consectetuer adipiscing elit. Ut purus elit, vestibulum ut, "
            "placerat ac, adipiscing vitae, felis. Curabitur dictum gravida mauris.") in text
    # The right column follows the left one instead of being woven into it, line by line.
    assert "Maecenas lacinia" in text and text.index("Curabitur dictum") < text.index("Maecenas lacinia")


def test_three_columns_and_sideways_margin_text() -> None:
    """The Federal Register: three columns, and a production slug set sideways in the margin, which
    must not be mixed into the lines that share its coordinates."""
    doc = extract_pdf(WILD / "federal-register-2020-17221.pdf", **LIMITS)
    text = _flat(doc.pages[1].text)
    assert ("Hatta International Airport in Jakarta, Indonesia, resulting in 189 fatalities. Investigation "
            "of the accident has been completed by the Indonesian authorities") in text
    # The sideways slug (its letters reversed) stands on a line of its own (on most pages the footer).
    slug = "SLASOPORP htiw DORP2X7WSLJKSD no llebj"
    assert sum(p.footer == slug for p in doc.pages) >= len(doc.pages) // 2
    assert all(ln == slug for ln in doc.full_text.splitlines() if "SLASOPORP" in ln)
    assert "Docket No. FAA–2020–0686" in _flat(doc.pages[0].text)


def test_tables_keep_their_rows() -> None:
    """A wide gap between table columns is no gutter: each row still reads across."""
    text = _flat(extract_pdf(WILD / "nics-background-checks-2015-11.pdf", **LIMITS).pages[0].text)
    assert "Alabama 18,870 23,022 22,650" in text


def test_password() -> None:
    path = WILD / "password-example.pdf"
    with pytest.raises(PasswordRequired, match="password is needed"):
        extract_pdf(path, **LIMITS)
    with pytest.raises(PasswordRequired, match="wrong"):
        extract_pdf(path, password="nope", **LIMITS)
    doc = extract_pdf(path, password="test", **LIMITS)
    assert "Backup4all" in doc.pages[0].text


def test_no_text_layer() -> None:
    with pytest.raises(ExtractionFailed, match="no text layer"):
        extract_pdf(WILD / "issue-203-decimalize.pdf", **LIMITS)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ExtractionFailed, match="empty"):
        extract_pdf(WILD / "empty.pdf", **LIMITS)
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"<html>not a pdf</html>")
    with pytest.raises(ExtractionFailed, match="not a PDF"):
        extract_pdf(junk, **LIMITS)
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(VERSIONS[0].pdf.read_bytes()[:20_000])
    with pytest.raises(ExtractionFailed, match="cut.pdf"):
        extract_pdf(cut, **LIMITS)


def test_limits() -> None:
    pdf = VERSIONS[0].pdf
    with pytest.raises(LimitExceeded, match="pages"):
        extract_pdf(pdf, max_pages=5, max_bytes=50_000_000)
    with pytest.raises(LimitExceeded, match="bytes"):
        extract_pdf(pdf, max_pages=500, max_bytes=1000)


def test_progress_reports_every_page() -> None:
    seen: list[tuple[int, int]] = []
    extract_pdf(WILD / "password-example.pdf", password="test", progress=lambda i, n: seen.append((i, n)), **LIMITS)
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


# --- normalisation -------------------------------------------------------------------------------


def test_normalize_line() -> None:
    assert normalize_line(" con\ufb01dential\u200b  e\ufb03cient\u00a0\ufb02ow ") == "confidential efficient flow"
    assert normalize_line("cafe\u0301") == "café"


def test_hyphenation() -> None:
    vocab = {"recommendations"}
    assert join_hyphenated(["our recom-", "mendations, now"], vocab) == ["our recommendations,", "now"]
    assert join_hyphenated(["AI-", "related risk"]) == ["AI-", "related risk"]
    assert join_hyphenated(["a well-", "known fact"]) == ["a well-known", "fact"]
    assert join_hyphenated(["ASL-", "3 standard"]) == ["ASL-", "3 standard"]
    assert join_hyphenated(["pre-", "Release"]) == ["pre-", "Release"]
    assert normalize_text("the risk-\nrelevant and risk relevant") == "the risk-relevant\nand risk relevant"
    assert normalize_text("devel-\nopment") == "development"


def test_a_file_whose_every_line_repeats_on_every_page_is_refused(tmp_path: Path) -> None:
    """Each page holds only "N. Section title N" at the same place: the running-header rule takes them
    all (they differ only in numbers) and nothing is left to read; it was archived as 0 clauses."""
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "headings-only.pdf"
    c = Canvas(str(path), pagesize=(612, 792))
    for n in range(1, 6):
        c.setFont("Helvetica-Bold", 14)
        c.drawString(72, 720, f"{n}. Section title {n}")
        c.showPage()
    c.save()
    with pytest.raises(ExtractionFailed, match="no body text: every line repeats on every page"):
        extract_pdf(path, max_pages=100, max_bytes=10**7)
