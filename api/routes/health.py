"""Liveness with a bounded database check."""

from __future__ import annotations

import asyncio

import anyio.to_thread
from fastapi import APIRouter, Request
from sqlalchemy import Engine, text

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
        # The blocking ping runs in a worker thread of its own limiter (see api.app's lifespan): a
        # server whose handler threads are all busy is slow, not unhealthy, and must not say so.
        limiter = getattr(request.app.state, "ping_limiter", None)
        ping = anyio.to_thread.run_sync(_ping, request.app.state.engine, limiter=limiter)
        await asyncio.wait_for(ping, timeout=settings.db_timeout_s)
    except Exception as exc:  # any failure to reach the database means "not healthy"
        raise ServiceUnavailable("the database is unavailable") from exc
    return s.Health(status="ok", database="ok")
