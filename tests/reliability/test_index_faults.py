"""Index faults: the index folder deleted, truncated, damaged or from another archive is detected
and rebuilt, and search never serves results that disagree with SQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archive.db.engine import make_engine, read_session
from archive.services import search as search_service
from archive.settings import Settings
from tests.conftest import NONCOMPLIANCE_PDFS, RSP_PDFS, WILD
from tests.reliability.helpers import ingest_file

TERMS = ["retaliation", "policy", "report"]


def _results(settings: Settings, engine) -> dict[str, tuple[int, list[str]]]:
    with read_session(engine) as session:
        out = {}
        for term in TERMS:
            r = search_service.search(settings, session, q=term, per_page=100)
            out[term] = (r["total"], [h["id"] for h in r["hits"]])
        return out


def _new_process() -> None:
    """What a restart does to the in-memory state: the open-index cache is gone."""
    search_service.forget_held()


@pytest.fixture
def archive(fresh_env):
    engine = make_engine(fresh_env)
    ingest_file(engine, NONCOMPLIANCE_PDFS / "noncompliance-2025-12-04.pdf", "p", "1")
    _new_process()
    baseline = _results(fresh_env, engine)
    assert baseline["retaliation"][0] > 0 and all(i.startswith("p@1#") for i in baseline["retaliation"][1])
    yield fresh_env, engine, baseline
    _new_process()
    engine.dispose()


def _truncate_all(folder: Path) -> None:
    for f in folder.iterdir():
        if f.is_file():
            f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def _garbage_all(folder: Path) -> None:
    for f in folder.iterdir():
        if f.is_file():
            f.write_bytes(b"\x00garbage" * 64)


FAULTS = {
    "folder deleted": lambda p: shutil.rmtree(p),
    "every file truncated": _truncate_all,
    "every file garbage": _garbage_all,
    "folder emptied": lambda p: [f.unlink() for f in p.iterdir() if f.is_file()],
}
# A file where the index folder was is refused, not replaced: it may be anyone's (see the last test).


@pytest.mark.parametrize("restart", [True, False], ids=["after-restart", "while-running"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_damaged_index_is_rebuilt_and_agrees_with_sql(archive, fault, restart):
    settings, engine, baseline = archive
    FAULTS[fault](settings.index_path)
    if restart:
        _new_process()
    assert _results(settings, engine) == baseline
    _new_process()
    assert _results(settings, engine) == baseline  # and the rebuilt index on disk is whole


def test_index_from_another_archive_is_not_served(archive, databases, tmp_path):
    settings, engine, baseline = archive
    other = Settings(
        var_dir=tmp_path / "other", database_url=databases.new_url(), versions_dir=settings.versions_dir,
        index_dir=tmp_path / "other" / "index",
    )  # fmt: skip
    other_engine = make_engine(other)
    try:
        ingest_file(other_engine, RSP_PDFS / "rsp-v3.1_2026-04-02.pdf", "q", "9")
        other_results = _results(other, other_engine)
        assert other_results != baseline
        shutil.rmtree(settings.index_path)
        shutil.copytree(other.index_path, settings.index_path)
        for restart in (True, False):
            if restart:
                _new_process()
            assert _results(settings, engine) == baseline
    finally:
        other_engine.dispose()


def test_sql_changing_behind_a_cached_index_is_noticed(archive):
    settings, engine, baseline = archive
    ingest_file(engine, WILD / "simple1.pdf", "hello", "1")  # no hook rebuilds the index: search must notice
    with read_session(engine) as session:
        hits = search_service.search(settings, session, q="hello")["hits"]
    assert [h["id"].split("#")[0] for h in hits] == ["hello@1"]
    assert _results(settings, engine)["retaliation"] == baseline["retaliation"]


def test_an_index_setting_pointing_at_other_files_loses_none_of_them(archive, cli, monkeypatch, tmp_path):
    """A rebuild replaces the whole index folder: one holding anything else, or a file, is refused with
    one line, and left as it was."""
    settings, engine, _ = archive
    from tests.conftest import apply_env, one_error_line

    apply_env(settings, monkeypatch)
    home = tmp_path / "home"
    folder = home / "thesis"
    (folder / "chapters").mkdir(parents=True)
    (folder / "thesis.txt").write_text("precious")
    a_file = home / "notes.json"
    a_file.write_text("{}")
    for target, says in ((folder, "holds 'chapters'"), (a_file, "is a file")):
        monkeypatch.setenv("POLICY_ARCHIVE_INDEX_DIR", str(target))
        _new_process()
        result = cli("search", "retaliation")
        assert result.exit_code != 0 and says in one_error_line(result), result.output
    assert (folder / "thesis.txt").read_text() == "precious" and (folder / "chapters").is_dir()
    assert a_file.read_text() == "{}" and sorted(p.name for p in home.iterdir()) == ["notes.json", "thesis"]
