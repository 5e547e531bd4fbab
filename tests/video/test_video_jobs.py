"""Videos through the service: asynchronous jobs, chunks, checkpoints, segments in the API."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.index import jobs
from mediaquery.index.tables import jobs as jobs_table
from mediaquery.queue.kinds import VIDEO, VIDEO_CHUNK
from mediaquery.queue.worker import Worker, run_batch
from mq_clips import three_scenes

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return three_scenes(tmp_path_factory.mktemp("clips") / "clip.mp4").read_bytes()


@pytest.fixture
def video_app(make_settings: Callable[..., Settings]) -> FastAPI:
    s = make_settings(analyzers=["labels", "text"])
    s.video.chunk_seconds = 4  # three chunks: 0-4, 4-8, 8-10 s
    return create_app(s, background=False)


@pytest.fixture
def client(video_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(video_app) as c:
        yield c


def spans(item: dict, label: str) -> list[tuple[int, int]]:
    found = next((x for x in item["labels"] if x["name"] == label), None)
    return [(s["start_ms"], s["end_ms"]) for s in found["segments"]] if found else []


def test_video_is_analysed_into_segments(client: TestClient, video_app: FastAPI, clip: bytes):
    r = client.put("/v1/media/clips/scenes.mp4", content=clip)
    assert r.status_code == 201 and r.json()["type"] == "video" and r.json()["status"] == "pending"
    Worker(video_app.state.ctx).run(burst=True)
    item = client.get("/v1/media/clips/scenes.mp4").json()
    assert item["status"] == "done" and item["progress"] == 100
    assert item["video"]["duration_ms"] == 10_000 and item["video"]["chunks"] == 3
    assert (item["width"], item["height"]) == (640, 360)
    cat = spans(item, "Cat")
    assert cat and cat[0][0] == 0 and 3000 <= cat[-1][1] <= 5000  # within one sample of 4 s
    assert all(end <= 7000 for _, end in cat)
    coffee = spans(item, "Espresso") or spans(item, "Coffee")
    assert coffee and all(4000 - 1000 <= s and e <= 7000 + 1000 for s, e in coffee)
    title = [t for t in item["text"] if t["text"] == "MEDIA QUERY VIDEO"]
    assert title and 6000 <= title[0]["start_ms"] and title[0]["end_ms"] <= 10_000

    at = client.get("/v1/media/clips/scenes.mp4/labels", params={"at_ms": 1500}).json()
    assert "Cat" in [x["name"] for x in at["labels"]]
    at = client.get("/v1/media/clips/scenes.mp4/labels", params={"at_ms": 8500}).json()
    assert "Cat" not in [x["name"] for x in at["labels"]]
    stamps = client.get("/v1/media/clips/scenes.mp4/labels?aggregate=timestamps").json()
    assert {x["ts_ms"] for x in stamps["labels"]} >= {0, 1000, 2000}

    def found(**params: object) -> list[str]:
        return [x["name"] for x in client.get("/v1/media", params=params).json()["items"]]

    assert found(label="cat", from_ms=0, to_ms=2000) == ["clips/scenes.mp4"]
    assert found(label="cat", from_ms=8000, to_ms=10_000) == []
    assert found(text="media query") == ["clips/scenes.mp4"]
    assert found(type="video") == ["clips/scenes.mp4"]
    assert client.get("/v1/media", params={"from_ms": 5}).status_code == 400
    seed = client.get("/api/", params={"media-type": "video"}).json()
    assert seed[0]["name"] == "clips/scenes.mp4" and "Cat" in seed[0]["labels"]

    poster = client.get("/v1/media/clips/scenes.mp4/poster")
    assert poster.status_code == 200 and poster.content[:3] == b"\xff\xd8\xff"
    assert client.get("/v1/media/clips/none.mp4/poster").status_code == 404


def test_a_crash_resumes_from_the_last_finished_chunk(
    client: TestClient, video_app: FastAPI, clip: bytes
) -> None:
    ctx = video_app.state.ctx
    client.put("/v1/media/resume.mp4", content=clip)
    run_batch(ctx, [jobs.claim(ctx.engine, "w", 60, (VIDEO,))])  # plan: three chunk jobs
    first = jobs.claim(ctx.engine, "w", 60, (VIDEO_CHUNK,))
    run_batch(ctx, [first])
    assert client.get("/v1/media/resume.mp4").json()["progress"] == pytest.approx(33.3)
    # the worker dies holding chunk 1: it stays `running` until its lease expires, and
    # reconcile re-plans videos that lost their jobs; either way finished chunks are kept
    crashed = jobs.claim(ctx.engine, "dead-host:1:0", 0.0, (VIDEO_CHUNK,))
    assert crashed is not None and crashed.params == {"chunk": 1}
    from mediaquery.ingest.reconcile import requeue_lost

    with ctx.engine.begin() as conn:  # lose the queued chunk 2 job as well
        conn.execute(jobs_table.delete().where(jobs_table.c.state == "queued"))
    assert requeue_lost(ctx) == 0  # chunk 1 is still leased: the video is not lost
    ran = Worker(ctx).run(burst=True)
    assert ran == 1  # the expired chunk 1 is taken over
    assert client.get("/v1/media/resume.mp4").json()["status"] == "processing"
    assert requeue_lost(ctx) == 1  # now no job is left: re-plan
    ran = Worker(ctx).run(burst=True)
    assert ran == 2  # the re-plan, and chunk 2 only
    item = client.get("/v1/media/resume.mp4").json()
    assert item["status"] == "done" and item["progress"] == 100 and spans(item, "Cat")
    with ctx.engine.connect() as conn:
        chunk_jobs = conn.execute(
            select(jobs_table.c.params).where(jobs_table.c.kind == VIDEO_CHUNK,
                                              jobs_table.c.state == "done")
        ).scalars().all()  # fmt: skip
    assert sorted(p["chunk"] for p in chunk_jobs) == [0, 1, 2]  # each chunk analysed once


def test_two_workers_share_one_video(client: TestClient, video_app: FastAPI, clip: bytes):
    ctx = video_app.state.ctx
    client.put("/v1/media/shared.mp4", content=clip)
    stop = threading.Event()
    workers = [Worker(ctx, index=i, stop=stop) for i in range(2)]
    threads = [threading.Thread(target=w.run) for w in workers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    while client.get("/v1/media/shared.mp4").json()["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(30)
    assert all(w.processed >= 1 for w in workers)  # both took part
    item = client.get("/v1/media/shared.mp4").json()
    assert item["status"] == "done" and spans(item, "Cat")[0][0] == 0


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("empty.mp4", lambda clip: b"\x00\x00\x00\x18ftypisom" + b"\x00" * 8, "video"),
        ("half.mp4", lambda clip: clip[: len(clip) // 2], None),
    ],
)
def test_damaged_videos_end_with_what_could_be_read_or_a_reason(
    client: TestClient, video_app: FastAPI, clip: bytes, name: str, make, reason: str | None
) -> None:
    client.put(f"/v1/media/{name}", content=make(clip))
    Worker(video_app.state.ctx).run(burst=True)
    item = client.get(f"/v1/media/{name}").json()
    assert item["status"] in ("done", "failed")
    if item["status"] == "failed":
        assert item["error"]
    if reason:
        assert item["status"] == "failed"
    assert client.get("/healthz").status_code == 200


def test_reindex_analyses_a_video_again(client: TestClient, video_app: FastAPI, clip: bytes):
    ctx = video_app.state.ctx
    client.put("/v1/media/again.mp4", content=clip)
    Worker(ctx).run(burst=True)
    before = client.get("/v1/media/again.mp4").json()
    assert client.post("/v1/reindex", json={}).json()["queued"] == 0  # versions are current
    assert client.post("/v1/reindex", json={"force": True}).json()["queued"] == 1
    assert client.get("/v1/media/again.mp4").json()["status"] == "pending"
    Worker(ctx).run(burst=True)
    after = client.get("/v1/media/again.mp4").json()
    assert after["status"] == "done" and after["analyzed_at"] > before["analyzed_at"]
    assert spans(after, "Cat") == spans(before, "Cat")  # replaced, not merged
    assert len(after["labels"]) == len(before["labels"])
