"""PDF -> ExtractedDocument: page text, running headers/footers, footnotes, and the clause tree.

One pass over `page.chars` per page (no `extract_text`): lines are built from character baselines
and words from the horizontal gaps between glyphs, so PDFs that draw each word by itself without
space characters, justify lines or mix fonts give the same text as clean ones.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber

from archive.clauses import Line, build_clauses
from archive.errors import ExtractionFailed, LimitExceeded, PasswordRequired
from archive.types import PAGE_SEPARATOR, ExtractedDocument, Footnote, Page
from ingest import footnotes as fn
from ingest.columns import reading_order
from ingest.normalize import join_hyphenated, normalize_line, vocabulary
from ingest.repeats import repeated_tops

EXTRACTOR_NAME = "policy-archive-pdf"
# Bump on any change in output (2: columns, sideways text apart; 3: repeated table headers; 4: a note
# marker after ")." found; 5: a marker after a designation's digit, "ASL-24"; 6: a table header row
# repeated from mid-page, "Role / Responsibilities"; 7: clauses record their page breaks, and which
# continue a table).
EXTRACTOR_VERSION = "7"

_BOLD = re.compile(r"bold|black|heavy|semibold|demi|,b$", re.I)
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?[-–—]?\s*(?:\d{1,4}|[ivxlc]{1,6})\s*[-–—]?(?:\s+of\s+\d{1,4})?$", re.I)
_WORD_GAP = 0.2  # a gap wider than this many ems between glyphs separates words
_CLOSING = set(".,;:!?)]”’\"'")
_SUPERSCRIPT_RATIO = 0.85  # glyphs this much smaller than the line, and raised, are markers

logging.getLogger("pdfminer").setLevel(logging.ERROR)


@dataclass
class RawLine:
    """A line of one page before normalisation, with what the font says about it."""

    words: list[str]
    markers: list[tuple[int, str]]  # (index of the word the marker follows, marker text)
    top: float
    bottom: float
    size: float
    bold: bool
    blank_before: bool = False
    footnotes: list[Footnote] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.words)


def extract_pdf(
    path: Path,
    *,
    password: str | None = None,
    max_pages: int,
    max_bytes: int,
    progress: Callable[[int, int], None] | None = None,
) -> ExtractedDocument:
    """Extract a PDF's pages and clause tree; raise an ExtractionFailed subclass on bad input."""
    name = Path(path).name
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise ExtractionFailed(f"{name}: cannot read file ({e.strerror})") from None
    if size == 0:
        raise ExtractionFailed(f"{name}: empty file (0 bytes)")
    if size > max_bytes:
        raise LimitExceeded(f"{name}: file is {size} bytes, over the limit of {max_bytes}")
    with open(path, "rb") as f:
        head = f.read(1024)
    if b"%PDF-" not in head:
        raise ExtractionFailed(f"{name}: not a PDF (no %PDF header)")

    try:
        pdf = pdfplumber.open(path, password=password or "")
    except Exception as e:  # pdfminer raises many types; none may escape as a traceback
        error = _open_error(name, e, password)
        if not (password and isinstance(error, PasswordRequired)):
            raise error from None
        # A batch's password is not every file's: one encrypted with an empty user password opens without.
        try:
            pdf = pdfplumber.open(path, password="")
        except Exception:
            raise error from None
    with pdf:
        try:
            n = len(pdf.pages)
        except Exception as e:
            raise ExtractionFailed(f"{name}: malformed PDF ({_reason(e)})") from None
        if n == 0:
            raise ExtractionFailed(f"{name}: the PDF has no pages")
        if n > max_pages:
            raise LimitExceeded(f"{name}: {n} pages, over the limit of {max_pages}")
        raw_pages: list[list[RawLine]] = []
        for i, page in enumerate(pdf.pages):
            try:
                raw_pages.append(page_lines(page.chars))
            except Exception as e:
                raise ExtractionFailed(f"{name}: page {i + 1} cannot be read ({_reason(e)})") from None
            finally:
                page.close()  # free the page's layout cache: memory stays flat on long files
            if progress:
                progress(i + 1, n)
    if not any(raw_pages):
        raise ExtractionFailed(f"{name}: no text layer (needs OCR)")
    doc = assemble(raw_pages)
    if not any(ch.isalnum() for ch in doc.full_text):
        # Every line stood at the same place on every page (numbers aside) and went to the pages'
        # headers and footers: an archived version with no text to read, search or compare.
        raise ExtractionFailed(f"{name}: no body text: every line repeats on every page, as running headers do")
    return doc


def _reason(e: BaseException) -> str:
    inner = e.args[0] if e.args and isinstance(e.args[0], BaseException) else e
    msg = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    return f"{type(inner).__name__}: {msg}" if msg else type(inner).__name__


def _open_error(name: str, e: BaseException, password: str | None) -> ExtractionFailed:
    reason = _reason(e)
    if "Password" in reason or "Encrypt" in reason:
        if password:
            return PasswordRequired(f"{name}: encrypted and the password given is wrong")
        return PasswordRequired(f"{name}: encrypted, a password is needed to open it")
    return ExtractionFailed(f"{name}: not a readable PDF ({reason})")


# --- lines and words from glyphs -------------------------------------------------------------


def page_lines(chars: list[dict]) -> list[RawLine]:
    """Group a page's glyphs into lines (by baseline) and words (by gaps), in reading order."""
    glyphs = [c for c in chars if c.get("text")]
    if not glyphs:
        return []
    # Text set sideways (a rotated page, a margin note, a production slug) is grouped on its own,
    # after the upright lines, not mixed into whichever line shares its coordinate; only upright
    # text has columns.
    upright = [c for c in glyphs if c.get("upright", True)]
    sideways = [c for c in glyphs if not c.get("upright", True)]
    clusters = reading_order(_baseline_groups(upright)) + _baseline_groups(sideways)
    lines = [_make_line(cl) for cl in _merge_superscripts(clusters)]
    lines = [ln for ln in lines if ln.words or ln.markers]
    for prev, ln in zip(lines, lines[1:], strict=False):
        # A gap of more than ~0.6 em between lines is a paragraph break.
        ln.blank_before = ln.top - prev.bottom > 0.6 * max(ln.size, prev.size)
    return lines


def _baseline_groups(glyphs: list[dict]) -> list[list[dict]]:
    """Glyphs grouped by baseline, top to bottom (left to right for sideways text)."""
    # Baseline from the text matrix: robust to mixed fonts on one line.
    glyphs = sorted(glyphs, key=_base)
    clusters: list[list[dict]] = []
    for c in glyphs:
        key = _base(c)
        if clusters:
            ref = _base(clusters[-1][0])
            if abs(key - ref) <= max(1.0, 0.2 * min(c["size"], clusters[-1][0]["size"])):
                clusters[-1].append(c)
                continue
        clusters.append([c])
    return clusters


def _base(c: dict) -> float:
    return -c["matrix"][5] if c.get("upright", True) else c["x0"]


def _merge_superscripts(clusters: list[list[dict]]) -> list[list[dict]]:
    """Fold clusters made only of small raised digits (footnote markers) into the line below."""
    out: list[list[dict]] = []
    for i, cl in enumerate(clusters):
        text = "".join(c["text"] for c in cl).strip()
        if text and all(ch.isdigit() or ch in ",*†‡ " for ch in text) and i + 1 < len(clusters):
            nxt = clusters[i + 1]
            nsize = Counter(round(c["size"], 1) for c in nxt).most_common(1)[0][0]
            raise_by = _base(nxt[0]) - _base(cl[0])
            if max(c["size"] for c in cl) < _SUPERSCRIPT_RATIO * nsize and 0 < raise_by < 0.7 * nsize:
                nxt.extend(cl)
                continue
        out.append(cl)
    return out


def _make_line(cluster: list[dict]) -> RawLine:
    sizes = Counter(round(c["size"], 2) for c in cluster if not c["text"].isspace())
    size = sizes.most_common(1)[0][0] if sizes else cluster[0]["size"]
    base = min(_base(c) for c in cluster if abs(c["size"] - size) < 0.05) if sizes else 0.0
    cluster.sort(key=lambda c: c["x0"] if c.get("upright", True) else c["top"])
    words: list[str] = []
    markers: list[tuple[int, str]] = []
    cur: list[str] = []
    cur_marker: list[str] = []
    prev_end: float | None = None
    bold = 0
    counted = 0
    for c in cluster:
        t = c["text"]
        upright = c.get("upright", True)
        start, end = (c["x0"], c["x1"]) if upright else (c["top"], c["bottom"])
        if t.isspace():
            _flush(words, cur, markers, cur_marker)
            prev_end = end
            continue
        sup = c["size"] < _SUPERSCRIPT_RATIO * size and _base(c) < base - 0.15 * size and t.isdigit()
        gap = start - prev_end if prev_end is not None else 0.0
        if prev_end is not None and gap > _WORD_GAP * min(c["size"], size):
            _flush(words, cur, markers, cur_marker)
        if sup:
            if cur:
                words.append("".join(cur))
                cur.clear()
            cur_marker.append(t)
        elif cur_marker and not cur and words and t in _CLOSING and gap <= _WORD_GAP * size:
            words[-1] += t  # "risks¹," : the comma belongs to the word before the marker
            counted += 1
        else:
            if cur_marker:
                markers.append((len(words), "".join(cur_marker)))
                cur_marker.clear()
            cur.append(t)
            counted += 1
            bold += bool(_BOLD.search(c.get("fontname", "")))
        prev_end = end
    _flush(words, cur, markers, cur_marker)
    tops = [c["top"] for c in cluster]
    bottoms = [c["bottom"] for c in cluster]
    return RawLine(
        words=words,
        markers=markers,
        top=min(tops),
        bottom=max(bottoms),
        size=float(size),
        bold=counted > 0 and bold >= 0.8 * counted,
    )


def _flush(words: list[str], cur: list[str], markers: list[tuple[int, str]], mk: list[str]) -> None:
    if cur:
        words.append("".join(cur))
        cur.clear()
    if mk:
        markers.append((len(words), "".join(mk)))
        mk.clear()


# --- running headers and footers --------------------------------------------------------------


def _shape(text: str) -> str:
    # Page numbers vary and may be missing on some pages: drop digits and an edge numeral.
    text = re.sub(r"\d+", "", text.lower())
    return re.sub(r"^(page\s+)?[ivxlc]{1,6}\s+|\s+[ivxlc]{1,6}$", "", text).strip(" -–—|")


def split_running(pages: list[list[RawLine]]) -> list[tuple[list[str], list[RawLine], list[str]]]:
    """Per page: (header lines, body lines, footer lines).

    Running lines are found by repetition: a line among the first or last two of a page whose shape
    (digits folded) recurs at that end on at least half the pages (and two). Bare page numbers
    ("2", "Page 2", "Page 2 of 9", "- 2 -") at either end go too.
    """
    n = len(pages)
    tops: Counter[str] = Counter()
    bottoms: Counter[str] = Counter()
    for lines in pages:
        tops.update({_shape(ln.text) for ln in lines[:2]})
        bottoms.update({_shape(ln.text) for ln in lines[-2:]})
    need = max(2, (n + 1) // 2)

    def running(ln: RawLine, counts: Counter[str]) -> bool:
        return _PAGE_NUMBER.match(ln.text) is not None or (n >= 2 and counts[_shape(ln.text)] >= need)

    out = []
    for lines in pages:
        body = list(lines)
        header: list[str] = []
        footer: list[str] = []
        while body and len(header) < 2 and running(body[0], tops):
            header.append(body.pop(0).text)
        while body and len(footer) < 2 and running(body[-1], bottoms):
            footer.insert(0, body.pop().text)
        out.append((header, body, footer))
    return out


# --- assembling the document ------------------------------------------------------------------


def assemble(raw_pages: list[list[RawLine]]) -> ExtractedDocument:
    """Pages' lines -> normalised page text, footnotes, and the clause tree."""
    split = split_running(raw_pages)
    vocab = vocabulary(normalize_line(ln.text) for _, body, _ in split for ln in body)
    doc_body = _body_size([ln for _, body, _ in split for ln in body])
    bodies = [fn.split_footnotes(body, number) for number, (_, body, _) in enumerate(split, start=1)]
    repeats = repeated_tops([[ln.text for ln in body] for body, _ in bodies],
                            [[ln.blank_before for ln in body] for body, _ in bodies])
    pages: list[Page] = []
    lines: list[Line] = []
    offset = 0
    pages_in = zip(split, bodies, repeats, strict=True)
    for number, ((header, _, footer), (body, notes), repeat) in enumerate(pages_in, start=1):
        body_size = _body_size(body, doc_body)
        if repeat:
            # A table header printed again at this page top (ingest/repeats.py) leaves the body, and so
            # the clause text, for the page's header: the page record still holds all that was printed,
            # while its text stays the body that clause offsets, search pages and citation offsets
            # index (clause text is a slice of the full text; a copy kept there would break that).
            header = header + [ln.text for ln in body[:repeat]]
            carried = [note for ln in body[:repeat] for note in ln.footnotes]
            body = body[repeat:]
            body[0].footnotes[:0] = carried
        texts = join_hyphenated([normalize_line(ln.text) for ln in body], vocab)
        parts: list[str] = []
        pos = 0
        for ln, text in zip(body, texts, strict=True):
            if not text:
                continue
            if parts:
                sep = "\n\n" if ln.blank_before else "\n"
                parts.append(sep)
                pos += len(sep)
            lines.append(
                Line(
                    text=text,
                    page=number,
                    start=offset + pos,
                    end=offset + pos + len(text),
                    size=ln.size / body_size,
                    bold=ln.bold,
                    top=ln.top,
                    font_size=ln.size,
                    footnotes=tuple(ln.footnotes),
                )
            )
            parts.append(text)
            pos += len(text)
        page_text = "".join(parts)
        pages.append(
            Page(
                number=number,
                text=page_text,
                header="\n".join(normalize_line(h) for h in header),
                footer="\n".join(normalize_line(f) for f in footer),
                footnotes=notes,
            )
        )
        offset += len(page_text) + len(PAGE_SEPARATOR)
    full_text = PAGE_SEPARATOR.join(p.text for p in pages)
    table_pages = frozenset(n for n, repeat in enumerate(repeats, start=1) if repeat)
    return ExtractedDocument(
        pages=pages,
        clauses=build_clauses(lines, full_text, table_pages),
        extractor=f"{EXTRACTOR_NAME}/{EXTRACTOR_VERSION}",
        extractor_version=EXTRACTOR_VERSION,
        engine_version=pdfplumber.__version__,
    )


def _body_size(lines: list[RawLine], default: float = 10.0) -> float:
    """The body text size: the size carrying the most non-bold characters.

    A page with little plain text (a contents page set in the heading font) takes `default`.
    """
    sizes: Counter[float] = Counter()
    for ln in lines:
        if not ln.bold:
            sizes[round(ln.size, 1)] += len(ln.text)
    if sum(sizes.values()) < 200:
        return default
    return sizes.most_common(1)[0][0]
