"""The bucket folder: files dropped, replaced or removed (live or while down) reach the index."""

from __future__ import annotations

import logging
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from watchfiles import Change

from conftest import jpeg_bytes
from mediaquery.config import Settings
from mediaquery.context import Context, open_context
from mediaquery.index import repo
from mediaquery.ingest.reconcile import reconcile
from mediaquery.ingest.watcher import handle_change, watch_bucket
from mediaquery.queue.worker import Worker
from mediaquery.storage.local import LocalStorage

RED = jpeg_bytes(np.full((48, 64, 3), (250, 5, 5), np.uint8))


@pytest.fixture
def ctx(make_settings: Callable[..., Settings]) -> Iterator[Context]:
    c = open_context(make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"]))
    yield c
    c.close()


def put_file(ctx: Context, name: str, data: bytes) -> Path:
    path = ctx.settings.media_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def states(ctx: Context) -> dict[str, tuple[str, str | None]]:
    with ctx.engine.connect() as conn:
        return repo.statuses(conn, sorted(repo.all_media_versions(conn)))


def wait_until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_reconcile_heals_changes_made_while_down(ctx: Context) -> None:
    put_file(ctx, "keep.jpg", RED)
    put_file(ctx, "deep/er/gone.jpg", RED)
    assert reconcile(ctx)["created"] == 2
    Worker(ctx).run(burst=True)
    (ctx.settings.media_dir / "deep/er/gone.jpg").unlink()
    put_file(ctx, "new.jpg", RED)
    counts = reconcile(ctx)
    assert (counts["created"], counts["removed"], counts["unchanged"]) == (1, 1, 1)
    assert set(states(ctx)) == {"keep.jpg", "new.jpg"}
    assert reconcile(ctx)["unchanged"] == 2  # a second scan changes nothing


def test_touching_a_file_without_changing_it_does_not_reanalyse(ctx: Context) -> None:
    path = put_file(ctx, "a.jpg", RED)
    reconcile(ctx)
    Worker(ctx).run(burst=True)
    path.write_bytes(RED)  # new mtime, same content
    assert reconcile(ctx)["unchanged"] == 1
    assert Worker(ctx).run(burst=True) == 0


def test_reconcile_requeues_pending_media_whose_job_was_lost(ctx: Context) -> None:
    from sqlalchemy import delete

    from mediaquery.index.tables import jobs

    put_file(ctx, "a.jpg", RED)
    reconcile(ctx)
    with ctx.engine.begin() as conn:
        conn.execute(delete(jobs))
    assert reconcile(ctx)["requeued"] == 1
    Worker(ctx).run(burst=True)
    assert states(ctx)["a.jpg"] == ("done", None)


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "name, data",
    [
        ("empty.jpg", b""),
        ("text.jpg", b"this is a text file pretending to be a photo\n"),
        ("doc.pdf", b"%PDF-1.4\n1 0 obj\n"),
        ("notes.txt", b"shopping list\n"),
    ],
)
def test_files_that_are_no_media_are_skipped_and_counted(
    ctx: Context, name: str, data: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    put_file(ctx, "good.jpg", RED)
    put_file(ctx, f"sub/{name}", data)
    with caplog.at_level(logging.INFO, logger="mediaquery"):
        counts = reconcile(ctx)
    assert (counts["created"], counts["skipped"]) == (1, 1)
    assert f"skipped 1 files in {ctx.storage.description}" in caplog.text and name in caplog.text
    Worker(ctx).run(burst=True)
    assert states(ctx) == {"good.jpg": ("done", None)}  # never a failed item of type unknown
    assert reconcile(ctx)["skipped"] == 1  # still counted on every scan


def test_reconcile_drops_items_of_no_media_type_indexed_by_earlier_versions(ctx: Context) -> None:
    from mediaquery.index.db import write_tx

    put_file(ctx, "notes.txt", b"shopping list\n")
    stored = ctx.storage.stat("notes.txt")
    assert stored is not None
    with write_tx(ctx.engine) as conn:  # what versions before skipping such files stored
        repo.upsert_media(conn, name="notes.txt", type="unknown", content_type="", size=14,
                          etag="e", version=stored.version, status="failed",
                          error="Unsupported media type")  # fmt: skip
    assert reconcile(ctx)["skipped"] == 1
    assert states(ctx) == {}


def test_media_replaced_by_a_file_that_is_no_media_leaves_the_index(ctx: Context) -> None:
    path = put_file(ctx, "a.jpg", RED)
    reconcile(ctx)
    path.write_bytes(b"overwritten with text\n")
    assert reconcile(ctx)["skipped"] == 1
    assert states(ctx) == {}


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("truncated.jpg", RED[: len(RED) // 2], "damaged or truncated"),
        ("bomb.png", _png_declaring(50_000, 50_000), "decompression bomb"),
        ("garbage.png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 10, "Image is damaged"),
    ],
)
def test_bad_files_fail_with_a_reason_and_harm_nothing_else(
    ctx: Context, name: str, data: bytes, reason: str
) -> None:
    put_file(ctx, "good.jpg", RED)
    put_file(ctx, name, data)
    reconcile(ctx)
    Worker(ctx).run(burst=True)
    got = states(ctx)
    assert got["good.jpg"] == ("done", None)
    state, error = got[name]
    assert state == "failed" and reason in error


def test_watcher_follows_the_folder_live(ctx: Context) -> None:
    stop = threading.Event()
    watcher = threading.Thread(target=watch_bucket, args=(ctx, stop), daemon=True)
    worker_stop = threading.Event()
    worker = threading.Thread(target=Worker(ctx, stop=worker_stop).run, daemon=True)
    watcher.start()
    worker.start()
    try:
        time.sleep(0.5)  # let the watcher subscribe
        put_file(ctx, "live/red.jpg", RED)
        wait_until(lambda: states(ctx).get("live/red.jpg", ("",))[0] == "done")
        put_file(ctx, "live/red.jpg", jpeg_bytes(np.full((48, 64, 3), (5, 5, 250), np.uint8)))
        wait_until(lambda: _labels(ctx, "live/red.jpg") == {"Blue", "Colour"})
        (ctx.settings.media_dir / "live/red.jpg").unlink()
        wait_until(lambda: "live/red.jpg" not in states(ctx))
        put_file(ctx, "folder/a.jpg", RED)
        put_file(ctx, "folder/b.jpg", RED)
        wait_until(lambda: {"folder/a.jpg", "folder/b.jpg"} <= set(states(ctx)))
        import shutil

        shutil.rmtree(ctx.settings.media_dir / "folder")
        wait_until(lambda: not states(ctx))
    finally:
        stop.set()
        worker_stop.set()
        watcher.join(5)
        worker.join(5)


def test_changes_the_watcher_cannot_map_are_logged(
    ctx: Context, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="mediaquery"):
        handle_change(ctx, Change.added, tmp_path / "elsewhere" / "a.jpg")
        handle_change(ctx, Change.added, ctx.settings.media_dir / "bad\\name.jpg")
        handle_change(ctx, Change.added, ctx.settings.media_dir / ".mediaquery-tmp" / "tmp1")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings
    assert "not inside the bucket folder" in warnings[0] and "elsewhere/a.jpg" in warnings[0]
    assert "not a valid media name" in warnings[1]
    assert "hidden" in caplog.text  # temporary files are expected: debug only


def test_paths_reach_the_bucket_through_relative_and_symlinked_names(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "real"
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for data_dir in (Path("real"), Path("link"), tmp_path / "link"):
        c = open_context(make_settings(data_dir=data_dir))
        try:
            put_file(c, "trip/a.jpg", RED)
            storage = c.storage
            assert isinstance(storage, LocalStorage)
            for seen in (real / "media/trip/a.jpg", tmp_path / "link/media/trip/a.jpg",
                         Path("link/media/trip/a.jpg"), Path("real/media/trip/a.jpg")):  # fmt: skip
                assert storage.name_of(seen) == "trip/a.jpg", (data_dir, seen)
            handle_change(c, Change.added, real / "media/trip/a.jpg")
            assert states(c) == {"trip/a.jpg": ("pending", None)}
        finally:
            c.close()


def _labels(ctx: Context, name: str) -> set[str]:
    with ctx.engine.connect() as conn:
        row = repo.get_media(conn, name)
        if row is None:
            return set()
        repo.attach_labels(conn, [row], 0)
    return {x["name"] for x in row.labels}
