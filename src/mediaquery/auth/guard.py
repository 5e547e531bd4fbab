"""The one check every API request passes: a FastAPI dependency set on the whole app.

Keys travel as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Where a browser cannot set
headers, two other carriers count, each only for reads and only where it is needed:
`?api_key=` on `GET /v1/events` (EventSource has no headers), and the `mq_api_key` cookie on
the bytes of media (`.../file`, `.../thumbnail`, `.../poster`: `<img>` and `<video>` have none).

Keys are read from the index at most every CACHE_SECONDS, so revoking a key takes effect
within that time (an open event stream ends then too); a key's `last_used_at` is written at
most every TOUCH_SECONDS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from mediaquery.auth.keys import ApiKey, Scope, list_keys, parse_token, touch_key
from mediaquery.auth.rules import CREATE_HINT, keys_required, required_scope
from mediaquery.config import Settings
from mediaquery.errors import Forbidden, TransientError, Unauthorized

log = logging.getLogger(__name__)

CACHE_SECONDS = 5.0
TOUCH_SECONDS = 60.0
COOKIE = "mq_api_key"
_MEDIA_BYTES = ("/file", "/thumbnail", "/poster")
_SEND = "send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`"

bearer = HTTPBearer(auto_error=False, description="An API key: `mq_<key_id>_<secret>`")
header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")


@dataclass(frozen=True, slots=True)
class Snapshot:
    keys: dict[str, ApiKey]
    any_active: bool


class KeyCache:
    """Every key (revoked ones too, to say so), re-read at most every `ttl` seconds.

    No lock is held while the index is read: one refresh runs at a time (single flight),
    and while it runs, callers use the previous keys unless those are over two `ttl`s old
    (then they wait for the refresh). A slow index therefore never queues requests behind
    a lock, and a revoked key is refused within `ttl` plus one read of the keys."""

    def __init__(self, engine: Engine, ttl: float = CACHE_SECONDS) -> None:
        self.engine, self.ttl = engine, ttl
        self._snapshot: Snapshot | None = None
        self._loaded_at = float("-inf")
        self._refresh: asyncio.Task[Snapshot] | None = None
        self._touched: dict[str, float] = {}

    def _age(self) -> float:
        return time.monotonic() - self._loaded_at

    def _read(self) -> Snapshot:
        try:
            with self.engine.connect() as conn:
                keys = {k.key_id: k for k in list_keys(conn)}
        except SQLAlchemyError as exc:
            raise TransientError(f"API keys cannot be read: {exc}") from exc
        return Snapshot(keys, any(k.active for k in keys.values()))

    async def _reload(self) -> Snapshot:
        started = time.monotonic()
        snap = await run_in_threadpool(self._read)
        if started >= self._loaded_at:  # never replace newer keys with older ones
            self._snapshot, self._loaded_at = snap, started
        return snap

    def _refreshing(self) -> asyncio.Task[Snapshot]:
        task = self._refresh
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            task = self._refresh = asyncio.ensure_future(self._reload())
            task.add_done_callback(_retrieve)  # a failed refresh is reported to its waiters
        return task

    async def snapshot(self) -> Snapshot:
        """The keys as of at most `ttl` seconds ago (2 `ttl` while a refresh is running)."""
        age = self._age()
        if self._snapshot is not None and age < self.ttl:
            return self._snapshot
        task = self._refreshing()
        if self._snapshot is not None and age < 2 * self.ttl:
            return self._snapshot
        return await asyncio.shield(task)

    async def touch(self, key: ApiKey) -> None:
        """Write `last_used_at` when the stored one is over TOUCH_SECONDS old."""
        now = time.time()
        if now - max(self._touched.get(key.key_id, 0.0), key.last_used_at or 0.0) < TOUCH_SECONDS:
            return
        self._touched[key.key_id] = now
        try:
            await run_in_threadpool(touch_key, self.engine, key.key_id, now)
        except SQLAlchemyError as exc:  # bookkeeping only: never refuse a request for it
            log.warning("could not record the use of API key %s: %s", key.key_id, exc)


def _retrieve(task: asyncio.Task[Snapshot]) -> None:
    if not task.cancelled():
        task.exception()


def still_allowed(snap: Snapshot, key: ApiKey, scope: Scope) -> bool:
    """True while `key` exists, is not revoked and has `scope` (for long-lived streams)."""
    current = snap.keys.get(key.key_id)
    return current is not None and current.active and current.allows(scope)


def presented_key(
    request: Request, auth: HTTPAuthorizationCredentials | None, x_api_key: str | None
) -> str | None:
    """The key a request carries, from the first carrier this request may use."""
    if auth is not None:
        return auth.credentials
    if x_api_key:
        return x_api_key
    path = request.url.path
    if request.method != "GET":
        return None
    if path == "/v1/events":
        return request.query_params.get("api_key")
    if path.startswith("/v1/media/") and path.endswith(_MEDIA_BYTES):
        return request.cookies.get(COOKIE)
    return None


def check_key(snap: Snapshot, token: str | None, scope: Scope, action: str) -> ApiKey:
    """The key that allows `action`, or the error that says why not."""
    if token is None:
        if not snap.any_active:
            raise Unauthorized(
                f"An API key is required, and no active one exists: on the server, run "
                f"`{CREATE_HINT}` (add --scope write or --scope admin as needed), then {_SEND}"
            )
        raise Unauthorized(f"An API key is required: {_SEND}")
    parsed = parse_token(token)
    key = snap.keys.get(parsed[0]) if parsed else None
    if parsed is None or key is None or not key.matches(parsed[1]):
        raise Unauthorized(f"Unknown API key: check it, or create one with `{CREATE_HINT}`")
    if not key.active:
        raise Unauthorized(f"API key {key.key_id} ({key.name}) was revoked")
    if not key.allows(scope):
        raise Forbidden(
            f"{action} needs scope {scope.value}; API key {key.key_id} ({key.name}) has "
            f"{', '.join(key.scopes)}"
        )
    return key


async def require_access(
    request: Request,
    auth: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    x_api_key: Annotated[str | None, Security(header)],
) -> None:
    """Let the request through, or raise 401 (no valid key) or 403 (scope missing)."""
    scope = required_scope(request.method, request.url.path)
    if scope is None:
        return
    cache: KeyCache = request.app.state.key_cache
    snap = await cache.snapshot()
    settings: Settings = request.app.state.ctx.settings
    if not keys_required(settings, bool(snap.keys)):
        return
    action = f"{request.method} {request.url.path}"
    key = check_key(snap, presented_key(request, auth, x_api_key), scope, action)
    request.state.api_key = key
    await cache.touch(key)
