"""one version of a policy per effective date

Ingest already refuses a second version of a policy on a date that one holds, but only by looking
first; two ingests at once (PostgreSQL) could both look, find nothing and both write. A unique index
makes the database settle that race (the loser's IntegrityError makes ingest look again and report
the clash). An archive that already holds such a pair cannot take the index: the upgrade stops and
names the versions, to be re-dated with `ingest --replace` first.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

from archive.errors import SchemaUpgradeBlocked

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    clashes = op.get_bind().execute(sa.text(
        "SELECT p.slug, v.effective, v.label FROM versions v JOIN policies p ON p.id = v.policy_id "
        "WHERE (v.policy_id, v.effective) IN "
        "(SELECT policy_id, effective FROM versions GROUP BY policy_id, effective HAVING COUNT(*) > 1) "
        "ORDER BY p.slug, v.effective, v.label"
    )).all()
    if clashes:
        seen: dict[tuple[str, str], list[str]] = {}
        for slug, effective, label in clashes:
            seen.setdefault((slug, str(effective)[:10]), []).append(label)
        named = "; ".join(f"{slug} {', '.join(labels)} on {day}" for (slug, day), labels in seen.items())
        raise SchemaUpgradeBlocked(
            f"cannot upgrade the schema: versions share an effective date ({named}); "
            "re-date all but one with `policy-archive ingest FILE --replace` and run `db upgrade` again"
        )
    op.create_index('uq_versions_policy_effective', 'versions', ['policy_id', 'effective'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_versions_policy_effective', table_name='versions')
