"""Two processes ingest the same version at once: one stores it, the other finds it stored or fails cleanly."""

from __future__ import annotations

import re
import subprocess

from archive.db.engine import make_engine
from archive.settings import PROJECT_ROOT
from tests.conftest import RSP_PDFS
from tests.reliability.helpers import PYTHON, assert_clean_error, env_for, labels, whole_archive_state

PDF = RSP_PDFS / "rsp-v3.1_2026-04-02.pdf"
ARGS = ["ingest", str(PDF), "--policy", "race", "--version", "1", "--effective", "2026-04-02"]


def _start(settings) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "cli.main", *ARGS],
        cwd=PROJECT_ROOT,
        env=env_for(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_same_version_from_two_processes(fresh_env):
    engine = make_engine(fresh_env)
    try:
        for round_ in range(2):  # round 2 races two re-ingests of a stored version (both: unchanged)
            procs = [_start(fresh_env), _start(fresh_env)]
            results = [(p, *p.communicate(timeout=120)) for p in procs]
            outcomes = []
            for proc, out, err in results:
                if proc.returncode == 0:
                    assert re.fullmatch(r"race@1: (ingested \(20 pages, \d+ clauses\)|unchanged)", out.strip()), out
                    outcomes.append(out.split(":")[1].split()[0])
                else:
                    assert_clean_error(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
                    outcomes.append("failed")
            if round_ == 0:
                assert outcomes.count("ingested") == 1, results
            else:
                assert outcomes == ["unchanged", "unchanged"], results
            state = whole_archive_state(engine)
            assert state["problems"] == []
            assert {k: v for k, v in state["counts"].items() if k != "clauses"} == dict(
                policies=1, versions=1, snapshots=1
            )
            assert labels(engine) == [("race", "1")]
    finally:
        engine.dispose()
