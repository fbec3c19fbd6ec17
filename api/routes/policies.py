"""Policies, their version lists, and the as-of redirect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from api import schemas as s
from api.dates import IsoDate
from api.deps import PaginationDep, SessionDep
from api.routes.params import Slug
from archive.db import storage
from archive.services.versions import unarchived_versions, version_in_force

router = APIRouter(tags=["policies"])


@router.get("/policies", response_model=s.PolicyList, summary="List archived policies")
def list_policies(session: SessionDep, pagination: PaginationDep, request: Request, response: Response) -> s.PolicyList:
    rows = storage.list_policies(session)
    response.headers["Link"] = pagination.link_header(request, len(rows))
    return s.PolicyList(
        items=[s.Policy.of(p) for p in pagination.slice(rows)], pagination=s.Page.of(request, pagination, len(rows))
    )


@router.get("/policies/{slug}", response_model=s.Policy, summary="One policy")
def get_policy(slug: Slug, session: SessionDep) -> s.Policy:
    info = storage.get_policy(session, slug)
    return s.Policy.of(info, unarchived_versions(session, slug))


@router.get("/policies/{slug}/versions", response_model=s.VersionList, summary="A policy's versions, oldest first")
def list_versions(
    slug: Slug, session: SessionDep, pagination: PaginationDep, request: Request, response: Response
) -> s.VersionList:
    rows = storage.list_versions(session, slug)
    response.headers["Link"] = pagination.link_header(request, len(rows))
    return s.VersionList(
        policy=slug,
        items=[s.VersionSummary.of(v) for v in pagination.slice(rows)],
        pagination=s.Page.of(request, pagination, len(rows)),
    )


@router.get(
    "/policies/{slug}/as-of/{date}",
    status_code=302,
    response_class=RedirectResponse,
    summary="Redirect to the version in force on a date",
    responses={302: {"description": "The canonical URL of the version in force that day (Location)."}},
)
def as_of(
    slug: Slug, date: Annotated[IsoDate, Path(description="YYYY-MM-DD")], session: SessionDep
) -> RedirectResponse:
    version = version_in_force(session, slug, date)
    return RedirectResponse(f"/policies/{slug}/versions/{version.label}", status_code=302)
