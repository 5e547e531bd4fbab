"""Dominant colours: storing what the `colors` analyzer found, reading it back, filtering by it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, func, insert, literal, select

from mediaquery.analyzers.colors import NAMES, canonical
from mediaquery.domain import Findings
from mediaquery.errors import BadRequest
from mediaquery.index.tables import media, media_colors


def color_keys(values: list[str]) -> list[str]:
    """The palette names that `color=` values ask for (any case, gray = grey); 400 otherwise."""
    keys = []
    for value in values:
        key = canonical(value)
        if key is None:
            raise BadRequest(
                f"Unknown colour '{value}'; accepted: {', '.join(NAMES)} (gray = grey)"
            )
        keys.append(key)
    return list(dict.fromkeys(keys))


def insert_colors(conn: Connection, media_id: int, findings: Findings) -> None:
    """Store the colours an analyzer found (Findings.extra["colors"])."""
    found = findings.extra.get("colors")
    if not isinstance(found, list) or not found:
        return
    conn.execute(
        insert(media_colors),
        [
            {
                "media_id": media_id,
                "analyzer": findings.analyzer,
                "name": str(c["name"]),
                "share": float(c["share"]),
                "hex": str(c["hex"]),
            }
            for c in found
        ],
    )


def colors_of(conn: Connection, media_id: int) -> list[dict[str, Any]]:
    """The dominant colours of one media item, largest share first."""
    rows = conn.execute(
        select(media_colors.c.name, media_colors.c.hex, media_colors.c.share)
        .where(media_colors.c.media_id == media_id)
        .order_by(media_colors.c.share.desc(), media_colors.c.name)
    )
    return [dict(r._mapping) for r in rows]


def color_condition(key: str, selective: bool = False) -> ColumnElement[bool]:
    """Media with this palette colour among their dominant ones (through its index).
    `selective`: read the colour's few matches first (SQLite), rather than test each item."""
    if selective:
        return media.c.id.in_(select(media_colors.c.media_id).where(media_colors.c.name == key))
    return exists().where(media_colors.c.name == key, media_colors.c.media_id == media.c.id)


def is_rare(conn: Connection, key: str, limit: int) -> bool:
    """Whether fewer than `limit` media have this colour (counted through its index)."""
    first = select(literal(1)).where(media_colors.c.name == key).limit(limit).subquery()
    return conn.execute(select(func.count()).select_from(first)).scalar_one() < limit
