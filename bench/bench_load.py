"""Load: 64 concurrent connections against a real `policy-archive serve` on loopback.

Run: .venv/bin/python -m bench.bench_load [--duration 60] [--warmup 30] [--connections 64]
A fresh SQLite archive (or --database-url) gets the whole corpus; the server runs in its own process.
The mix is search, compare (consecutive versions, stored at ingest, and older versions against the
latest, computed and memoised), resolve and clause reads; mid-run the search index folder is deleted
(a fault the server must survive, and whose rebuild counts in the measured memory), and hostile
requests are mixed in (each must get a 4xx). Printed: requests served, errors (target 0, warm-up
included), p50/p99 latency, server RSS at start, after the first pass, after warm-up and at the end
(target: end within 20% of after warm-up), RSS every 5 s from the first request under load, faults
injected and survived, hostile inputs tried.

Why this warm-up: "memory flat" asks whether the server leaks, so growth is measured from its steady
state, not from a cold process. Warm-up is one pass over every URL of the mix (each cache filled at
least once: stored clauses and quote tables of the opened index, searcher pool, term caches, redline
memo, SQLite page caches), then `--warmup` seconds of full load: a process's memory also includes
what the allocator keeps after transient peaks (glibc holds freed memory in per-thread arenas), and
under this load that levels off after about 20-30 s (see the printed trace: it rises, then flattens;
with a 5 s warm-up the rise was counted as growth). The fault stays in the measured window, and the
trace starts at the first request under load, so nothing is hidden; a leak shows as a steady climb
in a longer run (e.g. --duration 180).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOSTILE = [
    "/search?q=" + quote("<script>alert(1)</script>"),
    "/search?q=" + "a" * 5000,
    "/search?q=" + quote('"unclosed ((( AND OR'),
    "/search?q=policy&page=99999999999999",
    "/policies/anthropic-rsp/versions/9.9/clauses/1",
    "/policies/anthropic-rsp/compare/3.0..nope",
    "/resolve?q=" + quote("\x00" * 10),
    "/policies/" + quote("../../etc/passwd", safe=""),
]


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _env(root: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_ARCHIVE_")}
    env.update(
        POLICY_ARCHIVE_VAR_DIR=str(root / "var"),
        POLICY_ARCHIVE_INDEX_DIR=str(root / "var" / "index"),
        POLICY_ARCHIVE_VERSIONS_DIR=str(root / "versions"),
        PYTHONPATH=str(ROOT),
    )
    if database_url:
        env["POLICY_ARCHIVE_DATABASE_URL"] = database_url
    return env


def _prepare(root: Path, env: dict[str, str]) -> None:
    corpus = Path(os.environ.get("POLICY_ARCHIVE_CORPUS", ROOT.parent / "shared" / "corpus"))
    for folder in (ROOT / "data" / "versions").iterdir():
        if (folder / "versions.toml").exists():
            (root / "versions" / folder.name).mkdir(parents=True)
            shutil.copy(folder / "versions.toml", root / "versions" / folder.name)
            pdfs = corpus / folder.name / "pdf"
            subprocess.run([PYTHON, "-m", "cli.main", "fetch", folder.name, "--from", str(pdfs)], env=env, check=True,
                           cwd=ROOT, capture_output=True)  # fmt: skip
    subprocess.run(
        [PYTHON, "-m", "cli.main", "ingest", "--jobs", "2"], env=env, check=True, cwd=ROOT, capture_output=True
    )


async def _targets(client: httpx.AsyncClient) -> list[str]:
    """Real URLs of each kind, from the archive itself."""
    versions = [v["label"] for v in (await client.get("/policies/anthropic-rsp/versions")).json()["items"]]
    urls = []
    for a, b in zip(versions, versions[1:], strict=False):
        urls.append(f"/policies/anthropic-rsp/compare/{a}..{b}")  # stored at ingest: a lookup
    for a in versions[:-2]:
        urls.append(f"/policies/anthropic-rsp/compare/{a}..{versions[-1]}")  # computed, then memoised
    for term in ("capability", "safeguards", "risk", "ASL-3", '"responsible scaling"', "evaluation AND security"):
        urls.append("/search?q=" + quote(term))
    for label in versions[-3:]:
        tree = (await client.get(f"/policies/anthropic-rsp/versions/{label}/clauses")).json()["clauses"]
        nodes, stack = [], list(tree)
        while stack:
            node = stack.pop(0)
            nodes.append(node)
            stack.extend(node.get("children", []))
        for node in nodes[:: max(1, len(nodes) // 6)]:
            ref = node["number"].rstrip(".") or node["title"]
            url = f"/policies/anthropic-rsp/versions/{label}/clauses/{quote(ref, safe='')}"
            body = (await client.get(url)).json()
            urls.append(url)
            words = str(body.get("text") or body.get("clause", {}).get("text") or "").split()
            if len(words) > 12:
                resolve = "/resolve?q=" + quote(" ".join(words[3:11]))
                if (await client.get(resolve)).status_code == 200:  # a quote the archive can place
                    urls.append(resolve)
    return urls


async def _run(base: str, connections: int, duration: float, warmup: float, pid: int, index: Path) -> dict:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        urls = await _targets(client)
        latencies: list[float] = []
        errors: list[str] = []
        hostile = {"tried": 0, "bad": 0}
        state = {"measure": False}
        trace: list[str] = []  # RSS every 5 s from the first request under load (see the docstring)

        # Warm-up, part 1: every URL of the mix once, so each cache has been filled at least once.
        sem = asyncio.Semaphore(connections)

        async def once(url: str) -> None:
            async with sem:
                r = await client.get(url)
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {url[:80]}")

        await asyncio.gather(*(once(u) for u in urls))
        rss_pass = _rss_kb(pid)
        stop_at = time.monotonic() + warmup + duration

        async def worker(n: int) -> None:
            rnd = random.Random(n)
            while time.monotonic() < stop_at:
                is_hostile = rnd.random() < 0.03
                url = rnd.choice(HOSTILE if is_hostile else urls)
                start = time.perf_counter()
                try:
                    r = await client.get(url)
                    status = r.status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                elapsed = time.perf_counter() - start
                if is_hostile:
                    hostile["tried"] += 1
                    if not (isinstance(status, int) and status < 500):  # 4xx, or 200 for a harmless one
                        hostile["bad"] += 1
                        errors.append(f"{status} {url[:80]}")
                elif status != 200:
                    errors.append(f"{status} {url[:80]}")
                if state["measure"] and not is_hostile:
                    latencies.append(elapsed)

        async def sample() -> None:
            while time.monotonic() < stop_at:
                trace.append(f"{_rss_kb(pid) / 1024:.0f}")
                await asyncio.sleep(5)

        # Warm-up, part 2: full load until the server's memory is at its steady state.
        tasks = [asyncio.create_task(worker(n)) for n in range(connections)]
        sampler = asyncio.create_task(sample())
        await asyncio.sleep(warmup)
        state["measure"] = True
        rss_warm = _rss_kb(pid)
        trace.append("|measured:|")
        await asyncio.sleep(duration / 2)
        shutil.rmtree(index, ignore_errors=True)  # fault: the search index vanishes under load
        trace.append("|fault|")
        faults = 1
        await asyncio.gather(*tasks)
        rss_end = _rss_kb(pid)
        sampler.cancel()
        trace.append(f"{rss_end / 1024:.0f}")
        survived = faults if not any(u.startswith("5") for u in errors) else 0
        return {
            "latencies": latencies, "errors": errors, "hostile": hostile, "rss_pass": rss_pass, "rss_warm": rss_warm,
            "rss_end": rss_end, "faults": faults, "survived": survived, "urls": len(urls), "trace": trace,
        }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=15.0, help="Measured seconds (the full run: 60).")
    ap.add_argument(
        "--warmup", type=float, default=30.0, help="Seconds of full load after the first pass, before measuring."
    )
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--database-url", default=None, help="Default: a fresh SQLite archive.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pa-bench-load-") as tmp:
        root = Path(tmp)
        env = _env(root, args.database_url)
        t = time.perf_counter()
        _prepare(root, env)
        print(f"archive ready in {time.perf_counter() - t:.1f} s")
        with socket_port() as port:
            pass
        server_log = (root / "server.log").open("w")
        server = subprocess.Popen(
            [PYTHON, "-m", "cli.main", "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "error"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=server_log, text=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(base + "/healthz", timeout=2).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("server did not start") from None
                    time.sleep(0.3)
            rss_start = _rss_kb(server.pid)
            res = asyncio.run(
                _run(base, args.connections, args.duration, args.warmup, server.pid, root / "var" / "index")
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
            server_log.close()
            if res_errors := [ln for ln in (root / "server.log").read_text().splitlines() if "Error" in ln]:
                print("server log errors (last 5):", *res_errors[-5:], sep="\n  ")
    lat = sorted(res["latencies"])
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")  # noqa: E731
    growth = (res["rss_end"] - res["rss_warm"]) / res["rss_warm"] * 100 if res["rss_warm"] else float("nan")
    print(
        f"connections {args.connections}, measured {args.duration:.0f} s after a warm-up of one pass over the "
        f"URL mix and {args.warmup:.0f} s of load"
    )
    print(f"URL mix: {res['urls']} distinct search / compare / resolve / clause URLs")
    print(f"requests served (measured): {len(lat)}  ({len(lat) / args.duration:.0f}/s)")
    print(f"errors: {len(res['errors'])}" + (f"  e.g. {res['errors'][:3]}" if res["errors"] else ""))
    print(
        f"latency p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, max {p(1.0):.0f} ms, "
        f"mean {statistics.fmean(lat) * 1000 if lat else 0:.0f} ms"
    )
    print(
        f"server RSS: start {rss_start / 1024:.0f} MB, after one pass {res['rss_pass'] / 1024:.0f} MB, "
        f"after warm-up {res['rss_warm'] / 1024:.0f} MB, "
        f"end {res['rss_end'] / 1024:.0f} MB ({growth:+.1f}%)"
    )
    print("server RSS every 5 s (MB):", " ".join(res["trace"]))
    print(f"faults injected: {res['faults']} (index folder deleted under load), survived: {res['survived']}")
    print(f"hostile inputs tried: {res['hostile']['tried']}, answered 5xx or dropped: {res['hostile']['bad']}")
    ok = not res["errors"] and abs(growth) <= 20
    print("verdict:", "PASS" if ok else "FAIL")
    raise SystemExit(0 if ok else 1)


class socket_port:
    """A free loopback port (closed again before the server binds it)."""

    def __enter__(self) -> int:
        import socket

        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        return self.s.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.s.close()


if __name__ == "__main__":
    main()
