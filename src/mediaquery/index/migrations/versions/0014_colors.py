"""Dominant colours of images (media_colors), for `color=` filters.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from mediaquery.index.coltypes import Id

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_colors",
        sa.Column("media_id", Id, sa.ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
        sa.Column("analyzer", sa.String(50), nullable=False),
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("share", sa.Float, nullable=False),
        sa.Column("hex", sa.String(7), nullable=False),
    )
    op.create_index("ix_media_colors_name_media", "media_colors", ["name", "media_id"])
    op.create_index("ix_media_colors_media", "media_colors", ["media_id", "analyzer"])


def downgrade() -> None:
    op.drop_table("media_colors")
