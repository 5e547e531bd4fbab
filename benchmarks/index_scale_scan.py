"""The baseline: what the serverless sample's DynamoDB Scan + FilterExpression does.

Every media row and every one of its labels (and, for a text filter, every text line) is read
from the database and the filter is applied in Python. It answers exactly what `list_media` and
`label_facets` answer, so it also serves as the reference the indexed queries are checked against.
"""

from __future__ import annotations

import json
import math
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


def _near(f: MediaFilter, lat: float | None, lon: float | None) -> bool:
    """index/metadata.near_condition, in Python."""
    assert f.near is not None
    if lat is None or lon is None:
        return False
    at, on, radius = f.near
    dlat = radius / 111.195
    cos = max(math.cos(math.radians(at)), 1e-6)
    if not at - dlat <= lat <= at + dlat:
        return False
    if min(dlat / cos, 360.0) >= 180:
        return True
    dx, wrapped, dy = (lon - on) * cos, (abs(lon - on) - 360) * cos, lat - at
    return dx * dx + dy * dy <= dlat * dlat or wrapped * wrapped + dy * dy <= dlat * dlat


def _meta_ok(f: MediaFilter, m: Any, places: dict[int, set[str]]) -> bool:
    taken = m.taken_at
    return (
        (f.taken_after is None or (taken is not None and taken >= f.taken_after))
        and (f.taken_before is None or (taken is not None and taken < f.taken_before))
        and (not f.camera or (m.camera is not None and f.camera.casefold() in m.camera))
        and (not f.country or m.country_code == f.country.strip().upper())
        and (not f.place or f.place.strip().casefold() in places.get(m.id, ()))
        and (f.near is None or _near(f, m.lat, m.lon))
    )


def scan_names(conn: Connection, f: MediaFilter, order: str = "name") -> list[str]:
    """Names of every media item matching `f`, in `order` (name, newest first or taken),
    found by reading everything."""
    return scan_many(conn, [(f, order)])[0]


def scan_many(conn: Connection, queries: list[tuple[MediaFilter, str]]) -> list[list[str]]:
    """scan_names of each (filter, order), reading every table once for them all."""
    for f, _ in queries:
        if f.moderation or f.from_ms is not None or f.to_ms is not None or f.people:
            raise ValueError("the scan does not do moderation, people or video time filters")
    sql = ("SELECT id, name, type, status, created_at, taken_at, camera, country_code, lat, lon "
           "FROM media")  # fmt: skip
    every = list(_rows(conn, sql))
    places: dict[int, set[str]] = {}
    if any(f.place for f, _ in queries):
        for term, media_id in _rows(conn, "SELECT term, media_id FROM place_terms"):
            places.setdefault(media_id, set()).add(term)
    found = _labelled(conn, [f for f, _ in queries])
    seen = _worded(conn) if any(f.text for f, _ in queries) else {}
    answers = []
    for (f, order), labelled in zip(queries, found, strict=True):
        keep = [m for m in every if _media_ok(f, m.name, m.type, m.status)
                and _meta_ok(f, m, places)]  # fmt: skip
        if f.labels:
            keep = [m for m in keep if m.id in labelled]
        if f.text:
            words = {w.casefold() for w in _WORD.findall(f.text)}
            keep = [m for m in keep if words <= seen.get(m.id, set())]
        answers.append(_ordered(keep, order))
    return answers


def _labelled(conn: Connection, filters: list[MediaFilter]) -> list[set[int]]:
    """Per filter, the media carrying every one of its labels (at its confidence)."""
    wanted = [{x.strip().casefold() for x in f.labels} for f in filters]
    found: list[dict[int, set[str]]] = [{} for _ in filters]
    if any(wanted):
        sql = "SELECT media_id, name, confidence, aliases FROM labels"
        every = set().union(*wanted)
        for media_id, name, confidence, aliases in _rows(conn, sql):
            terms = _terms(name, aliases)
            if not terms & every:
                continue
            for i, f in enumerate(filters):
                hit = wanted[i] & terms
                if hit and confidence >= f.min_confidence:
                    found[i].setdefault(media_id, set()).update(hit)
    return [{i for i, got in found[k].items() if len(got) == len(wanted[k])}
            for k in range(len(filters))]  # fmt: skip


def _worded(conn: Connection) -> dict[int, set[str]]:
    seen: dict[int, set[str]] = {}
    for media_id, line in _rows(conn, "SELECT media_id, text FROM text_lines"):
        seen.setdefault(media_id, set()).update(w.casefold() for w in _WORD.findall(line))
    return seen


def _ordered(keep: list[Any], order: str) -> list[str]:
    if order == "newest":
        return [m.name for m in sorted(keep, key=lambda m: (m.created_at, m.id), reverse=True)]
    if order == "taken":  # newest capture first, then by name; undated ones by name after
        dated = sorted((m for m in keep if m.taken_at is not None),
                       key=lambda m: (-m.taken_at, m.name))  # fmt: skip
        return [m.name for m in dated] + sorted(m.name for m in keep if m.taken_at is None)
    return sorted(m.name for m in keep)


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
