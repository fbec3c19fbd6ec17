"""Response and request models of the HTTP API (kept apart from the table models)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.dates import IsoDate
from api.routes.params import LABEL_PATTERN, SLUG_PATTERN
from archive import types as t
from archive.search.query import lone_surrogate


class Policy(BaseModel):
    slug: str
    title: str
    publisher: str
    landing_page: str | None = None
    links: dict[str, str]
    unarchived_versions: list[str] | None = Field(
        None,
        description="Versions the newest version's changelog names that the archive does not hold (a "
        "comparison across their place spans them unseen). Given by the policy's own resource.",
    )

    @classmethod
    def of(cls, info: t.PolicyInfo, unarchived: list[str] | None = None) -> Policy:
        base = f"/policies/{info.slug}"
        return cls(
            slug=info.slug,
            title=info.title,
            publisher=info.publisher,
            landing_page=info.landing_page,
            links={"self": base, "versions": f"{base}/versions", "feed": f"{base}/feed.atom"},
            unarchived_versions=unarchived,
        )


class Page(BaseModel):
    """One page of a list, and where the others are (also in the Link header)."""

    page: int
    per_page: int
    total: int
    pages: int
    first: str
    prev: str | None
    next: str | None
    last: str

    @classmethod
    def of(cls, request: Any, pagination: Any, total: int) -> Page:
        return cls(page=pagination.page, per_page=pagination.per_page, total=total,
                   pages=math.ceil(total / pagination.per_page), **pagination.links(request, total))


class PolicyList(BaseModel):
    items: list[Policy]
    pagination: Page


class VersionSummary(BaseModel):
    policy: str
    label: str
    effective: dt.date
    title: str | None = None
    page_count: int
    clause_count: int
    status: t.SnapshotStatus
    sha256: str
    links: dict[str, str]

    @staticmethod
    def links_for(v: t.VersionInfo) -> dict[str, str]:
        base = f"/policies/{v.policy}/versions/{v.label}"
        return {
            "self": base,
            "text": f"{base}/text",
            "clauses": f"{base}/clauses",
            "source": f"{base}/source",
        }

    @classmethod
    def of(cls, v: t.VersionInfo) -> VersionSummary:
        return cls(
            policy=v.policy,
            label=v.label,
            effective=v.effective,
            title=v.title,
            page_count=v.page_count,
            clause_count=v.clause_count,
            status=v.status,
            sha256=v.sha256,
            links=cls.links_for(v),
        )


class VersionList(BaseModel):
    policy: str
    items: list[VersionSummary]
    pagination: Page


class SnapshotRecord(BaseModel):
    sha256: str
    size_bytes: int
    status: t.SnapshotStatus
    reference_sha256: str | None = None
    origin: str
    source_url: str | None = None
    retrieved_at: str
    current: bool


class ExtractionRecord(BaseModel):
    kind: str
    snapshot_sha256: str
    extractor: str
    extractor_version: str
    engine_version: str
    text_sha256: str
    extracted_at: str


class Provenance(BaseModel):
    """Where the text came from: the archived file, how it checks out, and how it was extracted."""

    status: t.SnapshotStatus = Field(description="verified / unverified / no-reference against the publisher's hash.")
    sha256: str = Field(description="sha256 of the archived file (the snapshot this version was extracted from).")
    reference_sha256: str | None = Field(None, description="The publisher's recorded sha256, when known.")
    source_url: str | None = None
    origin: str
    extractor: str
    extractor_version: str
    engine_version: str
    extracted_at: dt.datetime
    text_sha256: str
    snapshots: list[SnapshotRecord]
    extraction_log: list[ExtractionRecord]


class VersionDetail(VersionSummary):
    previous: str | None = Field(None, description="Label of the version before this one.")
    next: str | None = Field(None, description="Label of the version after this one.")
    provenance: Provenance


class Footnote(BaseModel):
    marker: str
    text: str
    page: int


class ClauseNode(BaseModel):
    position: int
    number: str
    title: str
    level: int
    page_start: int
    page_end: int
    lineage: str | None = None
    children: list[ClauseNode] = []


class ClauseTree(BaseModel):
    policy: str
    version: str
    count: int
    clauses: list[ClauseNode]


class ClauseRef(BaseModel):
    position: int
    number: str
    title: str


class ClauseDetail(BaseModel):
    policy: str
    version: str
    position: int
    number: str
    title: str
    level: int
    text: str
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    lineage: str | None = None
    footnotes: list[Footnote]
    parent: ClauseRef | None = None
    children: list[ClauseRef]
    links: dict[str, str]


class PageText(BaseModel):
    number: int
    text: str = Field(description="The page's body text, as clauses and search read it.")
    header: str = Field(
        description="Lines printed above the body that the extractor set aside: a running header, and "
        "a table's header row repeated on a page it continues on."
    )
    footer: str = Field(description="Lines printed below the body that the extractor set aside: a running "
                        "footer and the page number.")


class VersionText(BaseModel):
    policy: str
    version: str
    page_count: int
    pages: list[PageText]


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


# Service results are passed through as they are; the services own their shape (the main ones are
# documented in api.results; the rest is this open object).
class ServiceResult(BaseModel):
    model_config = ConfigDict(extra="allow")


def _unicode_text(value: str) -> str:
    at = lone_surrogate(value)
    if at is not None:
        raise ValueError(f"holds a lone UTF-16 surrogate at character {at + 1}, which is not text")
    return value


# Every string a request body carries.
Text = Annotated[str, AfterValidator(_unicode_text)]


class TextQuoteSelector(BaseModel):
    """A W3C Web Annotation TextQuoteSelector, optionally narrowed to a policy, version or date."""

    model_config = ConfigDict(extra="forbid")

    # exact, prefix and suffix are bounded by the route (settings.max_query_length, one 400 at any
    # length) and the request body by its size limit (413).
    type: Literal["TextQuoteSelector"] = "TextQuoteSelector"
    exact: Text
    prefix: Text | None = None
    suffix: Text | None = None
    policy: Text | None = Field(None, pattern=SLUG_PATTERN)  # as GET /resolve takes them
    version: Text | None = Field(None, pattern=LABEL_PATTERN)
    as_of: IsoDate | None = Field(None, description="YYYY-MM-DD")


class Citation(BaseModel):
    """One citation to check: a quote attributed to a policy, a version (label or date) and a section."""

    model_config = ConfigDict(extra="forbid")

    id: Text | None = Field(None, max_length=200, description="Caller's id, echoed back.")
    quote: Text = Field(description="Bounded by the route: settings.max_query_length.")
    policy: Text | None = Field(None, min_length=1, max_length=100)
    version: Text | None = Field(None, min_length=1, max_length=100)
    section: Text | None = Field(None, min_length=1, max_length=200, description="Clause number or title cited.")


class CitationCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    citations: list[Citation] = Field(min_length=1, max_length=1000)


def utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; the archive stores UTC, so say so."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def plain(data: Any) -> Any:
    """A service's dict, made JSON-safe (dates, dataclasses, enums)."""
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(data)
