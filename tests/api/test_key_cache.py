"""The API key cache never holds requests behind a lock while the index is slow to answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import create_engine

from mediaquery.auth.guard import KeyCache, Snapshot
from mediaquery.auth.keys import create_key
from mediaquery.config import Settings
from mediaquery.context import open_context


def test_a_refresh_waiting_for_a_connection_holds_up_no_request(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    ctx = open_context(settings)
    create_key(ctx.engine, "laptop", ["read"])
    ctx.close()
    args = {"check_same_thread": False} if settings.db_url.startswith("sqlite") else {}
    engine = create_engine(
        settings.db_url, connect_args=args, pool_size=1, max_overflow=0, pool_timeout=3
    )
    cache = KeyCache(engine, ttl=1.0)

    async def requests_while_the_pool_is_empty() -> tuple[Snapshot, list[object]]:
        first = await cache.snapshot()
        held = engine.connect()  # the pool's only connection: a refresh must wait for it
        try:
            await asyncio.sleep(1.1)  # the keys are stale: the next request starts a refresh
            answers = await asyncio.gather(
                *(cache.snapshot() for _ in range(20)), return_exceptions=True
            )
        finally:
            held.close()
        return first, answers

    try:
        first, answers = asyncio.run(requests_while_the_pool_is_empty())
    finally:
        engine.dispose()
    assert "laptop" in {k.name for k in first.keys.values()}
    # every request went on with the keys it had, none waited for the connection (or failed)
    assert all(a is first for a in answers), answers
