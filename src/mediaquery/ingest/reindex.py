"""Re-run analyzers on media already indexed: after a model upgrade, or on demand."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from mediaquery.context import Context
from mediaquery.domain import MediaType
from mediaquery.errors import BadRequest
from mediaquery.index.db import write_tx
from mediaquery.index.query import MediaFilter, list_media
from mediaquery.index.tables import analyses
from mediaquery.queue import jobs
from mediaquery.queue.tasks import ANALYZE


@dataclass(frozen=True, slots=True)
class ReindexPlan:
    names: list[str]  # media that get a job
    considered: int  # media that matched the filter


def reindex(
    ctx: Context, f: MediaFilter, analyzers: list[str] | None = None, force: bool = False
) -> ReindexPlan:
    """Queue analysis of matching images whose analyzer versions differ from the installed ones.

    With `force`, every matching image is redone. Only the named (or all enabled) analyzers run;
    their old results are replaced when the new ones land."""
    enabled = {a.name: a.version for a in ctx.analyzers}
    wanted = analyzers or sorted(enabled)
    unknown = [a for a in wanted if a not in enabled]
    if unknown:
        raise BadRequest(
            f"Analyzer(s) not enabled: {', '.join(unknown)}; enabled: {', '.join(sorted(enabled))}"
        )
    f.type = str(MediaType.IMAGE)
    chosen: list[str] = []
    with write_tx(ctx.engine) as conn:
        rows = list_media(conn, f, label_min_confidence=101).items  # labels not needed
        for row in rows:
            if row.status not in ("done", "failed"):
                continue  # already queued or running with the current analyzers
            ran = dict(
                conn.execute(
                    select(analyses.c.analyzer, analyses.c.version).where(
                        analyses.c.media_id == row.id, analyses.c.etag == row.etag
                    )
                ).all()
            )
            stale = [a for a in wanted if force or ran.get(a) != enabled[a]]
            if stale:
                subset = None if set(stale) == set(enabled) else stale
                max_attempts = ctx.settings.queue.max_attempts
                if jobs.enqueue(conn, ANALYZE, row.name, row.etag, max_attempts, subset):
                    chosen.append(row.name)
    return ReindexPlan(chosen, len(rows))
