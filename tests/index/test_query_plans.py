"""Label, prefix and type lookups use indexes, not full scans (checked with SQLite's planner)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from mediaquery.config import Settings
from mediaquery.context import open_context
from mediaquery.index.query import MediaFilter, _conditions
from mediaquery.index.tables import media


@pytest.mark.parametrize(
    ("f", "index"),
    [
        (MediaFilter(labels=["dog"]), "ix_label_terms_term_media"),
        (MediaFilter(prefix="holiday/"), "sqlite_autoindex_media_1"),
        (MediaFilter(type="video"), "ix_media_type_name"),
    ],
)
def test_filters_use_an_index(make_settings: Callable[..., Settings], f: MediaFilter, index: str):
    ctx = open_context(make_settings())
    from sqlalchemy import and_, select, true

    q = select(media.c.name).where(and_(true(), *_conditions(f, "sqlite"))).order_by(media.c.name)
    sql = str(q.compile(ctx.engine, compile_kwargs={"literal_binds": True}))
    with ctx.engine.connect() as conn:
        plan = " | ".join(r[-1] for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert index in plan, plan
    assert "SCAN label_terms" not in plan
    ctx.close()
