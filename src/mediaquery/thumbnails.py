"""Thumbnails and video posters: made once per content (etag), cached in the data folder.

The analysis worker writes an image's thumbnail while it holds the decoded pixels anyway
(`save_decoded`). When one is missing (an item not analysed yet, a cleared cache), the API
makes it at most once per content at a time (other requests for it wait for that one):
JPEGs decode at a reduced scale, other images shrink before any colour conversion, and an
image too large to decode cheaply (more than INLINE_PIXELS) is decoded by a child process,
one at a time, so a large PNG never costs the API process its size in memory.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from mediaquery.config import Settings
from mediaquery.context import Context
from mediaquery.decode import Decoded
from mediaquery.errors import AnalysisError, Conflict, NotFound
from mediaquery.index.repo import MediaRow
from mediaquery.thumbnail_image import THUMBNAIL_SIDE, decoded_pixels, fit, image_thumbnail, jpeg

INLINE_PIXELS = 16_000_000  # decoded pixels the API process decodes itself (~64 MB as RGBA)
CHILD_TIMEOUT = 120.0
_making: dict[str, asyncio.Task[Path]] = {}  # etag -> the one request making its thumbnail
_children: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}  # one child at a time


def cached_path(settings: Settings, etag: str) -> Path:
    """Where the thumbnail of this content is (or will be) cached."""
    return settings.thumbnail_dir / f"{etag}.jpg"


@contextmanager
def source_file(ctx: Context, row: MediaRow) -> Iterator[Path]:
    """The object as a local file; Conflict when the index still has it but the bucket does not."""
    try:
        with ctx.storage.fetch(row.name) as path:
            yield path
    except NotFound as exc:
        raise Conflict(f"{row.name} is indexed but its file is gone") from exc


def _store(cached: Path, data: bytes) -> Path:
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=cached.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, cached)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return cached


def save_decoded(settings: Settings, etag: str, decoded: Decoded) -> None:
    """The worker's copy: a thumbnail from pixels it decoded for analysis, if they are enough."""
    cached = cached_path(settings, etag)
    image = decoded.image  # upright RGB, maybe drafted smaller than the original
    full = image.size == (decoded.width, decoded.height)
    if cached.is_file() or (max(image.size) < THUMBNAIL_SIDE and not full):
        return
    _store(cached, jpeg(fit(image)))


def _in_child(source: Path, max_pixels: int) -> bytes:
    cmd = [sys.executable, "-m", "mediaquery.thumbnail_image", str(source), str(max_pixels)]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=CHILD_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AnalysisError(f"making it took over {CHILD_TIMEOUT:.0f} s") from exc
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise AnalysisError(lines[-1] if lines else f"the decoder exited {done.returncode}")
    return done.stdout


def _make(ctx: Context, row: MediaRow, *, child: bool) -> Path:
    try:
        with source_file(ctx, row) as source:
            if row.type == "video":
                from mediaquery.video.decode import poster_jpeg

                data = poster_jpeg(source)
            elif child:
                data = _in_child(source, ctx.settings.max_image_pixels)
            else:
                data = image_thumbnail(source, ctx.settings.max_image_pixels)
    except AnalysisError as exc:
        raise Conflict(f"{row.name} has no thumbnail: {exc.message}") from exc
    return _store(cached_path(ctx.settings, row.etag), data)


def _check_type(row: MediaRow) -> None:
    if row.type not in ("image", "video"):
        raise Conflict(f"{row.name} is not an image or a video; it has no thumbnail")


def thumbnail_path(ctx: Context, row: MediaRow) -> Path:
    """The cached thumbnail, made here if missing (a video's poster; small images)."""
    _check_type(row)
    cached = cached_path(ctx.settings, row.etag)
    return cached if cached.is_file() else _make(ctx, row, child=False)


def _needs_child(ctx: Context, row: MediaRow) -> bool:
    if row.type != "image":
        return False
    with source_file(ctx, row) as source:
        return decoded_pixels(source) > INLINE_PIXELS


async def _make_once(ctx: Context, row: MediaRow) -> Path:
    if await run_in_threadpool(_needs_child, ctx, row):
        loop = asyncio.get_running_loop()
        if loop not in _children:
            _children.clear()  # a loop of its own per server (and per test client)
            _children[loop] = asyncio.Semaphore(1)
        async with _children[loop]:
            return await run_in_threadpool(_make, ctx, row, child=True)
    return await run_in_threadpool(_make, ctx, row, child=False)


async def thumbnail_file(ctx: Context, row: MediaRow) -> Path:
    """The cached thumbnail; when missing, made by one request while the others wait for it."""
    _check_type(row)
    cached = cached_path(ctx.settings, row.etag)
    if cached.is_file():
        return cached
    task = _making.get(row.etag)
    if task is None or task.get_loop() is not asyncio.get_running_loop():
        task = _making[row.etag] = asyncio.ensure_future(_make_once(ctx, row))
        task.add_done_callback(_forget)
    return await asyncio.shield(task)


def _forget(task: asyncio.Task[Path]) -> None:
    for etag, made in list(_making.items()):
        if made is task:
            del _making[etag]
    if not task.cancelled():
        task.exception()  # the waiters get it; no "never retrieved" warning
