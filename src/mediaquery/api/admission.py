"""Admission: how many requests use the index at once, and a fast 503 for the rest.

Synchronous routes run in AnyIO's thread pool and take a connection from the index's pool.
When threads outnumber connections, a burst of readers fills every thread with requests
waiting for a connection while the requests that hold one wait for a thread to go on: the
server stalls until the pool's timeout and then fails. So requests that use the index pass a
gate first, in the event loop where waiting costs no thread and no connection: `db_slots` of
them at a time, the connection pool holds those slots plus a reserve (key cache, /healthz,
the watcher and reconcile threads), and the thread pool has room for all of them and for the
work that needs no connection (file reads). A request that finds no slot within
`queue_seconds` is answered 503 with `Retry-After` at once instead of queueing without end.
/healthz, the web page, the docs and event streams do not pass the gate (an event stream
takes a slot for each poll of the index); the routes that send bytes (files, thumbnails) give
their slot back once they have looked the item up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediaquery.api.error_render import error_response
from mediaquery.config import ApiSettings
from mediaquery.errors import Overloaded
from mediaquery.index.db import PoolLimits

# Connections beyond the slots, for what does not pass the gate: the key cache's refresh,
# /healthz, and the server's own threads (watcher, reconcile, webhooks, relay).
RESERVE = 6
POOL_TIMEOUT = 5.0  # only the ungated users can ever wait for a connection; never for long
SPARE_THREADS = 32  # file reads, /healthz, key refreshes, thumbnails: no connection held
WAITERS_PER_SLOT = 16  # more waiters than this could not get a slot in time: refuse at once
UNGATED = ("/v1/events", "/v1/events/")
RELEASE = "mediaquery.release_slot"  # scope key: gives the request's slot back early


def pool_limits(api: ApiSettings) -> PoolLimits:
    """The API server's connection pool: a connection for every slot, plus a reserve."""
    return PoolLimits(size=api.db_slots + RESERVE, overflow=RESERVE, timeout=POOL_TIMEOUT)


def gated(path: str) -> bool:
    """True for the routes that read or write the index for the whole request."""
    if path in UNGATED:
        return False
    return path.startswith(("/api/", "/v1/")) or path == "/metrics"


class Gate:
    """At most `db_slots` requests at a time; a waiter gives up after `queue_seconds`."""

    def __init__(self, api: ApiSettings) -> None:
        self.slots, self.wait = api.db_slots, api.queue_seconds
        self.max_waiting = api.db_slots * WAITERS_PER_SLOT
        self.refused = 0  # requests answered 503 at the gate (a metric)
        self._waiting = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sem = asyncio.Semaphore(self.slots)

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # one server loop; tests start a loop per client
            self._loop, self._sem = loop, asyncio.Semaphore(self.slots)
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = max(limiter.total_tokens, self.slots + SPARE_THREADS)
        return self._sem

    async def acquire(self) -> None:
        """Take a slot, or raise Overloaded when none frees up in time."""
        sem = self._semaphore()
        if not sem.locked():
            await sem.acquire()
            return
        busy = Overloaded(
            f"The server is busy: {self.slots} requests are using the index and more are "
            "waiting. Try again in a moment."
        )
        if self._waiting >= self.max_waiting:
            raise busy
        self._waiting += 1
        try:
            await asyncio.wait_for(sem.acquire(), self.wait)
        except TimeoutError:
            raise busy from None
        finally:
            self._waiting -= 1

    def release(self) -> None:
        """Give the slot back."""
        self._sem.release()


def overloaded_response(request: Request, exc: Overloaded) -> JSONResponse:
    """503 in the error shape of the path, with Retry-After."""
    return error_response(request.url.path, exc.status, exc.code, exc.message, exc.headers)


class AdmissionMiddleware:
    """Holds a slot from before routing until the response starts (or the request fails)."""

    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app, self.gate = app, gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not gated(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            await self.gate.acquire()
        except Overloaded as exc:
            self.gate.refused += 1
            await overloaded_response(Request(scope), exc)(scope, receive, send)
            return
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self.gate.release()

        async def send_and_release(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()  # a slow reader of the body holds no slot
            await send(message)

        scope[RELEASE] = release
        try:
            await self.app(scope, receive, send_and_release)
        finally:
            release()


def release_slot(request: Request) -> None:
    """Done with the index for this request: let the next one in (before sending a file or
    making a thumbnail, which may take a while and need no connection)."""
    release = request.scope.get(RELEASE)
    if release is not None:
        release()


async def on_pool_timeout(request: Request, exc: Exception) -> JSONResponse:
    """No connection within the pool's timeout: the same fast 503 as a full gate."""
    return overloaded_response(request, Overloaded(f"The index is busy ({exc}); try again."))


class GateCollector(Collector):
    """The gate's refusals, for /metrics (they never reach the request metrics' middleware)."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "mediaquery_http_refused", "Requests answered 503 at the gate", self.gate.refused
        )


def install_admission(app: FastAPI, api: ApiSettings) -> None:
    """Put the gate in front of everything else (refusing costs least there)."""
    app.state.gate = Gate(api)
    app.add_middleware(AdmissionMiddleware, gate=app.state.gate)
    app.add_exception_handler(PoolTimeout, on_pool_timeout)
    registry: CollectorRegistry | None = getattr(app.state, "metrics", None)
    if registry is not None:
        registry.register(GateCollector(app.state.gate))
