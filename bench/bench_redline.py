"""Redline timing: every consecutive pair of anthropic-rsp and 1.0 -> 3.4, cold (computed) and warm
(served from the store), next to Python's difflib word diff of the same clause pairs, in the same run.

    .venv/bin/python bench/bench_redline.py [--db sqlite:////path/archive.db] [--repeat 5]

Without --db it ingests the corpus into a temporary SQLite archive first (not timed).
Targets (issue 3): cold within 2x of difflib, warm under 5 ms.

Cold runs start with empty memo caches (archive.diff.redline.clear_caches), so they compute everything.
The difflib baseline diffs only the clause pairs the alignment matched (column "pairs"), untimed
alignment excluded. Across a rewrite (1.0->2.0, 1.0->3.4) it matches a handful of clauses, so its time
is well under a millisecond while the redline still aligns, diffs and audits every clause: the
"consecutive" line gives the ratio without the 1.0->3.4 jump, the "all" line with it.
"""

from __future__ import annotations

import argparse
import difflib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.db import storage  # noqa: E402
from archive.db.engine import make_engine, read_session, transaction  # noqa: E402
from archive.diff import redline as rl  # noqa: E402
from archive.diff.align import align, clause_content  # noqa: E402
from archive.diff.words import tokens  # noqa: E402
from archive.services import redlines  # noqa: E402

SLUG = "anthropic-rsp"


def build_archive(root: Path) -> str:
    from ingest import service
    from ingest.manifest import all_manifests
    from tests.conftest import make_settings, place_corpus_pdfs

    url = f"sqlite:///{root / 'bench.db'}"
    settings = make_settings(root, url)
    place_corpus_pdfs(settings)
    engine = make_engine(settings)
    reqs = []
    for manifest in all_manifests(settings.versions_dir):
        reqs += service.requests_from_manifest(manifest)[0]
    failed = [o for o in service.ingest(engine, reqs, jobs=2, settings=settings) if o.failed]
    if failed:
        sys.exit(f"ingest failed: {failed}")
    engine.dispose()
    return url


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def ms(x: float) -> str:
    return f"{x * 1000:8.2f}"


def row(name: str, cold: list[float], warm: list[float], dl: list[float], pairs: str) -> float:
    ratio = statistics.median(cold) / statistics.median(dl)
    print(f"{name:<12}{ms(statistics.median(cold)):>10}{ms(p95(cold)):>10}{ms(statistics.median(warm)):>10}"
          f"{ms(p95(warm)):>10}{ms(statistics.median(dl)):>12}{ms(p95(dl)):>10}{pairs:>7}  {ratio:5.2f}x")
    return ratio


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="SQLAlchemy URL of an archive holding the corpus")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.db or build_archive(Path(tmp.name))
    engine = make_engine(url=url)
    with read_session(engine) as s:
        labels = [v.label for v in storage.list_versions(s, SLUG)]
    pairs = list(zip(labels, labels[1:], strict=False)) + [(labels[0], labels[-1])]
    head = f"{'pair':<12}{'cold ms':>10}{'p95':>10}{'warm ms':>10}{'p95':>10}{'difflib ms':>12}{'p95':>10}"
    print(head + f"{'pairs':>7}  cold/difflib")
    all_cold, all_warm, all_dl = [], [], []
    rows = []
    for a, b in pairs:
        with read_session(engine) as s:
            _va, _vb = storage.get_version(s, SLUG, a), storage.get_version(s, SLUG, b)
            ca, cb = storage.clauses(s, SLUG, a), storage.clauses(s, SLUG, b)
        cold, dl = [], []
        for _ in range(args.repeat):
            rl.clear_caches()  # cold: no word or text memoised by an earlier run
            t0 = time.perf_counter()
            rl.compute(SLUG, {"label": a}, {"label": b}, ca, cb)
            cold.append(time.perf_counter() - t0)
            # difflib word diff of the same aligned clause pairs (alignment not timed for it).
            matched = [(ca[p.a], cb[p.b]) for p in align(ca, cb) if p.a is not None and p.b is not None]
            t0 = time.perf_counter()
            for x, y in matched:
                difflib.SequenceMatcher(None, tokens(clause_content(x)), tokens(clause_content(y)),
                                        autojunk=False).get_opcodes()
            dl.append(time.perf_counter() - t0)
        with transaction(engine) as s:
            redlines.compare(s, SLUG, a, b)  # store it
        warm = []
        with read_session(engine) as s:
            for _ in range(args.repeat * 4):
                t0 = time.perf_counter()
                redlines.compare(s, SLUG, a, b)
                warm.append(time.perf_counter() - t0)
        all_cold += cold
        all_warm += warm
        all_dl += dl
        rows.append((cold, warm, dl))
        row(f"{a}->{b}", cold, warm, dl, str(len(matched)))
    consecutive = rows[:-1]
    row("consecutive", *(sum((r[k] for r in consecutive), []) for k in range(3)), "")
    ratio = row("all", all_cold, all_warm, all_dl, "")
    print(f"targets: cold within 2x of difflib -> {'met' if ratio <= 2 else 'NOT met'} ({ratio:.2f}x); "
          f"warm median under 5 ms -> {'met' if statistics.median(all_warm) < 0.005 else 'NOT met'}")


if __name__ == "__main__":
    main()
