"""Ingest each file named on the command line into the archive of the environment, one by one,
under a hard memory cap; print one JSON line per file: outcome, seconds, counts before and after.

Run as a subprocess so the memory cap (RLIMIT_AS) and a crash cannot touch the test process.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path

MEMORY_CAP = 3 * 1024**3


def main(paths: list[str]) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    from archive.db import storage
    from archive.db.engine import ensure_schema, make_engine, read_session
    from archive.settings import get_settings
    from ingest import service

    settings = get_settings()
    engine = make_engine(settings)
    ensure_schema(engine)
    password = None
    for n, raw in enumerate(paths):
        if raw.startswith("--password="):
            password = raw.split("=", 1)[1] or None
            continue
        path = Path(raw)
        with read_session(engine) as session:
            before = storage.counts(session)
        req = service.single_file_request(
            # One policy, one version per file: each on a date of its own (two versions may not share one).
            path, slug="hostile", label=f"h{n}", effective=str(dt.date(2024, 1, 1) + dt.timedelta(days=n)),
            title=None, policy_title=None,
        )
        start = time.perf_counter()
        [outcome] = service.ingest(engine, [req], password=password, settings=settings)
        seconds = time.perf_counter() - start
        with read_session(engine) as session:
            after = storage.counts(session)
            problems = storage.version_integrity_problems(session)
        print(
            json.dumps(
                {
                    "file": path.name,
                    "status": outcome.status,
                    "message": outcome.message,
                    "seconds": round(seconds, 2),
                    "before": before,
                    "after": after,
                    "problems": problems,
                    "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
