"""Media counts per label term and month (label_month_counts) at the default min_confidence
(label_month_kept), filled from the labels and metadata already there.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

from mediaquery.index.coltypes import name_type

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "label_month_counts",
        sa.Column("term", name_type(200), nullable=False),
        sa.Column("month", sa.Integer, nullable=False),
        sa.Column("utc_month", sa.Integer, nullable=False),
        sa.Column("media", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("term", "month", "utc_month"),
    )
    op.create_table("label_month_kept", sa.Column("min_confidence", sa.Float, nullable=False))
    # At the setting's default; a service configured with another one rebuilds them when it
    # starts (context.open_context). The tables are what this made, the rest what 0001-0016 did.
    from mediaquery.config import LabelSettings
    from mediaquery.index.label_months import rebuild

    rebuild(op.get_bind(), LabelSettings.model_fields["default_min_confidence"].default)


def downgrade() -> None:
    op.drop_table("label_month_kept")
    op.drop_table("label_month_counts")
