"""What the reliability tests share: subprocess runs of the CLI, and checks that the archive is whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from archive.db import storage
from archive.db.engine import read_session
from archive.settings import PROJECT_ROOT, Settings

PYTHON = sys.executable


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a subprocess pointed at `settings`' archive."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_ARCHIVE_") or k.endswith("_TEST_POSTGRES")}
    env.update(
        POLICY_ARCHIVE_DATABASE_URL=settings.sqlalchemy_url,
        POLICY_ARCHIVE_VAR_DIR=str(settings.var_dir),
        POLICY_ARCHIVE_INDEX_DIR=str(settings.index_path),
        POLICY_ARCHIVE_VERSIONS_DIR=str(settings.versions_dir),
        PYTHONPATH=str(PROJECT_ROOT),
    )
    env.update(extra)
    return env


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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`policy-archive serve` on a loopback port, in its own process; stopped by the test."""

    def __init__(self, settings: Settings, **extra: str) -> None:
        import time

        import httpx

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "cli.main",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
            ],
            cwd=PROJECT_ROOT,
            env=env_for(settings, **extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read()[-2000:]}")
            try:
                httpx.get(self.base + "/policies", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
