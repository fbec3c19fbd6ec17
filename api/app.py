"""The FastAPI application: a read-only HTTP face of the archive.

`create_app` builds a fresh app per call (tests make their own; uvicorn calls it as a factory).
It never touches the database at startup, so a down database shows as 503s and an unhealthy
/healthz rather than a server that will not start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from api import feed, problems
from api.body_limit import BodyLimit
from api.cors import ProblemCORSMiddleware
from api.head import HeadAsGet
from api.pages import router as pages
from api.routes import health, policies, problem_types, redlines, search, versions
from archive.db.engine import make_engine
from archive.settings import Settings, get_settings

DESCRIPTION = (
    "Every archived version of frontier-AI safety policies: metadata and provenance, text, clauses, "
    "redlines, search, quote resolution and citation checks. Read-only; errors are RFC 9457 problem+json."
)
# Headers a browser script may read from our responses (CORS hides the rest).
EXPOSED_HEADERS = [
    "ETag", "Last-Modified", "Location", "Link", "X-Content-SHA256", "X-Provenance-Status", "Repr-Digest", "Digest",
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # Nothing writes over HTTP: the database itself refuses writes from this engine.
    engine = make_engine(settings, read_only=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Handlers are sync and hold the GIL: more threads than this add no throughput, only
        # requests in flight at once, each with its transient memory (and glibc gives each thread
        # its own malloc arena, whose freed memory is kept). Extra requests wait in the event loop.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        # /healthz pings the database on threads of its own, so busy handlers never delay the answer.
        app.state.ping_limiter = anyio.CapacityLimiter(2)
        yield
        engine.dispose()

    app = FastAPI(title="policy-archive", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker(engine, expire_on_commit=False)

    problems.install(app)
    app.add_middleware(BodyLimit)  # inside CORS, so a browser can read its 413
    # Wiki pages call us from the browser: GETs, and POSTs for resolve (and the bulk citation check),
    # which read only. No credentials: the API has no sessions or cookies.
    app.add_middleware(
        ProblemCORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "POST"],
        allow_headers=["Content-Type", "If-None-Match", "If-Modified-Since", "Accept"],
        expose_headers=EXPOSED_HEADERS,
        max_age=3600,
    )
    app.add_middleware(HeadAsGet)  # outermost: everything inside sees the GET it stands for

    app.include_router(health.router)
    app.include_router(policies.router)
    app.include_router(versions.router)
    app.include_router(redlines.router)
    app.include_router(feed.router)
    app.include_router(search.router)
    app.include_router(problem_types.router)
    # HTML pages for people (api/pages/) are included here, after the JSON API.
    pages.install(app)
    return app
