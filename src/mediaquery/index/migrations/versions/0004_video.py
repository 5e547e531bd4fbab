"""Video: label segments and timestamps, chunked job results, progress and stream facts.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from mediaquery.index.coltypes import Id, name_type

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _media_fk() -> sa.Column:
    return sa.Column("media_id", Id, sa.ForeignKey("media.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.add_column(sa.Column("progress", sa.Float, nullable=True))
        batch.add_column(sa.Column("video", sa.JSON, nullable=True))
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("params", sa.JSON, nullable=True))
    with op.batch_alter_table("text_lines") as batch:
        batch.add_column(sa.Column("start_ms", sa.Integer, nullable=True))
        batch.add_column(sa.Column("end_ms", sa.Integer, nullable=True))
    op.create_table(
        "label_segments",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        _media_fk(),
        sa.Column("analyzer", sa.String(50), nullable=False),
        sa.Column("name", name_type(200), nullable=False),
        sa.Column("start_ms", sa.Integer, nullable=False),
        sa.Column("end_ms", sa.Integer, nullable=False),
        sa.Column("max_confidence", sa.Float, nullable=False),
        sa.Column("mean_confidence", sa.Float, nullable=False),
    )
    op.create_index(
        "ix_label_segments_media_name", "label_segments", ["media_id", "name", "start_ms"]
    )
    op.create_table(
        "label_timestamps",
        _media_fk(),
        sa.Column("analyzer", sa.String(50), nullable=False),
        sa.Column("ts_ms", sa.Integer, nullable=False),
        sa.Column("name", name_type(200), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
    )
    op.create_index("ix_label_timestamps_media_ts", "label_timestamps", ["media_id", "ts_ms"])
    op.create_table(
        "video_chunks",
        _media_fk(),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("chunk", sa.Integer, nullable=False),
        sa.Column("start_ms", sa.Integer, nullable=False),
        sa.Column("end_ms", sa.Integer, nullable=False),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("media_id", "chunk"),
    )


def downgrade() -> None:
    for table in ("video_chunks", "label_timestamps", "label_segments"):
        op.drop_table(table)
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("params")
    with op.batch_alter_table("text_lines") as batch:
        batch.drop_column("end_ms")
        batch.drop_column("start_ms")
    with op.batch_alter_table("media") as batch:
        batch.drop_column("video")
        batch.drop_column("progress")
