"""Reading items for the routers: one place that turns names into full rows or 404s."""

from __future__ import annotations

from sqlalchemy import Connection

from mediaquery.errors import NotFound
from mediaquery.index import repo
from mediaquery.index.repo import MediaRow


def load_item(conn: Connection, name: str, min_confidence: float) -> MediaRow:
    """The media row with labels and provenance; NotFound in the sample's words."""
    row = repo.get_media(conn, name)
    if row is None:
        raise NotFound(f"NotFoundError: Media file ({name}) not found")
    repo.attach_labels(conn, [row], min_confidence)
    repo.attach_analyses(conn, row)
    return row
