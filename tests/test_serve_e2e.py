"""The real service in its own process: `mediaquery serve`, uploads over HTTP, kill -9, restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mq_server import Server

pytestmark = [pytest.mark.slow, pytest.mark.model]


@pytest.fixture
def server(tmp_path: Path, model_cache: Path) -> Iterator[Server]:
    s = Server(tmp_path / "data", model_cache)
    yield s
    s.stop()


def statuses(server: Server) -> dict[str, str]:
    items = httpx.get(f"{server.url}/v1/media", params={"limit": 1000}, timeout=10).json()["items"]
    return {x["name"]: x["status"] for x in items}


def wait_all_done(server: Server, names: set[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = statuses(server)
        if names <= set(got) and all(got[n] in ("done", "failed") for n in names):
            return
        time.sleep(0.3)
    raise AssertionError(f"not finished: {statuses(server)}")


def test_drop_a_photo_in_the_folder_and_query_it(server: Server, photos) -> None:
    server.start()
    (server.data_dir / "media" / "pets").mkdir(parents=True, exist_ok=True)
    (server.data_dir / "media" / "pets" / "cat.jpg").write_bytes(photos["cat.jpg"])
    wait_all_done(server, {"pets/cat.jpg"})
    listed = httpx.get(f"{server.url}/api/", params={"label": "cat"}).json()
    assert [x["name"] for x in listed] == ["pets/cat.jpg"]
    (server.data_dir / "media" / "pets" / "cat.jpg").unlink()
    deadline = time.monotonic() + 20
    while "pets/cat.jpg" in statuses(server) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert httpx.get(f"{server.url}/api/pets/cat.jpg").status_code == 404


def test_jobs_survive_kill_9_and_finish_exactly_once(server: Server, photos) -> None:
    server.start()
    names = set()
    for i in range(16):
        for base, data in photos.items():
            if i % 4 == list(photos).index(base):
                name = f"batch/{i:02d}-{base}"
                r = httpx.put(f"{server.url}/v1/media/{name}", content=data, timeout=30)
                assert r.status_code == 201
                names.add(name)
    # crash as soon as some work has started but not everything is finished
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = statuses(server)
        if any(s != "pending" for s in got.values()):
            break
        time.sleep(0.05)
    server.kill9()
    server.start()
    wait_all_done(server, names)
    got = statuses(server)
    assert {got[n] for n in names} == {"done"}
    for name in names:
        item = httpx.get(f"{server.url}/v1/media/{name}", params={"min_confidence": 0}).json()
        # each analyzer's labels once (two analyzers may name the same label: Person)
        found = [(x["analyzer"], x["name"]) for x in item["labels"]]
        assert found and len(found) == len(set(found)), name
    jobs = httpx.get(f"{server.url}/v1/jobs").json()
    assert jobs["workers_alive"] == 2
    assert jobs["jobs"].get("queued", 0) == 0 and jobs["jobs"].get("running", 0) == 0
