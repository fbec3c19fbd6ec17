"""A real server process on a free loopback port, and the environment that points a subprocess at an archive."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

from archive.settings import PROJECT_ROOT, Settings

PYTHON = sys.executable
CLI = [PYTHON, "-m", "cli.main"]


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`policy-archive serve` on a loopback port, in its own process; stopped by the test (or `with`)."""

    def __init__(self, settings: Settings, *, command: list[str] | None = None, **extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [*(command or CLI), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error"],
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

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
