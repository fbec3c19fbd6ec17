"""PostgreSQL unreachable while the API runs: 503 problem+json quickly, and service resumes by itself.

The shared PostgreSQL server is never stopped: the API reaches it through a loopback proxy that the
test cuts (connections reset, or a black hole that never answers) and restores.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx
import pytest

from archive.db.engine import make_engine
from tests.conftest import NONCOMPLIANCE_PDFS, PG_SERVER
from tests.reliability.helpers import Server, ingest_file
from tests.reliability.tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(not PG_SERVER, reason="needs PostgreSQL (POLICY_ARCHIVE_TEST_POSTGRES)")

PATHS = ["/healthz", "/policies", "/policies/p/versions", "/policies/p/versions/1/clauses", "/search?q=retaliation"]
DB_TIMEOUT_S = 2.0
BOUND_S = 3 * DB_TIMEOUT_S + 2  # connect + pool wait + slack: "quickly", not "eventually"


@pytest.fixture
def api_through_proxy(fresh_env):
    engine = make_engine(fresh_env)
    ingest_file(engine, NONCOMPLIANCE_PDFS / "noncompliance-2025-12-04.pdf", "p", "1")
    engine.dispose()
    url = urlsplit(fresh_env.sqlalchemy_url)
    proxy = TcpProxy((url.hostname or "127.0.0.1", url.port or 5432))
    proxied = fresh_env.sqlalchemy_url.replace(url.netloc, f"{url.username}@127.0.0.1:{proxy.port}")
    server = Server(fresh_env, POLICY_ARCHIVE_DATABASE_URL=proxied, POLICY_ARCHIVE_DB_TIMEOUT_S=str(DB_TIMEOUT_S))
    try:
        yield server, proxy
    finally:
        server.stop()
        proxy.close()


def _all_ok(client: httpx.Client) -> bool:
    return all(client.get(p).status_code == 200 for p in PATHS)


@pytest.mark.parametrize("outage", ["refuse", "blackhole"])
def test_outage_gives_quick_503_then_recovers(api_through_proxy, outage):
    server, proxy = api_through_proxy
    try:
        _run(server, proxy, outage)
    except Exception:
        server.stop()
        err = server.proc.stderr.read()
        print("SERVER STDERR", err[:1500], "....", err[-1500:])
        raise


def _run(server, proxy, outage):
    with httpx.Client(base_url=server.base, timeout=30) as client:
        assert _all_ok(client)
        for cycle in range(2):  # cut and restore twice: recovery is not a one-off
            proxy.set_mode(outage)
            for path in PATHS:
                start = time.monotonic()
                r = client.get(path)
                elapsed = time.monotonic() - start
                assert r.status_code == 503, (cycle, path, r.status_code, r.text[:300])
                assert r.headers["content-type"].startswith("application/problem+json")
                body = r.json()
                assert body["status"] == 503 and body["title"] and body["detail"]
                assert elapsed < BOUND_S, (path, elapsed)
            proxy.set_mode("up")
            deadline = time.monotonic() + 20
            while not _all_ok(client):
                assert time.monotonic() < deadline, "service did not resume within 20 s of the database's return"
                time.sleep(0.5)
    assert server.proc.poll() is None  # the server itself never fell over
