"""Queue state and maintenance: job counts, reconcile on demand."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from mediaquery.api.deps import ConnDep, CtxDep
from mediaquery.api.schemas import JobCounts, ReconcileResult, ReindexRequest, ReindexResult
from mediaquery.index import jobs
from mediaquery.index.query import MediaFilter, status_counts
from mediaquery.ingest.reconcile import reconcile
from mediaquery.ingest.reindex import reindex

router = APIRouter(prefix="/v1", tags=["jobs"])


@router.get("/jobs", response_model=JobCounts)
def job_counts(conn: ConnDep, request: Request) -> JobCounts:
    """How many jobs are queued, running, done and failed, and media per status."""
    pool = getattr(request.app.state, "pool", None)
    return JobCounts(
        jobs=jobs.counts(conn), media=status_counts(conn), workers_alive=pool.alive if pool else 0
    )


@router.post("/reindex", response_model=ReindexResult)
async def run_reindex(ctx: CtxDep, body: ReindexRequest) -> ReindexResult:
    """Re-run analyzers on indexed images whose analyzer versions changed (or all, with force)."""
    f = MediaFilter(
        prefix=body.prefix,
        labels=body.label,
        status=body.status,
        min_confidence=ctx.settings.labels.default_min_confidence,
    )
    plan = await run_in_threadpool(reindex, ctx, f, body.analyzers, body.force)
    return ReindexResult(queued=len(plan.names), considered=plan.considered)


@router.post("/reconcile", response_model=ReconcileResult)
async def run_reconcile(ctx: CtxDep) -> ReconcileResult:
    """Scan the bucket now and heal differences with the index."""
    return ReconcileResult(counts=dict(await run_in_threadpool(reconcile, ctx)))
