"""Completion events as Server-Sent Events, for clients that want to wait for analysis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from mediaquery.api.deps import CtxDep
from mediaquery.api.filters import MAX_ID
from mediaquery.context import Context
from mediaquery.errors import BadRequest
from mediaquery.notify import events

router = APIRouter(prefix="/v1", tags=["events"])
HEARTBEAT_SECONDS = 15.0


def _read(ctx: Context, after: int | None) -> tuple[int, list[events.Event]]:
    with ctx.engine.connect() as conn:
        if after is None:
            return events.last_id(conn), []
        return after, events.since(conn, after)


async def _stream(
    ctx: Context, cursor: int, name: str | None, limit: int | None, timeout: float | None
) -> AsyncIterator[str]:
    started = last_beat = time.monotonic()
    sent = 0
    yield "retry: 2000\n\n"
    while timeout is None or time.monotonic() - started < timeout:
        cursor_before = cursor
        _, batch = await run_in_threadpool(_read, ctx, cursor)
        for event in batch:
            cursor = event.id
            if name is not None and event.media_name != name:
                continue
            yield f"id: {event.id}\nevent: {event.type}\ndata: {json.dumps(event.as_json())}\n\n"
            sent += 1
            if limit is not None and sent >= limit:
                return
        if cursor == cursor_before:
            if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                last_beat = time.monotonic()
                yield ": keep-alive\n\n"
            await asyncio.sleep(0.25)


def _event_id(header: str) -> int:
    """The id a `Last-Event-ID` header names (this stream sends only whole numbers)."""
    value = header.strip()
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        raise BadRequest(f"Last-Event-ID must be an event id (0 to {MAX_ID}), not {value[:40]!r}")
    return int(value)


@router.get("/events", response_class=StreamingResponse)
async def stream_events(
    ctx: CtxDep,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Replay events after this id")
    ] = None,
    name: Annotated[str | None, Query(description="Only events of this media")] = None,
    limit: Annotated[int | None, Query(ge=1, description="Close after this many events")] = None,
    timeout: Annotated[float | None, Query(gt=0, description="Close after this many s")] = None,
    last_event_id: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StreamingResponse:
    """Stream `media.done` and `media.failed` events (Server-Sent Events); resumable."""
    if after is None and last_event_id:
        after = _event_id(last_event_id)
    cursor, _ = await run_in_threadpool(_read, ctx, after)  # a failure here still answers JSON
    return StreamingResponse(
        _stream(ctx, cursor, name, limit, timeout),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
