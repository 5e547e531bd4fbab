"""Reconcile a remote bucket page by page, so an interrupted scan resumes where it stopped.

The listing comes in key order, so each page covers a key range: (end of the previous page,
last key of this page]. Indexed names in that range that the page lacks are remembered as
missing; they are removed only once a whole pass is complete, and only if the bucket confirms
they are gone. After each page the progress (the last key done, the missing names) is kept in
`service_state`, and the next run continues after it instead of starting over. Python compares
strings by code point, which is the UTF-8 byte order S3 lists keys in."""

from __future__ import annotations

import bisect
import logging
import threading
from collections import Counter
from collections.abc import Callable

from mediaquery.context import Context
from mediaquery.index import repo
from mediaquery.index.s3_state import drop_state, load_state, save_state
from mediaquery.ingest.events import log_skipped, object_changed, object_removed
from mediaquery.storage.base import StoredObject

log = logging.getLogger(__name__)

STATE_KEY = "reconcile:{}"
_running = threading.Lock()  # one scan per process; a second waits, then does its own


def reconcile_pages(
    ctx: Context,
    progress: Callable[[str], None] | None = None,
    *,
    page_size: int | None = None,
    max_pages: int | None = None,
) -> Counter[str]:
    """Heal new, changed and deleted objects; stop after `max_pages` pages (the rest later)."""
    storage = ctx.storage.pages()
    assert storage is not None  # reconcile() sends only paged buckets here
    key = STATE_KEY.format(ctx.storage.description)
    with _running:
        state = load_state(ctx.engine, key)
        after: str | None = state.get("after")
        missing: list[str] = list(state.get("missing", []))
        counts: Counter[str] = Counter()
        if state:
            counts["resumed"] = 1
            log.info("reconcile of %s resumes after %r", ctx.storage.description, after)
        with ctx.engine.connect() as conn:
            known = repo.all_media_versions(conn)
        names = sorted(known)
        skipped: list[str] = []
        for page in storage.list_pages(after, page_size or storage.page_size):
            seen = {o.name for o in page.objects}
            for stored in page.objects:
                counts[heal(ctx, known, stored, skipped)] += 1
                if progress:
                    progress(stored.name)
            upper = page.last_key if page.truncated else None  # the last page runs to the end
            missing += [n for n in _between(names, after, upper) if n not in seen]
            after = page.last_key or after
            counts["pages"] += 1
            if page.truncated:
                save_state(ctx.engine, key, {"after": after, "missing": missing})
                if max_pages is not None and counts["pages"] >= max_pages:
                    counts["interrupted"] = 1
                    log_skipped(ctx.storage.description, skipped)
                    return counts
        log_skipped(ctx.storage.description, skipped)
        for name in dict.fromkeys(missing):
            if ctx.storage.stat(name) is None:  # gone for sure, not just listed before it came
                counts[object_removed(ctx, name).action] += 1
        drop_state(ctx.engine, key)
    return counts


def heal(ctx: Context, known: dict[str, str], stored: StoredObject, skipped: list[str]) -> str:
    """Index an object unless the index has this version of it; returns what was done. The
    names of objects that are no media are added to `skipped`."""
    if known.get(stored.name) == stored.version:
        return "unchanged"
    action = object_changed(ctx, stored.name).action
    if action == "skipped":
        skipped.append(stored.name)
    return action


def _between(names: list[str], low: str | None, high: str | None) -> list[str]:
    """The sorted names n with low < n <= high (None: unbounded)."""
    start = 0 if low is None else bisect.bisect_right(names, low)
    end = len(names) if high is None else bisect.bisect_right(names, high)
    return names[start:end]
