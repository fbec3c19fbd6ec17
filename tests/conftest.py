"""Shared fixtures: real databases built by the migrations, the real corpus as golden data.

The corpus is ingested once per test session (per xdist worker) and shared read-only. Every test
that writes gets its own fresh database. Set POLICY_ARCHIVE_TEST_POSTGRES to a server URL
(postgresql+psycopg://postgres@127.0.0.1:5432) to run everything against PostgreSQL: each archive
then gets a database of its own, dropped at the end.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from archive.db.engine import make_engine, read_session, upgrade
from archive.settings import PROJECT_ROOT, Settings, get_settings

CORPUS = Path(os.environ.get("POLICY_ARCHIVE_CORPUS", PROJECT_ROOT.parent / "shared" / "corpus")).resolve()
RSP_PDFS = CORPUS / "anthropic-rsp" / "pdf"
NONCOMPLIANCE_PDFS = CORPUS / "anthropic-rsp-noncompliance" / "pdf"
WILD = CORPUS / "wild"
PG_SERVER = os.environ.get("POLICY_ARCHIVE_TEST_POSTGRES", "").rstrip("/")
SETTINGS_ENV = ("DATABASE_URL", "VAR_DIR", "INDEX_DIR", "VERSIONS_DIR")


def pytest_report_header(config) -> str:
    return f"policy-archive database: {'PostgreSQL ' + PG_SERVER if PG_SERVER else 'SQLite'}; corpus: {CORPUS}"


class DatabaseFactory:
    """Hands out fresh, empty databases (a file for SQLite, a new database on PostgreSQL)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []

    def new_url(self) -> str:
        name = f"pa_test_{uuid.uuid4().hex[:12]}"
        if not PG_SERVER:
            return f"sqlite:///{self.tmp / (name + '.db')}"
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return f"{PG_SERVER}/{name}"

    def drop_all(self) -> None:
        if not self.created:
            return
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    factory.drop_all()


def make_settings(root: Path, database_url: str, versions_dir: Path | None = None) -> Settings:
    versions = versions_dir or root / "versions"
    if versions_dir is None:
        # The repo's manifests, with the corpus PDFs beside them (as `fetch --from` would place them).
        for folder in (PROJECT_ROOT / "data" / "versions").iterdir():
            if (folder / "versions.toml").exists():
                (versions / folder.name).mkdir(parents=True, exist_ok=True)
                shutil.copy(folder / "versions.toml", versions / folder.name / "versions.toml")
    return Settings(
        var_dir=root / "var", database_url=database_url, versions_dir=versions, index_dir=root / "var" / "index"
    )


def apply_env(settings: Settings, mp: pytest.MonkeyPatch) -> None:
    mp.setenv("POLICY_ARCHIVE_DATABASE_URL", settings.sqlalchemy_url)
    mp.setenv("POLICY_ARCHIVE_VAR_DIR", str(settings.var_dir))
    mp.setenv("POLICY_ARCHIVE_INDEX_DIR", str(settings.index_path))
    mp.setenv("POLICY_ARCHIVE_VERSIONS_DIR", str(settings.versions_dir))
    get_settings.cache_clear()


def place_corpus_pdfs(settings: Settings) -> None:
    from ingest.fetch import fetch_version
    from ingest.manifest import manifest_for

    for slug, folder in (("anthropic-rsp", RSP_PDFS), ("anthropic-rsp-noncompliance", NONCOMPLIANCE_PDFS)):
        manifest = manifest_for(settings.versions_dir, slug)
        for version in manifest.versions:
            fetch_version(manifest, version, from_dir=folder)


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory, databases) -> Settings:
    """Settings of an archive holding the whole corpus. Read-only: never write to it in a test."""
    from ingest import service
    from ingest.manifest import all_manifests

    root = tmp_path_factory.mktemp("corpus_archive")
    settings = make_settings(root, databases.new_url())
    place_corpus_pdfs(settings)
    engine = make_engine(settings)
    requests = []
    for manifest in all_manifests(settings.versions_dir):
        found, missing = service.requests_from_manifest(manifest)
        assert not missing, missing
        requests += found
    outcomes = service.ingest(engine, requests, jobs=2, settings=settings)
    failed = [o for o in outcomes if o.failed]
    assert not failed, failed
    engine.dispose()
    return settings


@pytest.fixture(scope="session")
def corpus_engine(corpus_settings):
    engine = make_engine(corpus_settings)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def corpus_index(corpus_settings, corpus_engine):
    """The search index of the shared corpus archive (built once, read-only)."""
    from archive.services import search as search_service

    with read_session(corpus_engine) as session:
        return search_service.ensure_index(corpus_settings, session)


@pytest.fixture
def corpus_env(corpus_settings, monkeypatch) -> Settings:
    """Point settings (and so the CLI and the app) at the shared corpus archive."""
    apply_env(corpus_settings, monkeypatch)
    yield corpus_settings
    get_settings.cache_clear()


@pytest.fixture
def fresh_env(tmp_path, databases, monkeypatch) -> Iterator[Settings]:
    """An empty archive of this test's own (schema made by the migrations), settings pointed at it."""
    settings = make_settings(tmp_path, databases.new_url())
    engine = make_engine(settings)
    upgrade(engine)
    engine.dispose()
    apply_env(settings, monkeypatch)
    yield settings
    get_settings.cache_clear()


@pytest.fixture
def fresh_engine(fresh_env):
    engine = make_engine(fresh_env)
    yield engine
    engine.dispose()


@pytest.fixture
def cli():
    """Run the CLI in-process through Typer's runner: cli("versions", "--json")."""
    from cli.main import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        get_settings.cache_clear()
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke


# --- checks shared by the CLI tests ---------------------------------------------------------------


def one_error_line(result) -> str:
    """The one `error: ...` line a refused command prints (no traceback, nothing else on stderr)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def read_archive(settings: Settings, fn):
    """fn(session) on the archive `settings` name, through an engine of its own."""
    engine = make_engine(settings)
    try:
        with read_session(engine) as session:
            return fn(session)
    finally:
        engine.dispose()


def archive_counts(settings: Settings) -> dict[str, int]:
    from archive.db import storage

    return read_archive(settings, storage.counts)


def run_sql(settings: Settings, statement: str) -> None:
    """One raw SQL statement in a transaction of its own (to set up states the CLI cannot make)."""
    from archive.db.engine import transaction

    engine = make_engine(settings)
    try:
        with transaction(engine) as session:
            session.execute(text(statement))
    finally:
        engine.dispose()
