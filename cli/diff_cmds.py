"""Commands that compare: diff (a redline between two versions), history (one clause over time) and
unannounced (what each revision's changelog leaves out)."""

from __future__ import annotations

import re
import textwrap
from enum import StrEnum
from typing import Annotated

import typer

from archive.clauses import page_range
from archive.db.engine import transaction
from archive.diff.render import nature_label
from archive.services import histories, redlines
from archive.services import unannounced as unannounced_service
from cli.app import app
from cli.common import echo_json, engine, errors_as_exit, nonempty


class Format(StrEnum):
    json = "json"
    html = "html"
    text = "text"


@app.command()
def diff(
    slug: Annotated[str, typer.Argument(help="Policy slug, e.g. anthropic-rsp.")],
    a: Annotated[
        str, typer.Argument(help="Older version: a label (3.0) or a date (YYYY-MM-DD: the version in force).")
    ],
    b: Annotated[str, typer.Argument(help="Newer version: a label or a date.")],
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="json (the API's shape), html (a standalone page) or text.",
                             envvar="POLICY_ARCHIVE_DIFF_FORMAT")
    ] = Format.text,
    clause: Annotated[
        str | None,
        typer.Option("--clause", help="Only this clause (number, e.g. 3.6, or title) as numbered in the newer "
                                      "version (else the older), and its counterpart; a heading with no text "
                                      "of its own, with what is under it."),
    ] = None,
    changed_only: Annotated[
        bool, typer.Option("--changed-only/--all", help="Leave out unchanged clauses (the default) or list them too.")
    ] = True,
    width: Annotated[
        int, typer.Option("--width", min=0, help="Text format: wrap lines at this many columns (0: never wrap).")
    ] = redlines.TEXT_WIDTH,
) -> None:
    """Clause-by-clause, word-by-word redline between two versions of a policy."""
    # A transaction, not a read session: the first request stores the computed redline.
    with errors_as_exit(), transaction(engine()) as session:
        c = redlines.compare_scoped(session, slug, a, b, clause=clause, changed_only=changed_only)
    if fmt is Format.json:
        echo_json(c.redline)
    elif fmt is Format.html:
        typer.echo(redlines.render_html(c.redline, policy_title=c.policy_title, clause=c.clause, scope=c.scope))
    else:
        typer.echo(redlines.render_text(c.redline, width=width, clause=c.clause, scope=c.scope), nl=False)


@app.command()
def history(
    slug: Annotated[str, typer.Argument(help="Policy slug.")],
    number: Annotated[str, typer.Argument(help="Clause number (3.6) or its title.")],
    version: Annotated[
        str | None,
        typer.Option("--version", callback=nonempty,
                     help="The version the number is of (label or YYYY-MM-DD); default: the latest that has it. "
                          "Numbers are reused: 2.2's §2 is not 3.0's §2."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every version in which a clause stands (across renumbering), and what changed at each step."""
    with errors_as_exit(), transaction(engine()) as session:
        result = histories.clause_history(session, slug, number, version)
    if as_json:
        echo_json(result)
        return
    typer.echo(_history_heading(result))
    for entry in result["versions"]:
        c, ch = entry["clause"], entry["change"]
        name = " ".join(x for x in (c["number"], c["title"]) if x)
        pages = f"p. {page_range(c['page_start'], c['page_end'])}"
        if ch["kind"] == "first":
            what = "first appears"
        elif ch["kind"] == "added":
            what = f"added (nothing in {ch['previous_version']} aligns with it)"
        elif ch["kind"] == "unchanged":
            what = "unchanged"
        else:
            relation = f", {ch['relation']}" if ch.get("relation") else ""  # renumbered, retitled
            what = f"{ch['kind']}{relation}: +{ch.get('inserted_words', 0)} / -{ch.get('deleted_words', 0)} words"
        typer.echo(f"{entry['version']:<8} {entry['effective']}  {name}  ({pages})  {what}"
                   + _changelog_phrase(ch.get("changelog"), entry["version"]) + _within_phrase(ch.get("within") or []))
    if result["removed_in"]:
        typer.echo(f"removed in {result['removed_in']}"
                   + _changelog_phrase(result.get("removal_changelog"), result["removed_in"]))


@app.command()
def unannounced(
    slug: Annotated[str, typer.Argument(help="Policy slug.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (with each change's word ops).")] = False,
) -> None:
    """Each revision's changed clauses that its changelog does not mention, newest first: candidates for
    unannounced changes (the changelog audit matches words, not meaning: read each one's redline)."""
    with errors_as_exit(), transaction(engine()) as session:
        result = unannounced_service.unannounced(session, slug)
    if as_json:
        echo_json(result)
        return
    for rev in result["revisions"]:
        a, b = rev["from"]["label"], rev["to"]["label"]
        if not rev["audited"]:
            typer.echo(f"{a} -> {b}  no changelog entry to check against")
            continue
        typer.echo(f"{a} -> {b}  {len(rev['unmentioned'])} of {rev['counts']['audited']} changed clauses not mentioned"
                   f" in {'; '.join(rev['entries'])}")
        for u in rev["unmentioned"]:
            size = f"+{u['inserted_words']} / -{u['deleted_words']} words"
            typer.echo(f"  {u['clause']}  {u['kind']}, {nature_label(u)}: {size}")
            for sign, key in (("+", "inserted"), ("-", "deleted")):
                if u[key]:
                    typer.echo(textwrap.fill(u[key], redlines.TEXT_WIDTH, initial_indent=f"    {sign} ",
                                             subsequent_indent="      "))
    counts = result["counts"]
    typer.echo(f"{counts['substantive']} substantive and {counts['editorial']} editorial changes not mentioned, "
               f"over {counts['audited']} of {counts['revisions']} revisions with a changelog entry")


def _history_heading(result: dict) -> str:
    """'2 Frontier Safety Roadmap, as numbered in 3.4; another clause in 2.0, 2.2: 2 Capability
    Thresholds and Required Safeguards (--version 2.2)': numbers are reused, so say which is meant."""
    own = next(e["clause"] for e in result["versions"] if e["version"] == result["looked_up_in"])
    line = f"{' '.join(x for x in (own['number'], own['title']) if x)}, as numbered in {result['looked_up_in']}"
    groups: dict[tuple[str, str], list[str]] = {}
    for other in result.get("elsewhere") or []:
        groups.setdefault((other["number"], other["title"]), []).append(other["version"])
    for (number, title), labels in groups.items():
        name = " ".join(x for x in (number, title) if x)
        line += f"; another clause in {', '.join(labels)}: {name} (--version {labels[-1]})"
    return line


ITEM_CHARS = 90  # of a changelog item quoted on a history line (--json has it whole)


WITHIN_NAMED = 3  # changed subsections named on a history line (--json lists them all)


def _within_phrase(within: list[dict]) -> str:
    """'; within it: 3.6.2 modified (+1 more)': what changed under a clause whose own text may not have."""
    if not within:
        return ""
    named = ", ".join(
        f"{' '.join(x for x in (w['number'], w['title']) if x)} {w['kind']}"
        + (f" ({w['placement']})" if w.get("placement") else "")
        for w in within[:WITHIN_NAMED]
    )
    more = f" (+{len(within) - WITHIN_NAMED} more)" if len(within) > WITHIN_NAMED else ""
    return f"; within it: {named}{more}"


def _changelog_phrase(said: dict | None, version: str) -> str:
    """'; substantive, changelog item 1: how we …' / '; substantive, not in the changelog' / ''. An item
    of an entry for another version than `version` (2.2's changelog on the unarchived 2.1) names it,
    or the change would read as that version's."""
    if not said:
        return ""
    if said["items"]:
        item = said["items"][0]
        text = item["text"] if len(item["text"]) <= ITEM_CHARS else item["text"][:ITEM_CHARS].rsplit(" ", 1)[0] + " …"
        more = f" (+{len(said['items']) - 1} more)" if len(said["items"]) > 1 else ""
        own = re.search(rf"(?<![\d.])v?{re.escape(version)}(?![\d.]*\d)", item["entry"] or "", re.I)
        entry = "" if own else f" (entry '{item['entry']}')"
        return f"; {said['nature']}, changelog item {item['n']}{entry}: {text}{more}"
    if said["editorial_note"]:
        return f"; {said['nature']}, under the changelog's note on minor edits"
    return f"; {said['nature']}, not in the changelog"
