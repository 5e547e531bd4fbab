"""Full-text search over the text found in media: SQLite FTS5 here, PostgreSQL text search there."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Connection, literal_column, text

from mediaquery.errors import BadRequest
from mediaquery.index.tables import media

_WORD = re.compile(r"\w+", re.UNICODE)


def set_text(conn: Connection, media_id: int, body: str) -> None:
    """Make `body` the searchable text of one media item (empty removes it)."""
    delete_text(conn, media_id)
    if not body.strip():
        return
    if conn.dialect.name == "sqlite":
        conn.execute(text("INSERT INTO media_text(rowid, body) VALUES (:id, :body)"),
                     {"id": media_id, "body": body})  # fmt: skip
    else:
        conn.execute(text("INSERT INTO media_text(media_id, body) VALUES (:id, :body)"),
                     {"id": media_id, "body": body})  # fmt: skip


def delete_text(conn: Connection, media_id: int) -> None:
    """Forget the searchable text of one media item."""
    key = "rowid" if conn.dialect.name == "sqlite" else "media_id"
    conn.execute(text(f"DELETE FROM media_text WHERE {key} = :id"), {"id": media_id})


def text_condition(dialect: str, query: str) -> ColumnElement[bool]:
    """A WHERE clause on `media` matching items whose text has every word of `query`."""
    words = _WORD.findall(query)
    if not words:
        raise BadRequest("Text search needs at least one word")
    if dialect == "sqlite":
        # Quote each word: user input must never be read as FTS5 query syntax.
        match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        sub = text("SELECT rowid FROM media_text WHERE media_text MATCH :q").bindparams(q=match)
        return media.c.id.in_(sub.columns(literal_column("rowid")))
    tsq = " & ".join(words)
    sub = text(
        "SELECT media_id FROM media_text "
        "WHERE to_tsvector('simple', body) @@ to_tsquery('simple', :q)"
    ).bindparams(q=tsq)
    return media.c.id.in_(sub.columns(literal_column("media_id")))
