"""Commands that write: db upgrade, fetch, ingest."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from archive.db.engine import upgrade
from archive.errors import ArchiveError
from archive.settings import get_settings
from cli.app import app, db_app
from cli.common import EXIT_BAD_INPUT, engine, errors_as_exit, fail, nonempty
from ingest import service
from ingest.fetch import fetch_version, read_provenance
from ingest.manifest import all_manifests, manifest_for


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision."""
    with errors_as_exit():
        upgrade(engine(upgrade=False))
    typer.echo("database schema is up to date")


@app.command()
def fetch(
    slug: Annotated[str, typer.Argument(help="Policy slug (its folder under data/versions).")],
    from_dir: Annotated[
        Path | None,
        typer.Option("--from", help="Take the files from this folder instead, matched by the manifest's file names."),
    ] = None,
    accept_changed: Annotated[
        bool, typer.Option("--accept-changed", help="Keep a download whose sha256 differs from the manifest's.")
    ] = False,
) -> None:
    """Download a policy's missing source files and check their sha256."""
    settings = get_settings()
    with errors_as_exit():
        manifest = manifest_for(settings.versions_dir, slug)
        read_provenance(manifest.folder)  # a damaged one is one error, not one per version
    if from_dir is not None and not from_dir.is_dir():
        fail(f"{from_dir}: not a folder", EXIT_BAD_INPUT)
    failed = 0
    for version in manifest.versions:
        try:
            result = fetch_version(
                manifest,
                version,
                from_dir=from_dir,
                accept_changed=accept_changed,
                timeout=settings.fetch_timeout_s,
                max_bytes=settings.max_file_bytes,
            )
        except ArchiveError as exc:
            failed += 1
            typer.echo(f"error: {exc}", err=True)
            continue
        check = {
            True: "sha256 matches the publisher's",
            False: "sha256 DIFFERS from the publisher's",
            None: "no reference sha256",
        }
        typer.echo(f"{slug}@{result.label}: {result.outcome} {result.file.name} ({check[result.matches_reference]})")
    if failed:
        raise typer.Exit(1)


def _progress_callbacks():
    """A progress bar per file and page on a terminal; quiet otherwise."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import Progress

    progress = Progress(transient=True)
    tasks: dict[str, int] = {}

    def on_page(label: str, done: int, total: int) -> None:
        if label not in tasks:
            tasks[label] = progress.add_task(f"extracting {label}", total=total)
        progress.update(tasks[label], completed=done)

    return progress, on_page


@app.command()
def ingest(
    file: Annotated[Path | None, typer.Argument(help="A PDF to add without a manifest entry.")] = None,
    policy: Annotated[
        str | None, typer.Option("--policy", help="Policy slug (required with FILE; else a filter).", callback=nonempty)
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help="Version label (required with FILE; else a filter).", callback=nonempty),
    ] = None,
    effective: Annotated[str | None, typer.Option("--effective", help="Effective date YYYY-MM-DD (with FILE).")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Policy title, when FILE starts a new policy.")] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Store new bytes under an archived label (old snapshot kept), or change its effective date.",
        ),
    ] = False,
    password: Annotated[
        str | None,
        typer.Option("--password", help="Password of an encrypted PDF.", envvar="POLICY_ARCHIVE_PDF_PASSWORD"),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=32, help="Extract this many files in parallel processes.")
    ] = 1,
) -> None:
    """Ingest every manifest version whose file is present, or one FILE."""
    settings = get_settings()
    outcomes: list[service.IngestOutcome] = []
    if file is None and (given := [n for n, v in (("--effective", effective), ("--title", title)) if v is not None]):
        # Ignoring them would report "unchanged" for an ingest that did not do what was asked.
        fail(f"{' and '.join(given)} go with FILE; a manifest version takes them from its versions.toml",
             EXIT_BAD_INPUT)
    with errors_as_exit():
        if file is not None:
            missing = [
                n for n, v in (("--policy", policy), ("--version", version), ("--effective", effective)) if not v
            ]
            if missing:
                fail(f"ingesting {file} needs {', '.join(missing)}", EXIT_BAD_INPUT)
            requests = [
                service.single_file_request(
                    file, slug=policy, label=version, effective=effective, title=None, policy_title=title
                )
            ]
        else:
            manifests = (
                [manifest_for(settings.versions_dir, policy)] if policy else all_manifests(settings.versions_dir)
            )
            if not manifests:
                fail(f"no manifests under {settings.versions_dir}")
            if version and not policy:  # a label filter over every policy: those that have the label
                manifests = [m for m in manifests if m.version(version) is not None]
                if not manifests:
                    fail(f"no manifest has a version '{version}'")
            requests = []
            for manifest in manifests:
                found, missing_files = service.requests_from_manifest(manifest, [version] if version else None)
                requests += found
                outcomes += missing_files
        for outcome in outcomes:
            typer.echo(f"error: {outcome.message}", err=True)
        eng = engine()
        if file is not None and title is not None:
            service.check_new_title(eng, policy, title)
        progress, on_page = _progress_callbacks()

        def on_file(outcome: service.IngestOutcome) -> None:
            if outcome.failed:
                typer.echo(f"error: {outcome.message}", err=True)
            else:
                detail = f" ({outcome.pages} pages, {outcome.clauses} clauses)" if outcome.pages else ""
                typer.echo(f"{outcome.policy}@{outcome.label}: {outcome.status}{detail}")

        if progress is not None:
            with progress:
                outcomes += service.ingest(
                    eng, requests, replace=replace, password=password, jobs=jobs, on_file=on_file, on_page=on_page
                )
        else:
            outcomes += service.ingest(eng, requests, replace=replace, password=password, jobs=jobs, on_file=on_file)
    if any(o.failed for o in outcomes):
        raise typer.Exit(1)
