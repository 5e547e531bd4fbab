"""Video checkpoints: the time chunks of a video job, each chunk's result (JSON) once it is
analysed, and the progress and stream facts they put on the video's media row."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from mediaquery.domain import Status
from mediaquery.index.tables import media, video_chunks


@dataclass(frozen=True, slots=True)
class Chunk:
    chunk: int
    start_ms: int
    end_ms: int
    result: dict[str, Any] | None  # None until the chunk is analysed


def _of(media_id: int, etag: str) -> Any:
    return (video_chunks.c.media_id == media_id) & (video_chunks.c.etag == etag)


def keep_version(conn: Connection, media_id: int, etag: str) -> None:
    """Drop the chunks of other versions of the video."""
    old = (video_chunks.c.media_id == media_id) & (video_chunks.c.etag != etag)
    conn.execute(delete(video_chunks).where(old))


def finished(conn: Connection, media_id: int) -> dict[int, bool]:
    """chunk → whether it was analysed, for every chunk planned for the video."""
    q = select(video_chunks.c.chunk, video_chunks.c.result.is_not(None)).where(
        video_chunks.c.media_id == media_id
    )
    return {int(chunk): bool(done) for chunk, done in conn.execute(q)}


def add(conn: Connection, media_id: int, etag: str, chunk: int, start_ms: int, end_ms: int) -> None:
    """Plan one chunk of the video."""
    row = {"chunk": chunk, "start_ms": start_ms, "end_ms": end_ms}
    conn.execute(insert(video_chunks).values(media_id=media_id, etag=etag, **row))


def get(conn: Connection, media_id: int, etag: str, chunk: int) -> Chunk | None:
    """One planned chunk of this version of the video, or None."""
    c = video_chunks.c
    q = select(c.chunk, c.start_ms, c.end_ms, c.result).where(_of(media_id, etag), c.chunk == chunk)
    row = conn.execute(q).first()
    return Chunk(row.chunk, row.start_ms, row.end_ms, row.result) if row else None


def save_result(
    conn: Connection, media_id: int, etag: str, chunk: int, result: dict[str, Any]
) -> None:
    """Keep a chunk's result until the video is merged."""
    mine = _of(media_id, etag) & (video_chunks.c.chunk == chunk)
    conn.execute(update(video_chunks).where(mine).values(result=result, finished_at=time.time()))


def results(conn: Connection, media_id: int, etag: str) -> list[dict[str, Any] | None]:
    """Every chunk's result in time order (None for a chunk still to do)."""
    q = select(video_chunks.c.result).where(_of(media_id, etag)).order_by(video_chunks.c.chunk)
    return list(conn.execute(q).scalars())


def start_video(
    conn: Connection, media_id: int, video: dict[str, Any], width: int, height: int, progress: float
) -> None:
    """Mark a planned video `processing` with its stream facts and the chunks done so far."""
    values = {
        "status": str(Status.PROCESSING),
        "progress": progress,
        "video": video,
        "width": width,
        "height": height,
    }
    conn.execute(update(media).where(media.c.id == media_id).values(values))


def set_progress(conn: Connection, media_id: int, progress: float) -> None:
    """Show how far the analysis of a video is (0-100)."""
    conn.execute(update(media).where(media.c.id == media_id).values(progress=progress))


def restart(conn: Connection, media_id: int) -> None:
    """Forget every checkpoint of a video and show it as pending again (analysed anew)."""
    conn.execute(delete(video_chunks).where(video_chunks.c.media_id == media_id))
    pending = {"status": str(Status.PENDING), "progress": 0.0}
    conn.execute(update(media).where(media.c.id == media_id).values(pending))
