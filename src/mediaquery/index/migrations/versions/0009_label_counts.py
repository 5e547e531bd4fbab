"""Per-label media counts (label_counts) and an index for a label's strongest confidence.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from mediaquery.index.coltypes import name_type

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_labels_name_confidence", "labels", ["name", "confidence"])
    op.create_table(
        "label_counts",
        sa.Column("name", name_type(200), nullable=False),
        sa.Column("bucket", sa.Integer, nullable=False),
        sa.Column("media", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("name", "bucket"),
    )
    # What index/label_counts.rebuild writes, for the labels already there.
    floor = "CAST(m AS INTEGER)" if op.get_bind().dialect.name == "sqlite" else "floor(m)"
    op.execute(
        f"INSERT INTO label_counts (name, bucket, media) SELECT name, {floor}, COUNT(*) "
        "FROM (SELECT name, MAX(confidence) AS m FROM labels GROUP BY media_id, name) strongest "
        f"GROUP BY name, {floor}"
    )


def downgrade() -> None:
    op.drop_table("label_counts")
    op.drop_index("ix_labels_name_confidence", "labels")
