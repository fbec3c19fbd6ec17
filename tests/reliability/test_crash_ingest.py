"""kill -9 during ingest at several points: only whole versions stay, and ingest again completes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from archive.db.engine import make_engine
from archive.settings import PROJECT_ROOT
from tests.conftest import place_corpus_pdfs
from tests.reliability.helpers import PYTHON, env_for, labels, run_cli, whole_archive_state

POLICY = "anthropic-rsp-noncompliance"  # two small versions: a crash can land in the first or second
ALL = [(POLICY, "2025-12"), (POLICY, "2026-02")]


@pytest.fixture
def archive(fresh_env):
    place_corpus_pdfs(fresh_env)
    engine = make_engine(fresh_env)
    yield fresh_env, engine
    engine.dispose()


def _crash(settings, at: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "-m", "tests.reliability.crashing_ingest", "--policy", POLICY],
        cwd=PROJECT_ROOT,
        env=env_for(settings, PA_CRASH_AT=at),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _assert_whole_then_recovers(settings, engine, stored_before_rerun: int) -> None:
    state = whole_archive_state(engine)
    assert state["problems"] == [], state
    assert len(labels(engine)) == stored_before_rerun
    engine.dispose()  # the dead process's connections are gone; start clean
    again = run_cli(settings, "ingest", "--policy", POLICY)
    assert again.returncode == 0, again.stderr
    assert labels(engine) == ALL
    assert again.stdout.count(": unchanged") == stored_before_rerun
    assert again.stdout.count(": ingested") == len(ALL) - stored_before_rerun
    state = whole_archive_state(engine)
    assert state["problems"] == [] and state["counts"]["versions"] == len(ALL) == state["counts"]["snapshots"]


@pytest.mark.parametrize(
    ("at", "stored"),
    [
        ("page:3", 0),  # mid-extraction, nothing written yet
        ("sql:pages:1", 0),  # first version's transaction open: policy, snapshot, version row written
        ("sql:clauses:1", 0),  # pages written, clauses not yet
        ("hook:2", 1),  # second version fully flushed but not committed; the first is committed
        ("commit:1", 1),  # just after the first commit
    ],
)
def test_kill_9_leaves_only_whole_versions(archive, at, stored):
    settings, engine = archive
    proc = _crash(settings, at)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr[-2000:])
    _assert_whole_then_recovers(settings, engine, stored)


def test_kill_9_from_outside_at_an_unplanned_moment(archive):
    """A real `policy-archive ingest`, killed as soon as it reports its first version."""
    settings, engine = archive
    proc = subprocess.Popen(
        [PYTHON, "-m", "cli.main", "ingest", "--policy", POLICY],
        cwd=PROJECT_ROOT,
        env=env_for(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        line = proc.stdout.readline()  # first version committed and reported
        assert "ingested" in line and time.monotonic() < deadline, line
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # The second version may or may not have committed in the meantime; either way it is whole.
    stored = len(labels(engine))
    assert stored in (1, 2)
    _assert_whole_then_recovers(settings, engine, stored)


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _running(pid: int) -> bool:
    """Alive and not a zombie (a dead child waits for a reaper that a container may not have)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(), reason="needs Linux /proc")
def test_kill_9_of_a_parallel_ingest_ends_its_workers(fresh_env):
    """`ingest --jobs 2` killed while its pool extracts: the workers end with it, not sleep on."""
    place_corpus_pdfs(fresh_env)
    proc = subprocess.Popen(
        [PYTHON, "-m", "cli.main", "ingest", "--policy", "anthropic-rsp", "--jobs", "2"],
        cwd=PROJECT_ROOT, env=env_for(fresh_env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        workers = [w for w in _children(proc.pid) if _running(w)]
        time.sleep(0.05)
    assert len(workers) >= 2, "the pool never started"
    time.sleep(0.5)  # into the extraction
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [w for w in workers if _running(w)]
    for w in left:
        os.kill(w, signal.SIGKILL)  # leave nothing behind for the next test
    assert left == []


def test_ctrl_c_says_so_and_leaves_whole_versions(archive):
    """SIGINT (Ctrl-C) mid-ingest: one line on stderr, exit 130, and only whole versions stored."""
    settings, engine = archive
    proc = subprocess.Popen(
        [PYTHON, "-m", "cli.main", "ingest", "--policy", "anthropic-rsp"],
        cwd=PROJECT_ROOT, env=env_for(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the first version is stored; interrupt during the next
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1].startswith("error: interrupted; what was done before stays whole")
    state = whole_archive_state(engine)
    assert state["problems"] == [] and state["counts"]["versions"] >= 1
