"""Typed dependencies: settings, one database transaction per request, pagination."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from archive.errors import InvalidInput
from archive.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back if it raises.

    A sync generator, so FastAPI runs it (and the handlers using it) in the thread pool, never on
    the event loop; the session is never shared between requests or threads.
    """
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session, session.begin():
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": commit before the response is sent, so a failed commit is a 503, not a dropped connection.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Pagination:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def slice(self, items: list) -> list:
        return items[self.offset : self.offset + self.per_page]

    def links(self, request: Request, total: int) -> dict[str, str | None]:
        """{first, prev, next, last}: this request's URL (path and query, other parameters kept) at
        those pages; prev and next are None at either end. Relative, as every link the API gives."""
        last = max(1, math.ceil(total / self.per_page))

        def at(n: int) -> str:
            kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
            return f"{request.url.path}?{urlencode([*kept, ('page', str(n))])}"

        return {
            "first": at(1),
            "prev": at(min(self.page - 1, last)) if self.page > 1 else None,
            "next": at(self.page + 1) if self.page < last else None,
            "last": at(last),
        }

    def link_header(self, request: Request, total: int) -> str:
        """The same links as an RFC 8288 Link header, what generic HTTP clients follow."""
        return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in self.links(request, total).items() if url)


def get_pagination(
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=100_000, description="1-based page number.")] = 1,
    # No static upper bound: the cap is the setting alone, so any size over it gets the same 400.
    per_page: Annotated[int, Query(ge=1, description="Items per page (at most the server's page_size_cap).")] = 20,
) -> Pagination:
    if per_page > settings.page_size_cap:
        raise InvalidInput(f"per_page must be at most {settings.page_size_cap}")
    return Pagination(page=page, per_page=per_page)


PaginationDep = Annotated[Pagination, Depends(get_pagination)]
