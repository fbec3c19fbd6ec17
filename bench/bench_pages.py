"""Server-side render time of the 2.2 -> 3.0 compare page (issue 6: under 300 ms), cold and warm, next to
/healthz and a trivial page measured in the same run.

    .venv/bin/python bench/bench_pages.py [--archive DIR] [--repeat 30]

Without --archive it ingests the corpus into a temporary SQLite archive first (not timed); with it, the
archive is built there once and reused (then the redline is already stored and "cold" is only the
first render in this process). Requests go through the ASGI app in-process (Starlette's test client),
so the times are the server's work without network; the page also reports its own time in its
Server-Timing header.

Cold, redline computed: the first request for the page on a fresh archive (alignment + word diff +
storing the redline, then rendering). Cold, redline stored: template caches cleared, redline read from
the store. Warm: the same request again.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAGE = "/p/anthropic-rsp/compare/2.2..3.0"
TARGET_MS = 300.0


def build_archive(root: Path):
    from archive.db.engine import make_engine
    from ingest import service
    from ingest.manifest import all_manifests
    from tests.conftest import make_settings, place_corpus_pdfs

    settings = make_settings(root, f"sqlite:///{root / 'bench.db'}")
    if (root / "bench.db").exists():
        return settings, False
    place_corpus_pdfs(settings)
    engine = make_engine(settings)
    reqs = []
    for manifest in all_manifests(settings.versions_dir):
        reqs += service.requests_from_manifest(manifest)[0]
    failed = [o for o in service.ingest(engine, reqs, jobs=2, settings=settings) if o.failed]
    engine.dispose()
    if failed:
        sys.exit(f"ingest failed: {failed}")
    return settings, True


def timed(client, url: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = client.get(url)
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        sys.exit(f"{url}: {r.status_code} {r.text[:200]}")
    return elapsed * 1000, r.headers.get("server-timing", "")


def series(client, url: str, n: int) -> list[float]:
    return [timed(client, url)[0] for _ in range(n)]


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=Path, help="build the corpus archive here once and reuse it")
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    root = args.archive.resolve() if args.archive else Path(tmp.name)
    root.mkdir(parents=True, exist_ok=True)
    print(f"archive: {root} ...", file=sys.stderr, flush=True)
    settings, fresh = build_archive(root)

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.pages.router import env

    with TestClient(create_app(settings)) as client:
        timed(client, "/healthz")  # open the pool before timing anything
        cold_ms, cold_header = timed(client, PAGE)
        env.cache.clear()  # type: ignore[union-attr]
        stored_ms, stored_header = timed(client, PAGE)
        warm = series(client, PAGE, args.repeat)
        warm_all = series(client, PAGE + "?all=1", args.repeat)
        health = series(client, "/healthz", args.repeat)
        trivial = series(client, "/p/search", args.repeat)

    base = statistics.median(trivial)
    rows = [
        ("/healthz", statistics.median(health), p95(health)),
        ("/p/search (empty form)", base, p95(trivial)),
        (f"{PAGE} cold, redline {'computed' if fresh else 'stored'}", cold_ms, cold_ms),
        (f"{PAGE} cold, redline stored", stored_ms, stored_ms),
        (f"{PAGE} warm", statistics.median(warm), p95(warm)),
        (f"{PAGE}?all=1 warm", statistics.median(warm_all), p95(warm_all)),
    ]
    print(f"{'request':<58}{'median ms':>10}{'p95 ms':>10}{'x trivial':>10}")
    for name, med, p in rows:
        print(f"{name:<58}{med:>10.1f}{p:>10.1f}{med / base:>10.1f}")
    print(f"Server-Timing (page's own render): cold {cold_header or '-'}; stored {stored_header or '-'}")
    worst = max(stored_ms, statistics.median(warm))
    verdict = "OK" if worst < TARGET_MS else "OVER"
    print(f"target: compare page under {TARGET_MS:.0f} ms with the redline stored: {verdict} ({worst:.1f} ms)")
    if fresh:
        print(f"first-ever request (redline computed): {cold_ms:.0f} ms "
              f"({'under' if cold_ms < TARGET_MS else 'over'} the target; the redline is computed once and stored)")


if __name__ == "__main__":
    main()
