"""Media counts per month, place and camera (place_time_counts, camera_counts), filled from
the metadata already there.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from mediaquery.index.coltypes import name_type

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _months() -> list[sa.Column]:
    return [sa.Column("month", sa.Integer, nullable=False),
            sa.Column("utc_month", sa.Integer, nullable=False)]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "place_time_counts",
        *_months(),
        sa.Column("country_code", sa.String(8), nullable=False),
        sa.Column("country", name_type(200), nullable=False),
        sa.Column("region", name_type(200), nullable=False),
        sa.Column("city", name_type(200), nullable=False),
        sa.Column("media", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("month", "utc_month", "country_code", "country", "region", "city"),
    )
    op.create_index("ix_place_time_counts_country", "place_time_counts", ["country_code", "month"])
    op.create_table(
        "camera_counts",
        *_months(),
        sa.Column("camera", sa.String(300), nullable=False),
        sa.Column("make", sa.String(300), nullable=False),
        sa.Column("model", sa.String(300), nullable=False),
        sa.Column("media", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("month", "utc_month", "camera", "make", "model"),
    )
    # The media's own columns are what 0010 made them; the counts' tables what this made.
    from mediaquery.index.meta_counts import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("camera_counts")
    op.drop_table("place_time_counts")
