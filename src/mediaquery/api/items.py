"""Reading items for the routers: one place that turns names into full rows or 404s."""

from __future__ import annotations

from sqlalchemy import Connection

from mediaquery.api.schemas import MediaPublic
from mediaquery.errors import NotFound
from mediaquery.index import repo
from mediaquery.index.findings import attach_details
from mediaquery.index.metadata import attach_metadata
from mediaquery.index.repo import MediaRow
from mediaquery.index.video import segments_of


def load_item(conn: Connection, name: str, min_confidence: float) -> MediaRow:
    """The media row with labels and provenance; NotFound in the sample's words."""
    row = repo.get_media(conn, name)
    if row is None:
        raise NotFound(f"NotFoundError: Media file ({name}) not found")
    repo.attach_labels(conn, [row], min_confidence)
    repo.attach_analyses(conn, row)
    attach_metadata(conn, [row])
    return row


def load_public(conn: Connection, name: str, min_confidence: float) -> MediaPublic:
    """The full public item: labels, provenance, text lines and moderation labels."""
    row = load_item(conn, name, min_confidence)
    if row.type == "video":
        segments = segments_of(conn, row.id)
        for label in row.labels:
            label["segments"] = segments.get(label["name"], [])
    return MediaPublic.of(row, attach_details(conn, row))


def resolve(
    conn: Connection, name: str, suffix: str, min_confidence: float
) -> MediaRow | MediaPublic:
    """The media row a `/{name}/{suffix}` route is about. Names may contain `/`, so when no
    `name` exists but an item literally named `name/suffix` does, that item is the answer."""
    row = repo.get_media(conn, name)
    if row is not None:
        return row
    literal = f"{name}/{suffix}"
    if repo.get_media(conn, literal) is not None:
        return load_public(conn, literal, min_confidence)
    raise NotFound(f"NotFoundError: Media file ({name}) not found")
