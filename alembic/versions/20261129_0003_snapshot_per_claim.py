"""a snapshot per provenance claim, not per sha256

A snapshot was stored once per distinct bytes, so the first ingest of a file fixed its provenance
(the publisher's URL and sha256, hence its status) for every later version made from the same bytes:
a corpus reconstruction first ingested under a manifest claiming it as its own reference read
`verified`, with that manifest's URL, for the publisher's policy too. The same bytes received with
other claims are now another snapshot: unique by (sha256, source URL, reference sha256), an absent
URL or reference counting as one value (an expression index; a NULL would never clash).

Rows already archived keep the claims they were stored with.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if 'uq_snapshots_claim' in {ix['name'] for ix in sa.inspect(bind).get_indexes('snapshots')}:
        return  # rebuilt already (SQLite commits the rebuild before alembic records the revision)
    with _sqlite_rebuild():
        with op.batch_alter_table('snapshots') as batch:
            batch.drop_constraint('uq_snapshots_sha256', type_='unique')
        op.create_index(
            'uq_snapshots_claim', 'snapshots',
            ['sha256', sa.text("coalesce(source_url, '')"), sa.text("coalesce(reference_sha256, '')")],
            unique=True,
        )


def downgrade() -> None:
    with _sqlite_rebuild():
        op.drop_index('uq_snapshots_claim', table_name='snapshots')
        with op.batch_alter_table('snapshots') as batch:
            batch.create_unique_constraint('uq_snapshots_sha256', ['sha256'])


@contextmanager
def _sqlite_rebuild() -> Iterator[None]:
    """SQLite changes a constraint by rebuilding the table, and versions point at snapshots: dropping
    the old table with foreign keys on would fail them (deferring does not help: the count of broken
    references is not undone by the rebuilt table). Foreign keys can be switched off only outside a
    transaction, so the migrations before this one are committed first, the rebuild runs and is
    checked and committed with foreign keys off, and they are switched on again."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        yield
        return
    raw = bind.connection.dbapi_connection
    if raw.in_transaction:
        raw.commit()
    raw.execute('PRAGMA foreign_keys=OFF')
    try:
        yield
        broken = raw.execute('PRAGMA foreign_key_check').fetchall()
        if broken:
            raise RuntimeError(f"snapshots rebuilt with {len(broken)} dangling references; nothing changed")
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.execute('PRAGMA foreign_keys=ON')
