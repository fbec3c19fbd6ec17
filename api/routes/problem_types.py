"""What each problem type means: the `type` of every error response (RFC 9457) is a relative URI,
/problems/{slug}, and here it resolves to a description instead of a 404."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.problems import TYPE_BASE, problem
from archive.errors import ArchiveError

router = APIRouter(tags=["problems"])


@dataclass(frozen=True)
class ProblemType:
    type: str
    title: str
    status: int
    description: str


# Problems only the HTTP layer raises (api.problems): (slug, title, status, description).
_HTTP_TYPES = [
    ("invalid-json", "Invalid JSON", 400, "The request body is not valid JSON; `detail` says where."),
    ("missing-body", "Missing body", 400, "The operation takes a JSON body and none was sent."),
    ("invalid-parameters", "Invalid parameters", 422,
     "A path, query or body parameter fails its schema (a pattern, a range, a type). `errors` lists "
     "each, with where it is."),
    ("unsupported-media-type", "Unsupported media type", 415, "The body must be sent as application/json."),
    ("content-too-large", "Content too large", 413, "The request body is larger than the API accepts."),
    ("internal-error", "Internal error", 500, "An error of the service itself; it is logged."),
]

# What the domain errors (archive.errors, whose classes give slug, title and status) mean to a client.
_DOMAIN_DESCRIPTIONS = {
    "bad-request": "The request cannot be served as it stands; `detail` says why.",
    "invalid-input": "A value given is malformed or out of range: a date that is no day, a label or quote "
    "too long, a page past the last. `detail` names the value.",
    "query-syntax": "The search query does not parse: unbalanced quotes or parentheses, an operator missing "
    "a word, an unknown field. See the search documentation for the syntax.",
    "not-found": "No such resource.",
    "policy-not-found": "No policy of that slug is archived (see /policies).",
    "version-not-found": "The policy has no version of that label, or none was in force on that date (see "
    "/policies/{slug}/versions).",
    "clause-not-found": "The version has no clause of that number or title (see .../versions/{label}/clauses).",
    "service-unavailable": "The database or the search index cannot be used right now; try again after "
    "`Retry-After` seconds.",
    "invalid-manifest": "A policy's versions.toml cannot be used: a field of the wrong type, a date that is no "
    "day, a file name that is not plain. `detail` names the manifest and the field.",
    "limit-exceeded": "A source file is over a configured limit: pages, bytes or extraction time.",
    "password-required": "An encrypted PDF, with no password or a wrong one given.",
    "checksum-mismatch": "Bytes that do not hash to what was recorded: a download against its manifest, a "
    "bundle against its checksums, a row against its text hash.",
    "fetch-failed": "The publisher's server did not give the file.",
}


def _types() -> dict[str, ProblemType]:
    """The HTTP layer's problem types and every domain error's; a domain error without a description
    here is described by its class's docstring."""
    types = {slug: ProblemType(TYPE_BASE + slug, title, status, text) for slug, title, status, text in _HTTP_TYPES}
    pending = [ArchiveError]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        text = _DOMAIN_DESCRIPTIONS.get(cls.slug) or " ".join((cls.__doc__ or cls.title).split())
        types.setdefault(cls.slug, ProblemType(TYPE_BASE + cls.slug, cls.title, cls.status, text))
    return types


PROBLEM_TYPES = _types()


@router.get("/problems", summary="Every problem type an error response may name")
def problem_types() -> JSONResponse:
    return JSONResponse({"problem_types": [asdict(p) for p in sorted(PROBLEM_TYPES.values(), key=lambda p: p.type)]})


@router.get("/problems/{slug}", summary="What one problem type means (the `type` of an error response)")
def problem_type(slug: str, request: Request) -> JSONResponse:
    found = PROBLEM_TYPES.get(slug)
    if found is None:
        return problem(request, 404, f"no problem type '{slug[:60]}' (see /problems)", slug="not-found",
                       title="Not found")
    return JSONResponse(asdict(found), headers={"Cache-Control": "public, max-age=86400"})
