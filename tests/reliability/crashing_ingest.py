"""`policy-archive ingest` that kills itself with SIGKILL at a chosen point (env PA_CRASH_AT).

PA_CRASH_AT is one of:
  page:N      during extraction of the first file, once page N is done (no transaction open yet)
  sql:TABLE:K at the K-th INSERT into TABLE (the version's transaction is open, half written)
  hook:K      inside the K-th version's transaction, after everything is flushed, before commit
  commit:K    right after the K-th commit (that version is whole; the rest never started)
Run as `python -m tests.reliability.crashing_ingest ARGS...` with the ingest command's arguments.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter

from sqlalchemy import event
from sqlalchemy.engine import Engine

from ingest import service

_seen: Counter[str] = Counter()


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(spec: str) -> None:
    kind, _, rest = spec.partition(":")
    if kind == "page":
        at = int(rest)
        real = service.extract_pdf

        def extract(*args, progress=None, **kwargs):
            def on_page(done: int, total: int) -> None:
                if done >= at:
                    _die()

            return real(*args, progress=on_page, **kwargs)

        service.extract_pdf = extract
    elif kind == "sql":
        table, _, k = rest.partition(":")

        @event.listens_for(Engine, "before_cursor_execute")
        def _before(_conn, _cur, statement, _params, _ctx, _many) -> None:
            if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
                _seen[table] += 1
                if _seen[table] >= int(k):
                    _die()
    elif kind == "hook":

        @service.on_version_written
        def _hook(_session, _slug, _label) -> None:
            _seen["hook"] += 1
            if _seen["hook"] >= int(rest):
                _die()
    elif kind == "commit":
        real_write = service._write

        def write(*args, **kwargs):
            real_write(*args, **kwargs)  # returns once the version's transaction has committed
            _seen["commit"] += 1
            if _seen["commit"] >= int(rest):
                _die()

        service._write = write
    else:
        raise SystemExit(f"unknown PA_CRASH_AT {spec!r}")


if __name__ == "__main__":
    _arm(os.environ["PA_CRASH_AT"])
    from cli.main import app

    app(["ingest", *sys.argv[1:]], prog_name="policy-archive")
