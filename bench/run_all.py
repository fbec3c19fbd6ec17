"""Run every benchmark in turn with its default (short) settings; each prints its own figures.

    .venv/bin/python -m bench.run_all            # all of them
    .venv/bin/python -m bench.run_all ingest api # a selection, by name
"""

from __future__ import annotations

import importlib
import sys
import time

BENCHES = ["ingest", "extract", "redline", "search", "api", "pages", "load"]


def main() -> None:
    chosen = sys.argv[1:] or BENCHES
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; choose from {', '.join(BENCHES)}")
    for name in chosen:
        try:
            module = importlib.import_module(f"bench.bench_{name}")
        except ModuleNotFoundError:
            print(f"== {name}: not present")
            continue
        print(f"\n== bench_{name}", flush=True)
        started = time.perf_counter()
        sys.argv = [f"bench_{name}"]
        module.main()
        print(f"(bench_{name} took {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
