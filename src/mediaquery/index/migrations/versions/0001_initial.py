"""Initial schema: media, labels, label terms, analyses, jobs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from mediaquery.index.coltypes import Id, name_type, version_type

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", name_type(1024), nullable=False, unique=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("width", sa.Integer, nullable=True),
        sa.Column("height", sa.Integer, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("analyzed_at", sa.Float, nullable=True),
    )
    op.create_index("ix_media_type_name", "media", ["type", "name"])
    op.create_index("ix_media_status_name", "media", ["status", "name"])
    op.create_table(
        "labels",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("media_id", Id, sa.ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", name_type(200), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("parents", sa.JSON, nullable=False),
        sa.Column("aliases", sa.JSON, nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("analyzer", sa.String(50), nullable=False),
        sa.Column("analyzer_version", version_type(), nullable=False),
    )
    op.create_index("ix_labels_media", "labels", ["media_id", "confidence"])
    op.create_table(
        "label_terms",
        sa.Column("term", name_type(200), nullable=False),
        sa.Column("media_id", Id, sa.ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("analyzer", sa.String(50), nullable=False),
        sa.Column("label", name_type(200), nullable=False),
    )
    op.create_index("ix_label_terms_term_media", "label_terms", ["term", "media_id", "confidence"])
    op.create_index("ix_label_terms_media", "label_terms", ["media_id", "analyzer"])
    op.create_table(
        "analyses",
        sa.Column("media_id", Id, sa.ForeignKey("media.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("analyzer", sa.String(50), primary_key=True),
        sa.Column("version", version_type(), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("ran_at", sa.Float, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("media_name", name_type(1024), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("run_after", sa.Float, nullable=False),
        sa.Column("locked_by", sa.String(200), nullable=True),
        sa.Column("locked_until", sa.Float, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float, nullable=True),
        sa.Column("finished_at", sa.Float, nullable=True),
    )
    op.create_index("ix_jobs_state_run_after", "jobs", ["state", "run_after"])
    op.create_index("ix_jobs_media", "jobs", ["media_name"])


def downgrade() -> None:
    for table in ("jobs", "analyses", "label_terms", "labels", "media"):
        op.drop_table(table)
