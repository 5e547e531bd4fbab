"""The sample's `GET /api/` list as a stream: the bytes one JSON answer would have, built a page
at a time, so a million media cost one page of memory rather than the whole list."""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy import Engine

from mediaquery.index.query import MediaFilter, Page, list_media
from mediaquery.index.repo import MediaRow

PAGE_SIZE = 1000


def seed_labels(row: MediaRow) -> list[str]:
    """The row's label names, strongest first, each once: two analyzers may name the same
    label (`people`'s Person with boxes, `labels`' Person from the embedding), the sample
    lists names."""
    return list(dict.fromkeys(x["name"] for x in row.labels))


def seed_item_json(row: MediaRow) -> str:
    """One item as FastAPI's JSONResponse renders a SeedItem (compact, UTF-8 kept)."""
    item = {"name": row.name, "type": row.type, "labels": seed_labels(row)}
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


def read_page(engine: Engine, f: MediaFilter, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """One keyset page in name order; a connection of its own, held only while reading it."""
    with engine.connect() as conn:
        return list_media(conn, f, limit=size, cursor=cursor)


def seed_json_chunks(
    engine: Engine, f: MediaFilter, first: Page | None = None, size: int = PAGE_SIZE
) -> Iterator[bytes]:
    """`[item,item,...]`, one chunk per page; pass `first` when it was read already (so that
    a failing query answers an error before any byte of the stream is sent)."""
    page = first if first is not None else read_page(engine, f, None, size)
    yield b"["
    separator = ""
    while True:
        if page.items:
            yield (separator + ",".join(seed_item_json(r) for r in page.items)).encode()
            separator = ","
        if page.next_cursor is None:
            break
        page = read_page(engine, f, page.next_cursor, size)
    yield b"]"
