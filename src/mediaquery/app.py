"""The application factory: API, background watcher, reconcile and the embedded worker pool."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException

import mediaquery.web.routes
from mediaquery import __version__
from mediaquery.api.admission import install_admission, pool_limits
from mediaquery.api.docs import mount_docs
from mediaquery.api.routes import events, files, health, jobs, labels, media, s3events, seed, video
from mediaquery.api.routes import models as models_routes
from mediaquery.api.routes import search as search_routes
from mediaquery.auth.guard import KeyCache, require_access
from mediaquery.config import Settings
from mediaquery.context import Context, open_context
from mediaquery.errors import MediaQueryError
from mediaquery.ingest.reconcile import reconcile
from mediaquery.ingest.watcher import watch_bucket
from mediaquery.models.startup import start_auto_pull
from mediaquery.notify.webhooks import WebhookSender
from mediaquery.queue.jobs import recover_orphans
from mediaquery.queue.local import WorkerPool
from mediaquery.queue.relay import start_relay

log = logging.getLogger(__name__)


def error_body(request: Request, code: str, message: str) -> dict[str, object]:
    """The sample's error shape under /api/, ours elsewhere."""
    if request.url.path.startswith("/api/"):
        return {"Code": code, "Message": message}
    return {"code": code, "message": message}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MediaQueryError)
    async def on_error(request: Request, exc: MediaQueryError) -> JSONResponse:
        body = error_body(request, exc.code, exc.message)
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}"
            for e in exc.errors()
        )
        body = error_body(request, "ValidationError", f"Invalid request: {problems}")
        return JSONResponse(body, status_code=400 if request.url.path.startswith("/api/") else 422)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "NotFoundError" if exc.status_code == 404 else f"HTTP{exc.status_code}"
        return JSONResponse(error_body(request, code, str(exc.detail)), status_code=exc.status_code)


def _install_metrics(app: FastAPI, ctx: Context) -> None:
    registry = CollectorRegistry()
    requests = Counter(
        "mediaquery_http_requests",
        "HTTP requests",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "mediaquery_http_request_seconds", "HTTP request latency", ["route"], registry=registry
    )
    registry.register(health.IndexCollector(ctx))
    app.state.metrics = registry

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        t0 = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        requests.labels(request.method, route, str(response.status_code)).inc()
        latency.labels(route).observe(time.perf_counter() - t0)
        return response


def _start_background(app: FastAPI, ctx: Context, stop: threading.Event) -> list[threading.Thread]:
    s = ctx.settings
    recovered = recover_orphans(ctx.engine)
    if recovered:
        log.info("requeued %d jobs left running by a stopped worker", recovered)
    threads = []
    if s.reconcile_on_start:
        threads.append(threading.Thread(target=reconcile, args=(ctx,), name="reconcile"))
    if s.watch:
        threads.append(threading.Thread(target=watch_bucket, args=(ctx, stop), name="watcher"))
    for hook in s.webhooks:
        sender = WebhookSender(ctx.engine, hook)
        threads.append(threading.Thread(target=sender.run, args=(stop,), name="webhook"))
    for t in threads:
        t.daemon = True
        t.start()
    start_auto_pull(ctx)  # only with models.auto_pull: nothing is downloaded implicitly
    if s.broker_url:  # `mediaquery worker` processes run the jobs: only publish them
        threads.append(start_relay(ctx, stop))
    elif s.queue.workers > 0:
        app.state.pool = WorkerPool(s, on_worker_death=lambda: recover_orphans(ctx.engine))
        app.state.pool.start()
    return threads


def create_app(settings: Settings, *, background: bool = True) -> FastAPI:
    """Build the app; background=False skips watcher, reconcile and workers (tests drive them)."""
    ctx = open_context(settings, pool=pool_limits(settings.api))
    stop = threading.Event()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threads = _start_background(app, ctx, stop) if background else []
        yield
        stop.set()
        pool = getattr(app.state, "pool", None)
        if pool is not None:
            pool.stop()
        for t in threads:
            t.join(5)
        ctx.close()

    app = FastAPI(
        title="mediaquery",
        version=__version__,
        description="Analyse images and videos dropped in a bucket; query what was found.",
        lifespan=lifespan,
        docs_url=None,  # served by mount_docs from local files
        redoc_url=None,  # ReDoc only comes from a CDN
        dependencies=[Depends(require_access)],  # API keys: one check for every route
    )
    app.state.ctx = ctx
    app.state.key_cache = KeyCache(ctx.engine)
    app.state.index_probe = health.IndexProbe(ctx.engine)
    app.state.pool = None
    _install_error_handlers(app)
    _install_metrics(app, ctx)
    install_admission(app, settings.api)  # outermost: refusing a request costs the least
    mount_docs(app)
    for module in (seed, video, files, media, labels, jobs, s3events, events, health):
        app.include_router(module.router)
    app.include_router(models_routes.router)
    app.include_router(search_routes.router)
    mediaquery.web.routes.mount(app)
    return app
