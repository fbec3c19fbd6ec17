"""A search index folder the server cannot use is a 503 naming it (problem+json), never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app


def test_an_unusable_index_folder_is_a_503_naming_it(corpus_settings, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings = corpus_settings.model_copy(update={"index_dir": blocker / "index"})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.get("/search?q=risk")
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json", r.text
    detail = r.json()["detail"]
    assert detail.startswith("the search index cannot be written at ") and str(blocker) in detail, detail
    assert "\n" not in detail
