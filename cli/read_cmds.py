"""Commands that read: versions, show."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from archive.db import storage
from archive.db.engine import read_session
from archive.types import Clause
from cli.app import app
from cli.common import echo_json, engine, errors_as_exit, split_ref


@app.command()
def versions(
    slug: Annotated[str | None, typer.Argument(help="Only this policy.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List archived versions: label, effective date, pages, clauses, provenance status."""
    with errors_as_exit(), read_session(engine()) as session:
        rows = storage.list_versions(session, slug)
    if as_json:
        echo_json([asdict(v) for v in rows])
        return
    if not rows:
        typer.echo("no versions archived yet (run: policy-archive ingest)")
        return
    typer.echo(f"{'policy':<30} {'version':<9} {'effective':<10} {'pages':>5} {'clauses':>7}  provenance")
    for v in rows:
        typer.echo(
            f"{v.policy:<30} {v.label:<9} {v.effective.isoformat():<10} {v.page_count:>5} {v.clause_count:>7}  "
            f"{v.status.value} sha256 {v.sha256[:12]}"
            + (
                f" (publisher's {v.reference_sha256[:12]})"
                if v.reference_sha256 and v.reference_sha256 != v.sha256
                else ""
            )
        )


def clause_json(position: int, c: Clause) -> dict:
    data = asdict(c)
    data["position"] = position
    return data


def _outline_lines(tree: list[Clause]) -> list[str]:
    return [
        f"{'  ' * (c.level - 1)}{(c.number + ' ') if c.number else ''}{c.title}  (p. {c.page_start}"
        + (f"-{c.page_end}" if c.page_end != c.page_start else "")
        + ")"
        for c in tree
    ]


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="SLUG@LABEL, for example anthropic-rsp@3.1.")],
    clause: Annotated[str | None, typer.Option("--clause", help="Print only this clause (number or title).")] = None,
    outline: Annotated[bool, typer.Option("--outline", help="Print the clause tree.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a version's full text (pages separated by a form feed), one clause, or its outline."""
    slug, label = split_ref(ref)
    with errors_as_exit(), read_session(engine()) as session:
        info = storage.get_version(session, slug, label)
        if clause is not None:
            position, c = storage.find_clause(session, slug, label, clause)
            if as_json:
                echo_json({"policy": slug, "version": label, "clause": clause_json(position, c)})
                return
            pages = f"p. {c.page_start}" + (f"-{c.page_end}" if c.page_end != c.page_start else "")
            typer.echo(f"{(c.number + ' ') if c.number else ''}{c.title}  [{slug} {label}, {pages}]")
            typer.echo("")
            typer.echo(c.text)
            for note in c.footnotes:
                typer.echo(f"\n[{note.marker}] {note.text} (p. {note.page})")
            return
        if outline:
            tree = storage.clauses(session, slug, label)
            if as_json:
                echo_json(
                    {"policy": slug, "version": label, "clauses": [clause_json(i, c) for i, c in enumerate(tree)]}
                )
            else:
                typer.echo("\n".join(_outline_lines(tree)))
            return
        if as_json:
            echo_json(
                {
                    "version": asdict(info),
                    "pages": [{"number": p.number, "text": p.text} for p in storage.pages(session, slug, label)],
                }
            )
            return
        text = storage.version_text(session, slug, label)
    typer.echo(text)
