"""Liveness and Prometheus metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import BaseRoute, Match, Mount

from mediaquery.context import Context
from mediaquery.errors import TransientError
from mediaquery.index import jobs
from mediaquery.index.db import ping
from mediaquery.index.query import status_counts

router = APIRouter(tags=["health"])


class IndexProbe:
    """Whether the index answered lately: checked at most every `every` seconds, by one
    request at a time, in a thread of its own, so /healthz never waits behind the requests
    that use the index (api/admission.py) nor for a busy thread pool."""

    def __init__(self, engine: Engine, every: float = 2.0) -> None:
        self.engine, self.every = engine, every
        self._ok_at = float("-inf")
        self._limiter = anyio.CapacityLimiter(1)

    def _select_1(self) -> None:
        if time.monotonic() - self._ok_at < self.every:
            return  # another request checked while this one waited for the limiter
        ping(self.engine)
        self._ok_at = time.monotonic()

    async def check(self) -> None:
        """Raise TransientError (503) when the index does not answer."""
        if time.monotonic() - self._ok_at < self.every:
            return
        try:
            await anyio.to_thread.run_sync(self._select_1, limiter=self._limiter)
        except SQLAlchemyError as exc:
            raise TransientError(f"The index does not answer: {exc}") from exc


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, str]:
    """Liveness: the process answers and the index answered within the last 2 s."""
    await request.app.state.index_probe.check()
    return {"status": "ok"}


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus metrics: queue depth, media per status, HTTP requests."""
    registry: CollectorRegistry = request.app.state.metrics
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def route_label(matched: Any, scope: dict[str, Any], routes: Sequence[BaseRoute]) -> str:
    """The route template a request matched, for metrics: `/v1/media/{name:name}`,
    `/openapi.json`, `/static/{path}`; `unmatched` when none did. FastAPI's routes leave
    themselves in the scope (`matched`); plain Starlette routes and mounts (the OpenAPI
    document, static files) are matched again against `scope` as it was before routing."""
    if matched is not None and hasattr(matched, "path"):
        return str(matched.path)
    for route in routes:
        if route.matches(scope)[0] is Match.FULL:
            path = str(getattr(route, "path", "unmatched"))
            return f"{path}/{{path}}" if isinstance(route, Mount) else path
    return "unmatched"


class IndexCollector(Collector):
    """Reads queue and media counts from the index at scrape time (workers are other processes)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        with self.ctx.engine.connect() as conn:
            job_counts = jobs.counts(conn)
            media_counts = status_counts(conn)
        g = GaugeMetricFamily("mediaquery_jobs", "Jobs in the queue by state", labels=["state"])
        for state in (jobs.QUEUED, jobs.RUNNING, jobs.DONE, jobs.FAILED):
            g.add_metric([state], job_counts.get(state, 0))
        yield g
        m = GaugeMetricFamily("mediaquery_media", "Indexed media by status", labels=["status"])
        for st in ("pending", "processing", "done", "failed"):
            m.add_metric([st], media_counts.get(st, 0))
        yield m
