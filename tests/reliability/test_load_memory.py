"""What keeps the API's memory flat under load (bench/bench_load.py measures it): bounded handler
threads, a byte-bounded redline memo, and one reopened search index per process after a fault."""

from __future__ import annotations

import shutil
import threading

import anyio.to_thread
from fastapi.testclient import TestClient

from api.app import create_app
from archive.db.engine import make_engine, read_session
from archive.services import redlines
from archive.services import search as search_service
from archive.services.search import index as held_index
from archive.settings import Settings
from tests.conftest import NONCOMPLIANCE_PDFS
from tests.reliability.helpers import ingest_file


def test_handler_threads_are_bounded_by_settings(corpus_settings):
    settings = corpus_settings.model_copy(update={"api_threads": 3})
    with TestClient(create_app(settings)) as client:
        tokens = client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
        assert tokens == 3
        assert client.get("/policies/anthropic-rsp/versions").status_code == 200


def test_redline_memo_is_bounded_by_bytes(monkeypatch):
    monkeypatch.setattr(redlines, "get_settings", lambda: Settings(redline_memo_mb=0.01))  # 10 KiB
    monkeypatch.setattr(redlines, "_memo", type(redlines._memo)())
    monkeypatch.setattr(redlines, "_memo_bytes", 0)
    for n in range(10):
        redlines._memo_put(f"k{n}", "x" * 3000)
    assert list(redlines._memo) == ["k7", "k8", "k9"]  # least recently stored dropped first
    assert redlines._memo_bytes == sum(map(len, redlines._memo.values())) <= 10 * 1024
    redlines._memo_put("huge", "x" * 20_000)  # larger than the whole memo: not kept
    assert "huge" not in redlines._memo


def test_index_deleted_under_concurrent_requests_is_reopened_once(fresh_env):
    engine = make_engine(fresh_env)
    ingest_file(engine, NONCOMPLIANCE_PDFS / "noncompliance-2025-12-04.pdf", "p", "1")
    search_service.forget_held()
    try:
        with read_session(engine) as session:
            first = search_service.ensure_index(fresh_env, session)
        shutil.rmtree(fresh_env.index_path)
        got, errors = [], []
        start = threading.Barrier(6)

        def request() -> None:
            try:
                start.wait()
                with read_session(engine) as session:
                    got.append(search_service.ensure_index(fresh_env, session))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=request) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors
        assert len({id(ix) for ix in got}) == 1 and got[0] is not first  # one new index, shared
        [held] = held_index._cache.values()
        assert held.ix is got[0]
    finally:
        search_service.forget_held()
        engine.dispose()
