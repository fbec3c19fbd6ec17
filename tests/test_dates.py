"""One spelling of a day everywhere a person or a file names one: YYYY-MM-DD (archive.dates). The
basic and week forms that date.fromisoformat also takes (20260402, 2026-W14-4) are refused alike by
the API, the pages, the CLI, search filters and manifests; a well-formed day that does not exist
says so."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.dates import parse_day
from archive.db import storage
from archive.db.engine import read_session
from archive.errors import InvalidInput, ManifestError, VersionNotFound
from ingest.manifest import parse_effective

RSP = "anthropic-rsp"
ODD = ("20260402", "2026-W14-4", "2026-093")


def test_parse_day() -> None:
    assert parse_day("2026-04-02") == dt.date(2026, 4, 2)
    for odd in ODD:
        with pytest.raises(ValueError, match=r"is not a date \(YYYY-MM-DD\)$"):
            parse_day(odd)
    with pytest.raises(ValueError, match="no such day"):
        parse_day("2026-02-30")


def test_storage_resolves_labels_and_days_only(corpus_engine) -> None:
    with read_session(corpus_engine) as s:
        assert storage.resolve_version(s, RSP, "2026-04-03").label == "3.1"
        for odd in ODD:
            with pytest.raises(VersionNotFound, match=rf"no version '{odd}' \(give a label or YYYY-MM-DD\)"):
                storage.resolve_version(s, RSP, odd)
        with pytest.raises(InvalidInput, match=r"^version '2026-02-30' is not a date \(YYYY-MM-DD\): no such day"):
            storage.resolve_version(s, RSP, "2026-02-30")


@pytest.fixture(scope="module")
def client(corpus_settings):
    with TestClient(create_app(corpus_settings), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("odd", ODD)
def test_api_search_and_resolve_refuse_other_spellings(client, odd) -> None:
    for path in (f"/search?q=risk&policy={RSP}&version={odd}",
                 f"/resolve?q=capability+thresholds+and+required+safeguards&policy={RSP}&version={odd}",
                 f"/policies/{RSP}/compare/{odd}..3.4"):
        r = client.get(path)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", (path, r.text)
        assert f"no version '{odd}'" in r.json()["detail"], r.json()
    assert client.get(f"/search?q=risk&policy={RSP}&version=2026-04-03").status_code == 200


def test_cli_refuses_other_spellings(corpus_env, cli) -> None:
    for args in (("diff", RSP, "20260402", "3.4"), ("show", f"{RSP}@2026-W14-4"),
                 ("search", "risk", "--as-of", "20260402")):
        result = cli(*args)
        lines = result.stderr.strip().splitlines()
        assert result.exit_code != 0 and len(lines) == 1 and "YYYY-MM-DD" in lines[0], (args, result.output)
    assert cli("diff", RSP, "2026-04-02", "3.4").exit_code == 0


def test_manifest_and_ingest_dates(fresh_env, cli) -> None:
    assert parse_effective("2024-01-01") == dt.date(2024, 1, 1)
    with pytest.raises(ManifestError, match=r"effective date '20240101' is not a date \(YYYY-MM-DD\)"):
        parse_effective("20240101")
    from tests.conftest import WILD

    result = cli("ingest", str(WILD / "simple1.pdf"), "--policy", "demo", "--version", "1", "--effective", "2024-W01-1")
    assert result.exit_code != 0 and "'2024-W01-1' is not a date (YYYY-MM-DD)" in result.stderr
