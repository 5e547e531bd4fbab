"""Re-run analyzers on media already indexed: after a model upgrade, or on demand."""

from __future__ import annotations

from dataclasses import dataclass

from mediaquery import metadata
from mediaquery.context import Context
from mediaquery.domain import MediaType
from mediaquery.errors import BadRequest
from mediaquery.index import chunks, jobs, scans
from mediaquery.index.db import write_tx
from mediaquery.index.query import MediaFilter, list_media
from mediaquery.queue.kinds import for_media


@dataclass(frozen=True, slots=True)
class ReindexPlan:
    names: list[str]  # media that get a job
    considered: int  # media that matched the filter


def reindex(
    ctx: Context, f: MediaFilter, analyzers: list[str] | None = None, force: bool = False
) -> ReindexPlan:
    """Queue analysis of matching media whose analyzer versions differ from the installed ones.

    With `force`, every matching item is redone. For images only the named (or all enabled)
    analyzers run; a video is analysed again as a whole. Old results are replaced when the new
    ones land. Media whose metadata the current extractor has not read are queued too (only
    the extractor runs on an image whose analyzers are current)."""
    enabled = {a.name: a.version for a in ctx.analyzers}
    wanted = analyzers or sorted(enabled)
    unknown = [a for a in wanted if a not in enabled]
    if unknown:
        raise BadRequest(
            f"Analyzer(s) not enabled: {', '.join(unknown)}; enabled: {', '.join(sorted(enabled))}"
        )
    if f.type not in (None, str(MediaType.IMAGE), str(MediaType.VIDEO)):
        raise BadRequest("Only images and videos can be analysed again")
    chosen: list[str] = []
    with write_tx(ctx.engine) as conn:
        rows = list_media(conn, f, label_min_confidence=101).items  # labels not needed
        for row in rows:
            if row.status not in ("done", "failed"):
                continue  # already queued or running with the current analyzers
            ran = scans.ran_versions(conn, row.id, row.etag)
            stale = [a for a in wanted if force or ran.get(a) != enabled[a]]
            # the metadata extractor runs with every analysis: refresh what it has not read
            unread = analyzers is None and ran.get(metadata.NAME) != metadata.VERSION
            if not (stale or unread) or row.type not in (MediaType.IMAGE, MediaType.VIDEO):
                continue
            max_attempts = ctx.settings.queue.max_attempts
            if row.type == MediaType.VIDEO:
                # chunks are checkpoints of the old analysis: start the video over
                chunks.restart(conn, row.id)
                subset = None  # a video is analysed again as a whole
            else:
                subset = None if set(stale) == set(enabled) else stale
            kind = for_media(row.type)
            queued = jobs.enqueue(conn, kind, row.name, row.etag, max_attempts, subset)
            if queued:
                chosen.append(row.name)
    return ReindexPlan(chosen, len(rows))
