"""Label, prefix, type and text lookups use indexes, not full scans (checked with the planner of
the database the suite runs on: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import and_, select, text, true

from conftest import on_postgresql
from mediaquery.config import Settings
from mediaquery.context import open_context
from mediaquery.index.query import MediaFilter, _conditions
from mediaquery.index.tables import media


def _plan(make_settings: Callable[..., Settings], f: MediaFilter) -> str:
    ctx = open_context(make_settings())
    dialect = ctx.engine.dialect.name
    q = select(media.c.name).where(and_(true(), *_conditions(f, dialect))).order_by(media.c.name)
    sql = str(q.compile(ctx.engine, compile_kwargs={"literal_binds": True}))
    try:
        with ctx.engine.connect() as conn:
            if dialect == "sqlite":
                return " | ".join(r[-1] for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            # Empty tables make a sequential scan cheapest; forbid it to see what an index
            # can serve (a filter no index serves still shows "Seq Scan").
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            return " | ".join(r[0] for r in conn.execute(text(f"EXPLAIN {sql}")))
    finally:
        ctx.close()


@pytest.mark.skipif(on_postgresql(), reason="SQLite's query planner; PostgreSQL: see below")
@pytest.mark.parametrize(
    ("f", "index"),
    [
        (MediaFilter(labels=["dog"]), "ix_label_terms_term_media"),
        (MediaFilter(prefix="holiday/"), "sqlite_autoindex_media_1"),
        (MediaFilter(type="video"), "ix_media_type_name"),
        (MediaFilter(place="lisbon"), "ix_place_terms_term_media"),
        (MediaFilter(taken_after=1.7e9), "ix_media_taken"),
        (MediaFilter(country="PT"), "ix_media_country"),
        (MediaFilter(colors=["blue"]), "ix_media_colors_name_media"),
    ],
)
def test_filters_use_an_index(make_settings: Callable[..., Settings], f: MediaFilter, index: str):
    plan = _plan(make_settings, f)
    assert index in plan, plan
    assert "SCAN label_terms" not in plan


@pytest.mark.skipif(
    not on_postgresql(), reason="PostgreSQL's planner (MEDIAQUERY_TEST_DATABASE_URL)"
)
@pytest.mark.parametrize(
    ("f", "index"),
    [
        (MediaFilter(labels=["dog"]), "ix_label_terms_term_media"),
        # `name` is COLLATE "C": the range is in byte order, as on SQLite
        (MediaFilter(prefix="holiday/"), "media_name_key"),
        (MediaFilter(type="video"), "ix_media_type_name"),
        (MediaFilter(text="invoice total"), "ix_media_text_doc"),
        (MediaFilter(place="lisbon"), "ix_place_terms_term_media"),
        (MediaFilter(taken_after=1.7e9), "ix_media_taken"),
        (MediaFilter(country="PT"), "ix_media_country"),
        (MediaFilter(colors=["blue"]), "ix_media_colors_name_media"),
    ],
)
def test_filters_use_an_index_on_postgresql(
    make_settings: Callable[..., Settings], f: MediaFilter, index: str
):
    plan = _plan(make_settings, f)
    assert index in plan, plan
    assert "Seq Scan on label_terms" not in plan and "Seq Scan on media_text" not in plan, plan
    if f.prefix:
        assert "Index Cond: ((name >= 'holiday/'::text) AND (name < 'holiday0'::text))" in plan


@pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL (MEDIAQUERY_TEST_DATABASE_URL)")
def test_the_time_index_holds_the_id_on_postgresql(make_settings: Callable[..., Settings]):
    # list_media pages a time range alone as the ids of its page (ORDER BY name LIMIT), then
    # their rows: with the id in ix_media_taken (migration 0016) PostgreSQL reads those ids
    # from the index alone (Index Only Scan, 4 ms for June 2023 at 1M media; docs/deploy.md)
    ctx = open_context(make_settings())
    try:
        with ctx.engine.connect() as conn:
            found = conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_media_taken' "
                     "AND schemaname = current_schema()")
            ).scalar_one()  # fmt: skip
    finally:
        ctx.close()
    assert found.endswith("(taken_at DESC, name) INCLUDE (id)"), found
