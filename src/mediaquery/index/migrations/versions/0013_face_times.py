"""Faces seen in videos: when (start_ms, end_ms of the shot the face was found in).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): nullable columns, photos' faces keep NULL.
    op.add_column("faces", sa.Column("start_ms", sa.Integer, nullable=True))
    op.add_column("faces", sa.Column("end_ms", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("faces") as batch:
        batch.drop_column("end_ms")
        batch.drop_column("start_ms")
