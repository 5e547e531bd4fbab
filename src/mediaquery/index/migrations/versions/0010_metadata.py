"""Capture time, camera and place of each media (columns of media) and place_terms.

Revision ID: 0010
Revises: 0009
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from mediaquery.index.coltypes import Id, name_type

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COLUMNS: list[tuple[str, Any]] = [
    ("meta", sa.JSON),
    ("taken_at", sa.Float),
    ("taken_month", sa.Integer),
    ("camera", sa.String(300)),
    ("country_code", sa.String(8)),
    ("lat", sa.Float),
    ("lon", sa.Float),
]


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): a copy of media would cascade-delete its labels.
    for name, kind in _COLUMNS:
        op.add_column("media", sa.Column(name, kind, nullable=True))
    op.create_index("ix_media_taken", "media", [sa.text("taken_at DESC"), "name"])
    op.create_index("ix_media_taken_month", "media", ["taken_month"])
    op.create_index("ix_media_country", "media", ["country_code", "name"])
    op.create_index("ix_media_lat", "media", ["lat"])
    op.create_table(
        "place_terms",
        sa.Column("term", name_type(200), nullable=False),
        sa.Column("media_id", Id, sa.ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_place_terms_term_media", "place_terms", ["term", "media_id"])
    op.create_index("ix_place_terms_media", "place_terms", ["media_id"])


def downgrade() -> None:
    op.drop_table("place_terms")
    for index in ("ix_media_taken", "ix_media_taken_month", "ix_media_country", "ix_media_lat"):
        op.drop_index(index, "media")
    for name, _ in reversed(_COLUMNS):
        op.drop_column("media", name)  # SQLite >= 3.35 drops a column in place
