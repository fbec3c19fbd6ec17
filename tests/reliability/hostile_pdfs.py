"""Hostile PDFs made on the spot: each a small file that attacks one part of a PDF reader."""

from __future__ import annotations

import os
from pathlib import Path


def _pdf(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF with a correct xref table around the given object bodies (numbered from 1)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _page_pdf(mediabox: bytes = b"[0 0 612 792]", text: bytes = b"Hello hostile world", count: int = 1) -> bytes:
    stream = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % count,
            b"<< /Type /Page /Parent 2 0 R /MediaBox " + mediabox + b" /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def make_all(folder: Path) -> dict[str, Path]:
    """Write every hostile file into `folder`; name -> path."""
    depth = 20_000
    files: dict[str, bytes] = {
        "zero-bytes.pdf": b"",
        "header-then-garbage.pdf": b"%PDF-1.7\n" + os.urandom(200_000),
        "not-a-pdf.pdf": b"<html><script>alert(1)</script></html>\n" * 100,
        "truncated-half.pdf": _page_pdf()[: len(_page_pdf()) // 2],
        "huge-page-count.pdf": _page_pdf(count=2_000_000_000),
        "enormous-page.pdf": _page_pdf(mediabox=b"[0 0 14400000 14400000]"),
        "negative-page.pdf": _page_pdf(mediabox=b"[0 0 -1e30 nan]"),
        "deeply-nested-arrays.pdf": _pdf(
            [
                b"<< /Type /Catalog /Pages 2 0 R /Junk " + b"[" * depth + b"]" * depth + b" >>",
                b"<< /Type /Pages /Kids [] /Count 0 >>",
            ]
        ),
        "deeply-nested-dicts.pdf": _pdf(
            [
                b"<< /Type /Catalog /Pages 2 0 R /Junk " + b"<< /A " * depth + b"1" + b" >>" * depth + b" >>",
                b"<< /Type /Pages /Kids [] /Count 0 >>",
            ]
        ),
        "self-referencing-pages.pdf": _pdf(
            [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]
        ),
        "script-in-text.pdf": _page_pdf(text=b"<script>alert(1)</script> ; DROP TABLE versions; --"),
    }
    out = {}
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        out[name] = path
    return out
