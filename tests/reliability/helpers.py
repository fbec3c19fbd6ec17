"""What the reliability tests share: subprocess runs of the CLI, and checks that the archive is whole."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import Engine

from archive.db import storage
from archive.db.engine import read_session
from archive.settings import PROJECT_ROOT, Settings
from ingest import service
from tests.live import PYTHON, Server, env_for, free_port  # noqa: F401  (shared with other tests)


def run_cli(settings: Settings, *args: str, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "-m", "cli.main", *args],
        cwd=PROJECT_ROOT,
        env=env_for(settings, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_clean_error(proc: subprocess.CompletedProcess) -> None:
    """A failed command says why in `error: ...` lines and never prints a traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines and all(ln.startswith("error: ") for ln in lines), proc.stderr[-2000:]


def whole_archive_state(engine: Engine) -> dict:
    """Counts and the integrity problems (versions with missing pages/clauses/provenance)."""
    with read_session(engine) as session:
        return {"counts": storage.counts(session), "problems": storage.version_integrity_problems(session)}


def labels(engine: Engine) -> list[tuple[str, str]]:
    with read_session(engine) as session:
        return [(v.policy, v.label) for v in storage.list_versions(session)]


def tree_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")} if folder.exists() else set()


def ingest_file(engine: Engine, path: Path, slug: str, label: str) -> None:
    """Ingest one PDF as version `label` of policy `slug` (effective 2025-01-01), in this process."""
    req = service.single_file_request(
        path, slug=slug, label=label, effective="2025-01-01", title=None, policy_title=None
    )
    [outcome] = service.ingest(engine, [req])
    assert not outcome.failed, outcome
