"""The durable job table: enqueue, claim with a lease, renew, finish, retry, requeue."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from mediaquery.domain import MediaType, Status
from mediaquery.index.db import write_tx
from mediaquery.index.tables import jobs, media

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    media_name: str
    etag: str
    attempts: int
    max_attempts: int
    analyzers: tuple[str, ...] | None = None  # None: every enabled analyzer
    params: dict[str, Any] | None = None


def _job(r: Row[Any], attempts: int) -> Job:
    analyzers = tuple(r.analyzers) if r.analyzers is not None else None
    return Job(r.id, r.kind, r.media_name, r.etag, attempts, r.max_attempts, analyzers, r.params)


def enqueue(
    conn: Connection,
    kind: str,
    media_name: str,
    etag: str,
    max_attempts: int,
    analyzers: list[str] | None = None,
    params: dict[str, Any] | None = None,
) -> bool:
    """Queue a job unless the same work is already queued; drop queued work for old content."""
    conn.execute(
        delete(jobs).where(
            jobs.c.media_name == media_name, jobs.c.state == QUEUED, jobs.c.etag != etag
        )
    )
    # Whole-item jobs are deduplicated; parameterised ones (video chunks) are planned once.
    same = None
    if params is None:
        same = conn.execute(
            select(jobs.c.id).where(
                jobs.c.media_name == media_name,
                jobs.c.kind == kind,
                jobs.c.etag == etag,
                jobs.c.state == QUEUED,
                jobs.c.params.is_(None),
            )
        ).first()
    if same:
        # a queued full analysis covers any subset; a subset grows into a full one
        if analyzers is not None:
            return False
        conn.execute(update(jobs).where(jobs.c.id == same.id).values(analyzers=None))
        return False
    now = time.time()
    conn.execute(
        insert(jobs).values(
            kind=kind,
            media_name=media_name,
            etag=etag,
            state=QUEUED,
            attempts=0,
            max_attempts=max_attempts,
            run_after=now,
            created_at=now,
            analyzers=sorted(analyzers) if analyzers is not None else None,
            params=params,
        )
    )
    return True


def cancel_for_media(conn: Connection, media_name: str) -> None:
    """Forget queued jobs of deleted media; a running one finds it gone and writes nothing."""
    conn.execute(delete(jobs).where(jobs.c.media_name == media_name, jobs.c.state == QUEUED))


def _runnable(now: float) -> ColumnElement[bool]:
    """Queued and due, or running with an expired lease."""
    return or_(
        and_(jobs.c.state == QUEUED, jobs.c.run_after <= now),
        and_(jobs.c.state == RUNNING, jobs.c.locked_until < now),
    )


def _take(worker: str, lease_seconds: float, now: float) -> dict[str, Any]:
    """The column values that mark a job as claimed by `worker`."""
    return {
        "state": RUNNING,
        "attempts": jobs.c.attempts + 1,
        "locked_by": worker,
        "locked_until": now + lease_seconds,
        "started_at": now,
        "error": None,
    }


def claim(engine: Engine, worker: str, lease_seconds: float, kinds: tuple[str, ...]) -> Job | None:
    """Take the oldest runnable job (queued and due, or running with an expired lease)."""
    taken = claim_many(engine, worker, lease_seconds, kinds, 1)
    return taken[0] if taken else None


def claim_many(
    engine: Engine,
    worker: str,
    lease_seconds: float,
    kinds: tuple[str, ...],
    limit: int,
    share: int = 1,
) -> list[Job]:
    """Take up to `limit` of the oldest runnable jobs, but no more than 1/`share` of them,
    so that a small burst is spread over every worker instead of batched into one."""
    now = time.time()
    runnable = and_(_runnable(now), jobs.c.kind.in_(kinds))
    # Rows are locked one by one (FOR UPDATE SKIP LOCKED) on PostgreSQL: no index-wide lock.
    with write_tx(engine, exclusive=False) as conn:
        if share > 1 and limit > 1:
            waiting = conn.execute(select(func.count()).select_from(jobs).where(runnable))
            limit = max(1, min(limit, -(-int(waiting.scalar_one()) // share)))
        q = select(jobs).where(runnable).order_by(jobs.c.id).limit(limit)
        if engine.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        rows = conn.execute(q).all()
        if not rows:
            return []
        taken = [r.id for r in rows]
        conn.execute(
            update(jobs).where(jobs.c.id.in_(taken)).values(_take(worker, lease_seconds, now))
        )
        return [_job(r, r.attempts + 1) for r in rows]


def claim_ids(engine: Engine, worker: str, lease_seconds: float, ids: list[int]) -> list[Job]:
    """Take exactly these jobs if they are still runnable (queued and due, or running with an
    expired lease). One guarded UPDATE: a duplicate message for a job that is done, deleted or
    held by a live worker claims nothing, on SQLite and PostgreSQL alike (where a concurrent
    UPDATE re-checks the condition on the row it waited for, so no index-wide lock is needed)."""
    if not ids:
        return []
    now = time.time()
    claimed = (
        update(jobs)
        .where(jobs.c.id.in_(ids), _runnable(now))
        .values(_take(worker, lease_seconds, now))
        .returning(*jobs.c)
    )
    with write_tx(engine, exclusive=False) as conn:
        rows = conn.execute(claimed).all()
    return [_job(r, r.attempts) for r in sorted(rows, key=lambda r: r.id)]


def renew(engine: Engine, job_ids: list[int], worker: str, lease_seconds: float) -> bool:
    """Extend running jobs' leases; False if another worker took any of them over."""
    with write_tx(engine, exclusive=False) as conn:
        res = conn.execute(
            update(jobs)
            .where(jobs.c.id.in_(job_ids), jobs.c.locked_by == worker, jobs.c.state == RUNNING)
            .values(locked_until=time.time() + lease_seconds)
        )
        return res.rowcount == len(job_ids)


def finish(conn: Connection, job_id: int) -> None:
    """Mark a job done."""
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id)
        .values(state=DONE, locked_by=None, locked_until=None, finished_at=time.time())
    )


def fail(conn: Connection, job: Job, error: str, retry_delay: float, retry: bool) -> bool:
    """Record a failure; requeue with exponential backoff while tries remain. True if final."""
    final = not retry or job.attempts >= job.max_attempts
    now = time.time()
    values: dict[str, object] = {"error": error, "locked_by": None, "locked_until": None}
    if final:
        values.update(state=FAILED, finished_at=now)
    else:
        values.update(state=QUEUED, run_after=now + retry_delay * 2 ** (job.attempts - 1))
    conn.execute(update(jobs).where(jobs.c.id == job.id).values(**values))
    return final


def running_owners(conn: Connection) -> list[tuple[int, str | None]]:
    """(job id, worker holding its lease) of every running job."""
    q = select(jobs.c.id, jobs.c.locked_by).where(jobs.c.state == RUNNING)
    return [(int(job_id), owner) for job_id, owner in conn.execute(q)]


def requeue(conn: Connection, job_ids: list[int]) -> None:
    """Put jobs back in the queue at once, without their lease (their worker is gone)."""
    conn.execute(
        update(jobs)
        .where(jobs.c.id.in_(job_ids))
        .values(state=QUEUED, locked_by=None, locked_until=None, run_after=time.time())
    )


def counts(conn: Connection) -> dict[str, int]:
    """Number of jobs in each state."""
    q = select(jobs.c.state, func.count()).group_by(jobs.c.state)
    return {state: n for state, n in conn.execute(q)}


def active_names(conn: Connection, media_names: list[str]) -> set[str]:
    """Those of the given media that still have a queued or running job."""
    found: set[str] = set()
    for i in range(0, len(media_names), 500):
        q = select(jobs.c.media_name).where(
            jobs.c.state.in_((QUEUED, RUNNING)), jobs.c.media_name.in_(media_names[i : i + 500])
        )
        found.update(conn.execute(q).scalars())
    return found


def active_params(conn: Connection, kind: str, media_name: str, etag: str) -> list[dict[str, Any]]:
    """The parameters of the queued or running jobs of a kind for this version of a media."""
    q = select(jobs.c.params).where(
        jobs.c.media_name == media_name,
        jobs.c.etag == etag,
        jobs.c.kind == kind,
        jobs.c.state.in_((QUEUED, RUNNING)),
    )
    return [p for p in conn.execute(q).scalars() if p]


def untried_ids(conn: Connection, kind: str, limit: int) -> list[int]:
    """The oldest due jobs of a kind that were never tried: safe to batch with another job,
    since none of them is known to take its worker down."""
    q = select(jobs.c.id).where(
        jobs.c.kind == kind,
        jobs.c.state == QUEUED,
        jobs.c.run_after <= time.time(),
        jobs.c.attempts == 0,
    )
    return list(conn.execute(q.order_by(jobs.c.id).limit(limit)).scalars())


def runnable_since(
    conn: Connection, last_id: int | None
) -> list[tuple[int, str, int, float | None]]:
    """(id, kind, attempts, locked_until) of runnable jobs, oldest first. With `last_id`, only
    queued jobs newer than it or tried before (retries, recovered orphans), and expired leases."""
    now = time.time()
    queued = and_(jobs.c.state == QUEUED, jobs.c.run_after <= now)
    if last_id is not None:
        queued = and_(queued, or_(jobs.c.id > last_id, jobs.c.attempts > 0))
    expired = and_(jobs.c.state == RUNNING, jobs.c.locked_until < now)
    q = select(jobs.c.id, jobs.c.kind, jobs.c.attempts, jobs.c.locked_until)
    rows = conn.execute(q.where(or_(queued, expired)).order_by(jobs.c.id))
    return [(int(i), str(k), int(a), locked) for i, k, a, locked in rows]


def lost_media(conn: Connection) -> list[tuple[str, str, MediaType]]:
    """(name, etag, type) of images and videos waiting for analysis with no queued or running
    job: their job was lost (a crash before it was written, an index restored from backup)."""
    active = select(jobs.c.media_name).where(jobs.c.state.in_((QUEUED, RUNNING)))
    q = select(media.c.name, media.c.etag, media.c.type).where(
        media.c.status.in_((str(Status.PENDING), str(Status.PROCESSING))),
        media.c.type.in_((str(MediaType.IMAGE), str(MediaType.VIDEO))),
        media.c.name.not_in(active),
    )
    return [(name, etag, MediaType(type_)) for name, etag, type_ in conn.execute(q)]
