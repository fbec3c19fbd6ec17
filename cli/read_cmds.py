"""Commands that read: versions, show."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from archive.clauses import descendants, page_range
from archive.db import storage
from archive.db.engine import read_session
from archive.services.versions import resolve_version, unarchived_versions
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
        policies = [] if as_json else list(dict.fromkeys(v.policy for v in rows))
        unarchived = {p: unarchived_versions(session, p) for p in policies}
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
    for policy, labels in unarchived.items():
        if labels:
            typer.echo(f"{policy}: not archived, though its newest changelog names them: {', '.join(labels)}")


def clause_json(position: int, c: Clause) -> dict:
    data = asdict(c)
    data["position"] = position
    return data


def _outline_lines(tree: list[Clause]) -> list[str]:
    top = min((c.level for c in tree), default=1)  # a subtree starts at the margin
    return [
        f"{'  ' * (c.level - top)}{(c.number + ' ') if c.number else ''}{c.title}"
        f"  (p. {page_range(c.page_start, c.page_end)})"
        for c in tree
    ]


def _subtree(tree: list[Clause], root: int) -> list[int]:
    """Positions of a clause and everything under it."""
    return sorted(descendants(tree, root) | {root})


@app.command()
def show(
    ref: Annotated[
        str,
        typer.Argument(help="SLUG@LABEL or SLUG@YYYY-MM-DD (the version in force that day), e.g. anthropic-rsp@3.1."),
    ],
    clause: Annotated[
        str | None, typer.Option("--clause", help="Print only this clause (its number, e.g. 3.6, or its title).")
    ] = None,
    outline: Annotated[
        bool, typer.Option("--outline", help="Print the clause tree (with --clause: that clause's subtree).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a version's full text (pages separated by a form feed), one clause, or its outline."""
    slug, ref_label = split_ref(ref)
    with errors_as_exit(), read_session(engine()) as session:
        # A date names the version in force that day, as in diff and search.
        info = resolve_version(session, slug, ref_label)
        label = info.label
        if outline:
            tree = storage.clauses(session, slug, label)
            positions = (
                _subtree(tree, storage.find_clause(session, slug, label, clause, any_title=True)[0])
                if clause is not None
                else range(len(tree))
            )
            if as_json:
                echo_json({"policy": slug, "version": label, "clauses": [clause_json(i, tree[i]) for i in positions]})
            else:
                typer.echo("\n".join(_outline_lines([tree[i] for i in positions])))
            return
        if clause is not None:
            position, c = storage.find_clause(session, slug, label, clause, any_title=True)
            if as_json:
                echo_json({"policy": slug, "version": label, "clause": clause_json(position, c)})
                return
            pages = f"p. {page_range(c.page_start, c.page_end)}"
            typer.echo(f"{(c.number + ' ') if c.number else ''}{c.title}  [{slug} {label}, {pages}]")
            typer.echo("")
            typer.echo(c.text)
            for note in c.footnotes:
                typer.echo(f"\n[{note.marker}] {note.text} (p. {note.page})")
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
