"""A burst of concurrent readers against the real server: every request gets an answer (200, or
a 503 with Retry-After in the JSON error shape), never a plain 500 or a hang, and /healthz
answers while they saturate it; with and without API keys."""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from mq_server import Server

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
READERS = 80  # the pool held 15 connections for 40 threads: 60 readers stalled it
HANG = 60.0  # an answer later than this counts as a hang (the old stall lasted 30 s, then 500)


def bench_load() -> ModuleType:
    """benchmarks/load.py, for the seeding it does."""
    spec = importlib.util.spec_from_file_location("bench_load", BENCHMARKS / "load.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def quiet_server(data_dir: Path, model_cache: Path) -> Server:
    """The real server with no analysis workers, watcher or start-up scan."""
    server = Server(data_dir, model_cache, workers=0)
    server.env.update({"MEDIAQUERY_WATCH": "false", "MEDIAQUERY_RECONCILE_ON_START": "false"})
    return server


def read(url: str, headers: dict[str, str]) -> httpx.Response | str:
    try:
        return httpx.get(url, headers=headers, timeout=HANG)
    except httpx.TimeoutException:
        return "hang"


def reader(base: str, path: str, headers: dict[str, str], start: threading.Barrier) -> object:
    """One client with its connection open, sending its read when every reader is ready."""
    with httpx.Client(base_url=base, headers=headers, timeout=HANG) as client:
        client.get("/")  # the web page: opens the connection without touching the index
        start.wait()
        try:
            return client.get(path)
        except httpx.TimeoutException:
            return "hang"


@pytest.mark.slow
@pytest.mark.parametrize("keys", [False, True], ids=["open", "api-key"])
def test_a_burst_of_readers_is_answered_or_refused_fast_and_healthz_answers(
    tmp_path: Path, model_cache: Path, keys: bool
) -> None:
    load = bench_load()
    data, db = tmp_path / "data", os.environ.get("MEDIAQUERY_DATABASE_URL")
    names = load.seed_index(data, db, 60)
    headers = {"X-API-Key": load.make_key(data, db)} if keys else {}
    server = quiet_server(data, model_cache)
    server.start()
    paths = ["/v1/media?limit=100", "/api/", "/v1/labels", f"/v1/media/{names[0]}/thumbnail"]
    try:
        start = threading.Barrier(READERS + 1)
        with ThreadPoolExecutor(READERS) as pool:
            burst = [
                pool.submit(reader, server.url, paths[i % len(paths)], headers, start)
                for i in range(READERS)
            ]
            start.wait(120)
            health = []
            for _ in range(5):  # while the readers saturate the server
                health.append(read(f"{server.url}/healthz", {}))
                time.sleep(0.2)
            answers = [f.result() for f in burst]
    finally:
        server.stop()
    said = [a if isinstance(a, str) else a.status_code for a in answers]
    assert [h if isinstance(h, str) else h.status_code for h in health] == [200] * 5, said
    assert "hang" not in said
    for r in answers:
        assert isinstance(r, httpx.Response)
        if r.status_code != 200:
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"] == "1"
            body = r.json()
            assert body.get("code", body.get("Code")) == "Overloaded", r.text
    assert 200 in said
