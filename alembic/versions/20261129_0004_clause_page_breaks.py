"""clauses record where their text crosses a page, and whether that page continues a table

A redline told a table's cell text that a page break put in another order (text extraction reads each
page's columns in turn) as "moved". The clause now keeps its page breaks, so the comparison can tell
such reflow from a move. Rows archived before hold NULL, "not recorded": their redlines tell it as
before, and the next ingest of such a version re-extracts it (ingest.service), which records them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clauses') as batch:
        batch.add_column(sa.Column('page_breaks', sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clauses') as batch:
        batch.drop_column('page_breaks')
