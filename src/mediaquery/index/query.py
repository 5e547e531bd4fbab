"""Listing, filtering, paging and label facets over the index."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
)

from mediaquery.errors import BadRequest, InvalidCursor
from mediaquery.index.colors import color_condition, is_rare
from mediaquery.index.label_counts import counted_facets, is_countable
from mediaquery.index.metadata import (
    INDEXED,
    Drive,
    attach_metadata,
    has_metadata_filter,
    metadata_conditions,
    plan_drive,
)
from mediaquery.index.people import person_condition
from mediaquery.index.repo import MEDIA_COLUMNS, MediaRow, attach_labels, media_row
from mediaquery.index.tables import label_terms, labels, media, moderation_labels
from mediaquery.index.text_search import sqlite_matches_at_least, text_condition
from mediaquery.index.video import seen_between
from mediaquery.index.words import term_matches


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
    taken_after: float | None = None  # capture time, UTC seconds: [taken_after, taken_before)
    taken_before: float | None = None
    camera: str | None = None  # substring of "make model lens", any case
    place: str | None = None  # a city, region or country name, any case
    country: str | None = None  # ISO 3166-1 alpha-2 code
    near: tuple[float, float, float] | None = None  # lat, lon, radius_km
    people: list[str] = field(default_factory=list)  # names (any case) or ids: all of them
    colors: list[str] = field(default_factory=list)  # palette names (index/colors.py): all


@dataclass(slots=True)
class Page:
    items: list[MediaRow]
    next_cursor: str | None


def _prefix_bound(prefix: str) -> str | None:
    # The smallest string greater than every string starting with prefix (for index ranges):
    # names compare by code point on every backend, so [prefix, bound) is exactly the names
    # starting with prefix. Surrogates are no characters of a stored name: skip over them.
    nxt = ord(prefix[-1]) + 1
    if 0xD800 <= nxt <= 0xDFFF:
        nxt = 0xE000
    return prefix[:-1] + chr(nxt) if nxt <= 0x10FFFF else None


def _has_nul(f: MediaFilter) -> bool:
    # No name, label or word holds NUL, and PostgreSQL cannot even be asked about one.
    values = [
        f.prefix,
        f.type,
        f.status,
        f.text,
        f.moderation,
        f.camera,
        f.place,
        f.country,
        *f.labels,
        *f.people,
        *f.colors,
    ]
    return any(v is not None and "\x00" in v for v in values)


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


# SQLite keeps no per-value statistics, so it plans every label alike: it walks media in page
# order and tests each item, which reads nearly all of them before a rare label fills a page
# (~1 s at a million media). A label with fewer matches than this is read from its index and
# sorted instead: at a million media both ways cost ~12 ms at 5,000 matches (benchmarks/
# index_scale.py). PostgreSQL makes that choice itself from its per-value statistics.
SELECTIVE = 5_000


def _selective_labels(conn: Connection, f: MediaFilter) -> set[str]:
    """The labels of `f` that SQLite should find through label_terms rather than test per item."""
    if conn.dialect.name != "sqlite" or f.from_ms is not None or f.to_ms is not None:
        return set()
    found = set()
    for lab in f.labels:
        first = (
            select(literal(1))
            .where(term_matches(lab), label_terms.c.confidence >= f.min_confidence)
            .limit(SELECTIVE)
            .subquery()
        )
        if conn.execute(select(func.count()).select_from(first)).scalar_one() < SELECTIVE:
            found.add(lab)
    return found


def _rare_colors(conn: Connection, f: MediaFilter) -> set[str]:
    """The colours of `f` that SQLite should read from their index first (as for labels)."""
    if conn.dialect.name != "sqlite":
        return set()
    return {c for c in f.colors if is_rare(conn, c, SELECTIVE)}


def _common_text(conn: Connection, f: MediaFilter) -> bool:
    """Whether SQLite should test the text per item (a word many media have) than start there."""
    if conn.dialect.name != "sqlite" or not f.text or _has_nul(f):
        return False
    return sqlite_matches_at_least(conn, f.text, SELECTIVE)


def _conditions(
    f: MediaFilter,
    dialect: str,
    selective: Collection[str] = (),
    common_text: bool = False,
    drive: Drive = INDEXED,
    rare_colors: Collection[str] = (),
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = metadata_conditions(f, dialect, drive)
    conds.extend(color_condition(c, c in rare_colors) for c in f.colors)
    if f.text:
        conds.append(text_condition(dialect, f.text, drive=not common_text))
    if f.moderation:
        conds.append(_moderation_condition(f.moderation))
    if f.prefix:
        # A range the name index serves (byte order on every backend), which is exact: an
        # extra exact test made PostgreSQL expect few matches and sort every one of them
        # rather than walk the name index (50 ms for a big folder). Without a bound it tests.
        conds.append(media.c.name >= f.prefix)
        bound = _prefix_bound(f.prefix)
        if bound is not None:
            conds.append(media.c.name < bound)
        else:
            conds.append(func.substr(media.c.name, 1, len(f.prefix)) == f.prefix)
    if f.type:
        conds.append(media.c.type == f.type)
    conds.extend(person_condition(p) for p in f.people)
    if f.status:
        conds.append(media.c.status == f.status)
    timed = f.from_ms is not None or f.to_ms is not None
    if timed and not f.labels:
        raise BadRequest("from_ms and to_ms need a label to look for")
    for lab in f.labels:
        if timed:
            conds.append(seen_between(lab, f.from_ms, f.to_ms, f.min_confidence))
            continue
        if lab in selective:  # IN (...): SQLite reads the matches first, then sorts them
            conds.append(
                media.c.id.in_(
                    select(label_terms.c.media_id).where(
                        term_matches(lab),
                        label_terms.c.confidence >= f.min_confidence,
                    )
                )
            )
            continue
        conds.append(
            exists().where(
                term_matches(lab),
                label_terms.c.media_id == media.c.id,
                label_terms.c.confidence >= f.min_confidence,
            )
        )
    return [false()] if _has_nul(f) else conds


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and -(2**63) <= value < 2**63  # fits every backend's ids


def encode_cursor(position: dict[str, Any]) -> str:
    """An opaque cursor pointing just after a position in the listing's order."""
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: str) -> dict[str, Any]:
    """The position a cursor points after; InvalidCursor for anything we did not issue."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        valid = (
            isinstance(data["after"], str)
            and "\x00" not in data["after"]
            and (
                order == "name"
                or (order == "taken" and (data["t"] is None or isinstance(data["t"], float | int)))
                or (isinstance(data["t"], float | int) and _is_id(data["i"]))
            )
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


ORDERS = ("name", "newest", "taken")

_WORKERS = "max_parallel_workers_per_gather"
_SET_WORKERS = text(f"SELECT set_config('{_WORKERS}', :v, true)")


def _serial_plan(conn: Connection) -> str | None:
    """PostgreSQL: no parallel workers for one page (starting them cost 20 ms of a 30 ms
    text search); returns the setting to restore. Facets and listings without a limit, which
    read many rows, keep them."""
    if conn.dialect.name != "postgresql":
        return None
    old = conn.execute(
        text(f"SELECT current_setting('{_WORKERS}'), set_config('{_WORKERS}', '0', true)")
    ).scalar_one()
    return str(old)


def list_media(
    conn: Connection,
    f: MediaFilter,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    label_min_confidence: float | None = None,
    order: str = "name",
) -> Page:
    """One page of media by name, newest first or by capture time (keyset paging), labels
    and metadata attached."""
    drive = plan_drive(conn, f, order, SELECTIVE, _time_alone(f))
    conds = _conditions(
        f,
        conn.dialect.name,
        _selective_labels(conn, f),
        _common_text(conn, f),
        drive,
        _rare_colors(conn, f),
    )
    position = decode_cursor(cursor, order) if cursor else None
    restore = _serial_plan(conn) if limit is not None else None
    if order == "taken":
        rows = _by_taken(conn, conds, position, limit)
    else:
        if position is not None:
            conds.append(_after(position, order))
        by = [media.c.name] if order == "name" else [media.c.created_at.desc(), media.c.id.desc()]
        where = and_(true(), *conds)
        q = select(*MEDIA_COLUMNS).where(where).order_by(*by)
        if limit is not None and drive.time == "sorted":  # the page's ids first, then rows
            ids = select(media.c.id).where(where).order_by(*by).limit(limit + 1)
            q = select(*MEDIA_COLUMNS).where(media.c.id.in_(ids)).order_by(*by)
        elif limit is not None:
            q = q.limit(limit + 1)
        rows = [media_row(r) for r in conn.execute(q)]
    next_cursor = None
    if limit is not None and len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _cursor_after(conn, rows[-1], order)
    min_conf = f.min_confidence if label_min_confidence is None else label_min_confidence
    attach_labels(conn, rows, min_conf)
    attach_metadata(conn, rows)
    if restore is not None:
        conn.execute(_SET_WORKERS, {"v": restore})
    return Page(rows, next_cursor)


def _cursor_after(conn: Connection, last: MediaRow, order: str) -> str:
    if order == "taken":
        taken = conn.execute(select(media.c.taken_at).where(media.c.id == last.id)).scalar()
        return encode_cursor({"after": last.name, "t": taken})
    return encode_cursor({"after": last.name, "t": last.created_at, "i": last.id})


def _by_taken(
    conn: Connection,
    conds: list[ColumnElement[bool]],
    position: dict[str, Any] | None,
    limit: int | None,
) -> list[MediaRow]:
    """Dated media newest first (then by name), then undated ones by name: two index walks,
    so that both backends order NULLs alike."""
    want = None if limit is None else limit + 1
    rows: list[MediaRow] = []
    t = media.c.taken_at
    if position is None or position["t"] is not None:
        dated = [*conds, t.is_not(None)]
        if position is not None:
            at, name = position["t"], position["after"]
            # `t <= at` first: a range of the order's index (an OR alone made SQLite read
            # every earlier item and sort them: 250 ms at page 10 of a million)
            dated += [t <= at, or_(t < at, media.c.name > name)]
        q = select(*MEDIA_COLUMNS).where(*dated).order_by(t.desc(), media.c.name)
        rows = [media_row(r) for r in conn.execute(q if want is None else q.limit(want))]
    if want is not None and len(rows) >= want:
        return rows
    undated = [*conds, t.is_(None)]
    if position is not None and position["t"] is None:
        undated.append(media.c.name > position["after"])
    q = select(*MEDIA_COLUMNS).where(*undated).order_by(media.c.name)
    if want is not None:
        q = q.limit(want - len(rows))
    return rows + [media_row(r) for r in conn.execute(q)]


def _time_alone(f: MediaFilter) -> bool:
    """Whether `f` asks for a capture-time range and nothing else."""
    timed = f.taken_after is not None or f.taken_before is not None
    return timed and unfiltered(replace(f, taken_after=None, taken_before=None))


def unfiltered(f: MediaFilter) -> bool:
    """Whether `f` asks for everything (at some confidence)."""
    return not (
        f.prefix or f.type or f.labels or f.status or f.text or f.moderation or f.people or f.colors
    ) and (f.from_ms is None and f.to_ms is None and not has_metadata_filter(f))


def label_facets(conn: Connection, f: MediaFilter, limit: int = 100) -> list[dict[str, Any]]:
    """Label names with the number of matching media that carry each one, most common first."""
    if unfiltered(f) and is_countable(f.min_confidence):
        return counted_facets(conn, f.min_confidence, limit)  # kept counts: no label row read
    # Facets count every match, so SQLite starts from each label's matches, never from all media.
    sqlite = conn.dialect.name == "sqlite"
    drive = f.labels if sqlite else ()
    conds = _conditions(f, conn.dialect.name, drive, rare_colors=f.colors if sqlite else ())
    matching = select(media.c.id).where(and_(true(), *conds))
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
