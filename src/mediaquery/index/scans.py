"""What ingest's scans ask of the index: media names by type, status or folder, and which
analyzer versions ran on an item."""

from __future__ import annotations

from sqlalchemy import Connection, select

from mediaquery.domain import MediaType, Status
from mediaquery.index.tables import analyses, media


def names_of_type(conn: Connection, type: MediaType) -> list[str]:
    """Names of the media of one type."""
    return list(conn.execute(select(media.c.name).where(media.c.type == str(type))).scalars())


def unfinished_names(conn: Connection) -> list[str]:
    """Names of the media whose analysis is still to come (pending or processing), sorted."""
    waiting = media.c.status.in_((str(Status.PENDING), str(Status.PROCESSING)))
    q = select(media.c.name).where(waiting).order_by(media.c.name)
    return list(conn.execute(q).scalars())


def names_under(conn: Connection, folder: str) -> list[str]:
    """Names of the media inside a folder (at any depth)."""
    prefix = folder + "/"
    # a range the index can use; "0" sorts right after "/"
    q = select(media.c.name).where(media.c.name > prefix, media.c.name < folder + "0")
    return [name for name in conn.execute(q).scalars() if name.startswith(prefix)]


def ran_versions(conn: Connection, media_id: int, etag: str) -> dict[str, str]:
    """analyzer → version of the analyses that ran on this content (not those skipped for a
    missing model)."""
    q = select(analyses.c.analyzer, analyses.c.version).where(
        analyses.c.media_id == media_id,
        analyses.c.etag == etag,
        analyses.c.status.is_(None),
    )
    return {analyzer: version for analyzer, version in conn.execute(q)}
