"""The bucket folder as a new user meets it: `make run` in a folder, files dropped in, replaced,
deleted; the data folder given relative, as a symlink, or not at all (`./mediaquery-data`)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mq_server import Server

pytestmark = [pytest.mark.slow, pytest.mark.model]

LABELS_ONLY = {"MEDIAQUERY_ANALYZERS": '["labels"]'}


@pytest.fixture
def start() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def factory(data_dir: Path, model_cache: Path, **kw: Any) -> Server:
        server = Server(data_dir, model_cache, env=LABELS_ONLY, **kw)
        started.append(server)
        server.start()
        return server

    yield factory
    for server in started:
        server.stop()


def wait_for(check: Callable[[], Any], what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if got := check():
            return got
        time.sleep(0.2)
    raise AssertionError(f"not reached in {timeout} s: {what}")


def analysed(server: Server, name: str, data: bytes) -> dict[str, Any] | None:
    """The item once this very content of it is analysed."""
    item = server.item(name)
    etag = hashlib.sha256(data).hexdigest()
    if item and item["etag"] == etag and item["status"] in ("done", "failed"):
        return item
    return None


def listed(server: Server) -> list[str]:
    return [x["name"] for x in httpx.get(f"{server.url}/api/", timeout=10).json()]


def drop_replace_delete(server: Server, media: Path, photos: dict[str, bytes]) -> None:
    """What a user does in the bucket folder, and what the API must show after each step."""
    sub = media / "sub"
    sub.mkdir(parents=True, exist_ok=True)
    (sub / "cat.jpg").write_bytes(photos["cat.jpg"])
    (sub / "notes.txt").write_text("not a picture\n")
    item = wait_for(lambda: analysed(server, "sub/cat.jpg", photos["cat.jpg"]), "cat analysed")
    assert item["status"] == "done" and "Cat" in [x["name"] for x in item["labels"]]

    (sub / "cat.jpg").write_bytes(photos["coffee.jpg"])  # replaced in place
    item = wait_for(lambda: analysed(server, "sub/cat.jpg", photos["coffee.jpg"]), "replaced")
    assert item["status"] == "done" and "Cat" not in [x["name"] for x in item["labels"]]

    # the text file is no media item: skipped, counted by a scan, never listed as failed
    assert listed(server) == ["sub/cat.jpg"]
    counts = httpx.post(f"{server.url}/v1/reconcile", timeout=60).json()["counts"]
    assert counts.get("skipped") == 1 and "created" not in counts

    (sub / "cat.jpg").unlink()
    wait_for(lambda: server.item("sub/cat.jpg") is None, "removed from the index")
    assert listed(server) == []
    assert httpx.get(f"{server.url}/api/sub/cat.jpg", timeout=10).status_code == 404


def test_make_run_default_data_folder_follows_drops(
    tmp_path: Path, model_cache: Path, photos: dict[str, bytes], start: Callable[..., Server]
) -> None:
    """`mediaquery serve` with no --data-dir, from the folder a user runs `make run` in."""
    data = tmp_path / "mediaquery-data"
    server = start(data, model_cache, cwd=tmp_path)
    assert (data / "media").is_dir()  # the default folder really is the one served
    drop_replace_delete(server, data / "media", photos)


def test_symlinked_data_folder_follows_drops(
    tmp_path: Path, model_cache: Path, photos: dict[str, bytes], start: Callable[..., Server]
) -> None:
    """--data-dir names a symlink, relative to the working folder; files go in through it."""
    real = tmp_path / "disk" / "real-data"
    real.mkdir(parents=True)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "data").symlink_to(real, target_is_directory=True)
    server = start(tmp_path / "run" / "data", model_cache, cwd=tmp_path / "run",
                   data_dir_option="data")  # fmt: skip
    drop_replace_delete(server, tmp_path / "run" / "data" / "media", photos)
