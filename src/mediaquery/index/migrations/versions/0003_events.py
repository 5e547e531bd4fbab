"""Event log (transactional outbox) for completion notifications, and webhook cursors.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from mediaquery.index.coltypes import Id, name_type

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("type", sa.String(50), nullable=False),
        sa.Column("media_name", name_type(1024), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "webhook_cursors",
        sa.Column("url", sa.String(2000), primary_key=True),
        sa.Column("last_event_id", Id, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webhook_cursors")
    op.drop_table("events")
