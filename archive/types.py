"""Domain types shared by ingest, diff, search and the API.

Plain dataclasses: no SQLAlchemy, no FastAPI. Storage maps rows to these and back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

# Pages are joined with a form feed in a version's full text; clause offsets index into that text.
PAGE_SEPARATOR = "\f"


class SnapshotStatus(StrEnum):
    VERIFIED = "verified"  # sha256 matches the publisher's recorded hash
    UNVERIFIED = "unverified"  # differs from the publisher's hash; both are kept
    NO_REFERENCE = "no-reference"  # no publisher hash to compare against


@dataclass(frozen=True)
class Footnote:
    marker: str  # as printed, e.g. "5"
    text: str
    page: int


@dataclass
class Page:
    number: int  # 1-based, as in the PDF
    text: str  # body text only (no running header/footer, no page number, no footnotes)
    # Lines printed above the body, kept as locations: running header lines, and a table's header row
    # repeated at the top of a page the table continues on (the body keeps only its first printing).
    header: str = ""
    footer: str = ""  # running footer lines and page number removed from the body
    footnotes: list[Footnote] = field(default_factory=list)


@dataclass(frozen=True)
class PageBreak:
    """Where a clause's text crosses onto another page."""

    offset: int  # in the clause's `text`: where the page's text begins
    page: int  # the page that begins there
    # That page continues a table from the page before (it repeats the table's header row): text
    # extraction reads each page's columns in turn, so a cell's text that crosses this break in one
    # version and not in another comes in another order without having moved.
    table: bool = False


@dataclass
class Clause:
    """One node of a version's clause tree, in document order.

    `parent` is the index of the parent clause in the same list (None for top level).
    `char_start`/`char_end` span the clause's own text (heading included) in the version's
    full text; children follow their parent and are not part of the parent's `text`.
    """

    number: str  # "3.6.1", "Appendix A", or "" for titled unnumbered sections
    title: str
    level: int  # 1 for top level
    parent: int | None
    ordinal: int  # position among siblings, 0-based
    text: str  # the clause's own body text, normalised, heading excluded
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    footnotes: list[Footnote] = field(default_factory=list)
    # Every page break inside `text`, in order; text before the first is on the body's first page,
    # `page_start` unless the heading ended a page (then a break at offset 0 names the body's page).
    # None: not recorded (a clause extracted before extractor 7).
    page_breaks: list[PageBreak] | None = None
    # Set once stored: the clause's identity across versions (survives renumbering).
    lineage: str | None = None

    @property
    def label(self) -> str:
        """How people name the clause: its number if it has one, else its title."""
        return self.number or self.title


@dataclass
class ExtractedDocument:
    pages: list[Page]
    clauses: list[Clause]
    extractor: str  # our extractor's name and version, e.g. "policy-archive-pdf/1"
    extractor_version: str
    engine_version: str  # pdfplumber's version

    @property
    def full_text(self) -> str:
        return PAGE_SEPARATOR.join(p.text for p in self.pages)

    @property
    def page_count(self) -> int:
        return len(self.pages)


@dataclass(frozen=True)
class PolicyInfo:
    slug: str
    title: str
    publisher: str
    landing_page: str | None = None


@dataclass(frozen=True)
class VersionInfo:
    """What listing and reading commands show about one archived version."""

    policy: str
    label: str
    effective: dt.date
    page_count: int
    clause_count: int
    status: SnapshotStatus
    sha256: str
    reference_sha256: str | None
    source_url: str | None
    origin: str
    extractor: str
    extractor_version: str
    engine_version: str
    extracted_at: dt.datetime
    text_sha256: str
    title: str | None = None
