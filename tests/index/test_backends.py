"""The index answers the same on SQLite and PostgreSQL: schema, byte-order names, text search,
64-bit ids, odd input, and the write ordering that job claims and event readers rely on.

Runs on the backend of the suite (MEDIAQUERY_TEST_DATABASE_URL picks PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from mediaquery.config import Settings
from mediaquery.context import Context, open_context
from mediaquery.domain import Findings, LabelFinding, MediaType, Status
from mediaquery.errors import BadRequest, InvalidCursor
from mediaquery.index import events, jobs, repo
from mediaquery.index.db import write_tx
from mediaquery.index.findings import save_findings
from mediaquery.index.query import (
    MediaFilter,
    decode_cursor,
    encode_cursor,
    label_facets,
    list_media,
)
from mediaquery.index.tables import jobs as jobs_table
from mediaquery.index.tables import media, metadata

NAMES = ["a.jpg", "B.jpg", "b/x.jpg", "b/Y.jpg", "é.jpg", "z.jpg", "Z.jpg", "a b.jpg",
         "a_b.jpg", "a-b.jpg", "ab.jpg", "ä/1.jpg", "日本/猫.jpg", "~.jpg"]  # fmt: skip


@pytest.fixture
def ctx(make_settings: Callable[..., Settings]) -> Iterator[Context]:
    c = open_context(make_settings())
    yield c
    c.close()


def add(
    ctx: Context, name: str, labels: Sequence[LabelFinding] = (), text: str = "", etag: str = "1"
) -> None:
    with write_tx(ctx.engine) as conn:
        repo.upsert_media(conn, name=name, type=MediaType.IMAGE, content_type="image/jpeg",
                          size=1, etag=etag, version="v", status=Status.PENDING)  # fmt: skip
        extra: dict[str, object] = {"lines": [{"text": text, "confidence": 0.9}]} if text else {}
        found = Findings("test", "1", list(labels), extra=extra)
        assert save_findings(conn, name, etag, [(found, 1.0)], floor=5)


def names(ctx: Context, f: MediaFilter, **kw: object) -> list[str]:
    with ctx.engine.connect() as conn:
        return [r.name for r in list_media(conn, f, **kw).items]  # type: ignore[arg-type]


def test_migrations_build_exactly_the_schema_tables_py_describes(ctx: Context) -> None:
    with ctx.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                metadata)  # fmt: skip
    # media_text is the backend's own full-text table (FTS5 / tsvector), kept out of tables.py
    assert [d for d in diff if "media_text" not in str(d)] == []


def test_names_sort_page_and_match_prefixes_byte_by_byte(ctx: Context) -> None:
    for name in NAMES:
        add(ctx, name)
    everything = sorted(NAMES)  # code point order = UTF-8 byte order, as SQLite compares
    assert names(ctx, MediaFilter()) == everything
    paged, cursor = [], None
    while True:
        with ctx.engine.connect() as conn:
            page = list_media(conn, MediaFilter(), limit=3, cursor=cursor)
        paged += [r.name for r in page.items]
        if not (cursor := page.next_cursor):
            break
    assert paged == everything
    assert names(ctx, MediaFilter(prefix="b/")) == ["b/Y.jpg", "b/x.jpg"]
    assert names(ctx, MediaFilter(prefix="B")) == ["B.jpg"]  # case matters, like S3 keys
    assert names(ctx, MediaFilter(prefix="a")) == ["a b.jpg", "a-b.jpg", "a.jpg", "a_b.jpg",
                                                   "ab.jpg"]  # fmt: skip
    assert names(ctx, MediaFilter(prefix="é")) == ["é.jpg"]
    assert names(ctx, MediaFilter(prefix="日本/")) == ["日本/猫.jpg"]
    assert names(ctx, MediaFilter(prefix="\U0010ffff")) == []  # no upper bound exists


def test_newest_first_pages_through_equal_timestamps(ctx: Context) -> None:
    for name in NAMES[:7]:
        add(ctx, name)
    with write_tx(ctx.engine) as conn:
        conn.execute(media.update().values(created_at=1000.0))
    newest = names(ctx, MediaFilter(), order="newest")
    assert newest == list(reversed(NAMES[:7]))  # ties: the later insert first
    paged, cursor = [], None
    while True:
        with ctx.engine.connect() as conn:
            page = list_media(conn, MediaFilter(), limit=2, cursor=cursor, order="newest")
        paged += [r.name for r in page.items]
        if not (cursor := page.next_cursor):
            break
    assert paged == newest


def test_labels_match_any_case_and_facets_tie_break_in_byte_order(ctx: Context) -> None:
    add(ctx, "one.jpg", [LabelFinding("Dog", 90, aliases=("Hound",)), LabelFinding("dog", 80),
                         LabelFinding("Cat", 70), LabelFinding("Émeu", 60)])  # fmt: skip
    add(ctx, "two.jpg", [LabelFinding("Dog", 40)])
    assert names(ctx, MediaFilter(labels=["HOUND"])) == ["one.jpg"]
    assert names(ctx, MediaFilter(labels=["dog"], min_confidence=50)) == ["one.jpg"]
    assert names(ctx, MediaFilter(labels=["émeu", "cat"])) == ["one.jpg"]
    with ctx.engine.connect() as conn:
        facets = label_facets(conn, MediaFilter())
        item = repo.get_media(conn, "one.jpg")
        assert item is not None
        repo.attach_labels(conn, [item], 0)
    assert [(x["name"], x["count"]) for x in facets] == [("Dog", 2), ("Cat", 1), ("dog", 1),
                                                        ("Émeu", 1)]  # fmt: skip
    assert facets[0]["max_confidence"] == 90.0
    assert [x["name"] for x in item.labels] == ["Dog", "dog", "Cat", "Émeu"]


def test_text_search_finds_whole_words_any_case_without_accents(ctx: Context) -> None:
    add(ctx, "receipt.jpg", text="Café Olé\nINVOICE 4711 total: 12,50 EUR\nwww.example.com")
    add(ctx, "menu.jpg", text="Cafe menu")
    add(ctx, "blank.jpg")
    assert names(ctx, MediaFilter(text="invoice")) == ["receipt.jpg"]
    assert names(ctx, MediaFilter(text="cafe")) == ["menu.jpg", "receipt.jpg"]
    assert names(ctx, MediaFilter(text="CAFÉ 4711")) == ["receipt.jpg"]  # every word
    assert names(ctx, MediaFilter(text="cafe 4712")) == []
    assert names(ctx, MediaFilter(text="invoic")) == []  # whole words, no stemming
    assert names(ctx, MediaFilter(text="example")) == ["receipt.jpg"]
    for syntax in ("cafe & !menu", "caf:*", "'cafe' | menu", '"cafe" OR NEAR(menu)', "_"):
        names(ctx, MediaFilter(text=syntax))  # read as plain words: never an error
    with pytest.raises(BadRequest):
        names(ctx, MediaFilter(text="?!"))
    add(ctx, "receipt.jpg", etag="2")  # new content without text: the old text is forgotten
    assert names(ctx, MediaFilter(text="invoice")) == []


def test_ids_beyond_32_bits(ctx: Context) -> None:
    big = 2**33 + 7
    with write_tx(ctx.engine) as conn:
        conn.execute(insert(media).values(
            id=big, name="big.jpg", type="image", content_type="image/jpeg", size=2**40,
            etag="e", version="", status="pending", created_at=1.0, updated_at=1.0))  # fmt: skip
        lines: dict[str, object] = {"lines": [{"text": "hello", "confidence": 0.9}]}
        found = Findings("test", "1", [LabelFinding("Red", 90)], extra=lines)
        assert save_findings(conn, "big.jpg", "e", [(found, 1.0)], floor=5)
    with ctx.engine.connect() as conn:
        page = list_media(conn, MediaFilter(labels=["red"], text="hello"), limit=1)
    assert [(r.id, r.size, [x["name"] for x in r.labels]) for r in page.items] == [
        (big, 2**40, ["Red"])
    ]
    add(ctx, "next.jpg")  # ids keep coming from the sequence / rowid
    cursor = encode_cursor({"after": "x", "t": 1.0, "i": big})
    with ctx.engine.connect() as conn:
        assert [r.name for r in list_media(conn, MediaFilter(), cursor=cursor, order="newest")
                .items] == []  # fmt: skip


def test_nul_and_other_odd_input_matches_nothing_instead_of_failing(
    ctx: Context, client: TestClient
) -> None:
    add(ctx, "a.jpg", [LabelFinding("Dog", 90)])
    for f in (MediaFilter(prefix="a\x00"), MediaFilter(labels=["dog\x00"]),
              MediaFilter(moderation="x\x00"), MediaFilter(status="done\x00")):  # fmt: skip
        assert names(ctx, f) == []
    with ctx.engine.connect() as conn:
        assert repo.get_media(conn, "a\x00.jpg") is None
    for bad in ({"after": "a\x00"}, {"after": "a", "t": 1.0, "i": 2**70}):
        with pytest.raises(InvalidCursor):
            decode_cursor(encode_cursor(bad), "newest")
    for url in ("/v1/media?prefix=%00", "/v1/media?label=%00", "/api/?startswith=a%00",
                "/v1/labels?label=x%00", "/v1/media?text=%00x"):  # fmt: skip
        r = client.get(url)
        assert r.status_code == 200, (url, r.text)
    assert client.get("/v1/media/a%00.jpg").status_code in (400, 404)
    assert client.get("/api/a%00.jpg").status_code in (400, 404)


def test_overlapping_writers_publish_events_in_id_order(ctx: Context) -> None:
    """An SSE client or webhook reads events after its last id: a smaller id must never
    become visible after a larger one, or that reader skips it for good."""
    entered, seen = threading.Event(), []

    def slow() -> None:
        with write_tx(ctx.engine) as conn:
            events.emit(conn, events.MEDIA_DONE, "slow.jpg")
            entered.set()
            time.sleep(0.4)

    def fast() -> None:
        entered.wait(10)
        with write_tx(ctx.engine) as conn:
            events.emit(conn, events.MEDIA_DONE, "fast.jpg")

    writers = [threading.Thread(target=slow), threading.Thread(target=fast)]
    for t in writers:
        t.start()
    cursor = 0
    while True:
        running = any(t.is_alive() for t in writers)
        with ctx.engine.connect() as conn:
            for event in events.since(conn, cursor):
                seen.append(event.media_name)
                cursor = event.id
        if not running:
            break
        time.sleep(0.01)
    assert seen == ["slow.jpg", "fast.jpg"]


def test_concurrent_claims_take_every_job_exactly_once(ctx: Context) -> None:
    with write_tx(ctx.engine) as conn:
        for i in range(40):
            jobs.enqueue(conn, "analyze", f"{i:02d}.jpg", "etag", 3)
    taken: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        while got := jobs.claim_many(ctx.engine, f"host:{n}:0", 60, ("analyze",), 3):
            with lock:
                taken.extend(j.id for j in got)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(taken) == 40 and len(set(taken)) == 40
    with ctx.engine.connect() as conn:
        assert jobs.counts(conn) == {"running": 40}
        owners = set(conn.execute(select(jobs_table.c.locked_by)).scalars())
    assert owners <= {f"host:{n}:0" for n in range(4)}
