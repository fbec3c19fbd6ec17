"""A policy version, or a passage of it, as reference managers and wikis cite it: BibTeX, CSL-JSON
(Zotero, Pandoc, citeproc) and Wikipedia's {{cite web}}. Pure: a Reference in, text out.

What is cited is the publisher's document, at the publisher's address. The archive's copy is given
as an archived copy (`archive-url`, BibTeX's note) only when its bytes are the publisher's, checked
against the publisher's recorded hash: a reconstruction or an unchecked file is not an archived copy
of that document, and a citation must not say it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True)
class Reference:
    publisher: str
    policy_title: str
    version: str  # the label: "3.1", "2026-02"
    effective: dt.date
    url: str | None  # where the publisher served the document
    archived_url: str | None = None  # the archive's copy of the publisher's bytes, when they are those
    archived_on: dt.date | None = None  # when the archive took that copy
    section: str = ""  # as printed in a citation: "§3.6", "Appendix A", '"Front matter"'
    page_first: int | None = None
    page_last: int | None = None
    footnote: str = ""  # its marker, when the passage is in a footnote
    quote: str = ""
    accessed: dt.date | None = None

    @property
    def title(self) -> str:
        """ "Responsible Scaling Policy, version 3.1" """
        return f"{self.policy_title}, version {self.version}"

    def pages(self, dash: str = "–") -> str:
        if self.page_first is None:
            return ""
        if self.page_last is None or self.page_last == self.page_first:
            return str(self.page_first)
        return f"{self.page_first}{dash}{self.page_last}"


def key(ref: Reference) -> str:
    """A citation key: publisher, year, the title's initials, version ("anthropic2026rsp_v3_1"), then
    the section ("_s3_6") and a quote's short hash ("_q5f1c2a"): one bibliography citing a version,
    two of its clauses and a quote needs four keys, not one."""
    publisher = re.sub(r"[^a-z0-9]", "", ref.publisher.lower())[:24] or "policy"
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z0-9]+", ref.policy_title)).lower()
    version = re.sub(r"[^a-z0-9]+", "_", ref.version.lower()).strip("_")
    out = f"{publisher}{ref.effective.year}{initials}_v{version}"
    if section := re.sub(r"[^a-z0-9]+", "_", ref.section.lower()).strip("_")[:40]:
        out += f"_s{section}"
    if ref.footnote:
        out += f"_n{re.sub(r'[^a-z0-9]+', '', ref.footnote.lower())}"
    if ref.quote:
        out += "_q" + hashlib.sha256(" ".join(ref.quote.split()).encode()).hexdigest()[:6]
    return out


def _where(ref: Reference, page_word: tuple[str, str] = ("p.", "pp.")) -> str:
    """ "§1, p. 9", "Appendix A, pp. 16–17", "p. 9", "" """
    pages = ref.pages()
    word = page_word[0] if pages.isdigit() else page_word[1]
    at = f"{word} {pages}" + (f" n. {ref.footnote}" if ref.footnote else "") if pages else ""
    return ", ".join(x for x in (ref.section, at) if x)


# --- BibTeX --------------------------------------------------------------------------------------

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "§": r"\S{}"}


def _tex(text: str) -> str:
    return "".join(_TEX_SPECIAL.get(c, c) for c in text)


def _tex_url(url: str) -> str:
    """A URL for \\url inside another field: its % and # escaped, or a BibTeX style's .bbl would read
    a %20 as the start of a comment and cut the URL there."""
    return url.replace("%", r"\%").replace("#", r"\#")


def _nested(quote: str) -> str:
    """The quote's own double quotation marks made single, as inside a quotation (it is put in double
    marks): “Double the rate” means ... reads ‘Double the rate’ means ..., not ““Double...”."""
    return quote.translate(str.maketrans({"“": "‘", "”": "’", '"': "'"}))


def bibtex(ref: Reference) -> str:
    """A @misc entry (what BibTeX styles and biblatex both take), with biblatex's date and version."""
    d = ref.effective
    note = [f"Effective {d.isoformat()}"]  # each part TeX-escaped as it is added; a URL goes in \url as is
    if where := _where(ref):
        note.append(_tex(where))
    if ref.quote:
        note.append(f"``{_tex(_nested(ref.quote))}''")
    if ref.archived_url:
        note.append(f"Archived copy: \\url{{{_tex_url(ref.archived_url)}}}"
                    + (f" ({ref.archived_on.isoformat()})" if ref.archived_on else ""))
    fields = [
        ("author", f"{{{_tex(ref.publisher)}}}"),  # an organisation: braced so it is not split into names
        ("title", f"{{{_tex(ref.policy_title)}}}, version {_tex(ref.version)}"),
        ("year", str(d.year)),
        ("month", _MONTHS[d.month - 1]),
        ("date", d.isoformat()),
        ("version", _tex(ref.version)),
        ("publisher", _tex(ref.publisher)),
    ]
    if ref.url:
        fields += [("howpublished", f"\\url{{{_tex_url(ref.url)}}}"), ("url", ref.url)]
    if ref.accessed:
        fields.append(("urldate", ref.accessed.isoformat()))
    fields.append(("note", ". ".join(note)))
    body = ",\n".join(f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key(ref)},\n{body}\n}}\n"


# --- CSL-JSON ------------------------------------------------------------------------------------


def _date_parts(d: dt.date) -> dict:
    return {"date-parts": [[d.year, d.month, d.day]]}


def csl(ref: Reference) -> dict:
    """One CSL-JSON item (a list of these is what Zotero, Pandoc and citeproc import)."""
    item: dict = {
        "id": key(ref),
        "type": "report",
        "title": ref.policy_title,
        "version": ref.version,
        "author": [{"literal": ref.publisher}],
        "publisher": ref.publisher,
        "issued": _date_parts(ref.effective),
    }
    if ref.url:
        item["URL"] = ref.url
    if ref.accessed:
        item["accessed"] = _date_parts(ref.accessed)
    if ref.section:
        item["section"] = ref.section
    if pages := ref.pages("-"):
        item["page"] = pages
    # CSL has no footnote variable: the note says which, before the quote.
    note = [f"n. {ref.footnote}"] if ref.footnote else []
    if ref.quote:
        note.append(f"“{_nested(ref.quote)}”")
    if note:
        item["note"] = ": ".join(note)
    if ref.archived_url:
        item["archive_location"] = ref.archived_url
    return item


def csl_json(ref: Reference) -> str:
    return json.dumps([csl(ref)], ensure_ascii=False, indent=2) + "\n"


# --- Wikipedia -----------------------------------------------------------------------------------


def _wiki(value: str) -> str:
    """A template parameter's value: what would end the parameter or the template, escaped."""
    # Braces first: the {{!}} put in for a bar must survive.
    return value.replace("{{", "{ {").replace("}}", "} }").replace("|", "{{!}}").replace("\n", " ")


def wikitext(ref: Reference) -> str:
    """{{cite web}}, as Wikipedia and other MediaWiki sites take it."""
    params = [("url", ref.url or ref.archived_url), ("title", ref.title), ("publisher", ref.publisher),
              ("date", ref.effective.isoformat())]
    pages = ref.pages()
    if ref.section or ref.footnote:
        params.append(("at", _where(ref)))
    elif pages:
        params.append(("page" if pages.isdigit() else "pages", pages))
    if ref.quote:
        params.append(("quote", _nested(ref.quote)))  # the template sets it in double marks
    if ref.archived_url and ref.url and ref.archived_on:
        params += [("archive-url", ref.archived_url), ("archive-date", ref.archived_on.isoformat())]
    if ref.accessed:
        params.append(("access-date", ref.accessed.isoformat()))
    return "{{cite web " + " ".join(f"|{name}={_wiki(value)}" for name, value in params if value) + "}}"


FORMATS = {"bibtex": bibtex, "csl-json": csl_json, "wikitext": wikitext}
MEDIA_TYPES = {"bibtex": "application/x-bibtex", "csl-json": "application/vnd.citationstyles.csl+json",
               "wikitext": "text/plain"}
