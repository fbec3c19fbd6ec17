"""HTTP API under load: a real uvicorn on loopback, bounded load per endpoint, ratios to /healthz.

    .venv/bin/python bench/bench_api.py                 # 5 s per endpoint, 64 connections
    .venv/bin/python bench/bench_api.py --duration 30   # the full figure

Uses the archive the POLICY_ARCHIVE_* environment points at when it holds the RSP corpus; otherwise
builds a temporary one from the corpus first. Load comes from `wrk` when installed (Debian package),
else from a bounded asyncio/httpx client. Prints requests/s, p50 and p99 per endpoint, each as a
ratio to /healthz measured on the same server in the same run, the error count, and the server's
peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = Path(os.environ.get("POLICY_ARCHIVE_CORPUS", ROOT.parent / "shared" / "corpus")).resolve()

QUOTE = "crosses the threshold for automated AI R&D"
ENDPOINTS = {
    "healthz": "/healthz",
    "search": "/search?q=external+review&policy=anthropic-rsp",
    "resolve": f"/resolve?q={quote(QUOTE)}&policy=anthropic-rsp",
    "compare 3.0..3.1": "/policies/anthropic-rsp/compare/3.0..3.1",
    "clause 3.1/3.6": "/policies/anthropic-rsp/versions/3.1/clauses/3.6",
}


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def corpus_archive_env(keep: Path | None) -> tuple[dict[str, str], Path | None]:
    """Environment for the server: the configured archive if it holds the corpus, else a fresh one
    (in `keep`, reused by later runs, or in a temporary folder removed afterwards)."""
    from archive.db import storage
    from archive.db.engine import make_engine, read_session
    from archive.settings import Settings

    env = dict(os.environ)
    if keep is not None:
        env.update(_env_for(keep))
    try:
        engine = make_engine(Settings(**_settings_for(keep)) if keep is not None else Settings())
        with read_session(engine) as session:
            if len(storage.list_versions(session, "anthropic-rsp")) >= 2:
                return env, None
    except Exception:  # noqa: BLE001 - no usable archive configured: build one below
        pass
    root = keep or Path(tempfile.mkdtemp(prefix="bench_api_"))
    print(f"building a corpus archive in {root} ...", file=sys.stderr, flush=True)
    build_archive(root)
    env.update(_env_for(root))
    return env, None if keep else root


def _settings_for(root: Path) -> dict:
    return {
        "var_dir": root / "var",
        "database_url": f"sqlite:///{root / 'var' / 'archive.db'}",
        "versions_dir": root / "versions",
        "index_dir": root / "var" / "index",
    }


def _env_for(root: Path) -> dict[str, str]:
    return {f"POLICY_ARCHIVE_{k.upper()}": str(v) for k, v in _settings_for(root).items()}


def build_archive(root: Path) -> None:
    from archive.db.engine import make_engine
    from archive.settings import Settings
    from ingest import service
    from ingest.fetch import fetch_version
    from ingest.manifest import all_manifests, manifest_for

    versions = root / "versions"
    for folder in (ROOT / "data" / "versions").iterdir():
        if (folder / "versions.toml").exists():
            (versions / folder.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(folder / "versions.toml", versions / folder.name / "versions.toml")
    settings = Settings(**_settings_for(root))
    for slug in ("anthropic-rsp", "anthropic-rsp-noncompliance"):
        manifest = manifest_for(versions, slug)
        for version in manifest.versions:
            fetch_version(manifest, version, from_dir=CORPUS / slug / "pdf")
    requests = []
    for manifest in all_manifests(versions):
        found, _missing = service.requests_from_manifest(manifest)
        requests += found
    engine = make_engine(settings)
    service.ingest(engine, requests, jobs=2, settings=settings)
    engine.dispose()


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "policy-archive"
    proc = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not become healthy in 120 s")


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def run_wrk(name: str, url: str, duration: int, connections: int, threads: int) -> Result:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pct = dict(re.findall(r"^\s+(\d+(?:\.\d+)?)%\s+(\S+)\s*$", out, re.M))
    pct = {str(int(float(k))): v for k, v in pct.items()}
    if "50" not in pct or "99" not in pct:
        raise SystemExit(f"{name}: could not read wrk's output:\n{out}")
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non2xx.group(1)) if non2xx else 0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return Result(name, rps, _ms(pct["50"]), _ms(pct["99"]), total, errors)


async def _python_load(url: str, duration: int, connections: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        start = time.perf_counter()
        stop = start + duration

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                try:
                    r = await client.get(url)
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - t0) * 1000)
                errors += not ok

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    return latencies, errors, elapsed


def run_python(name: str, url: str, duration: int, connections: int) -> Result:
    latencies, errors, elapsed = asyncio.run(_python_load(url, duration, connections))
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return Result(name, len(latencies) / elapsed, cuts[49], cuts[98], len(latencies), errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=int, default=5, help="Seconds of load per endpoint (30 for the full figure)."
    )
    parser.add_argument("--connections", type=int, default=64, help="Concurrent connections.")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--archive", type=Path, help="Build the corpus archive here once and reuse it.")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto", help="Load generator.")
    args = parser.parse_args()
    if not 1 <= args.duration <= 600 or not 1 <= args.connections <= 1024:
        parser.error("--duration must be 1..600 and --connections 1..1024")
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")

    env, tmp = corpus_archive_env(args.archive.resolve() if args.archive else None)
    port = free_port()
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    results: list[Result] = []
    try:
        for name, path in ENDPOINTS.items():  # warm up: index opened, caches filled, 200 checked
            r = httpx.get(base + path, timeout=120)
            if r.status_code != 200:
                raise SystemExit(f"{name}: {r.status_code} {r.text[:200]}")
        for name, path in ENDPOINTS.items():
            print(f"loading {name} for {args.duration} s ...", file=sys.stderr, flush=True)
            if tool == "wrk":
                results.append(run_wrk(name, base + path, args.duration, args.connections, args.threads))
            else:
                results.append(run_python(name, base + path, args.duration, args.connections))
        rss = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    base_result = results[0]
    print(f"\nAPI bench: {tool}, {args.connections} connections, {args.duration} s per endpoint, 1 uvicorn worker")
    print(
        f"{'endpoint':<18} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}   "
        f"{'req/s ÷ healthz':>15} {'p50 × healthz':>13} {'p99 × healthz':>13}"
    )
    for r in results:
        print(
            f"{r.name:<18} {r.rps:>9.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>6}   "
            f"{r.rps / base_result.rps:>15.3f} {r.p50_ms / base_result.p50_ms:>13.2f} "
            f"{r.p99_ms / base_result.p99_ms:>13.2f}"
        )
    print(f"errors: {sum(r.errors for r in results)} of {sum(r.requests for r in results)} requests")
    print(f"server peak RSS: {rss:.1f} MiB")


if __name__ == "__main__":
    main()
