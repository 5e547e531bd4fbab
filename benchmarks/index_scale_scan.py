"""The baseline: what the serverless sample's DynamoDB Scan + FilterExpression does.

Every media row and every one of its labels (and, for a text filter, every text line) is read
from the database and the filter is applied in Python. It answers exactly what `list_media` and
`label_facets` answer, so it also serves as the reference the indexed queries are checked against.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from sqlalchemy import Connection

from mediaquery.index.query import MediaFilter

_WORD = re.compile(r"\w+", re.UNICODE)
BATCH = 50_000


@cache
def _decoded(name: str, aliases: str | tuple[str, ...]) -> frozenset[str]:
    listed = json.loads(aliases) if isinstance(aliases, str) else aliases
    return frozenset(t.casefold() for t in (name, *listed))


def _terms(name: str, aliases: str | list[str]) -> frozenset[str]:
    # SQLite hands JSON over as text, psycopg as decoded lists.
    return _decoded(name, aliases if isinstance(aliases, str) else tuple(aliases))


def _rows(conn: Connection, sql: str) -> Iterator[Any]:
    # Server-side cursor on PostgreSQL: the client never holds the whole table.
    result = conn.execution_options(stream_results=True).exec_driver_sql(sql)
    for part in result.partitions(BATCH):
        yield from part


def _media_ok(f: MediaFilter, name: str, type_: str, status: str) -> bool:
    return (
        (not f.prefix or name.startswith(f.prefix))
        and (not f.type or type_ == f.type)
        and (not f.status or status == f.status)
    )


def scan_names(conn: Connection, f: MediaFilter, order: str = "name") -> list[str]:
    """Names of every media item matching `f`, in `order` (name or newest first), found by
    reading everything."""
    if f.moderation or f.from_ms is not None or f.to_ms is not None:
        raise ValueError("the scan does not do moderation or time filters")
    names, created = {}, {}
    sql = "SELECT id, name, type, status, created_at FROM media"
    for media_id, name, type_, status, created_at in _rows(conn, sql):
        if _media_ok(f, name, type_, status):
            names[media_id], created[media_id] = name, created_at
    wanted = {x.strip().casefold() for x in f.labels}
    found: dict[int, set[str]] = {}
    sql = "SELECT media_id, name, confidence, aliases FROM labels"
    for media_id, name, confidence, aliases in _rows(conn, sql):
        if confidence >= f.min_confidence and wanted:
            hit = wanted & _terms(name, aliases)
            if hit:
                found.setdefault(media_id, set()).update(hit)
    keep = {i for i in names if len(found.get(i, ())) == len(wanted)}
    if f.text:
        words = {w.casefold() for w in _WORD.findall(f.text)}
        seen: dict[int, set[str]] = {}
        for media_id, line in _rows(conn, "SELECT media_id, text FROM text_lines"):
            seen.setdefault(media_id, set()).update(w.casefold() for w in _WORD.findall(line))
        keep = {i for i in keep if words <= seen.get(i, set())}
    if order == "newest":
        return [names[i] for i in sorted(keep, key=lambda i: (created[i], i), reverse=True)]
    return sorted(names[i] for i in keep)


def scan_facets(conn: Connection, f: MediaFilter, limit: int = 100) -> list[dict[str, Any]]:
    """What `label_facets` answers, counted over every label row of the matching media."""
    matching = set(scan_names(conn, f))
    ids = {
        media_id for media_id, name in _rows(conn, "SELECT id, name FROM media") if name in matching
    }
    count: dict[str, set[int]] = {}
    best: dict[str, float] = {}
    for media_id, name, conf in _rows(conn, "SELECT media_id, name, confidence FROM labels"):
        if media_id in ids and conf >= f.min_confidence:
            count.setdefault(name, set()).add(media_id)
            best[name] = max(conf, best.get(name, 0.0))
    order = sorted(count, key=lambda n: (-len(count[n]), n))[:limit]
    return [{"name": n, "count": len(count[n]), "max_confidence": round(best[n], 2)} for n in order]
