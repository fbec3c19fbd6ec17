"""Pages made from the repository's Markdown docs, so the method researchers read on the site is the
one engineers read in `docs/` (one text; tests/test_docs.py checks its thresholds against the code)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt

from archive.errors import NotFound
from archive.settings import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"
PAGES = {"method": "redlines.md"}  # page name -> file in docs/

# CommonMark with tables; raw HTML in a doc is shown as text, never passed through.
_md = MarkdownIt("commonmark", {"html": False}).enable("table")


def heading_id(text: str) -> str:
    """A heading's anchor: "4. The changelog audit" -> "the-changelog-audit" (numbering dropped, so a
    renumbered section keeps its links)."""
    text = re.sub(r"^\d+(?:\.\d+)*\.?\s*", "", text)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def page(name: str) -> tuple[str, str]:
    """(title, HTML body) of a doc page; NotFound for a name that is none, or a doc not installed."""
    path = DOCS / PAGES[name] if name in PAGES else None
    if path is None or not path.is_file():
        raise NotFound(f"no page '{name}'")
    return _render(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=8)  # keyed by modification time: an edited doc is rendered afresh
def _render(path: Path, _mtime: int) -> tuple[str, str]:
    tokens = _md.parse(path.read_text(encoding="utf-8"))
    title = ""
    for k, tok in enumerate(tokens):
        if tok.type == "heading_open":
            text = tokens[k + 1].content
            if tok.tag == "h1":
                title = title or text
            else:
                tok.attrSet("id", heading_id(text))
    # The h1 is the page's own heading (the template sets it), so the body starts after it.
    body = tokens[3:] if tokens and tokens[0].tag == "h1" else tokens
    return title, _md.renderer.render(body, _md.options, {})
