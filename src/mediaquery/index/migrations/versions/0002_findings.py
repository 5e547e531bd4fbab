"""Richer findings: boxes on labels, moderation labels, OCR text with full-text search,
image embeddings, and jobs that re-run only some analyzers.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from mediaquery.index.coltypes import Id, name_type, version_type

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _media_fk() -> sa.Column:
    return sa.Column("media_id", Id, sa.ForeignKey("media.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("labels") as batch:
        batch.add_column(sa.Column("boxes", sa.JSON, nullable=True))
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("analyzers", sa.JSON, nullable=True))
    op.create_table(
        "moderation_labels",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        _media_fk(),
        sa.Column("name", name_type(200), nullable=False),
        sa.Column("name_key", name_type(200), nullable=False),
        sa.Column("parent_key", name_type(200), nullable=True),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("parents", sa.JSON, nullable=False),
        sa.Column("boxes", sa.JSON, nullable=True),
        sa.Column("analyzer", sa.String(50), nullable=False),
        sa.Column("analyzer_version", version_type(), nullable=False),
    )
    op.create_index("ix_moderation_media", "moderation_labels", ["media_id"])
    op.create_index("ix_moderation_name", "moderation_labels", ["name_key", "media_id"])
    op.create_index("ix_moderation_parent", "moderation_labels", ["parent_key", "media_id"])
    op.create_table(
        "text_lines",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        _media_fk(),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("box", sa.JSON, nullable=True),
        sa.Column("analyzer", sa.String(50), nullable=False),
    )
    op.create_index("ix_text_lines_media", "text_lines", ["media_id", "line_no"])
    op.create_table(
        "embeddings",
        _media_fk(),
        sa.Column("analyzer", sa.String(50), nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        # float32, little-endian, L2-normalised: ready to copy into a vector index later
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("media_id", "analyzer"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # one document per media: all its OCR lines; rowid = media id
        op.execute("CREATE VIRTUAL TABLE media_text USING fts5(body, tokenize='unicode61')")
    else:
        # one document per media: its text, and the words to match as a tsvector (GIN)
        op.create_table(
            "media_text",
            sa.Column(
                "media_id", Id, sa.ForeignKey("media.id", ondelete="CASCADE"), primary_key=True
            ),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("doc", postgresql.TSVECTOR, nullable=False),
        )
        op.create_index("ix_media_text_doc", "media_text", ["doc"], postgresql_using="gin")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS media_text")
    for table in ("embeddings", "text_lines", "moderation_labels"):
        op.drop_table(table)
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("analyzers")
    with op.batch_alter_table("labels") as batch:
        batch.drop_column("boxes")
