"""The index schema (SQLAlchemy Core). Migrations in index/migrations must match it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from mediaquery.index.coltypes import Id, name_type, version_type

metadata = MetaData()

media = Table(
    "media",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", name_type(1024), nullable=False, unique=True),
    Column("type", String(16), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("etag", String(64), nullable=False),
    # size + mtime for local files: lets a reconcile scan skip re-hashing unchanged files
    Column("version", String(64), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),
    Column("error", Text, nullable=True),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("analyzed_at", Float, nullable=True),
    Column("progress", Float, nullable=True),  # 0-100 while a video is analysed
    Column("video", JSON, nullable=True),  # duration_ms, fps, codec, rotation, shots ...
    # Read from the file by the analysis job (index/metadata.py): `meta` holds the item fields
    # (taken_at, camera, location, place); the columns below serve filters, order and facets.
    Column("meta", JSON, nullable=True),
    Column("taken_at", Float, nullable=True),  # UTC seconds; a time without offset as UTC
    Column("taken_month", Integer, nullable=True),  # YYYYMM of the local capture time
    Column("camera", String(300), nullable=True),  # "make model lens", lower-cased
    Column("country_code", String(8), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Index("ix_media_type_name", "type", "name"),
    Index("ix_media_status_name", "status", "name"),
    Index("ix_media_created", "created_at", "id"),
    Index("ix_media_taken_month", "taken_month"),
    Index("ix_media_country", "country_code", "name"),
    # near=: a latitude band, and the longitude read from the index too (no table lookups)
    Index("ix_media_lat_lon", "lat", "lon"),
)
# order=taken: newest first, then by name (dated media; undated ones follow by name)
# (PostgreSQL: with the id, so a time range's page of ids is read from the index alone)
Index("ix_media_taken", media.c.taken_at.desc(), media.c.name, postgresql_include=["id"])

labels = Table(
    "labels",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("media_id", Id, ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("name", name_type(200), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("parents", JSON, nullable=False),
    Column("aliases", JSON, nullable=False),
    Column("category", String(50), nullable=False),
    Column("analyzer", String(50), nullable=False),
    Column("analyzer_version", version_type(), nullable=False),
    Column("boxes", JSON, nullable=True),
    Index("ix_labels_media", "media_id", "confidence"),
    Index("ix_labels_name_confidence", "name", "confidence"),  # a label's strongest, at once
)

# How many media carry each label, by the integer part of their strongest such label's
# confidence: the unfiltered label facets read this instead of counting every label row.
# Kept in the transaction that changes a media's labels (index/label_counts.py).
label_counts = Table(
    "label_counts",
    metadata,
    Column("name", name_type(200), nullable=False),
    Column("bucket", Integer, nullable=False),  # floor(strongest confidence), 0-100
    Column("media", BigInteger, nullable=False),
    PrimaryKeyConstraint("name", "bucket"),
)

# How many media were taken in each month, place and camera (roll-up rows included): the
# time, place and camera facets of everything, a month, a country, a place or a camera read
# these instead of counting media. Kept in the transaction that changes a media's metadata
# (index/meta_counts.py).
place_time_counts = Table(
    "place_time_counts",
    metadata,
    Column("month", Integer, nullable=False),  # local YYYYMM (taken_month); 0 none, -1 any
    Column("utc_month", Integer, nullable=False),  # UTC YYYYMM of taken_at; 0 none, -1 any
    Column("country_code", String(8), nullable=False),  # '' none, '*' anywhere
    Column("country", name_type(200), nullable=False),
    Column("region", name_type(200), nullable=False),
    Column("city", name_type(200), nullable=False),
    Column("media", BigInteger, nullable=False),
    PrimaryKeyConstraint("month", "utc_month", "country_code", "country", "region", "city"),
    Index("ix_place_time_counts_country", "country_code", "month"),
)
camera_counts = Table(
    "camera_counts",
    metadata,
    Column("month", Integer, nullable=False),
    Column("utc_month", Integer, nullable=False),
    Column("camera", String(300), nullable=False),  # media.camera: "make model lens", folded
    Column("make", String(300), nullable=False),
    Column("model", String(300), nullable=False),
    Column("media", BigInteger, nullable=False),
    PrimaryKeyConstraint("month", "utc_month", "camera", "make", "model"),
)

# How many dated media carry each label term at or above one threshold (label_month_kept),
# per local and UTC month: the time facets of `label=` read these instead of counting media.
# Kept in the transactions that change a media's labels or metadata (index/label_months.py).
label_month_counts = Table(
    "label_month_counts",
    metadata,
    Column("term", name_type(200), nullable=False),  # as label_terms.term
    Column("month", Integer, nullable=False),  # local YYYYMM (taken_month)
    Column("utc_month", Integer, nullable=False),  # UTC YYYYMM of taken_at; 0 none
    Column("media", BigInteger, nullable=False),
    PrimaryKeyConstraint("term", "month", "utc_month"),
)
label_month_kept = Table(  # one row: the min_confidence the counts are kept at
    "label_month_kept",
    metadata,
    Column("min_confidence", Float, nullable=False),
)

# One row per searchable term of a label (its name and each alias), lower-cased, so that
# `label=alsatian` finds German Shepherd through an index instead of scanning JSON.
label_terms = Table(
    "label_terms",
    metadata,
    Column("term", name_type(200), nullable=False),
    Column("media_id", Id, ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("analyzer", String(50), nullable=False),
    Column("label", name_type(200), nullable=False),  # the label's display name
    Index("ix_label_terms_term_media", "term", "media_id", "confidence"),
    Index("ix_label_terms_media", "media_id", "analyzer"),
)

# One row per place name of a media (its city, region and country, lower-cased), so that
# `place=lisbon` is an index lookup, like label_terms.
place_terms = Table(
    "place_terms",
    metadata,
    Column("term", name_type(200), nullable=False),
    Column("media_id", Id, ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Index("ix_place_terms_term_media", "term", "media_id"),
    Index("ix_place_terms_media", "media_id"),
)

# The dominant colours of an image (analyzers/colors.py): one row per palette name that covers
# enough of it, so that `color=blue` is an index lookup, like label_terms.
media_colors = Table(
    "media_colors",
    metadata,
    Column("media_id", Id, ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("analyzer", String(50), nullable=False),
    Column("name", String(16), nullable=False),  # a palette name, lower-case
    Column("share", Float, nullable=False),  # per cent of the image
    Column("hex", String(7), nullable=False),  # the average colour of its pixels, #rrggbb
    Index("ix_media_colors_name_media", "name", "media_id"),
    Index("ix_media_colors_media", "media_id", "analyzer"),
)

# Provenance: which analyzer version ran on which content; keyed so reruns are idempotent.
analyses = Table(
    "analyses",
    metadata,
    Column("media_id", Id, ForeignKey("media.id", ondelete="CASCADE"), primary_key=True),
    Column("analyzer", String(50), primary_key=True),
    Column("version", version_type(), nullable=False),
    Column("etag", String(64), nullable=False),
    Column("ran_at", Float, nullable=False),
    Column("duration_ms", Float, nullable=False),
    # NULL: it ran; "unavailable": skipped because a model it needs is missing (see reason)
    Column("status", String(20), nullable=True),
    Column("reason", Text, nullable=True),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(30), nullable=False),
    Column("media_name", name_type(1024), nullable=False),
    Column("etag", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # queued | running | done | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False),
    Column("run_after", Float, nullable=False),
    Column("locked_by", String(200), nullable=True),
    Column("locked_until", Float, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float, nullable=True),
    Column("finished_at", Float, nullable=True),
    Column("analyzers", JSON, nullable=True),  # null: every enabled analyzer
    Column("params", JSON(none_as_null=True), nullable=True),  # e.g. the chunk of a video
    Index("ix_jobs_state_run_after", "state", "run_after"),
    Index("ix_jobs_media", "media_name"),
)

# Moderation findings live apart from labels: never listed or matched as ordinary labels.
moderation_labels = Table(
    "moderation_labels",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("media_id", Id, ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("name", name_type(200), nullable=False),
    Column("name_key", name_type(200), nullable=False),
    Column("parent_key", name_type(200), nullable=True),
    Column("confidence", Float, nullable=False),
    Column("parents", JSON, nullable=False),
    Column("boxes", JSON, nullable=True),
    Column("analyzer", String(50), nullable=False),
    Column("analyzer_version", version_type(), nullable=False),
    Index("ix_moderation_media", "media_id"),
    Index("ix_moderation_name", "name_key", "media_id"),
    Index("ix_moderation_parent", "parent_key", "media_id"),
)

text_lines = Table(
    "text_lines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("media_id", Id, ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("box", JSON, nullable=True),
    Column("analyzer", String(50), nullable=False),
    Column("start_ms", Integer, nullable=True),  # video text: when it is on screen
    Column("end_ms", Integer, nullable=True),
    Index("ix_text_lines_media", "media_id", "line_no"),
)

embeddings = Table(
    "embeddings",
    metadata,
    Column("media_id", Id, ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("analyzer", String(50), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),
    PrimaryKeyConstraint("media_id", "analyzer"),
)
# `media_text` (full-text search over OCR lines) is dialect-specific: see index/text_search.py.

# Completion events, written in the same transaction as the results they announce.
events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("type", String(50), nullable=False),
    Column("media_name", name_type(1024), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
)

webhook_cursors = Table(
    "webhook_cursors",
    metadata,
    Column("url", String(2000), primary_key=True),
    Column("last_event_id", Id, nullable=False),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Column("updated_at", Float, nullable=False),
)

# Where each label appears in a video (Rekognition's AggregateBy=SEGMENTS) ...
label_segments = Table(
    "label_segments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("media_id", Id, ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("analyzer", String(50), nullable=False),
    Column("name", name_type(200), nullable=False),
    Column("start_ms", Integer, nullable=False),
    Column("end_ms", Integer, nullable=False),
    Column("max_confidence", Float, nullable=False),
    Column("mean_confidence", Float, nullable=False),
    Index("ix_label_segments_media_name", "media_id", "name", "start_ms"),
)

# ... and every sampled moment (AggregateBy=TIMESTAMPS).
label_timestamps = Table(
    "label_timestamps",
    metadata,
    Column("media_id", Id, ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("analyzer", String(50), nullable=False),
    Column("ts_ms", Integer, nullable=False),
    Column("name", name_type(200), nullable=False),
    Column("confidence", Float, nullable=False),
    Index("ix_label_timestamps_media_ts", "media_id", "ts_ms"),
)

# Per-chunk results of a video job: a crash resumes at the first unfinished chunk, and
# several workers can take chunks of one long video (fan-out), the last one merges (fan-in).
video_chunks = Table(
    "video_chunks",
    metadata,
    Column("media_id", Id, ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("etag", String(64), nullable=False),
    Column("chunk", Integer, nullable=False),
    Column("start_ms", Integer, nullable=False),
    Column("end_ms", Integer, nullable=False),
    Column("result", JSON, nullable=True),  # null until the chunk is analysed
    Column("finished_at", Float, nullable=True),
    PrimaryKeyConstraint("media_id", "chunk"),
)

# API keys: only a SHA-256 of the secret is kept; `key_id` is the public prefix shown in lists.
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("scopes", JSON, nullable=False),  # subset of ["read", "write", "admin"]
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
)

# The newest S3 event `sequencer` seen per object key: older, reordered events are dropped.
# Kept after an object is deleted, so a late "created" event cannot resurrect it.
object_sequencers = Table(
    "object_sequencers",
    metadata,
    Column("name", String(1024), primary_key=True),
    Column("sequencer", String(64), nullable=False),
    Column("deleted", Integer, nullable=False, server_default="0"),
    Column("updated_at", Float, nullable=False),
)

# Small key/value state for restartable long operations (e.g. an S3 reconcile's page marker).
service_state = Table(
    "service_state",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", JSON, nullable=True),
    Column("updated_at", Float, nullable=False),
)

# People: clusters of faces. `total` is the sum of their face embeddings and `faces` how many
# there are, so a face joining or leaving updates the centroid (total / faces) in O(1).
people = Table(
    "people",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=True),
    Column("name_key", String(200), nullable=True),  # casefolded name, for person=alice
    Column("hidden", Integer, nullable=False, server_default="0"),
    Column("faces", Integer, nullable=False, server_default="0"),
    Column("total", LargeBinary, nullable=False),  # float32 sum of the face embeddings
    Column("cover_face_id", Id, nullable=True),  # the representative face (its thumbnail)
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_people_name_key", "name_key"),
)

# One row per face found in an image: its box (relative), the dlib embedding and its person
# (NULL while it waits for enough similar faces to form one). Biometric data: deleted with the
# media, and with the person when a person is forgotten.
faces = Table(
    "faces",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("media_id", Id, ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("analyzer", String(50), nullable=False),
    Column("box", JSON, nullable=False),
    Column("score", Float, nullable=False),
    Column("embedding", LargeBinary, nullable=False),  # float32 x 128
    Column("person_id", Id, ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("start_ms", Integer, nullable=True),  # videos: the shot the face was seen in
    Column("end_ms", Integer, nullable=True),
    Index("ix_faces_media", "media_id"),
    Index("ix_faces_person", "person_id", "media_id"),
)

# Bumped on every change to people's centroids, so each process knows when its in-memory
# copy of the centroids (index/people_cache.py) is stale.
people_version = Table(
    "people_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
)
