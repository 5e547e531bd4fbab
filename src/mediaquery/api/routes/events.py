"""Completion events as Server-Sent Events, for clients that want to wait for analysis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from mediaquery.api.admission import Gate
from mediaquery.api.deps import CtxDep
from mediaquery.api.filters import MAX_ID
from mediaquery.auth.guard import KeyCache, still_allowed
from mediaquery.auth.keys import ApiKey, Scope
from mediaquery.context import Context
from mediaquery.errors import BadRequest, MediaQueryError, Overloaded
from mediaquery.index import events

router = APIRouter(prefix="/v1", tags=["events"])
HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 0.25

Allowed = Callable[[], Awaitable[bool]]


def _read(ctx: Context, after: int | None) -> tuple[int, list[events.Event]]:
    with ctx.engine.connect() as conn:
        if after is None:
            return events.last_id(conn), []
        return after, events.since(conn, after)


async def _poll(gate: Gate, ctx: Context, after: int | None) -> tuple[int, list[events.Event]]:
    """Read the index through the gate; a busy server just delays the next events."""
    while True:
        try:
            await gate.acquire()
        except Overloaded:
            await asyncio.sleep(POLL_SECONDS)
            continue
        try:
            return await run_in_threadpool(_read, ctx, after)
        finally:
            gate.release()


async def _stream(
    ctx: Context,
    gate: Gate,
    allowed: Allowed,
    cursor: int,
    name: str | None,
    limit: int | None,
    timeout: float | None,
) -> AsyncIterator[str]:
    started = last_beat = time.monotonic()
    sent = 0
    yield "retry: 2000\n\n"
    while timeout is None or time.monotonic() - started < timeout:
        if not await allowed():  # the key was revoked while the stream was open
            return
        cursor_before = cursor
        _, batch = await _poll(gate, ctx, cursor)
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
            await asyncio.sleep(POLL_SECONDS)


def _key_checker(request: Request) -> Allowed:
    """While the stream is open, is the key that opened it still good (None: no key used)?"""
    key: ApiKey | None = getattr(request.state, "api_key", None)
    cache: KeyCache = request.app.state.key_cache

    async def allowed() -> bool:
        if key is None:
            return True
        try:
            return still_allowed(await cache.snapshot(), key, Scope.read)
        except MediaQueryError:  # the keys cannot be read: end the stream (fail closed)
            return False

    return allowed


def _event_id(header: str) -> int:
    """The id a `Last-Event-ID` header names (this stream sends only whole numbers)."""
    value = header.strip()
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        raise BadRequest(f"Last-Event-ID must be an event id (0 to {MAX_ID}), not {value[:40]!r}")
    return int(value)


@router.get("/events", response_class=StreamingResponse)
async def stream_events(
    ctx: CtxDep,
    request: Request,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Replay events after this id")
    ] = None,
    name: Annotated[str | None, Query(description="Only events of this media")] = None,
    limit: Annotated[int | None, Query(ge=1, description="Close after this many events")] = None,
    timeout: Annotated[float | None, Query(gt=0, description="Close after this many s")] = None,
    last_event_id: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StreamingResponse:
    """Stream `media.done` and `media.failed` events (Server-Sent Events); resumable. The
    stream ends when the API key that opened it is revoked (within the key cache's 5 s)."""
    if after is None and last_event_id:
        after = _event_id(last_event_id)
    gate = request.app.state.gate
    cursor, _ = await _poll(gate, ctx, after)  # a failure here still answers JSON
    return StreamingResponse(
        _stream(ctx, gate, _key_checker(request), cursor, name, limit, timeout),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
