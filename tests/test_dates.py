"""One spelling of a day everywhere a person or a file names one: YYYY-MM-DD (archive.dates). The
basic and week forms that date.fromisoformat also takes (20260402, 2026-W14-4) are refused alike by
the API, the pages, the CLI, search filters and manifests; a well-formed day that does not exist
says so."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.dates import parse_day
from archive.db import storage
from archive.db.engine import read_session
from archive.errors import InvalidInput, ManifestError, VersionNotFound
from ingest.manifest import parse_effective
from tests.conftest import one_error_line

RSP = "anthropic-rsp"
ODD = ("20260402", "2026-W14-4", "2026-093")


def test_parse_day() -> None:
    assert parse_day("2026-04-02") == dt.date(2026, 4, 2)
    for odd in ODD:
        with pytest.raises(ValueError, match=r"is not a date \(YYYY-MM-DD\)$"):
            parse_day(odd)
    # A day spelled right that does not exist says what is wrong with it.
    for day, why in (("2026-02-30", "February 2026 has 28 days"), ("2024-02-30", "February 2024 has 29 days"),
                     ("2025-99-01", "there is no month 99"), ("2025-04-31", "April 2025 has 30 days"),
                     ("0000-01-01", "there is no year 0"), ("2026-02-00", "there is no day 0")):
        with pytest.raises(ValueError, match=rf"^'{day}' is not a date \(YYYY-MM-DD\): no such day, {why}$"):
            parse_day(day)


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


# -- a day in the time of a version the archive does not hold ------------------------------------

IN_21 = "2025-04-01"  # 3.4's changelog: 2.1 took effect on March 31, 2025; 2.2 on May 14, 2025
GAP = ("on 2025-04-01 policy 'anthropic-rsp' was at version 2.1 (in force from 2025-03-31 to 2025-05-13 by the "
       "changelog of 3.4), which the archive does not hold; archived before it: 2.0, after it: 2.2")
LABEL = ("policy 'anthropic-rsp' has no archived version 2.1 (in force from 2025-03-31 to 2025-05-13 by the "
         "changelog of 3.4); archived before it: 2.0, after it: 2.2")


def test_a_day_in_an_unarchived_versions_time_names_it_instead_of_the_version_before(corpus_engine) -> None:
    from archive.diff.changelog import named_version_dates
    from archive.errors import VersionNotArchived
    from archive.services.versions import resolve_version, unarchived, version_in_force

    with read_session(corpus_engine) as s:
        assert named_version_dates(storage.clauses(s, RSP, "3.4"))["2.1"] == dt.date(2025, 3, 31)
        assert unarchived(s, RSP) == {"2.1": dt.date(2025, 3, 31)}
        for day in ("2025-03-31", IN_21, "2025-05-13"):
            with pytest.raises(VersionNotArchived) as caught:
                resolve_version(s, RSP, day)
            assert caught.value.extra == {"policy": RSP, "version": "2.1", "effective": "2025-03-31",
                                          "before": "2.0", "after": "2.2"}
        assert str(caught.value) == GAP.replace(IN_21, "2025-05-13")
        # By its label too; and an unknown label is only unknown.
        for label in ("2.1", "v2.1"):
            with pytest.raises(VersionNotArchived, match=re.escape(LABEL)):
                resolve_version(s, RSP, label)
        with pytest.raises(VersionNotFound, match=r"no version '2\.3' \(give a label"):
            resolve_version(s, RSP, "2.3")
        # Either side of 2.1's time, and by label, the archived versions answer as before.
        assert resolve_version(s, RSP, "2025-03-30").label == "2.0"
        assert resolve_version(s, RSP, "2025-05-14").label == "2.2"
        assert resolve_version(s, RSP, "2.0").label == "2.0"
        assert version_in_force(s, RSP, dt.date(2026, 4, 3)).label == "3.1"
        # The storage layer alone knows only archived versions.
        assert storage.version_in_force(s, RSP, dt.date(2025, 4, 1)).label == "2.0"


def test_api_pages_and_cli_say_which_version_a_day_falls_in(client, corpus_env, cli) -> None:
    for path in (f"/policies/{RSP}/versions/{IN_21}", f"/policies/{RSP}/as-of/{IN_21}",
                 f"/policies/{RSP}/compare/{IN_21}..3.4", f"/search?q=risk&as_of={IN_21}",
                 f"/search?q=risk&version={IN_21}", f"/resolve?q=Responsible+Scaling+Officer&version={IN_21}",
                 f"/policies/{RSP}/versions/{IN_21}/cite"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", (path, r.text)
        body = r.json()
        assert body["type"] == "/problems/version-not-archived" and body["detail"] == GAP, body
        assert (body["version"], body["before"], body["after"]) == ("2.1", "2.0", "2.2")
    page = client.get(f"/p/{RSP}/{IN_21}")
    assert page.status_code == 404 and "On 2025-04-01 policy" in page.text  # a sentence on a page
    assert f'href="/p/{RSP}/2.0">Version 2.0, the archived version before it' in page.text
    assert f'href="/p/{RSP}/2.2">Version 2.2, the archived version after it' in page.text
    assert client.get("/problems/version-not-archived").json()["status"] == 404
    found = client.get(f"/p/search?q=risk&version={IN_21}")
    assert found.status_code == 404
    assert f'See <a href="/p/{RSP}/2.0">Version 2.0, the archived version before it</a>' in found.text
    for args in (("show", f"{RSP}@{IN_21}"), ("diff", RSP, IN_21, "3.4"), ("cite", RSP, IN_21),
                 ("search", "risk", "--version", IN_21)):
        result = cli(*args)
        assert result.exit_code == 1 and one_error_line(result) == f"error: {GAP}", (args, result.output)
    assert one_error_line(cli("show", f"{RSP}@2.1")) == f"error: {LABEL}"


def test_a_citation_of_a_version_the_archive_lacks_is_unarchived_not_wrong(corpus_settings, corpus_engine) -> None:
    from archive.services.search import check_citations

    quote = "We will document our implementation of the Required Safeguards in a Safeguards Report."
    with read_session(corpus_engine) as s:
        results = check_citations(corpus_settings, s, [{"quote": quote, "policy": RSP, "version": v}
                                                        for v in ("2.1", IN_21)])["results"]
    assert [r["status"] for r in results] == ["unarchived", "unarchived"]
    assert results[0]["detail"] == f"{LABEL}; the citation cannot be checked against that version"
    # The likeliest wording is its successor's, 2.2, which still has the quote.
    assert results[1]["suggested"]["version"] == "2.2"
