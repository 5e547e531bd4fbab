"""Media and label reads and writes. Every function takes an open connection."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

from sqlalchemy import (
    Connection,
    Text,
    cast,
    delete,
    insert,
    select,
    update,
)

from mediaquery.domain import MediaType, Status
from mediaquery.index import label_months, meta_counts
from mediaquery.index.faces import delete_faces
from mediaquery.index.ids import one_of
from mediaquery.index.label_counts import tracked
from mediaquery.index.metadata import CLEARED
from mediaquery.index.tables import (
    analyses,
    embeddings,
    label_segments,
    label_terms,
    label_timestamps,
    labels,
    media,
    moderation_labels,
    place_terms,
    text_lines,
    video_chunks,
)
from mediaquery.index.text_search import delete_text
from mediaquery.metadata import NAME as METADATA  # its provenance row: not an analyzer's


class LabelRow(TypedDict):
    """One label of an item as the index returns it (api.schemas.LabelPublic publishes it)."""

    name: str
    confidence: float  # 0-100
    parents: list[str]
    aliases: list[str]
    category: str
    analyzer: str
    analyzer_version: str
    boxes: list[dict[str, float]]  # left, top, width, height (0-1), one per instance
    segments: NotRequired[list[dict[str, Any]]]  # videos (start_ms, end_ms, ...), single reads


@dataclass(slots=True)
class MediaRow:
    id: int
    name: str
    type: str
    content_type: str
    size: int
    etag: str
    version: str
    status: str
    error: str | None
    width: int | None
    height: int | None
    created_at: float
    updated_at: float
    analyzed_at: float | None
    progress: float | None = None
    video: dict[str, Any] | None = None
    labels: list[LabelRow] = field(default_factory=list)
    analyses: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None  # taken_at, camera, location, place (attached)


# In MediaRow's order; `video` (the last) is read as JSON text and decoded only where set:
# most media are images, and decoding a NULL per row was a tenth of a page's time.
MEDIA_COLUMNS = [
    cast(media.c[c], Text).label(c) if c == "video" else media.c[c]
    for c in MediaRow.__slots__
    if c in media.c
]


def media_row(r: Any) -> MediaRow:
    *columns, video = r
    row = MediaRow(*columns)
    row.video = json.loads(video) if video and video != "null" else None
    return row


def get_media(conn: Connection, name: str) -> MediaRow | None:
    """The media row by name, without labels."""
    if "\x00" in name:
        return None  # never a valid name, and PostgreSQL text cannot hold it
    r = conn.execute(select(*MEDIA_COLUMNS).where(media.c.name == name)).first()
    return media_row(r) if r else None


def upsert_media(
    conn: Connection,
    *,
    name: str,
    type: MediaType,
    content_type: str,
    size: int,
    etag: str,
    version: str,
    status: Status,
    error: str | None = None,
) -> tuple[MediaRow, bool]:
    """Insert or replace media; returns (row, changed). Same content only refreshes `version`."""
    now = time.time()
    existing = get_media(conn, name)
    if existing and existing.etag == etag:
        if existing.version != version:
            conn.execute(update(media).where(media.c.id == existing.id).values(version=version))
            existing.version = version
        return existing, False
    values = dict(
        type=str(type),
        content_type=content_type,
        size=size,
        etag=etag,
        version=version,
        status=str(status),
        error=error,
        width=None,
        height=None,
        updated_at=now,
        analyzed_at=None,
        progress=None,
        video=None,
        **CLEARED,
    )
    if existing:
        with meta_counts.tracked(conn, existing.id), label_months.tracked(conn, existing.id):
            conn.execute(update(media).where(media.c.id == existing.id).values(**values))
        _clear_findings(conn, existing.id)
    else:
        conn.execute(insert(media).values(name=name, created_at=now, **values))
    row = get_media(conn, name)
    assert row is not None
    return row, True


def _clear_findings(conn: Connection, media_id: int) -> None:
    delete_faces(conn, media_id)  # first: a person whose last face goes disappears
    with tracked(conn, media_id), label_months.tracked(conn, media_id):
        for table in (
            label_terms,
            labels,
            analyses,
            moderation_labels,
            text_lines,
            embeddings,
            label_segments,
            label_timestamps,
            video_chunks,
            place_terms,
        ):
            conn.execute(delete(table).where(table.c.media_id == media_id))
    delete_text(conn, media_id)


def delete_media(conn: Connection, name: str) -> bool:
    """Remove media and everything found in it; False if it was not indexed."""
    row = get_media(conn, name)
    if row is None:
        return False
    _clear_findings(conn, row.id)
    with meta_counts.tracked(conn, row.id), label_months.tracked(conn, row.id):
        conn.execute(delete(media).where(media.c.id == row.id))
    return True


def set_status(
    conn: Connection, name: str, etag: str, status: Status, error: str | None = None
) -> bool:
    """Move media with this content to a status; False if the media changed or is gone."""
    res = conn.execute(
        update(media)
        .where(media.c.name == name, media.c.etag == etag)
        .values(status=str(status), error=error, updated_at=time.time())
    )
    return bool(res.rowcount)


def _boxes(raw: str | None) -> list[Any]:
    # most labels have none: SQL NULL or JSON null, neither worth a decode
    return (json.loads(raw) or []) if raw and raw != "null" else []


def attach_labels(conn: Connection, rows: list[MediaRow], min_confidence: float) -> None:
    """Fill each row's labels (at or above min_confidence, strongest first) in one query.

    A page holds ~1,000 label rows but few distinct parents/aliases lists, so those are read
    as JSON text and each distinct text is decoded once (a page took twice as long otherwise)."""
    if not rows:
        return
    by_id = {r.id: r for r in rows}
    q = (
        select(
            labels.c.media_id,
            labels.c.name,
            labels.c.confidence,
            cast(labels.c.parents, Text),
            cast(labels.c.aliases, Text),
            labels.c.category,
            labels.c.analyzer,
            labels.c.analyzer_version,
            cast(labels.c.boxes, Text),
        )
        .where(one_of(conn, labels.c.media_id, list(by_id)), labels.c.confidence >= min_confidence)
        .order_by(labels.c.media_id, labels.c.confidence.desc(), labels.c.name)
    )
    decoded: dict[str, list[Any]] = {}

    def strings(raw: str) -> list[Any]:
        if raw not in decoded:
            decoded[raw] = json.loads(raw)
        return list(decoded[raw])  # a copy: no two labels share a list

    for r in conn.execute(q).all():  # at once: a fetch a row cost 2-6 ms (PostgreSQL)
        media_id, name, conf, parents, aliases, category, analyzer, version, boxes = r
        by_id[media_id].labels.append(
            {
                "name": name,
                "confidence": conf,
                "parents": strings(parents),
                "aliases": strings(aliases),
                "category": category,
                "analyzer": analyzer,
                "analyzer_version": version,
                "boxes": _boxes(boxes),
            }
        )


def attach_analyses(conn: Connection, row: MediaRow) -> None:
    """Fill the provenance of one row: which analyzer versions ran, when, how long."""
    q = (
        select(
            analyses.c.analyzer,
            analyses.c.version,
            analyses.c.ran_at,
            analyses.c.duration_ms,
            analyses.c.status,
            analyses.c.reason,
        )
        .where(analyses.c.media_id == row.id, analyses.c.analyzer != METADATA)
        .order_by(analyses.c.analyzer)
    )
    row.analyses = [{**r._mapping, "status": r.status or "done"} for r in conn.execute(q)]


def all_media_versions(conn: Connection) -> dict[str, str]:
    """name → version of everything indexed (for a reconcile scan)."""
    return {r.name: r.version for r in conn.execute(select(media.c.name, media.c.version))}


def statuses(conn: Connection, names: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """name → (status, error) for the given names that are indexed."""
    found: dict[str, tuple[str, str | None]] = {}
    for i in range(0, len(names), 500):
        q = select(media.c.name, media.c.status, media.c.error).where(
            media.c.name.in_(names[i : i + 500])
        )
        found.update({n: (s, e) for n, s, e in conn.execute(q)})
    return found


def progress_of(conn: Connection, names: Sequence[str]) -> dict[str, float]:
    """name → analysis progress 0-100 of those given that report one (videos)."""
    found: dict[str, float] = {}
    for i in range(0, len(names), 500):
        q = select(media.c.name, media.c.progress).where(
            media.c.name.in_(names[i : i + 500]), media.c.progress.is_not(None)
        )
        found.update({n: float(p) for n, p in conn.execute(q)})
    return found
