"""Faces seen in videos: when (start_ms, end_ms of the shot the face was found in).

Revision ID: 0013
Revises: 0011 (0012 on the branch that adds it: see the note below)
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
# Written beside another branch's 0012: whichever of the two lands second revises the other.
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
