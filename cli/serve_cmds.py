"""`policy-archive serve`: the HTTP API under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from archive.settings import get_settings
from cli.app import app
from cli.common import EXIT_BAD_INPUT, engine, errors_as_exit, fail

KEEP_ALIVE_S = 75  # seconds an idle keep-alive connection stays open (nginx's default)


def _prepare() -> None:
    """Migrate and build the search index once, before workers start (one writer, not one per worker)."""
    from archive.db.engine import transaction
    from archive.services import search

    eng = engine()  # runs pending migrations, as every command does
    with transaction(eng) as session:
        search.ensure_index(get_settings(), session)
    eng.dispose()


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(envvar="POLICY_ARCHIVE_HOST", help="Interface to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=1, max=65535, envvar="POLICY_ARCHIVE_PORT", help="TCP port to listen on.")
    ] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, envvar="POLICY_ARCHIVE_WORKERS", help="Worker processes.")
    ] = 1,
    log_level: Annotated[
        str, typer.Option(help="uvicorn log level (critical, error, warning, info, debug).")
    ] = "info",
) -> None:
    """Serve the read-only HTTP API (settings from POLICY_ARCHIVE_* environment variables)."""
    import uvicorn

    if log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
        fail(f"unknown log level '{log_level}'", EXIT_BAD_INPUT)
    with errors_as_exit():
        _prepare()
    typer.echo(f"serving http://{host}:{port}/ (docs at /docs)", err=True)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=True,
        # Longer than clients' idle expiry (httpx: 5 s, uvicorn's default too): with equal timeouts a
        # client reuses a connection just as the server closes it, and the request gets a reset.
        timeout_keep_alive=KEEP_ALIVE_S,
    )
