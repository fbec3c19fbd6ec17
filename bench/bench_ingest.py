"""Whole-corpus ingest: time, pages/s, ratio to bare pdfplumber extract_text(), re-ingest, peak memory.

Run: .venv/bin/python -m bench.bench_ingest [--rounds N]
Each measurement runs in a fresh subprocess (fresh SQLite archive) so peak RSS is its own.
The baseline (pdfplumber's bare page.extract_text() over the same pages) runs in the same session,
interleaved with the measured runs, and the figures are ratios: these machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("POLICY_ARCHIVE_CORPUS", ROOT.parent / "shared" / "corpus"))
FOLDERS = [CORPUS / "anthropic-rsp" / "pdf", CORPUS / "anthropic-rsp-noncompliance" / "pdf"]

BASELINE = """
import json, resource, sys, time, pdfplumber
from pathlib import Path
t = time.perf_counter(); pages = 0
for folder in sys.argv[1:]:
    for path in sorted(Path(folder).glob('*.pdf')):
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text(); pages += 1
print(json.dumps({"seconds": time.perf_counter() - t, "pages": pages,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

INGEST = """
import json, resource, sys, time
from archive.settings import Settings
from archive.db.engine import make_engine
from ingest import service
from ingest.manifest import all_manifests
settings = Settings()
engine = make_engine(settings)
reqs = []
for m in all_manifests(settings.versions_dir):
    reqs += service.requests_from_manifest(m)[0]
t = time.perf_counter()
out = service.ingest(engine, reqs, jobs=int(sys.argv[1]), settings=settings)
seconds = time.perf_counter() - t
assert not [o for o in out if o.failed], out
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": seconds, "pages": sum(o.pages for o in out),
                  "statuses": sorted({o.status for o in out}), "rss_mb": rss / 1024}))
"""


def _run(code: str, *args: str, env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _archive_env(tmp: Path) -> dict:
    versions = tmp / "versions"
    for manifest in (ROOT / "data" / "versions").glob("*/versions.toml"):
        slug = manifest.parent.name
        (versions / slug).mkdir(parents=True, exist_ok=True)
        shutil.copy(manifest, versions / slug / "versions.toml")
        source = CORPUS / slug / "pdf"
        for pdf in source.glob("*.pdf"):
            shutil.copy(pdf, versions / slug / pdf.name)
    env = dict(os.environ)
    env.update(POLICY_ARCHIVE_VAR_DIR=str(tmp / "var"), POLICY_ARCHIVE_VERSIONS_DIR=str(versions))
    env.pop("POLICY_ARCHIVE_DATABASE_URL", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    rows: dict[str, list[dict]] = {"baseline": [], "jobs1": [], "jobs2": [], "reingest": []}
    for _ in range(rounds):
        rows["baseline"].append(_run(BASELINE, *map(str, FOLDERS)))
        for jobs in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                env = _archive_env(Path(tmp))
                rows[f"jobs{jobs}"].append(_run(INGEST, str(jobs), env=env))
                if jobs == 1:
                    again = _run(INGEST, "1", env=env)
                    assert again["statuses"] == ["unchanged"], again
                    rows["reingest"].append(again)

    def med(key: str) -> float:
        return statistics.median(r["seconds"] for r in rows[key])

    pages = rows["baseline"][0]["pages"]
    base = med("baseline")
    print(f"corpus: {pages} pages in 10 PDFs; median of {rounds} rounds, each in a fresh process")
    print(f"baseline pdfplumber extract_text(): {base:6.2f} s  ({pages / base:6.1f} pages/s)")
    for key, label in (("jobs1", "ingest --jobs 1"), ("jobs2", "ingest --jobs 2")):
        s = med(key)
        print(
            f"{label:<33}: {s:6.2f} s  ({pages / s:6.1f} pages/s)  ratio to baseline {s / base:4.2f}x  "
            f"(target {'<= 1.5' if key == 'jobs1' else '< 1.0'})"
        )
    print(f"re-ingest unchanged corpus       : {med('reingest'):6.3f} s  (target < 1 s)")
    peak = {k: max(r["rss_mb"] for r in v) for k, v in rows.items()}
    print("peak RSS (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in peak.items()))


if __name__ == "__main__":
    main()
