"""Queue state and maintenance: job counts, reconcile on demand."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from mediaquery.api.deps import ConnDep, CtxDep
from mediaquery.api.schemas import JobCounts, ReconcileResult
from mediaquery.index.query import status_counts
from mediaquery.ingest.reconcile import reconcile
from mediaquery.queue import jobs

router = APIRouter(prefix="/v1", tags=["jobs"])


@router.get("/jobs", response_model=JobCounts)
def job_counts(conn: ConnDep, request: Request) -> JobCounts:
    """How many jobs are queued, running, done and failed, and media per status."""
    pool = getattr(request.app.state, "pool", None)
    return JobCounts(
        jobs=jobs.counts(conn), media=status_counts(conn), workers_alive=pool.alive if pool else 0
    )


@router.post("/reconcile", response_model=ReconcileResult)
async def run_reconcile(ctx: CtxDep) -> ReconcileResult:
    """Scan the bucket now and heal differences with the index."""
    return ReconcileResult(counts=dict(await run_in_threadpool(reconcile, ctx)))
