"""Path and query parameters shared by the routes, validated at the edge."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Path, Query

from archive.clauses import MAX_TITLE, NOT_IN_A_NAME

SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,99}$"
LABEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
# Labels or dates; ".." would make a compare range ambiguous, so a ref never holds it.
REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$"
# As archive.db.storage.find_clause takes a name, and no "/": a path segment cannot hold one.
CLAUSE_PATTERN = f"^[^{NOT_IN_A_NAME}/]{{1,{MAX_TITLE}}}$"
# What each pattern asks for, in words: a 422 says this rather than the regex.
PATTERN_MEANS = {
    SLUG_PATTERN: "a policy slug (lower-case letters, digits, '.', '_' and '-', at most 100)",
    LABEL_PATTERN: "a version label (letters, digits, '.', '_' and '-', at most 100)",
    REF_PATTERN: "a version label or a date (YYYY-MM-DD)",
    CLAUSE_PATTERN: f"a clause number or title (up to {MAX_TITLE} characters, no '/' or control characters)",
}

Slug = Annotated[
    str,
    Path(pattern=SLUG_PATTERN, description="Policy slug.", openapi_examples={"rsp": {"value": "anthropic-rsp"}}),
]
Ref = Annotated[
    str,
    Path(
        pattern=REF_PATTERN,
        max_length=100,
        description="A version label, or a date (YYYY-MM-DD) meaning the version then in force.",
        openapi_examples={"v31": {"value": "3.1"}, "day": {"value": "2026-05-01"}},
    ),
]
ClauseNumber = Annotated[
    str,
    Path(
        pattern=CLAUSE_PATTERN,
        description="Clause number as printed (3.6.1), or the title of an unnumbered section.",
        openapi_examples={"external-review": {"value": "3.6"}},
    ),
]
OptPolicy = Annotated[str | None, Query(pattern=SLUG_PATTERN, description="Only this policy.")]
OptVersion = Annotated[str | None, Query(pattern=LABEL_PATTERN, description="Only this version (label).")]
OptRef = Annotated[
    str | None,
    Query(
        pattern=REF_PATTERN,
        max_length=100,
        description="The version the clause number is of: a label, or a date (YYYY-MM-DD) meaning the version "
        "then in force. Default: the latest version having such a clause (numbers are reused across versions).",
    ),
]
OptDate = dt.date | None
