"""Search and quote-resolution latency next to a plain SQL scan and SQLite FTS5, at 1x and 100x.

    .venv/bin/python bench/bench_search.py [--scale 100] [--corpus-db sqlite:///path.db]

Ingests the corpus into a temporary archive (unless --corpus-db names one), builds the Whoosh index,
then times 50 queries (words, phrases, boolean, prefix, filters) and 50 resolves (quotes drawn from
the clauses, some with a word changed) three ways in the same run:
- index: our Whoosh index (archive.search), as the service runs it (parse, run_search: text/title
  queries on the distinct-texts index, every match counted, one page with snippets) minus the SQL
  freshness check (one small probe query per request; see archive.services.search.index.ensure_index)
  and the SQL lookup of a version filter's version. "cold" is the first pass over the 50 (stored
  clauses and snippet tokens not cached yet), "warm" a second pass, as a long-running server sees
  repeated or overlapping queries;
- scan: a plain SQL scan of every clause text doing the same work as a search: every match found
  (LIKE per word / phrase), counted (count(*) OVER ()) and ordered (newest first), one page
  returned (ids only: no texts or snippets, which would cost it a little more); resolves fetch
  every text and match in Python (what resolving without an index costs;
  at scale > 1 only the first SCAN_RESOLVES quotes, it takes seconds each);
- fts5: SQLite FTS5 (unicode61) over the same texts, ranked, one page with snippets; "fts5+count"
  also counts every match, as our search does (its `total`).
Then the same at N x the corpus (every version replicated under other labels). Prints figures only.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.db.engine import make_engine, read_session  # noqa: E402
from archive.search import quotes as qt  # noqa: E402
from archive.search.index import IndexedClause, open_index, write_index  # noqa: E402
from archive.search.passages import passages  # noqa: E402
from archive.search.query import parse  # noqa: E402
from archive.search.searching import run_search, version_filter  # noqa: E402
from archive.services.search import index as held_index  # noqa: E402
from archive.services.search import quotes as quote_service  # noqa: E402


def ingest_corpus(root: Path) -> str:
    from ingest import service
    from ingest.manifest import all_manifests
    from tests.conftest import make_settings, place_corpus_pdfs

    settings = make_settings(root, f"sqlite:///{root / 'bench.db'}")
    place_corpus_pdfs(settings)
    engine = make_engine(settings)
    requests = []
    for manifest in all_manifests(settings.versions_dir):
        requests += service.requests_from_manifest(manifest)[0]
    service.ingest(engine, requests, jobs=2, settings=settings)
    engine.dispose()
    return settings.sqlalchemy_url


def load_entries(url: str) -> list[IndexedClause]:
    engine = make_engine(url=url)
    with read_session(engine) as session:
        entries = list(held_index.entries(session))
    engine.dispose()
    return entries


def workload(entries: list[IndexedClause], rng: random.Random) -> tuple[list[dict], list[str]]:
    texts = [e for e in entries if len(e.text) > 200]
    versions = sorted({(e.policy, e.version) for e in entries})
    queries: list[dict] = []
    while len(queries) < 50:
        e = rng.choice(texts)
        words = re.findall(r"[A-Za-z]{4,}", e.text)
        if len(words) < 10:
            continue
        i = rng.randrange(len(words) - 3)
        kind = len(queries) % 5
        if kind == 0:
            q = {"q": f"{words[i]} {words[i + 2]}", "words": [words[i], words[i + 2]]}
        elif kind == 1:
            q = {"q": f'"{words[i]} {words[i + 1]}"', "phrase": f"{words[i]} {words[i + 1]}"}
        elif kind == 2:
            q = {"q": f"{words[i]} OR {words[i + 3]}", "any": [words[i], words[i + 3]]}
        elif kind == 3:
            q = {"q": f"{words[i][:4]}*", "prefix": words[i][:4]}
        else:
            q = {"q": words[i], "words": [words[i]], "version": rng.choice(versions)}
        queries.append(q)
    quotes: list[str] = []
    while len(quotes) < 50:
        e = rng.choice(texts)
        sentences = [s for s in re.split(r"(?<=[.;])\s+", e.text) if 60 < len(s) < 250]
        if not sentences:
            continue
        s = rng.choice(sentences)
        if len(quotes) % 4 == 3:  # a word changed: not found, closest passages
            ws = s.split()
            ws[len(ws) // 2] = "zebra"
            s = " ".join(ws)
        quotes.append(s)
    return queries, quotes


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - t)
    return out


def sql_db(entries: list[IndexedClause]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE clauses (id INTEGER PRIMARY KEY, policy TEXT, version TEXT, effective TEXT, text TEXT)")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(text, policy UNINDEXED, version UNINDEXED, tokenize='unicode61')")
    rows = [(i, e.policy, e.version, e.effective, e.text) for i, e in enumerate(entries)]
    db.executemany("INSERT INTO clauses VALUES (?, ?, ?, ?, ?)", rows)
    db.executemany(
        "INSERT INTO fts(rowid, policy, version, text) VALUES (?, ?, ?, ?)", [(r[0], r[1], r[2], r[4]) for r in rows]
    )
    db.commit()
    return db


SCAN_RESOLVES = 5


def scan_query(db: sqlite3.Connection, q: dict) -> list:
    if "phrase" in q:
        where, args = "text LIKE ?", [f"%{q['phrase']}%"]
    elif "any" in q:
        where, args = " OR ".join("text LIKE ?" for _ in q["any"]), [f"%{w}%" for w in q["any"]]
    elif "prefix" in q:
        where, args = "text LIKE ?", [f"%{q['prefix']}%"]
    else:
        where, args = " AND ".join("text LIKE ?" for _ in q["words"]), [f"%{w}%" for w in q["words"]]
    if "version" in q:
        where = f"({where}) AND policy = ? AND version = ?"
        args += list(q["version"])
    sql = (
        f"SELECT count(*) OVER (), id, policy, version FROM clauses WHERE {where} "
        "ORDER BY effective DESC, id LIMIT 20"
    )
    return db.execute(sql, args).fetchall()


def fts_query(db: sqlite3.Connection, q: dict, count: bool = False) -> list:
    if "phrase" in q:
        match = f'"{q["phrase"]}"'
    elif "any" in q:
        match = " OR ".join(q["any"])
    elif "prefix" in q:
        match = f"{q['prefix']}*"
    else:
        match = " AND ".join(q["words"])
    sql, args = (
        "SELECT rowid, policy, version, snippet(fts, 0, '<mark>', '</mark>', '…', 20) FROM fts WHERE fts MATCH ?",
        [match],
    )
    if "version" in q:
        sql += " AND policy = ? AND version = ?"
        args += list(q["version"])
    if count:  # snippet() cannot run beside a window count: a second statement, as an app would
        db.execute(f"SELECT count(*) FROM fts WHERE {sql.split(' WHERE ', 1)[1]}", args).fetchone()
    return db.execute(sql + " ORDER BY rank LIMIT 20", args).fetchall()


def scan_resolve(db: sqlite3.Connection, quote: str) -> list:
    segments = qt.quote_segments(quote)
    return [r[0] for r in db.execute("SELECT id, text FROM clauses") if segments[0] in qt.compact.__wrapped__(r[1])[0]]


def fts_resolve(db: sqlite3.Connection, quote: str) -> list:
    words = re.findall(r"\w+", quote)
    return db.execute("SELECT rowid FROM fts WHERE fts MATCH ? LIMIT 50", ['"' + " ".join(words) + '"']).fetchall()


def index_query(ix, q: dict) -> dict:
    filt = version_filter([q["version"]]) if "version" in q else None
    return run_search(ix, parse(q["q"], ix.schema), filter=filt, per_page=20)


def index_resolve(ix, quote: str) -> list:
    matches = quote_service.locate(ix, quote, None)
    if not matches:
        quote_service.describe_closest(ix, quote_service.closest(ix, quote, None), None)
    return matches


def run(label: str, entries: list[IndexedClause], queries, quotes, tmp: Path) -> None:
    path = tmp / f"index-{label}"
    t = time.perf_counter()
    write_index(path, entries, label)
    build_s = time.perf_counter() - t
    ix = open_index(path, label)
    assert ix is not None
    t = time.perf_counter()
    passages(ix)  # built once per opened index, on the first quote lookup
    tables_s = time.perf_counter() - t
    db = sql_db(entries)
    qt.compact.cache_clear()
    for q in queries[:5]:  # warm caches of all three
        index_query(ix, q), scan_query(db, q), fts_query(db, q)
    rows = {
        "query index": timed(lambda q: index_query(ix, q), queries),
        "query index warm": timed(lambda q: index_query(ix, q), queries),
        "query scan": timed(lambda q: scan_query(db, q), queries),
        "query fts5": timed(lambda q: fts_query(db, q), queries),
        "query fts5+count": timed(lambda q: fts_query(db, q, count=True), queries),
        "resolve index": timed(lambda s: index_resolve(ix, s), quotes),
        "resolve index warm": timed(lambda s: index_resolve(ix, s), quotes),
        "resolve scan": timed(lambda s: scan_resolve(db, s), quotes if len(entries) < 1000 else quotes[:SCAN_RESOLVES]),
        "resolve fts5": timed(lambda s: fts_resolve(db, s), quotes),
    }
    print(
        f"\n== {label}: {len(entries)} clauses ({len({(e.title, e.text) for e in entries})} distinct texts), "
        f"{sum(len(e.text) for e in entries) / 1e6:.1f} M chars; "
        f"index build {build_s:.2f} s; quote tables {tables_s:.2f} s"
    )
    print(f"{'':20}{'p50 ms':>9}{'p99 ms':>9}")
    for name, samples in rows.items():
        print(f"{name:20}{pct(samples, 50):9.2f}{pct(samples, 99):9.2f}")
    for kind in ("query", "resolve"):
        ours = pct(rows[f"{kind} index"], 50)
        print(
            f"{kind}: index p50 (cold) is {ours / pct(rows[f'{kind} fts5'], 50):.1f}x FTS5's, "
            f"{pct(rows[f'{kind} scan'], 50) / ours:.1f}x faster than the scan"
        )
    warm = pct(rows["query index warm"], 50)
    print(
        f"query warm: index p50 is {warm / pct(rows['query fts5'], 50):.1f}x FTS5's, "
        f"{warm / pct(rows['query fts5+count'], 50):.1f}x FTS5+count's"
    )
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=100, help="Replicate the corpus this many times (0: skip).")
    ap.add_argument("--corpus-db", help="SQLAlchemy URL of an archive holding the corpus (default: ingest one).")
    args = ap.parse_args()
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        url = args.corpus_db or ingest_corpus(tmp / "archive")
        entries = load_entries(url)
        queries, quotes = workload(entries, rng)
        run("1x", entries, queries, quotes, tmp)
        if args.scale > 1:
            big = list(entries)
            for k in range(1, args.scale):
                big += [replace(e, version=f"{e.version}-r{k}") for e in entries]
            run(f"{args.scale}x", big, queries, quotes, tmp)


if __name__ == "__main__":
    main()
