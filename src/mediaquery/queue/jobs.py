"""The durable job table: enqueue, claim with a lease, renew, finish, retry, recover."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update

from mediaquery.index.db import write_tx
from mediaquery.index.tables import jobs

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


def worker_id(index: int = 0) -> str:
    """Identifies a worker: host, process and slot, so orphaned leases can be recognised."""
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


def enqueue(
    conn: Connection,
    kind: str,
    media_name: str,
    etag: str,
    max_attempts: int,
    analyzers: list[str] | None = None,
) -> bool:
    """Queue a job unless the same work is already queued; drop queued work for old content."""
    conn.execute(
        delete(jobs).where(
            jobs.c.media_name == media_name, jobs.c.state == QUEUED, jobs.c.etag != etag
        )
    )
    same = conn.execute(
        select(jobs.c.id).where(
            jobs.c.media_name == media_name,
            jobs.c.kind == kind,
            jobs.c.etag == etag,
            jobs.c.state == QUEUED,
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
            kind=kind, media_name=media_name, etag=etag, state=QUEUED, attempts=0,
            max_attempts=max_attempts, run_after=now, created_at=now,
            analyzers=sorted(analyzers) if analyzers is not None else None,
        )
    )  # fmt: skip
    return True


def cancel_for_media(conn: Connection, media_name: str) -> None:
    """Forget queued jobs of deleted media; a running one finds it gone and writes nothing."""
    conn.execute(delete(jobs).where(jobs.c.media_name == media_name, jobs.c.state == QUEUED))


def claim(engine: Engine, worker: str, lease_seconds: float, kinds: tuple[str, ...]) -> Job | None:
    """Take the oldest runnable job (queued and due, or running with an expired lease)."""
    now = time.time()
    with write_tx(engine) as conn:
        runnable = or_(
            and_(jobs.c.state == QUEUED, jobs.c.run_after <= now),
            and_(jobs.c.state == RUNNING, jobs.c.locked_until < now),
        )
        q = select(jobs).where(runnable, jobs.c.kind.in_(kinds)).order_by(jobs.c.id).limit(1)
        if engine.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        row = conn.execute(q).first()
        if row is None:
            return None
        conn.execute(
            update(jobs)
            .where(jobs.c.id == row.id)
            .values(state=RUNNING, attempts=row.attempts + 1, locked_by=worker,
                    locked_until=now + lease_seconds, started_at=now, error=None)
        )  # fmt: skip
        subset = tuple(row.analyzers) if row.analyzers is not None else None
        return Job(row.id, row.kind, row.media_name, row.etag, row.attempts + 1,
                   row.max_attempts, subset)  # fmt: skip


def renew(engine: Engine, job_id: int, worker: str, lease_seconds: float) -> bool:
    """Extend a running job's lease; False if another worker took it over."""
    with write_tx(engine) as conn:
        res = conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.locked_by == worker, jobs.c.state == RUNNING)
            .values(locked_until=time.time() + lease_seconds)
        )
        return bool(res.rowcount)


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


def recover_orphans(engine: Engine) -> int:
    """Requeue running jobs whose worker process on this host is dead (after kill -9)."""
    host = socket.gethostname()
    with write_tx(engine) as conn:
        rows = conn.execute(select(jobs.c.id, jobs.c.locked_by).where(jobs.c.state == RUNNING))
        dead = [jid for jid, owner in rows if _owner_is_dead(owner, host)]
        if dead:
            conn.execute(
                update(jobs)
                .where(jobs.c.id.in_(dead))
                .values(state=QUEUED, locked_by=None, locked_until=None, run_after=time.time())
            )
        return len(dead)


def _owner_is_dead(owner: str | None, host: str) -> bool:
    if not owner:
        return True
    parts = owner.split(":")
    if len(parts) < 3 or parts[0] != host or not parts[1].isdigit():
        return False  # another machine's worker: its lease expiry decides
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


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
