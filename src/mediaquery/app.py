"""The application factory: API, background watcher, reconcile and the embedded worker pool."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram

import mediaquery.web.routes
from mediaquery import __version__
from mediaquery.analyzers.registry import required_models
from mediaquery.api.admission import install_admission, pool_limits
from mediaquery.api.docs import mount_docs
from mediaquery.api.error_render import install_error_handlers
from mediaquery.api.request_checks import check_request
from mediaquery.api.routes import events, files, health, jobs, labels, media, s3events, seed, video
from mediaquery.api.routes import facets as facets_routes
from mediaquery.api.routes import models as models_routes
from mediaquery.api.routes import people as people_routes
from mediaquery.api.routes import search as search_routes
from mediaquery.auth.guard import KeyCache, require_access
from mediaquery.auth.host_origin import HostOriginGuard
from mediaquery.config import Settings
from mediaquery.context import Context, open_context
from mediaquery.ingest.reconcile import reconcile
from mediaquery.ingest.watcher import watch_bucket
from mediaquery.models.auto_pull import start_auto_pull
from mediaquery.notify.webhooks import WebhookSender
from mediaquery.queue.local import WorkerPool
from mediaquery.queue.orphans import recover_orphans
from mediaquery.queue.relay import start_relay

log = logging.getLogger(__name__)


def _install_host_origin_guard(app: FastAPI, settings: Settings) -> None:
    """Refuse what a web page on another site could make a browser send (see host_origin)."""
    app.add_middleware(HostOriginGuard, settings=settings)


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
        before_routing = dict(request.scope)
        response = await call_next(request)
        matched = request.scope.get("route")
        route = health.route_label(matched, before_routing, app.router.routes)
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
    # only with models.auto_pull: nothing is downloaded implicitly
    start_auto_pull(ctx.settings, required_models(ctx.analyzers))
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
        # API keys, then a valid path and known query parameters: checks for every route
        dependencies=[Depends(require_access), Depends(check_request)],
    )
    app.state.ctx = ctx
    app.state.key_cache = KeyCache(ctx.engine)
    app.state.index_probe = health.IndexProbe(ctx.engine)
    app.state.pool = None
    install_error_handlers(app)
    _install_host_origin_guard(app, settings)  # outside the error handlers, inside metrics
    _install_metrics(app, ctx)
    install_admission(app, settings.api)  # outermost: refusing a request costs the least
    mount_docs(app)
    for module in (seed, video, files, media, labels, jobs, s3events, events, health):
        app.include_router(module.router)
    app.include_router(models_routes.router)
    app.include_router(facets_routes.router)
    app.include_router(search_routes.router)
    app.include_router(people_routes.router)
    mediaquery.web.routes.mount(app)
    return app
