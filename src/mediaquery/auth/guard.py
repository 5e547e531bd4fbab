"""The one check every API request passes: a FastAPI dependency set on the whole app.

Keys travel as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Where a browser cannot set
headers, two other carriers count, each only for reads and only where it is needed:
`?api_key=` on `GET /v1/events` (EventSource has no headers), and the `mq_api_key` cookie on
the bytes of media (`.../file`, `.../thumbnail`, `.../poster`: `<img>` and `<video>` have none).

Keys are read from the index at most every CACHE_SECONDS, so revoking a key takes effect
within that time; a key's `last_used_at` is written at most every TOUCH_SECONDS.
"""

from __future__ import annotations

import logging
import threading
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
    """Every key (revoked ones too, to say so), re-read at most every `ttl` seconds."""

    def __init__(self, engine: Engine, ttl: float = CACHE_SECONDS) -> None:
        self.engine, self.ttl = engine, ttl
        self._snapshot = Snapshot({}, False)
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()
        self._touched: dict[str, float] = {}

    def _fresh(self) -> bool:
        return time.monotonic() - self._loaded_at < self.ttl

    def _load(self) -> Snapshot:
        with self._lock:  # one reader at a time; the others then find it fresh
            if not self._fresh():
                try:
                    with self.engine.connect() as conn:
                        keys = {k.key_id: k for k in list_keys(conn)}
                except SQLAlchemyError as exc:
                    raise TransientError(f"API keys cannot be read: {exc}") from exc
                self._snapshot = Snapshot(keys, any(k.active for k in keys.values()))
                self._loaded_at = time.monotonic()
            return self._snapshot

    async def snapshot(self) -> Snapshot:
        """The keys as of at most `ttl` seconds ago."""
        if self._fresh():
            return self._snapshot
        return await run_in_threadpool(self._load)

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
