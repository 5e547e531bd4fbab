"""Listing, filtering, paging and label facets over the index."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, true

from mediaquery.errors import BadRequest, InvalidCursor
from mediaquery.index.repo import MEDIA_COLUMNS, MediaRow, attach_labels, media_row
from mediaquery.index.tables import label_terms, labels, media, moderation_labels
from mediaquery.index.text_search import text_condition
from mediaquery.index.video import seen_between


@dataclass(slots=True)
class MediaFilter:
    """What a listing asks for; every field narrows the result (AND)."""

    prefix: str | None = None
    type: str | None = None
    labels: list[str] = field(default_factory=list)
    min_confidence: float = 0.0
    status: str | None = None
    text: str | None = None
    moderation: str | None = None  # none | any | a moderation label or its parent
    from_ms: int | None = None  # with labels: seen in a video within [from_ms, to_ms)
    to_ms: int | None = None


@dataclass(slots=True)
class Page:
    items: list[MediaRow]
    next_cursor: str | None


def _prefix_bound(prefix: str) -> str:
    # The smallest string greater than every string starting with prefix (for index ranges).
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _moderation_condition(value: str) -> ColumnElement[bool]:
    flagged = exists().where(moderation_labels.c.media_id == media.c.id)
    key = value.strip().casefold()
    if key == "none":
        return ~flagged
    if key == "any":
        return flagged
    return flagged.where(
        or_(moderation_labels.c.name_key == key, moderation_labels.c.parent_key == key)
    )


def _conditions(f: MediaFilter, dialect: str) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.text:
        conds.append(text_condition(dialect, f.text))
    if f.moderation:
        conds.append(_moderation_condition(f.moderation))
    if f.prefix:
        conds += [
            media.c.name >= f.prefix,
            media.c.name < _prefix_bound(f.prefix),
            func.substr(media.c.name, 1, len(f.prefix)) == f.prefix,
        ]
    if f.type:
        conds.append(media.c.type == f.type)
    if f.status:
        conds.append(media.c.status == f.status)
    timed = f.from_ms is not None or f.to_ms is not None
    if timed and not f.labels:
        raise BadRequest("from_ms and to_ms need a label to look for")
    for lab in f.labels:
        if timed:
            conds.append(seen_between(lab, f.from_ms, f.to_ms, f.min_confidence))
            continue
        conds.append(
            exists().where(
                label_terms.c.term == lab.strip().casefold(),
                label_terms.c.media_id == media.c.id,
                label_terms.c.confidence >= f.min_confidence,
            )
        )
    return conds


def encode_cursor(position: dict[str, Any]) -> str:
    """An opaque cursor pointing just after a position in the listing's order."""
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: str) -> dict[str, Any]:
    """The position a cursor points after; InvalidCursor for anything we did not issue."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        valid = isinstance(data["after"], str) and (
            order == "name" or (isinstance(data["t"], float | int) and isinstance(data["i"], int))
        )
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidCursor("Cursor is not valid; use next_cursor from a previous page") from exc
    if not valid:
        raise InvalidCursor("Cursor is not valid for this order; use next_cursor of this listing")
    return dict(data)


def _after(position: dict[str, Any], order: str) -> ColumnElement[bool]:
    if order == "name":
        return media.c.name > position["after"]
    t, i = position["t"], position["i"]
    return or_(media.c.created_at < t, and_(media.c.created_at == t, media.c.id < i))


ORDERS = ("name", "newest")


def list_media(
    conn: Connection,
    f: MediaFilter,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    label_min_confidence: float | None = None,
    order: str = "name",
) -> Page:
    """One page of media in name order or newest first (keyset paging), labels attached."""
    conds = _conditions(f, conn.dialect.name)
    if cursor:
        conds.append(_after(decode_cursor(cursor, order), order))
    by = [media.c.name] if order == "name" else [media.c.created_at.desc(), media.c.id.desc()]
    q = select(*MEDIA_COLUMNS).where(and_(true(), *conds)).order_by(*by)
    if limit is not None:
        q = q.limit(limit + 1)
    rows = [media_row(r) for r in conn.execute(q)]
    next_cursor = None
    if limit is not None and len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor({"after": last.name, "t": last.created_at, "i": last.id})
    min_conf = f.min_confidence if label_min_confidence is None else label_min_confidence
    attach_labels(conn, rows, min_conf)
    return Page(rows, next_cursor)


def label_facets(conn: Connection, f: MediaFilter, limit: int = 100) -> list[dict[str, Any]]:
    """Label names with the number of matching media that carry each one, most common first."""
    matching = select(media.c.id).where(and_(true(), *_conditions(f, conn.dialect.name)))
    count = func.count(func.distinct(labels.c.media_id))
    q = (
        select(labels.c.name, count.label("count"), func.max(labels.c.confidence).label("max"))
        .where(labels.c.media_id.in_(matching), labels.c.confidence >= f.min_confidence)
        .group_by(labels.c.name)
        .order_by(count.desc(), labels.c.name)
        .limit(limit)
    )
    return [
        {"name": r.name, "count": r.count, "max_confidence": round(r.max, 2)}
        for r in conn.execute(q)
    ]


def status_counts(conn: Connection) -> dict[str, int]:
    """How many media are in each status."""
    q = select(media.c.status, func.count()).group_by(media.c.status)
    return {status: n for status, n in conn.execute(q)}
