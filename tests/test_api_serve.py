"""`policy-archive serve` runs a real uvicorn that answers over HTTP on loopback."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import httpx
import pytest

from tests.live import Server

BIN = Path(sys.executable).parent / "policy-archive"


@pytest.fixture
def server(corpus_settings):
    """The installed console script, as a user would start it."""
    with Server(corpus_settings, command=[str(BIN)]) as live:
        yield live.base


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
