"""Commands over the search index: search (and --history), resolve, cite, check-citations, index rebuild."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from archive.db.engine import read_session
from archive.services import cite as cite_service
from archive.services import search as svc
from archive.services.search.citations import MAX_CITATIONS, MAX_CITATIONS_BYTES
from archive.settings import get_settings
from cli.app import app
from cli.common import EXIT_BAD_INPUT, echo_json, engine, errors_as_exit, fail, nonempty

index_app = typer.Typer(help="The full-text search index (derived from the database).", no_args_is_help=True)
app.add_typer(index_app, name="index")

_MARK = re.compile(r"</?mark>")


def _plain(snippet: str) -> str:
    return (
        _MARK.sub(lambda m: "[" if m.group(0) == "<mark>" else "]", snippet)
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words, "phrases", AND/OR/NOT, prefix*, fuzzy~, field:value.')],
    policy: Annotated[str | None, typer.Option(help="Only this policy (slug).", callback=nonempty)] = None,
    version: Annotated[
        str | None, typer.Option(help="Only this version (label or YYYY-MM-DD).", callback=nonempty)
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Only the version in force on YYYY-MM-DD.")] = None,
    effective_from: Annotated[
        str | None, typer.Option("--from", help="Versions effective on/after YYYY-MM-DD.")
    ] = None,
    effective_to: Annotated[str | None, typer.Option("--to", help="Versions effective on/before YYYY-MM-DD.")] = None,
    sort: Annotated[str, typer.Option(help="relevance or date (newest first).")] = "relevance",
    page: Annotated[int, typer.Option(help="Page of results (1-based).")] = 1,
    per_page: Annotated[int, typer.Option("--per-page", help="Hits per page.")] = 20,
    collapse: Annotated[bool, typer.Option("--collapse", help="One hit per clause, listing its versions.")] = False,
    history: Annotated[bool, typer.Option("--history", help="Phrase history: versions holding the phrase.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the API's shape).")] = False,
) -> None:
    """Search every version of every policy."""
    settings = get_settings()
    with errors_as_exit(), read_session(engine()) as session:
        if history:
            data = svc.phrase_history(settings, session, query, policy=policy)
        else:
            data = svc.search(
                settings,
                session,
                q=query,
                policy=policy,
                version=version,
                as_of=as_of,
                effective_from=effective_from,
                effective_to=effective_to,
                sort=sort,
                page=page,
                per_page=per_page,
                collapse=collapse,
            )
    # An empty page past the end is a mistake in the request, not "no matches".
    if not history and page > max(data["pages"], 1):
        unit = "clauses" if data["collapsed"] else "hits"
        fail(f"page {page} is past the last page ({max(data['pages'], 1)}) of {data['total']} {unit}", EXIT_BAD_INPUT)
    if as_json:
        echo_json(data)
    elif history:
        _print_history(data)
    else:
        _print_hits(data)


def _print_hits(data: dict) -> None:
    if not data["total"]:
        typer.echo("no matches")
        return
    unit = "clauses" if data["collapsed"] else "hits"
    typer.echo(f"{data['total']} {unit} (page {data['page']} of {data['pages']})")
    for h in data["hits"]:
        c = h["clause"]
        head = f"{h['policy']} {h['version']} ({h['effective']})  {c['number'] or ''} {c['title']}  p. {h['page']}"
        typer.echo("")
        typer.echo(head.replace("  ", " ", 1) if not c["number"] else head)
        if "versions" in h:
            typer.echo(
                "  in versions: "
                + ", ".join(f"{v['version']}" + (f" (p. {v['page']})" if "page" in v else "") for v in h["versions"])
            )
        typer.echo("  " + _plain(h["snippet"]))


def _print_history(data: dict) -> None:
    if not data["found"]:
        typer.echo(f'"{data["phrase"]}" is in no version')
        return
    for p in data["policies"]:
        first, last = p["first"], p["last"]
        line = f"{p['policy']}: first in {first['version']} ({first['effective']}), last in {last['version']}"
        line += "".join(f"; missing from {g['version']}, back in {g['back_in']['version']}"
                        for g in p["removals"] if g["back_in"])
        if p["removed_in"]:
            line += f"; gone from {p['removed_in']['version']} ({p['removed_in']['effective']})"
        elif p["in_latest"]:
            line += " (still in the newest version)"
        typer.echo(line)
        for v in p["versions"]:
            where = "; ".join(
                f"{o['clause']['number'] or o['clause']['title']} p. {o['page']}" for o in v["occurrences"]
            )
            typer.echo(f"  {v['version']:<9} {v['effective']}  {where if v['present'] else '-'}")


@app.command()
def resolve(
    quote: Annotated[str, typer.Argument(help="The quoted text (an ellipsis ... stands for omitted words).")],
    prefix: Annotated[str | None, typer.Option(help="Text just before the quote (disambiguates).")] = None,
    suffix: Annotated[str | None, typer.Option(help="Text just after the quote (disambiguates).")] = None,
    policy: Annotated[str | None, typer.Option(help="Only this policy (slug).", callback=nonempty)] = None,
    version: Annotated[str | None, typer.Option(help="Only this version (label).", callback=nonempty)] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Only the version in force on YYYY-MM-DD.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the API's shape).")] = False,
) -> None:
    """Find where a quote stands, with a ready citation; closest passages when it is not there."""
    settings = get_settings()
    with errors_as_exit(), read_session(engine()) as session:
        data = svc.resolve(
            settings, session, quote=quote, prefix=prefix, suffix=suffix, policy=policy, version=version, as_of=as_of
        )
    if as_json:
        echo_json(data)
        return
    typer.echo(data["status"].replace("_", " "))
    # A quote standing several times on one page of a clause: one line, with how many times.
    lines = Counter(
        f"  {m['citation']}  [{m['permalink']}]"
        + ("  (the context given differs here)" if m["context"] == "differs" else "")
        for m in data["matches"]
    )
    for line, times in lines.items():
        typer.echo(line + (f"  ({times} times)" if times > 1 else ""))
    for m in data["closest"]:
        typer.echo(f"  closest ({m['score']:.2f}): {m['citation']}: “{' '.join(m['text'].split())}”")
    for h in data["history"]:
        typer.echo(f"{h['policy']}: {h['summary']}")


class CiteFormat(StrEnum):
    bibtex = "bibtex"
    csl_json = "csl-json"
    wikitext = "wikitext"


@app.command()
def cite(
    slug: Annotated[str, typer.Argument(help="Policy slug.")],
    version: Annotated[str, typer.Argument(help="A label (3.1) or a date (YYYY-MM-DD: the version in force).")],
    fmt: Annotated[
        CiteFormat, typer.Option("--format", "-f", help="bibtex, csl-json or wikitext.")
    ] = CiteFormat.bibtex,
    clause: Annotated[
        str | None, typer.Option(help="Cite this clause (number, or title) and its pages.", callback=nonempty)
    ] = None,
    quote: Annotated[
        str | None, typer.Option(help="Cite this passage: its clause and pages.", callback=nonempty)
    ] = None,
) -> None:
    """Cite a version, a clause of it or a quote in it, for a reference manager or a wiki: BibTeX,
    CSL-JSON or Wikipedia's {{cite web}}. The publisher's document is what is cited."""
    with errors_as_exit(), read_session(engine()) as session:
        ref = cite_service.reference(session, slug, version, clause=clause, quote=quote, settings=get_settings())
    typer.echo(cite_service.as_text(ref, fmt.value).rstrip("\n"))


@app.command("check-citations")
def check_citations(
    file: Annotated[str, typer.Argument(help="JSON list of {quote, policy, version, section}; - for stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the API's shape).")] = False,
) -> None:
    """Check many citations at once: current, moved, changed, removed or wrong, or unarchived (a version
    the policy's changelog names but the archive lacks)."""
    if not file.strip():
        fail("no citations file given (a path, or - for stdin)", EXIT_BAD_INPUT)
    try:
        # At most one byte past the limit: enough to know a file (or /dev/zero) is too large.
        with sys.stdin.buffer if file == "-" else Path(file).open("rb") as source:
            raw = source.read(MAX_CITATIONS_BYTES + 1)
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", EXIT_BAD_INPUT)
    if len(raw) > MAX_CITATIONS_BYTES:
        fail(f"{file} is larger than {MAX_CITATIONS_BYTES // 2**20} MB (at most {MAX_CITATIONS} citations a run)",
             EXIT_BAD_INPUT)
    try:
        citations = json.loads(raw)  # bytes: UTF-8 (or -16/-32), else a UnicodeDecodeError (a ValueError)
    except UnicodeDecodeError:
        fail(f"{file} is not JSON text (not UTF-8)", EXIT_BAD_INPUT)
    except ValueError as exc:
        fail(f"{file} is not valid JSON: {exc}", EXIT_BAD_INPUT)
    except RecursionError:
        fail(f"{file} is not a list of citations: its JSON is nested too deeply", EXIT_BAD_INPUT)
    settings = get_settings()
    with errors_as_exit(), read_session(engine()) as session:
        data = svc.check_citations(settings, session, citations)
    if as_json:
        echo_json(data)
        return
    typer.echo(", ".join(f"{n} {k}" for k, n in sorted(data["counts"].items())))
    for r in data["results"]:
        c = r["cited"]
        # What was cited; an omitted version or section is told as what was checked instead.
        version = c.get("version") or r.get("checked_version") or "(no version)"
        found = (r.get("found_in_cited") or {}).get("clause") or {}
        section = c.get("section") or found.get("label") or "(any section)"
        typer.echo(f"[{r['index']}] {r['status']:<8} {version} {section}: {r['detail']}")
        if r["suggested"]:
            typer.echo(f"      suggest: {r['suggested']['citation']}")


@index_app.command("rebuild")
def index_rebuild() -> None:
    """Rebuild the search index from the database (one writer at a time)."""
    settings = get_settings()
    with errors_as_exit(), read_session(engine()) as session:
        ix = svc.rebuild_index(settings, session)
    typer.echo(f"index rebuilt: {ix.doc_count} clauses at {ix.path}")


@index_app.command("status")
def index_status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Whether the index exists and matches the database."""
    settings = get_settings()
    with errors_as_exit(), read_session(engine()) as session:
        data = svc.index_status(settings, session)
    if as_json:
        echo_json(data)
    else:
        typer.echo(
            f"{data['path']}: {'current' if data['current'] else 'missing or stale'}, {data['documents'] or 0} clauses"
        )
