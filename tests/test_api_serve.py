"""`policy-archive serve` runs a real uvicorn that answers over HTTP on loopback."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent / "policy-archive"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(corpus_env):
    port = free_port()
    env = {**os.environ}  # corpus_env pointed POLICY_ARCHIVE_* at the corpus archive
    proc = subprocess.Popen(
        [str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited: {proc.stdout.read().decode() if proc.stdout else ''}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not become healthy in 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_real_server_over_http(server):
    with httpx.Client(base_url=server, timeout=30) as http:
        assert http.get("/healthz").json() == {"status": "ok", "database": "ok"}
        labels = [v["label"] for v in http.get("/policies/anthropic-rsp/versions").json()["items"]]
        assert labels[0] == "1.0" and len(labels) == 8
        src = http.get("/policies/anthropic-rsp/versions/3.1/source")
        assert src.headers["x-content-sha256"] == hashlib.sha256(src.content).hexdigest()
        assert (
            http.get(
                "/policies/anthropic-rsp/versions/3.1/source", headers={"If-None-Match": src.headers["etag"]}
            ).status_code
            == 304
        )
        as_of = http.get("/policies/anthropic-rsp/as-of/2026-04-10")
        assert as_of.status_code == 302 and as_of.headers["location"].endswith("/versions/3.1")
        missing = http.get("/policies/nope")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
        assert http.get("/openapi.json").json()["info"]["title"] == "policy-archive"
