"""Test helpers: the corpus reference text, a fair word comparison, and publisher-like test PDFs.

`publisher_pdf` draws the reference text the way publishers' PDFs often are: every word placed by
itself with no space characters, lines justified, "fi"/"fl"/"ff" as ligature glyphs, a running
header as well as the footer, a second font for headings and some body lines, footnote markers as
small raised digits and notes set smaller at the page foot.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ingest.normalize import normalize_text

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / ".." / "shared" / "corpus"
FOOTER = "Responsible Scaling Policy, Anthropic"
_PAGE = re.compile(r"^\[\[page (\d+)\]\]$")
_PAGE_N = re.compile(r"Page \d+")
_TOKEN = re.compile(r"[^\W\d_]+|\d+")


@dataclass
class RefPage:
    number: int
    lines: list[str] = field(default_factory=list)  # "## " marker stripped
    headings: list[bool] = field(default_factory=list)


@dataclass(frozen=True)
class CorpusVersion:
    policy: str
    version: str
    pages: int
    pdf: Path
    text: Path


def corpus_versions() -> list[CorpusVersion]:
    out = []
    for folder in ("anthropic-rsp", "anthropic-rsp-noncompliance"):
        base = CORPUS / folder
        manifest = tomllib.loads((base / "manifest.toml").read_text())
        for v in manifest["versions"]:
            out.append(CorpusVersion(folder, v["version"], v["pages"], base / v["pdf"], base / v["text"]))
    return out


def reference_pages(path: Path) -> list[RefPage]:
    """The reference text by page, without the footer and page-number lines."""
    pages: list[RefPage] = []
    for raw in path.read_text().split("\n"):
        m = _PAGE.match(raw.strip())
        if m:
            pages.append(RefPage(int(m.group(1))))
            continue
        if not pages:
            continue
        line = raw.rstrip()
        heading = line.startswith("## ")
        pages[-1].lines.append(line[3:] if heading else line)
        pages[-1].headings.append(heading)
    # The running footer: a page-number line, and the last line above it where that line recurs
    # at the foot of at least half the pages ("Responsible Scaling Policy, Anthropic" and the like).
    for p in pages:
        _trim(p)
        if p.lines and p.lines[-1].strip().isdigit() or p.lines and _PAGE_N.fullmatch(p.lines[-1].strip()):
            _pop(p)
            _trim(p)
    last = Counter(p.lines[-1].strip() for p in pages if p.lines)
    for p in pages:
        if p.lines and (p.lines[-1].strip() == FOOTER or last[p.lines[-1].strip()] * 2 >= len(pages)):
            _pop(p)
            _trim(p)
    return pages


def _pop(p: RefPage) -> None:
    p.lines.pop()
    p.headings.pop()


def _trim(p: RefPage) -> None:
    while p.lines and not p.lines[-1].strip():
        _pop(p)


def reference_text(path: Path) -> str:
    return "\n".join("\n".join(p.lines) for p in reference_pages(path))


def tokens(text: str) -> Counter[str]:
    """Words for comparison: runs of letters and runs of digits, after the shared normalisation.

    Why this is fair: the reference glues footnote markers to words ("risks5beyond") and the
    extractor removes them, so digits are split off letters and 1-2 digit numbers (markers, list
    and page numbers) are not compared on either side. Longer numbers (years, 1000x) still are.
    Punctuation and bullets are ignored; case is kept.
    """
    words = _TOKEN.findall(normalize_text(text))
    return Counter(w for w in words if not (w.isdigit() and len(w) <= 2))


def f1(got: Counter[str], want: Counter[str]) -> float:
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision = common / sum(got.values())
    recall = common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def document_text(doc, *, skip_header: str = "") -> str:  # noqa: ANN001 - ExtractedDocument
    """Everything the extractor keeps as content: body text, the running header lines (the
    reference holds them as text), and footnotes (the reference prints notes inline)."""
    parts = []
    for p in doc.pages:
        parts.extend(h for h in p.header.split("\n") if h != skip_header)
        parts.append(p.text)
        parts.extend(f"{n.marker} {n.text}" for n in p.footnotes)
    return "\n".join(parts)


# --- publisher-like PDFs ---------------------------------------------------------------------

_LIGS = (("ffi", "\ufb03"), ("ffl", "\ufb04"), ("ff", "\ufb00"), ("fi", "\ufb01"), ("fl", "\ufb02"))
_GLUED_NOTE = re.compile(r"^(\d{1,2})(?![\d.,)%:/x×\-–])\s?(?=\S)")
# A footnote marker glued after a word or punctuation: "risks5beyond", "face.1Where", "Compute4)."
MARKER = r"(?:(?<=[^\W\d_])|(?<=[^\W\d_][.])|(?<=[,;:)\]”’\"']))({n})(?!\d)(?![.,]\d)"


def _ligate(word: str) -> str:
    for plain, glyph in _LIGS:
        word = word.replace(plain, glyph)
    return word


def _fonts() -> tuple[str, str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names = []
    for name, file in (
        ("Sans", "DejaVuSans.ttf"),
        ("Sans-Bold", "DejaVuSans-Bold.ttf"),
        ("Serif", "DejaVuSerif.ttf"),
    ):
        if name not in pdfmetrics.getRegisteredFontNames():
            for d in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"):
                if Path(d, file).exists():
                    pdfmetrics.registerFont(TTFont(name, str(Path(d, file))))
                    break
            else:  # pragma: no cover - fonts missing on this machine
                raise RuntimeError(f"font {file} not found")
        names.append(name)
    return names[0], names[1], names[2]


PUBLISHER_HEADER = "Publisher Running Header"


def publisher_pdf(ref: Path, out: Path, *, header: str = PUBLISHER_HEADER) -> None:
    """Draw the reference text like a publisher's PDF (see module docstring)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    sans, bold, serif = _fonts()

    c = Canvas(str(out), pagesize=(612, 792))
    width = 612 - 2 * 60
    for page in reference_pages(ref):
        c.setFont(sans, 8)
        c.drawString(60, 760, header)  # running header, a line of its own above the body
        y = 730.0
        lines = list(zip(page.lines, page.headings, strict=True))
        # Notes: lines from the first glued "N text" line whose N is a marker above it.
        body_text = "\n".join(t for t, _ in lines)
        notes_from = _notes_start(lines, body_text)
        markers = {m for t, _ in lines[notes_from:] if (m := _note_number(t))}
        styles = [_style(k, heading, k >= notes_from, bold, sans, serif) for k, (_, heading) in enumerate(lines)]
        needed = sum(size * 1.3 if text.strip() else 6 for (text, _), (_, size) in zip(lines, styles, strict=True))
        scale = min(1.0, 660 / needed) if needed else 1.0  # shrink a full page, as publishers do
        for k, (text, _) in enumerate(lines):
            in_note = k >= notes_from
            if not text.strip():
                y -= 6 * scale
                continue
            font, size = styles[k][0], styles[k][1] * scale
            words = text.split()
            num = _note_number(text) if in_note else None
            x0 = 60.0
            if num:
                words = _GLUED_NOTE.sub("", text, count=1).split()
                c.setFont(sans, 5.5 * scale)
                c.drawString(60, y + 3 * scale, num)
                x0 += stringWidth(num, sans, 5.5 * scale) + 0.5
            _draw_justified(c, words, x0, y, width - (x0 - 60), font, size, markers, not in_note)
            y -= size * 1.3
        c.setFont(sans, 8)
        c.drawString(60, 40, FOOTER)
        c.drawRightString(552, 40, str(page.number))
        c.showPage()
    c.save()


def _style(k: int, heading: bool, note: bool, bold: str, sans: str, serif: str) -> tuple[str, float]:
    if heading:
        return bold, 12.5
    if note:
        return sans, 8.0
    return (serif if k % 7 == 3 else sans), 9.5  # mixed fonts in body text


def _note_number(text: str) -> str | None:
    m = _GLUED_NOTE.match(text)
    return m.group(1) if m else None


def _notes_start(lines: list[tuple[str, bool]], body_text: str) -> int:
    for k, (text, heading) in enumerate(lines):
        n = _note_number(text)
        if n and not heading and k > 0:
            before = "\n".join(t for t, _ in lines[:k])
            if re.search(MARKER.format(n=n), before) and not any(h for _, h in lines[k:]):
                return k
    return len(lines)


def _draw_justified(c, words, x0, y, width, font, size, markers, body) -> None:  # noqa: ANN001
    from reportlab.pdfbase.pdfmetrics import stringWidth

    # (word, marker drawn after it, punctuation drawn right after the marker)
    pieces: list[tuple[str, str | None, str]] = []
    for w in words:
        m = re.search(MARKER.format(n=r"\d{1,2}"), w) if body else None
        if m and m.group(1) in markers:
            markers.discard(m.group(1))
            left, right = w[: m.start()], w[m.end() :]
            if right and (right[0].isalpha() or right[0] in '“"‘('):
                pieces += [(left, m.group(1), ""), (right, None, "")]
            else:
                pieces.append((left, m.group(1), right))
        else:
            pieces.append((w, None, ""))
    glyphs = [(_ligate(w), mk, tail) for w, mk, tail in pieces]
    widths = [
        stringWidth(w + tail, font, size) + (stringWidth(mk, font, size * 0.6) if mk else 0) for w, mk, tail in glyphs
    ]
    natural = sum(widths) + stringWidth(" ", font, size) * (len(glyphs) - 1)
    # Justify lines that are nearly full; short last lines keep a normal space.
    gap = stringWidth(" ", font, size)
    if len(glyphs) > 1 and natural > 0.75 * width:
        gap = (width - sum(widths)) / (len(glyphs) - 1)
        gap = max(gap, stringWidth(" ", font, size) * 0.9)
    x = x0
    for (w, mk, tail), wd in zip(glyphs, widths, strict=True):
        c.setFont(font, size)
        c.drawString(x, y, w)  # one word per text object, never a space character
        if mk:
            mx = x + stringWidth(w, font, size)
            c.setFont(font, size * 0.6)
            c.drawString(mx, y + size * 0.35, mk)
            if tail:
                c.setFont(font, size)
                c.drawString(mx + stringWidth(mk, font, size * 0.6), y, tail)
        x += wd + gap


# --- one extraction per corpus version per test session ----------------------------------------


@functools.cache
def extracted(version: str):  # noqa: ANN201 - ExtractedDocument
    """The corpus PDF of `version`, extracted once per test session."""
    from ingest.pdf import extract_pdf

    v = next(v for v in corpus_versions() if v.version == version)
    return extract_pdf(v.pdf, max_pages=500, max_bytes=50_000_000)


def reference_headings(path: Path) -> list[tuple[str, int]]:
    """Heading texts of the reference (consecutive "## " lines merged) with their page."""
    out: list[tuple[str, int]] = []
    for page in reference_pages(path):
        prev = False
        for line, heading in zip(page.lines, page.headings, strict=True):
            if heading and prev:
                out[-1] = (out[-1][0] + " " + line.strip(), page.number)
            elif heading:
                out.append((line.strip(), page.number))
            prev = heading
    return [(normalize_text(t), p) for t, p in out]
