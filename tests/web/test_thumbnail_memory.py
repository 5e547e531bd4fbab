"""Thumbnails of a large image: made once, outside the API process's memory, for every request
that asks at the same time; and by the worker while it analyses the image anyway."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from conftest import jpeg_bytes
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.queue.worker import Worker
from mq_server import Server

SIDE = 8900  # 79.2 MP: under the 80 MP limit; 317 MB as RGBA pixels, ~1.3 GB to convert
BOUND = 300 * 2**20


def huge_png(path: Path) -> None:
    """An 8900x8900 RGBA PNG of a few hundred KB: mostly flat colour, some shapes."""
    img = Image.new("RGBA", (SIDE, SIDE), (30, 120, 200, 255))
    draw = ImageDraw.Draw(img)
    for i in range(0, SIDE, 700):
        draw.ellipse((i, i, i + 600, i + 400), fill=(250, 200, 20, 128))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "PNG")


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_eight_requests_for_a_huge_pngs_thumbnail_keep_the_api_process_small(
    tmp_path: Path, model_cache: Path
) -> None:
    data = tmp_path / "data"
    huge_png(data / "media" / "big.png")
    Image.new("RGB", (64, 48), "red").save(data / "media" / "small.png")
    server = Server(data, model_cache, workers=0)  # nothing analyses it: the API must make it
    server.env["MEDIAQUERY_WATCH"] = "false"
    server.start()  # the start-up scan indexes both files
    assert server.proc is not None
    pid = server.proc.pid
    try:
        assert httpx.get(f"{server.url}/v1/media/small.png/thumbnail", timeout=60).is_success
        baseline, peak, done = rss(pid), 0, threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss(pid))
                if peak > baseline + BOUND:  # over the bound already: spare the machine
                    server.kill9()
                    return
                done.wait(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        url = f"{server.url}/v1/media/big.png/thumbnail"

        def get(_: int) -> httpx.Response | httpx.HTTPError:
            try:
                return httpx.get(url, timeout=300)
            except httpx.HTTPError as exc:  # the sampler stopped the server
                return exc

        try:
            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(get, range(8)))
        finally:
            done.set()
            sampler.join()
    finally:
        server.stop()
    assert peak - baseline < BOUND, f"API process grew by {(peak - baseline) / 2**20:.0f} MB"
    made = [r for r in answers if isinstance(r, httpx.Response) and r.status_code == 200]
    assert len(made) == 8 and all(r.headers["content-type"] == "image/jpeg" for r in made)
    with Image.open(io.BytesIO(made[0].content)) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (320, 320)
    assert len({r.content for r in made}) == 1  # one thumbnail, made once


def test_the_worker_makes_the_thumbnail_while_it_analyses(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"])
    app = create_app(settings, background=False)
    photo = jpeg_bytes(np.full((600, 800, 3), (20, 200, 40), np.uint8))
    with TestClient(app) as client:
        item = client.put("/v1/media/green.jpg", content=photo).json()
        cached = settings.thumbnail_dir / f"{item['etag']}.jpg"
        assert not cached.exists()
        Worker(app.state.ctx).run(burst=True)
        with Image.open(cached) as thumb:  # made by the worker, before anyone asked for it
            assert thumb.format == "JPEG" and thumb.size == (320, 240)
        assert client.get("/v1/media/green.jpg/thumbnail").content == cached.read_bytes()
