"""Backup and restore: export the archive as a checksummed bundle, import one into an empty database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archive.services import backup
from cli.app import app
from cli.common import engine, errors_as_exit


def _describe(summary: backup.BundleSummary) -> str:
    counts = ", ".join(f"{n} {table}" for table, n in summary.counts.items())
    return f"{counts}; {summary.files} files, {summary.bytes} snapshot bytes"


@app.command("export")
def export(
    target: Annotated[Path, typer.Argument(help="A new folder, or a file ending in .tar, to write the bundle to.")],
) -> None:
    """Write the whole archive (snapshots' bytes, versions, clauses, pages, provenance) as a bundle."""
    with errors_as_exit():
        summary = backup.export_bundle(engine(), target)
    typer.echo(f"exported to {summary.path}: {_describe(summary)}")


@app.command("import")
def import_(
    bundle: Annotated[Path, typer.Argument(help="A bundle folder or .tar written by `policy-archive export`.")],
) -> None:
    """Restore a bundle into an EMPTY database, all or nothing, verified against its checksums."""
    with errors_as_exit():
        summary = backup.import_bundle(engine(), bundle)
    typer.echo(f"imported {bundle}: {_describe(summary)}; every checksum verified")
