"""Liveness with a bounded database check."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool

from api import schemas as s
from archive.errors import ServiceUnavailable

router = APIRouter(tags=["health"])


def _ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


@router.get("/healthz", response_model=s.Health, summary="Is the service up and its database reachable?")
async def healthz(request: Request) -> s.Health:
    settings = request.app.state.settings
    try:
        # The blocking ping runs in the thread pool; the event loop only waits, and not for long.
        await asyncio.wait_for(run_in_threadpool(_ping, request.app.state.engine), timeout=settings.db_timeout_s)
    except Exception as exc:  # any failure to reach the database means "not healthy"
        raise ServiceUnavailable("the database is unavailable") from exc
    return s.Health(status="ok", database="ok")
