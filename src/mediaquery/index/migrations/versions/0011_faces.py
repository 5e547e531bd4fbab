"""Faces (box, embedding, person) and people (name, hidden, centroid, representative face).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from mediaquery.index.coltypes import Id

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("name_key", sa.String(200), nullable=True),
        sa.Column("hidden", sa.Integer, nullable=False, server_default="0"),
        sa.Column("faces", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total", sa.LargeBinary, nullable=False),
        sa.Column("cover_face_id", Id, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_people_name_key", "people", ["name_key"])
    op.create_table(
        "faces",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("media_id", Id, sa.ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
        sa.Column("analyzer", sa.String(50), nullable=False),
        sa.Column("box", sa.JSON, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("embedding", sa.LargeBinary, nullable=False),
        sa.Column("person_id", Id, sa.ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_faces_media", "faces", ["media_id"])
    op.create_index("ix_faces_person", "faces", ["person_id", "media_id"])
    op.create_table(
        "people_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO people_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("people_version")
    op.drop_table("faces")
    op.drop_table("people")
