"""Redline dicts (see archive.diff.redline) as a standalone HTML page or terminal text."""

from __future__ import annotations

import math
import re
import textwrap
from html import escape

from archive.clauses import page_range
from archive.diff.redline import change_key, change_numbers

# Part of the HTML and text representations' ETags: bumped when the same redline renders differently
# (2: long unchanged stretches folded, long inserts and deletes set as blocks; 3: the HTML audit says
# its list is candidates; 8: the HTML links its audit to each change and says what the changelog says
# of each; 9: the HTML names the policy by its title, both say when limited to one clause, and the
# audit's lines say what was checked against which entries), so a cache holding an older rendering is
# not told it is current.
RENDER_VERSION = 9

_CSS = """
body{font:16px/1.55 Georgia,serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin:2rem 0 .3rem;border-top:1px solid #ccc;padding-top:1rem}
.meta,.pages{color:#555;font-size:.9rem}.kind{font:600 .75rem/1 sans-serif;text-transform:uppercase;
letter-spacing:.05em;border:1px solid #777;padding:.15rem .35rem;border-radius:3px;margin-right:.4rem}
ins{background:#d8f5d8;text-decoration:underline;text-decoration-thickness:2px}
del{background:#fbdcdc;text-decoration:line-through}
ins::before{content:"[+";font:700 .75em sans-serif}ins::after{content:"+]";font:700 .75em sans-serif}
del::before{content:"[−";font:700 .75em sans-serif}del::after{content:"−]";font:700 .75em sans-serif}
.audit{border:2px solid #333;padding:.6rem 1rem;margin:1rem 0}.audit li{margin:.2rem 0}
.moved{border-bottom:2px dotted #777}
.body{white-space:pre-wrap;overflow-wrap:anywhere}
.summary{display:flex;flex-wrap:wrap;gap:.2rem 1.2rem;list-style:none;padding:0}
.note-mark{font:600 .75em sans-serif;border:1px solid #777;border-radius:3px;padding:0 .2rem}
.audit h2{border-top:0;margin-top:.2rem;padding-top:0}
ins.block,del.block{display:block;text-decoration:none;padding:.2rem .6rem;margin:.4rem 0}
ins.block{border-left:4px solid #2a7a2a}del.block{border-left:4px dashed #a33}
ins.block::before{content:"[+ inserted] "}del.block::before{content:"[− deleted] "}
ins.block::after,del.block::after{content:none}
.fold{display:inline}.fold summary{display:inline;cursor:pointer;font:.8rem sans-serif;color:#555;
border:1px dashed #777;border-radius:3px;padding:0 .35rem;margin:0 .2rem;list-style:none}
.fold summary::-webkit-details-marker{display:none}.fold[open] summary{display:none}
.fold::details-content{display:inline}.fold:not([open])::details-content{display:none}
@media print{ins,del{background:none}.fold summary{display:none}
.fold::details-content{content-visibility:visible;display:inline}}
"""

FOLD_CONTEXT = 30  # words of unchanged text kept on each side of a change in HTML (12 in text)
# An inserted or deleted run of at least this many words is set as a block of its own in HTML, labelled
# and ruled at its side, not underlined or struck through: a rewritten passage or a whole added or
# removed clause stays readable (struck-through paragraphs are not), and is still marked by more than
# colour.
BLOCK_WORDS = 40


def _fold_cut(words: int, i: int, last: int, context: int) -> tuple[int, int] | None:
    """Which words of an unchanged run (op i of ops 0..last) to fold away: (start, end), or None to
    show it whole. `context` words stay beside each change; a fold hides at least `context` words."""
    keep_head = context if i > 0 else 0  # text after a change
    keep_tail = context if i < last else 0  # text before a change
    if words <= keep_head + keep_tail + context:
        return None
    return keep_head, words - keep_tail


def fold_ops(ops: list[dict], context: int = FOLD_CONTEXT) -> list[dict]:
    """Redline pieces for reading: long unchanged runs keep `context` words around each change and fold
    the rest (op "fold", with its word count; shown on demand with <details>, so the change is easy to
    find and nothing is lost). Unchanged text that moved within its clause keeps its "moved" mark,
    folded or not. A clause without a change is not folded. A long insert or delete is marked
    "block" (see BLOCK_WORDS)."""
    if not any(o["op"] != "equal" for o in ops):
        return [_piece(o["op"], o["text"], o.get("moved", False)) for o in ops]
    out: list[dict] = []
    last = len(ops) - 1
    for i, o in enumerate(ops):
        text, moved = o["text"], o.get("moved", False)
        words = text.split()
        cut = _fold_cut(len(words), i, last, context) if o["op"] == "equal" else None
        if cut is None:
            piece = _piece(o["op"], text, moved)
            if o["op"] != "equal" and len(words) >= BLOCK_WORDS:
                piece["block"] = True
            out.append(piece)
            continue
        head, middle, tail = words[: cut[0]], words[cut[0] : cut[1]], words[cut[1] :]
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        if head:
            out.append(_piece("equal", lead + " ".join(head) + " ", moved))
        fold = ("" if head else lead) + " ".join(middle) + (" " if tail else trail)
        out.append({**_piece("fold", fold, moved), "words": len(middle)})
        if tail:
            out.append(_piece("equal", " ".join(tail) + trail, moved))
    return out


def _piece(op: str, text: str, moved: bool) -> dict:
    return {"op": op, "text": text, "moved": True} if moved else {"op": op, "text": text}


def _entries(audit: dict) -> list[dict]:
    """The changelog entries an audit checked (bodies stored before "entries" existed name only one)."""
    return audit.get("entries") or [audit["entry"]]


def _several(audit: dict) -> bool:
    return len(_entries(audit)) > 1


def silent_revisions(unmentioned: dict) -> str:
    """'version 3.1 (modified, substantive)': the revisions of a span whose own audits found a change
    unannounced ("version": a clause can be numbered 3.1 too), each with what it did where the span's
    kind and nature do not say it already ("removed, heading only" twice says nothing; 1.0 -> 3.4's
    §3.6 was added in 3.0 and modified, unannounced, in 3.1). Empty when there are none."""
    def one(r: dict) -> str:
        if (r.get("kind"), nature_label(r)) == (unmentioned["kind"], nature_label(unmentioned)):
            return f"version {r['version']}"
        return f"version {r['version']} ({', '.join(x for x in (r.get('kind'), nature_label(r)) if x)})"

    return ", ".join(map(one, unmentioned.get("unannounced_in") or []))


def _revisions(unmentioned: dict) -> str:
    """'; not announced in version 3.1 (modified, substantive)', or nothing (`silent_revisions`)."""
    found = silent_revisions(unmentioned)
    return f"; not announced in {found}" if found else ""


SUBSECTIONS_NOTE = "Its subsections are clauses of their own, each compared on its own"


def scope_notes(clause: str | None, scope: dict | None, to_label: str) -> list[str]:
    """What a redline limited to `clause` leaves out, as sentences (`scope`: what
    archive.services.redlines.compare_clause says around it): its subsections, clauses of their own,
    and the older version's clause of the same number when that is another clause."""
    if not clause:
        return []
    notes = [f"Limited to clause {clause} and what it aligns with."]
    if scope and scope["subsections"]:
        notes.append(f"{SUBSECTIONS_NOTE}: {', '.join(_name(x) or '(untitled)' for x in scope['subsections'])}.")
    if scope and scope["other"]:
        notes.append(other_note(scope["other"], to_label))
    return notes


def other_note(other: dict, to_label: str) -> str:
    """'In 2.2, clause 4 (Safeguards Assessment) is a different clause; it was removed in 3.0.'"""
    became = other["change"]
    where = (f"; in {to_label} it is {_name(became['to_clause'])}" if became and became["to_clause"]
             else f"; it was removed in {to_label}" if became else "")
    return f"In {other['label']}, {other_clause(other)} is a different clause{where}."


def item_number(item: dict, several: bool) -> int:
    """A changelog item's number as a reader counts: over several entries (a span's audit), the number
    its own entry gives it ("item 1 of February 24, 2026 (RSP v3.0)"), not the span's."""
    return item["in_entry"] if several else item["n"]


def other_clause(ref: dict) -> str:
    """'clause 4 (Safeguards Assessment)': a clause named where its number alone could read as part of a
    list ("In 2.2, 4 Safeguards Assessment ...")."""
    if not ref["number"]:
        return f"“{ref['title']}”"
    return f"clause {ref['number']}" + (f" ({ref['title']})" if ref["title"] else "")


def _audit_counts(audit: dict) -> str:
    """'7 changed clauses checked (5 substantive, 2 editorial)'."""
    n = audit["counts"]
    return (f"{n['audited']} changed clause{'' if n['audited'] == 1 else 's'} checked "
            f"({n['substantive']} substantive, {n['editorial']} editorial)")


def _against(audit: dict) -> str:
    """'the entry "April 2, 2026 (RSP v3.1)"', or 'the 8 entries from "..." to "..."'."""
    titles = [e["title"] for e in _entries(audit)]
    if len(titles) == 1:
        return f"the entry “{titles[0]}”"
    return f"the {len(titles)} entries from “{titles[0]}” to “{titles[-1]}”"


def _entries_phrase(audit: dict, esc) -> str:
    titles = [f"<strong>{esc(e['title'])}</strong>" for e in _entries(audit)]
    if len(titles) == 1:
        return f"Newest changelog entry: {titles[0]}"
    return f"Changelog entries of the {len(titles)} revisions in between: " + ", ".join(titles)


def _pages(ref: dict) -> str:
    return page_range(ref["page_start"], ref["page_end"])


def _name(ref: dict) -> str:
    return " ".join(x for x in (ref["number"], ref["title"]) if x)


def _clause_name(ref: dict | None) -> str:
    return f"{_name(ref)} (p. {_pages(ref)})" if ref else "—"


def _heading(change: dict) -> str:
    """The clause's number, title and pages; both sides' where they differ ("p. 3 → 5": deleted text is
    on the older version's page)."""
    a, b = change["from_clause"], change["to_clause"]
    if a and b and (a["number"], a["title"]) != (b["number"], b["title"]):
        return f"{_clause_name(a)} → {_clause_name(b)}"
    if a and b and _pages(a) != _pages(b):
        return f"{_name(b)} (p. {_pages(a)} → {_pages(b)})"
    return _clause_name(b or a)


def _relation(change: dict) -> str:
    rel, other = change.get("relation"), change.get("related")
    share = f" ({percent(change['similarity'])} of its text)"  # an added or removed clause's containment there
    if rel == "split" and other:
        return f"split off from {_clause_name(other)}{share}"
    if rel == "merged" and other:
        return f"merged into {_clause_name(other)}{share}"
    if rel == "retitled":
        return "retitled"
    return ""


def percent(similarity: float) -> str:
    """'96%'; a changed clause never reads '100%' (one word in 800 is 99.9%), an unchanged one does."""
    if 0.995 <= similarity < 1:
        return f"{min(math.floor(similarity * 1000) / 10, 99.9):.1f}%"
    return f"{similarity * 100:.0f}%"


def similarity_text(change: dict) -> str:
    """"similarity NN%" for a clause and its counterpart; nothing for an added or removed clause, which
    has none (its similarity field is 0, or its containment in the clause it split from / merged into),
    nor where one side has no text of its own (1.0's "Version History" line became 2.0's "Changelog"
    heading over dated entries): no text, nothing to be alike."""
    if change["kind"] in ("added", "removed") or _one_sided(change["ops"]):
        return ""
    return f"similarity {percent(change['similarity'])}"


def _one_sided(ops: list[dict]) -> bool:
    """Whether a pair's body (after a retitled clause's title ops, which end with an equal "¶ ") is all
    deleted or all inserted: one of the two has no text."""
    marks = [k for k, o in enumerate(ops) if o["op"] == "equal" and o["text"] == "¶ "]
    body = ops[marks[0] + 1 :] if marks else ops
    return bool(body) and body[0]["op"] != "equal" and all(o["op"] == body[0]["op"] for o in body)


def nature_label(change: dict) -> str:
    """An audited change's nature as a reader needs it: an added or removed heading with no text of its
    own is "heading only" (the audit counts it as editorial: it changes no words)."""
    if change["kind"] in ("added", "removed") and change["nature"] == "editorial":
        return "heading only"
    return change["nature"]


def _empty(change: dict) -> str:
    """What to say of a change with no text to show."""
    return "a heading only: no text of its own" if change["kind"] in ("added", "removed") else "unchanged"


def render_html(redline: dict, *, policy_title: str | None = None, clause: str | None = None,
                scope: dict | None = None) -> str:
    """One standalone page: summary, changelog audit, then each clause's changes with <ins>/<del>.
    `policy_title` names the policy (the redline holds its slug only); `clause`: the clause the
    redline was limited to, said in the title and summary with what it leaves out (`scope_notes`)."""
    f, t = redline["from"], redline["to"]
    title = f"{policy_title or redline['policy']}: {f['label']} → {t['label']}"
    title += f", clause {clause}" if clause else ""
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">From version {escape(f["label"])} (effective {escape(str(f.get("effective", "")))}) '
        f'to version {escape(t["label"])} (effective {escape(str(t.get("effective", "")))}). '
        "Insertions are shown <ins>like this</ins>, deletions <del>like this</del>, a long inserted or deleted "
        'passage as a block of its own, unchanged text that moved within its clause <span class="moved">like '
        "this</span>.</p>",
        '<ul class="summary">' + "".join(f"<li><strong>{v}</strong> {k}</li>" for k, v in redline["summary"].items())
        + "</ul>",
    ]
    out += [f'<p class="meta">{escape(note)}</p>' for note in scope_notes(clause, scope, t["label"])]
    audit = redline.get("audit")
    # Limited to one clause, a change keeps the number it has in the whole comparison.
    anchors = _anchors(change_numbers(redline["changes"]) if scope is None else scope["numbers"])
    said = {change_key(c): c for c in audit["changes"]} if audit else {}
    if audit:
        out.append('<section class="audit"><h2>Changelog audit</h2>')
        out.append(f"<p>{_entries_phrase(audit, escape)}. {escape(_audit_counts(audit))}.</p>")
        out.append('<p class="meta">The audit matches words, not meaning: a clause listed as not mentioned is a '
                   "candidate for an unannounced change, to be checked against its redline (the method: "
                   "docs/redlines.md, or /p/method on the archive's server).</p>")
        if audit["unmentioned"]:
            heading = ("Changed by a revision whose changelog does not mention it" if _several(audit)
                       else "Changed but not mentioned in the changelog")
            out.append(f"<p><strong>{heading}:</strong></p><ul>")
            out += [f"<li>{_link(anchors, u)} ({u['kind']}, {nature_label(u)}){escape(_revisions(u))}</li>"
                    for u in audit["unmentioned"]]
            out.append("</ul>")
        else:
            out.append("<p>Every changed clause is accounted for by the changelog.</p>")
        if audit["items"]:
            out.append("<p>Changelog items:</p>")
            several = _several(audit)  # a list per entry, numbered as that entry numbers its items
            for k, item in enumerate(audit["items"]):
                if k == 0 or several and item["entry"] != audit["items"][k - 1]["entry"]:
                    out.append(("</ol>" if k else "") + (f"<p><strong>{escape(item['entry'])}</strong></p>"
                                                          if several else "") + "<ol>")
                matched = [c for c in audit["changes"] if item["n"] in c["items"] and not c["via_subsections"]]
                where = ", ".join(_link(anchors, c) for c in matched) or escape(
                    "a note on minor edits, for editorial changes" if item.get("editorial")
                    else "no matching change found")
                out.append(f"<li value=\"{item_number(item, several)}\">{escape(item['text'])} <em>→ {where}</em></li>")
        out.append("</ol></section>" if audit["items"] else "</section>")
    elif f.get("effective", "") > t.get("effective", ""):
        out.append('<p class="meta">No changelog audit: this comparison runs backwards, and a changelog tells what '
                   "a revision changed.</p>")
    if not redline["changes"]:
        out.append("<p>No changes.</p>")
    for ch in redline["changes"]:
        rel = _relation(ch)
        anchor = f' id="{anchors[change_key(ch)]}"' if change_key(ch) in anchors else ""
        out.append(f'<section{anchor}><h2><span class="kind">{ch["kind"]}</span> {escape(_heading(ch))}</h2>')
        facts = "; ".join(x for x in (similarity_text(ch), rel) if x)
        if facts:
            out.append(f'<p class="pages">{escape(facts)}</p>')
        if change_key(ch) in said:
            out.append(f'<p class="pages">Changelog: {escape(_said_text(said[change_key(ch)], audit))}</p>')
        body = []
        for op in fold_ops(ch["ops"]):
            text = op_html(op["text"])
            block = ' class="block"' if op.get("block") else ""
            if op["op"] == "insert":
                body.append(f"<ins{block}>{text}</ins>")
            elif op["op"] == "delete":
                body.append(f"<del{block}>{text}</del>")
            elif op["op"] == "fold":
                moved = ", moved within this clause" if op.get("moved") else ""
                body.append(f'<details class="fold"><summary>… {op["words"]} unchanged words{moved}</summary>'
                            f"{text}</details>")
            elif op.get("moved"):
                body.append(f'<span class="moved" title="unchanged, moved within this clause">{text}</span>')
            else:
                body.append(text)
        out.append(f'<div class="body">{"".join(body) or f"<em>({_empty(ch)})</em>"}</div></section>')
    out.append("</body></html>")
    return "\n".join(out)


_NOTE_MARK = re.compile(r"\[\^(\w{1,4})\]")  # "[^4]": where the compared text puts a footnote


# A table of contents' dot leaders ("Framework......2" on 1.0's contents page), shown as " … " so that a
# run of a hundred dots does not fill a line; only where text is shown: the JSON keeps it as printed.
_LEADER = re.compile(r"\.{4,}")


def shorten_leaders(text: str) -> str:
    return _LEADER.sub(" … ", text)


def op_html(text: str) -> str:
    """An op's text as HTML: escaped, dot leaders shortened, each "[^4]" (where the compared text puts
    a footnote, after its clause's body) shown as a label a reader knows: "note 4"."""
    return _NOTE_MARK.sub(r'<span class="note-mark">note \1</span>', escape(shorten_leaders(text)))


def _anchors(numbers: dict[tuple[int | None, int | None], int]) -> dict[tuple[int | None, int | None], str]:
    """Each changed clause's id in the HTML, "change-N" (`numbers` from `change_numbers`)."""
    return {key: f"change-{n}" for key, n in numbers.items()}


def _link(anchors: dict, entry: dict) -> str:
    """An audit entry's clause (number and title), linked to its change where the page holds it."""
    ref = entry["to_clause"] or entry["from_clause"]
    name = escape(_name(ref) if ref else entry["clause"])
    return f'<a href="#{anchors[change_key(entry)]}">{name}</a>' if change_key(entry) in anchors else name


TEXT_WIDTH = 100  # columns of the text view; a longer line wraps, its prefix repeated


def render_text(redline: dict, context: int = 12, width: int = TEXT_WIDTH, *, clause: str | None = None,
                scope: dict | None = None) -> str:
    """Unified-diff style: a header per clause, '-'/'+' lines for changes, a few words of context.
    Lines wrap at `width` columns (0: never), each continuation with its line's prefix, so a deleted
    paragraph stays a block of '- ' lines that grep and a pager show whole. `clause`: the clause the
    redline was limited to, said under the summary with what it leaves out (`scope_notes`)."""
    f, t = redline["from"], redline["to"]
    lines = [f"--- {redline['policy']} {f['label']} ({f.get('effective', '')})",
             f"+++ {redline['policy']} {t['label']} ({t.get('effective', '')})"]
    s = redline["summary"]
    lines += _line("summary: ", ", ".join(f"{v} {k}" for k, v in s.items()), width)
    for note in scope_notes(clause, scope, t["label"]):
        lines += _line("note: ", note, width)
    audit = redline.get("audit")
    if audit:
        n = len(audit["unmentioned"])
        silent = (f"{n} changed by a revision whose changelog does not mention {'it' if n == 1 else 'them'}"
                  if _several(audit) else f"{n} not mentioned")
        lines += _line("changelog audit: ", f"{_audit_counts(audit)} against {_against(audit)}; {silent}", width)
        for u in audit["unmentioned"]:
            ref = u["to_clause"] or u["from_clause"]
            gap = f"{_name(ref) if ref else u['clause']} ({u['kind']}, {nature_label(u)}){_revisions(u)}"
            lines += _line("  not in changelog: ", gap, width)
        for item in (i for i in audit["items"] if i["n"] in audit["items_without_change"]):
            lines += _line("  no change for: ", f"{_item_label(item, audit)}: {_quoted(item['text'])}", width)
    elif f.get("effective", "") > t.get("effective", ""):
        lines += _line("no changelog audit: ", "this comparison runs backwards, from the newer version to the older, "
                       "and a changelog tells what a revision changed", width)
    said = {change_key(c): c for c in audit["changes"]} if audit else {}
    for ch in redline["changes"]:
        rel = _relation(ch)
        lines.append("")
        sim = similarity_text(ch)
        head = f"{ch['kind']}: {_heading(ch)}" + (f"  {sim}" if sim else "") + (f"  ({rel})" if rel else "")
        # A header wraps too, its continuation under the "@@ " (a grep for "^@@" finds each change once).
        lines += _line("@@ ", head, width)
        if change_key(ch) in said:
            lines += _wrapped("  changelog: ", _said_text(said[change_key(ch)], audit).split(), width)
        ops = ch["ops"]
        if not ops:
            lines.append(f"  ({_empty(ch)})")
        for k, op in enumerate(ops):
            words = shorten_leaders(op["text"]).split()
            if op["op"] == "equal":
                cut = _fold_cut(len(words), k, len(ops) - 1, context) if len(ops) > 1 else None
                if cut is not None:
                    words = words[: cut[0]] + ["…"] + words[cut[1] :]
                if words:
                    lines += _wrapped(("~ (moved) " if op.get("moved") else "  "), words, width)
            else:
                lines += _wrapped("- " if op["op"] == "delete" else "+ ", words, width)
    return "\n".join(lines) + "\n"


def _said_text(said: dict, audit: dict) -> str:
    """What the changelog audit says of one change, in a line: the item that accounts for it (the best
    first, quoted in part), its note on minor edits, or nothing. Over several revisions a clause can
    be both: silent in one revision's changelog and announced in another's; the silence comes first."""
    silent = "" if said["accounted"] else (_revisions(said)[2:] or f"not mentioned ({nature_label(said)})")
    if said["items"]:
        item = next(i for i in audit["items"] if i["n"] == said["items"][0])
        more = f" (+{len(said['items']) - 1} more)" if len(said["items"]) > 1 else ""
        via = ", through its subsections" if said["via_subsections"] else ""
        found = f"{_item_label(item, audit)}{more}{via}: {_quoted(item['text'])}"
        return f"{silent}; its change in another revision: {found}" if silent else found
    if said["editorial_note"]:
        return f"{said['nature']}, under its note on minor edits"
    return silent or "accounted for by the changelogs of the revisions that changed it"


def _item_label(item: dict, audit: dict) -> str:
    """'item 2', or over several entries 'item 1 of “February 24, 2026 (RSP v3.0)”' (`item_number`)."""
    several = bool(_several(audit) and item.get("entry"))
    return f"item {item_number(item, several)}" + (f" of “{item['entry']}”" if several else "")


def _quoted(text: str) -> str:
    """An item quoted in part (two lines at most), up to a word's end."""
    return text if len(text) <= 160 else text[:160].rsplit(None, 1)[0].rstrip(",;:") + "…"


def _line(prefix: str, text: str, width: int) -> list[str]:
    """A header line: as it is when it fits, else wrapped with spaces under the prefix, keeping the two
    spaces that set its fields apart ("(p. 21)  similarity 99.9%  (retitled)")."""
    if width <= 0 or len(prefix) + len(text) <= width:
        return [prefix + text]
    lines = textwrap.wrap(text, max(width - len(prefix), 20), break_long_words=False, break_on_hyphens=False)
    return [(prefix if k == 0 else " " * len(prefix)) + line for k, line in enumerate(lines)]


def _wrapped(prefix: str, words: list[str], width: int) -> list[str]:
    """`prefix` + the words, as lines of at most `width` columns (a word longer than that stands alone);
    the continuation lines carry the same prefix ("~ (moved) " continues as "~ "; a label such as
    "  changelog: " as spaces under it)."""
    if width <= 0:
        return [prefix + " ".join(words)]
    room = max(width - len(prefix), 20)
    rest = {"- ": "- ", "+ ": "+ ", "  ": "  ", "~ (moved) ": "~ "}.get(prefix, " " * len(prefix))
    lines = textwrap.wrap(" ".join(words), room, break_long_words=False, break_on_hyphens=False)
    return [(prefix if k == 0 else rest) + line for k, line in enumerate(lines)]
