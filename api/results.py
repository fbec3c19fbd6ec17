"""Response models of the service results: search, quote resolution, phrase and clause history, and
redlines. They document the shapes in the OpenAPI (a client can be generated from it, and the
contract test checks every response against it); the routes send the service's dicts as they are.
Each model allows fields it does not name, so a field added later breaks no client."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


# --- redlines --------------------------------------------------------------------------------------


class VersionRef(_Open):
    label: str
    effective: str | None = None


class RedlineClause(_Open):
    """A clause of one side of a redline; `id` is its position in that version's clause list."""

    id: int
    number: str
    title: str
    page_start: int
    page_end: int


class Op(_Open):
    op: Literal["equal", "insert", "delete"]
    text: str
    moved: bool | None = Field(None, description="Equal text that moved within the clause (shown at its new place).")


class Change(_Open):
    kind: Literal["added", "removed", "modified", "moved", "renumbered", "unchanged"]
    from_clause: RedlineClause | None
    to_clause: RedlineClause | None
    similarity: float | None
    relation: Literal["split", "merged", "retitled"] | None = Field(
        None, description="retitled: the title changed, and `ops` begin with the title's word ops, closed by an "
        "equal '¶ ' before the body's; split/merged: see `related`.")
    related: RedlineClause | None = None
    ops: list[Op]


class Summary(_Open):
    added: int
    removed: int
    modified: int
    moved: int
    renumbered: int
    unchanged: int


class Redline(_Open):
    policy: str
    from_: VersionRef = Field(alias="from")
    to: VersionRef
    algorithm: str
    summary: Summary
    changes: list[Change]
    audit: dict[str, Any] | None = Field(
        description="The changelog audit (see the method page): items (each with n, counted through every "
        "entry read, and in_entry, its number within its own entry), changes, unmentioned, counts; "
        "null without a changelog entry for the revisions compared."
    )


# --- clause history --------------------------------------------------------------------------------


class HistoryClause(_Open):
    id: int
    number: str
    title: str
    page_start: int
    page_end: int
    lineage: str | None


class ChangelogItem(_Open):
    n: int = Field(description="The item's number in the audit, counted through every entry it reads.")
    in_entry: int = Field(description="Its number within its own changelog entry, as a reader of that entry counts.")
    text: str
    entry: str = Field(description="The title of the changelog entry it is an item of.")


class ChangelogSays(_Open):
    nature: Literal["editorial", "substantive"]
    accounted: bool
    items: list[ChangelogItem]
    editorial_note: bool


class Within(_Open):
    number: str
    title: str
    kind: str
    placement: Literal["moved out", "moved in"] | None = Field(
        None, description="Under this clause in one of the two versions only.")


class Step(_Open):
    kind: Literal["first", "added", "modified", "moved", "renumbered", "unchanged"]
    similarity: float | None
    relation: str | None = Field(None, description="As in a redline's change: retitled, split or merged.")
    inserted_words: int | None = None
    deleted_words: int | None = None
    ops: list[Op]
    changelog: ChangelogSays | None
    within: list[Within] = Field(description="Clauses under this one that changed at this step.")
    previous_version: str | None = Field(None, description="For `added`: the version no clause of which aligns.")


class HistoryEntry(_Open):
    version: str
    effective: str
    clause: HistoryClause
    change: Step


class NamedElsewhere(_Open):
    version: str
    number: str
    title: str


class ClauseHistory(_Open):
    policy: str
    clause: str
    looked_up_in: str
    versions: list[HistoryEntry]
    removed_in: str | None
    removal_changelog: ChangelogSays | None
    elsewhere: list[NamedElsewhere] = Field(
        description="Versions where this number (or title) names a clause of another lineage: "
                    "ask for its history with ?version= (numbers are reused).")


# --- search ----------------------------------------------------------------------------------------


class HitClause(_Open):
    number: str
    title: str
    label: str
    lineage: str | None


class CollapsedVersion(_Open):
    version: str
    effective: str
    number: str
    page: int | None
    permalink: str
    in_footnote: str | None


class Hit(_Open):
    id: str
    policy: str
    policy_title: str
    version: str
    effective: str
    clause: HitClause
    page: int | None
    page_start: int | None
    page_end: int | None
    pages: list[int]
    snippet: str = Field(description="HTML: escaped text with <mark> around matched words.")
    in_footnote: str | None
    score: float | None
    permalink: str
    versions: list[CollapsedVersion] | None = Field(None, description="With collapse: the group's versions.")
    match_count: int | None = None


class SearchResult(_Open):
    query: str
    filters: dict[str, str | None]
    sort: Literal["relevance", "date"]
    collapsed: bool
    total: int
    page: int
    per_page: int
    pages: int
    hits: list[Hit]
    first: str
    prev: str | None
    next: str | None
    last: str


# --- quotes ----------------------------------------------------------------------------------------


class Selector(_Open):
    type: str
    exact: str
    prefix: str
    suffix: str


class QuoteMatch(_Open):
    policy: str
    policy_title: str
    version: str
    effective: str
    clause: HitClause
    page: int
    page_end: int
    char_start: int | None
    char_end: int | None
    clause_char_start: int | None
    clause_char_end: int | None
    in_footnote: str | None
    in_heading: bool
    text: str
    citation: str
    permalink: str
    selector: Selector
    text_fragment: str
    context: Literal["agrees", "partly", "differs"] | None = None
    score: float | None = Field(None, description="For the closest passages: how close (0-1).")
    also_in: list[str] | None = None


class QuoteHistory(_Open):
    policy: str
    policy_title: str
    present_in: list[str]
    absent_in: list[str]
    first: str | None
    last: str | None
    in_latest: bool
    removed_in: list[str]
    closest_in_latest: QuoteMatch | None
    summary: str


class Resolution(_Open):
    quote: str
    status: Literal["found", "ambiguous", "not_found"]
    scope: dict[str, str | None]
    matches: list[QuoteMatch]
    versions: list[str]
    closest: list[QuoteMatch]
    history: list[QuoteHistory]


class VersionAt(_Open):
    version: str
    effective: str


class Removal(VersionAt):
    back_in: VersionAt | None


class Occurrence(_Open):
    clause: HitClause
    page: int | None
    permalink: str
    in_footnote: str | None


class PhraseVersion(_Open):
    version: str
    effective: str
    present: bool
    occurrences: list[Occurrence]


class PhrasePolicy(_Open):
    policy: str
    first: VersionAt | None
    last: VersionAt | None
    in_latest: bool
    removed_in: VersionAt | None
    removals: list[Removal]
    versions: list[PhraseVersion]


class PhraseHistory(_Open):
    phrase: str
    found: bool
    policies: list[PhrasePolicy]
