"""Provenance of analyzers that could not run: analyses.status ('unavailable') and reason.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL status: the analyzer ran (every row written before this migration)
    op.add_column("analyses", sa.Column("status", sa.String(20), nullable=True))
    op.add_column("analyses", sa.Column("reason", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analyses") as batch:
        batch.drop_column("reason")
        batch.drop_column("status")
