"""The one place errors become RFC 9457 problem details (application/problem+json).

Domain errors (archive.errors), request validation, HTTP errors from routing (404, 405) and
database failures all leave the API in the same shape: type, title, status, detail, instance,
plus extension members (`errors` for validation problems).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from api.routes import params
from archive.errors import ArchiveError

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "/problems/"  # relative URI reference, resolved against the API's own origin
log = logging.getLogger("policy_archive.api")

# Every error status an operation may answer with, documented once for the whole schema.
DOCUMENTED_ERRORS = (400, 404, 422, 500, 503)
BODY_ERRORS = (413, 415)  # and these too where the operation takes a request body
# Problem types of HTTP-level errors that have one (RFC 9110's name for 413, not Python's older one).
HTTP_PROBLEMS = {404: ("not-found", "Not found"), 413: ("content-too-large", "Content too large")}
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": title or phrase,
        "status": status,
        # One line, whatever a message echoes back of the request (a version named "3.1\n").
        "detail": detail.replace("\r", "\\r").replace("\n", "\\n"),
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _archive_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ArchiveError)
    extra = {k: v for k, v in exc.extra.items() if isinstance(v, str | int | float | bool | None)}
    return problem(request, exc.status, exc.message, slug=exc.slug, title=exc.title, **extra)


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _body_problem(request: Request, first: dict[str, Any]) -> JSONResponse | None:
    """Bodies that are not JSON at all: say so, rather than pass on what the parser made of them."""
    if first.get("type") == "json_invalid":
        reason = (first.get("ctx") or {}).get("error", "it does not parse")
        loc = first.get("loc", ())
        where = f" (at character {loc[1]})" if len(loc) > 1 else ""
        return problem(
            request, 400, f"request body is not valid JSON: {reason}{where}", slug="invalid-json", title="Invalid JSON"
        )
    if tuple(first.get("loc", ())) == ("body",) and first.get("type") == "missing":
        return problem(
            request,
            400,
            "request body is missing: send a JSON object with Content-Type: application/json",
            slug="missing-body",
            title="Missing request body",
        )
    content_type = request.headers.get("content-type")
    if not _is_json(content_type):
        # Without a JSON media type the body is never parsed (FastAPI's strict_content_type).
        had = f"'{content_type[:80]}'" if content_type else "none"
        return problem(
            request,
            415,
            f"send Content-Type: application/json (this request had {had})",
            slug="unsupported-media-type",
            title="Unsupported media type",
            headers={"Accept-Post": "application/json"},
        )
    return None


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if raw and raw[0].get("loc", ())[:1] == ("body",) and (answer := _body_problem(request, raw[0])):
        return answer
    errors = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in raw
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"][1:] or first["loc"]) or "request"
    message = first["msg"]
    if raw and raw[0].get("type") == "string_pattern_mismatch":  # say what is expected, not the regex
        pattern = (raw[0].get("ctx") or {}).get("pattern")
        wanted = params.PATTERN_MEANS.get(pattern)
        if wanted:
            message = f"{str(raw[0].get('input'))[:80]!r} is not {wanted}"
    return problem(
        request,
        422,
        f"{where}: {message}",
        slug="invalid-parameters",
        title="Invalid parameters",
        errors=errors,
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (the router's own Allow names one route's only).

    Asks each route whether it would take the path with each method: BaseRoute.matches is public,
    the way FastAPI nests included routers is not.
    """
    where = {k: request.scope[k] for k in ("type", "path", "root_path", "headers") if k in request.scope}
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]  # static files take any method
    allowed = [m for m in METHOD_ORDER if any(r.matches({**where, "method": m})[0] is Match.FULL for r in routes)]
    if "GET" in allowed and "HEAD" not in allowed:
        allowed.insert(allowed.index("GET") + 1, "HEAD")  # api.head answers HEAD wherever GET is answered
    return allowed


def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    elif exc.status_code == 405:
        allowed = allowed_methods(request) or [m.strip() for m in headers.get("Allow", "").split(",") if m.strip()]
        headers["Allow"] = ", ".join(allowed)
        detail = f"{request.method} is not allowed on {request.url.path}; allowed: {', '.join(allowed) or 'none'}"
        if request.method not in ("GET", "HEAD"):
            detail += " (the API is read-only)"
    slug, title = HTTP_PROBLEMS.get(exc.status_code, (None, None))
    return problem(request, exc.status_code, detail, slug=slug, title=title, headers=headers)


def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", exc)
    return problem(
        request,
        503,
        "the database is unavailable; try again shortly",
        slug="service-unavailable",
        title="Service unavailable",
        headers={"Retry-After": "5"},
    )


def _database_error(request: Request, exc: Exception) -> JSONResponse:
    # Connection-level failures (server gone, refused) surface as DBAPIError with connection_invalidated.
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return _database_unavailable(request, exc)
    log.exception("database error", exc_info=exc)
    return problem(request, 500, "database error", slug="internal-error", title="Internal error")


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(request, 500, "internal error", slug="internal-error", title="Internal error")


def install(app: FastAPI) -> None:
    """Register the handlers and make the OpenAPI schema document the problem responses."""
    app.add_exception_handler(ArchiveError, _archive_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]


PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    ref = {"$ref": "#/components/schemas/Problem"}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status in DOCUMENTED_ERRORS + (BODY_ERRORS if "requestBody" in operation else ()):
                responses[str(status)] = {
                    "description": HTTPStatus(status).phrase,
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": ref}},
                }
    app.openapi_schema = schema
    return schema
