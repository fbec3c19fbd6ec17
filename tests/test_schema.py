"""The schema: the table models and the migrations agree, and the database itself keeps one version
of a policy per effective date (the backstop for two ingests racing on PostgreSQL)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from alembic import command
from archive.db import storage
from archive.db.engine import alembic_config, make_engine, read_session, transaction
from archive.db.models import Base
from tests.conftest import WILD

SIMPLE = WILD / "simple1.pdf"
MALFORMED = WILD / "malformed-from-issue-932.pdf"


def _ingest(cli, path, label, effective):
    return cli("ingest", str(path), "--policy", "demo", "--version", label, "--effective", effective)


def test_models_match_the_migrations(fresh_engine):
    with fresh_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []


def test_the_database_refuses_a_second_version_on_a_date(fresh_env, fresh_engine, cli):
    assert _ingest(cli, SIMPLE, "1", "2024-01-01").exit_code == 0
    with pytest.raises(IntegrityError), transaction(fresh_engine) as s:
        s.execute(text(
            "INSERT INTO versions (policy_id, label, effective, snapshot_id, page_count, clause_count, full_text,"
            " text_sha256, extractor, extractor_version, engine_version, extracted_at)"
            " SELECT policy_id, 'y', effective, snapshot_id, page_count, clause_count, full_text, text_sha256,"
            " extractor, extractor_version, engine_version, extracted_at FROM versions"
        ))
    with read_session(fresh_engine) as s:
        assert [v.label for v in storage.list_versions(s, "demo")] == ["1"]


def test_a_lost_race_for_a_date_is_reported_in_one_line(fresh_env, cli, monkeypatch):
    """Two ingests of different labels on one date (PostgreSQL takes no lock for the whole write):
    both look before either commits. The loser's insert hits the unique index, it looks again, and
    says which version holds the date."""
    assert _ingest(cli, SIMPLE, "1", "2024-01-01").exit_code == 0
    looked = []
    real = storage.label_effective_on

    def not_yet_visible(session, slug, on, *, besides):
        looked.append(besides)
        # Blind for the plan and for the check inside the write (the other ingest has not committed).
        return None if len(looked) <= 2 else real(session, slug, on, besides=besides)

    monkeypatch.setattr(storage, "label_effective_on", not_yet_visible)
    result = _ingest(cli, MALFORMED, "2", "2024-01-01")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == ["error: demo: 1 already takes effect on 2024-01-01; "
                     + lines[0].split("2024-01-01; ", 1)[1]], result.stderr
    assert len(looked) == 3  # the plan, the write's own check, then the look after the refused insert
    engine = make_engine(fresh_env)
    with read_session(engine) as s:
        assert [v.label for v in storage.list_versions(s, "demo")] == ["1"]
    engine.dispose()


def test_upgrade_names_versions_that_already_share_a_date(fresh_env, fresh_engine, cli):
    """An archive made before the rule, holding two versions on one date, is not half-migrated: the
    upgrade stops with one line naming them, and succeeds once one is re-dated."""
    assert _ingest(cli, SIMPLE, "1", "2024-01-01").exit_code == 0
    assert _ingest(cli, MALFORMED, "2", "2024-06-01").exit_code == 0
    cfg = alembic_config(fresh_engine)
    command.downgrade(cfg, "0001")
    with transaction(fresh_engine) as s:
        s.execute(text("UPDATE versions SET effective = '2024-01-01'"))
    result = cli("db", "upgrade")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: cannot upgrade the schema: versions share an effective date (demo 1, 2 on 2024-01-01); "
        "re-date all but one with `policy-archive ingest FILE --replace` and run `db upgrade` again"
    ]
    with fresh_engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0001"
    with transaction(fresh_engine) as s:
        s.execute(text("UPDATE versions SET effective = '2024-06-01' WHERE label = '2'"))
    upgraded = cli("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    with fresh_engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0004"
