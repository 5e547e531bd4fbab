"""Watch the bucket folder and feed its changes to ingest (watchfiles underneath)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from watchfiles import Change, watch

from mediaquery.context import Context
from mediaquery.errors import InvalidName
from mediaquery.index.scans import names_under
from mediaquery.ingest.events import object_changed, object_removed
from mediaquery.names import validate_name
from mediaquery.storage.base import WatchedFolder

log = logging.getLogger(__name__)


def handle_change(ctx: Context, change: Change, path: Path) -> None:
    """Apply one file-system change to the index."""
    folder = ctx.storage.folder()
    assert folder is not None  # only local folders are watched
    name = _name_of(folder, path)
    if name is None:
        return
    if change != Change.deleted and path.is_dir():
        for sub in sorted(p for p in path.rglob("*") if p.is_file()):
            handle_change(ctx, Change.added, sub)
        return
    if change == Change.deleted or not path.exists():
        result = object_removed(ctx, name)
        if result.action == "missing":
            _remove_folder(ctx, name)  # a whole folder moved out or deleted at once
        return
    result = object_changed(ctx, name)
    if result.action == "skipped":
        log.info("skipped %s: %s (not indexed)", name, result.reason)


def _name_of(storage: WatchedFolder, path: Path) -> str | None:
    """The media name of a changed path; anything that cannot be one is said in the log."""
    rel = storage.relative(path)
    if rel is None:
        log.warning(
            "ignored a change to %s: it is not inside the bucket folder %s", path, storage.root
        )
        return None
    try:
        return validate_name(rel)
    except InvalidName as exc:
        if any(part.startswith(".") for part in rel.split("/")):
            log.debug("ignored %s: hidden files and folders are no media", rel)
        else:
            log.warning("ignored a change to %s: not a valid media name (%s)", rel, exc.message)
        return None


def _remove_folder(ctx: Context, folder: str) -> None:
    with ctx.engine.connect() as conn:
        names = names_under(conn, folder)
    for name in names:
        object_removed(ctx, name)


def watch_bucket(ctx: Context, stop: threading.Event) -> None:
    """Block, applying bucket changes until `stop` is set (local folders only)."""
    folder = ctx.storage.folder()
    if folder is None:
        log.info(
            "not watching %s: the watcher is for local folders; a bucket sends its "
            "changes to POST /v1/events/s3 instead",
            ctx.storage.description,
        )
        return
    root = folder.root
    log.info("watching %s", root)
    for changes in watch(root, stop_event=stop, debounce=400, step=50, recursive=True):
        for change, raw in sorted(changes, key=lambda c: c[1]):
            try:
                handle_change(ctx, change, Path(raw))
            except Exception:  # noqa: BLE001 - one bad file must not stop the watcher
                log.exception("could not handle %s of %s", change.name, raw)
