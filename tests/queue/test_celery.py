"""Celery scale-out with real brokers: `mediaquery serve` only publishes, `mediaquery worker`
processes run the jobs; kill -9 loses nothing and duplicates nothing; videos have their own
queue; poison media end failed with the reason.

Set MEDIAQUERY_TEST_REDIS_URL (redis://127.0.0.1:6379/<n>) and/or MEDIAQUERY_TEST_AMQP_URL
(amqp://guest:guest@127.0.0.1:5672//) to run them. Every test uses queue names of its own and
deletes them afterwards, so runs may share a broker.

Recovery after kill -9 is driven by the job table, not the broker: the killed worker stops
renewing its job's lease (3 s here), the server's relay sees the lease expire and publishes the
job again, and the surviving worker claims it. RabbitMQ also gives the killed worker's message
back at once (its connection closed), and Redis after the visibility timeout; either copy finds
the job held by a live lease or done and claims nothing."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from kombu import Connection
from sqlalchemy import Engine, func, select, update

from conftest import jpeg_bytes
from mediaquery.config import Settings
from mediaquery.context import open_context
from mediaquery.index import jobs
from mediaquery.index.db import make_engine
from mediaquery.index.tables import events, labels, media
from mediaquery.index.tables import jobs as jobs_table
from mediaquery.ingest.uploads import store_upload
from mediaquery.queue.celery_app import Publisher, run_message
from mediaquery.queue.relay import Relay
from mediaquery.queue.worker import Worker
from mq_clips import three_scenes
from mq_server import Server

TESTS = Path(__file__).resolve().parents[1]
BROKERS = {"redis": "MEDIAQUERY_TEST_REDIS_URL", "amqp": "MEDIAQUERY_TEST_AMQP_URL"}
COLOURS = [(250, 5, 5), (5, 250, 5), (5, 5, 250)]


def broker_url(kind: str) -> str:
    url = os.environ.get(BROKERS[kind])
    if not url:
        pytest.skip(f"{BROKERS[kind]} is not set: no real {kind} broker to test against")
    return url


def any_broker() -> str:
    for kind in BROKERS:
        if os.environ.get(BROKERS[kind]):
            return broker_url(kind)
    pytest.skip(f"neither {' nor '.join(BROKERS.values())} is set: no broker to test against")


def photo(i: int) -> bytes:
    """A small JPEG of one primary colour, a little different for each i."""
    arr = np.full((48, 48, 3), COLOURS[i % 3], np.uint8)
    arr[0, 0] = (i, i, i)
    return jpeg_bytes(arr)


def message_count(url: str, queue: str) -> int:
    """Messages waiting in a broker queue (not counting those a worker holds)."""
    with Connection(url) as conn:
        return int(conn.channel().queue_declare(queue=queue, passive=True).message_count)


def drop_queues(url: str, tag: str, names: list[str]) -> None:
    """Delete a test's queues and exchanges, and (Redis) its unacknowledged messages."""
    if url.startswith("redis"):
        import redis

        r = redis.Redis.from_url(url)
        for key in r.scan_iter(match=f"*{tag}*"):
            r.delete(key)
        for delivery, message in r.hscan_iter("unacked"):
            if tag.encode() in message:
                r.hdel("unacked", delivery)
                r.zrem("unacked_index", delivery)
        return
    with Connection(url) as conn:
        for name in names:
            for drop in (conn.channel().queue_delete, conn.channel().exchange_delete):
                try:
                    drop(name)
                except conn.channel_errors:
                    pass  # never declared


class Cluster:
    """A real server with a broker configured, and `mediaquery worker` processes."""

    def __init__(self, tmp_path: Path, model_cache: Path, url: str, **env: str) -> None:
        self.url, self.tag = url, f"mq-test-{uuid.uuid4().hex[:10]}"
        self.queues = {"images": f"{self.tag}.images", "videos": f"{self.tag}.videos"}
        self.data_dir, self.logs = tmp_path / "data", tmp_path
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
            "MEDIAQUERY_BROKER_URL": url,
            "MEDIAQUERY_CELERY__IMAGE_QUEUE": self.queues["images"],
            "MEDIAQUERY_CELERY__VIDEO_QUEUE": self.queues["videos"],
            "MEDIAQUERY_CELERY__VISIBILITY_TIMEOUT": "20",
            "MEDIAQUERY_ANALYZERS": json.dumps(["mq_test_plugins:SlowColourAnalyzer"]),
            "MEDIAQUERY_QUEUE__LEASE_SECONDS": "3",
            "MEDIAQUERY_QUEUE__RETRY_DELAY": "0.2",
            "MEDIAQUERY_QUEUE__POLL_INTERVAL": "0.1",
            "MEDIAQUERY_WATCH": "false",
            "MEDIAQUERY_RECONCILE_ON_START": "false",
            "MEDIAQUERY_MODELS_DIR": str(model_cache),
            **env,
        }
        # an embedded pool is asked for, to show that serve starts none with a broker
        self.server = Server(self.data_dir, model_cache, workers=2)
        self.server.env.update(self.env)
        self.workers: list[subprocess.Popen[bytes]] = []
        self.engine: Engine | None = None

    def start(self, *worker_queues: str) -> None:
        self.server.start()
        for queues in worker_queues:
            self.start_worker(queues)
        # the index the server uses: this test's PostgreSQL schema (conftest) or SQLite
        self.engine = make_engine(
            self.env.get("MEDIAQUERY_DATABASE_URL") or f"sqlite:///{self.data_dir / 'index.db'}"
        )

    def start_worker(self, queues: str = "images,videos") -> subprocess.Popen[bytes]:
        log = self.logs / f"worker-{len(self.workers)}.log"
        cmd = [sys.executable, "-m", "mediaquery", "worker", "--data-dir", str(self.data_dir),
               "--queues", queues, "--concurrency", "1"]  # fmt: skip
        with log.open("ab") as out:
            proc = subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)  # fmt: skip
        self.workers.append(proc)
        return proc

    def stop_worker(self, proc: subprocess.Popen[bytes]) -> None:
        """Celery's warm shutdown: finish the job in hand, then exit."""
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)

    def close(self) -> None:
        for proc in self.workers:
            self.stop_worker(proc)
        self.server.stop()
        if self.engine is not None:
            self.engine.dispose()
        drop_queues(self.url, self.tag, list(self.queues.values()))

    def put(self, name: str, data: bytes) -> None:
        self.server.put(name, data)

    def statuses(self) -> dict[str, dict[str, Any]]:
        r = httpx.get(f"{self.server.url}/v1/media", params={"limit": 1000}, timeout=10)
        return {x["name"]: x for x in r.json()["items"]}

    def wait_for(self, check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
        """Poll until `check` returns something true, and return that."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := check():
                return found
            time.sleep(0.1)
        logs = "\n".join(p.read_text()[-3000:] for p in sorted(self.logs.glob("*.log")))
        raise AssertionError(f"timed out waiting for {what}: {self.statuses()}\n{logs}")

    def ended(self, names: set[str]) -> bool:
        got = self.statuses()
        return all(n in got and got[n]["status"] in ("done", "failed") for n in names)

    def job_rows(self) -> list[Any]:
        assert self.engine is not None
        with self.engine.connect() as conn:
            return list(conn.execute(select(jobs_table).order_by(jobs_table.c.id)))


@pytest.fixture
def make_cluster(tmp_path: Path, model_cache: Path) -> Iterator[Callable[..., Cluster]]:
    made: list[Cluster] = []

    def factory(url: str, **env: str) -> Cluster:
        made.append(Cluster(tmp_path, model_cache, url, **env))
        return made[-1]

    yield factory
    for cluster in made:
        cluster.close()


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["redis", "amqp"])
def test_kill_9_of_a_worker_mid_job_loses_and_duplicates_nothing(
    make_cluster: Callable[..., Cluster], broker: str
) -> None:
    cluster = make_cluster(broker_url(broker), MQ_TEST_ANALYZE_SECONDS="1")
    cluster.start("images,videos", "images,videos")
    names = {f"batch/{i:02d}.jpg" for i in range(12)}
    for i, name in enumerate(sorted(names)):
        cluster.put(name, photo(i))

    def a_job_mid_flight() -> int | None:
        """The pool process of one `mediaquery worker` that is running a job."""
        held = [r.locked_by for r in cluster.job_rows() if r.state == jobs.RUNNING]
        return int(held[0].split(":")[1]) if held else None

    pid = cluster.wait_for(a_job_mid_flight, "a running job")
    victim = next(p for p in cluster.workers if p.pid == os.getpgid(pid))
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(10)

    cluster.wait_for(lambda: cluster.ended(names), "every item to finish")
    assert {n: x["status"] for n, x in cluster.statuses().items()} == dict.fromkeys(names, "done")
    rows = cluster.job_rows()
    assert len(rows) == 12 and {r.state for r in rows} == {jobs.DONE}
    assert max(r.attempts for r in rows) == 2  # the killed job ran again, once
    assert httpx.get(f"{cluster.server.url}/v1/jobs").json()["workers_alive"] == 0
    assert cluster.engine is not None
    with cluster.engine.connect() as conn:
        per_media = conn.execute(
            select(media.c.name, func.count(), func.count(func.distinct(labels.c.name)))
            .join(labels, labels.c.media_id == media.c.id)
            .group_by(media.c.name)
        ).all()
        done_events = conn.execute(
            select(events.c.media_name, func.count())
            .where(events.c.type == "media.done")
            .group_by(events.c.media_name)
        ).all()
    assert {name: (n, distinct) for name, n, distinct in per_media} == dict.fromkeys(
        names, (2, 2)
    )  # a colour and its parent, no duplicates
    assert dict(done_events) == dict.fromkeys(names, 1)  # announced exactly once


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["redis", "amqp"])
def test_videos_wait_in_their_own_queue_while_images_finish(
    make_cluster: Callable[..., Cluster], broker: str, tmp_path: Path
) -> None:
    url = broker_url(broker)
    cluster = make_cluster(url, MQ_TEST_ANALYZE_SECONDS="0.05", MEDIAQUERY_VIDEO__CHUNK_SECONDS="4")
    cluster.start("images")
    cluster.put("clips/scenes.mp4", three_scenes(tmp_path / "clip.mp4").read_bytes())
    images = {f"photos/{i}.jpg" for i in range(6)}
    for i, name in enumerate(sorted(images)):
        cluster.put(name, photo(i))

    cluster.wait_for(lambda: cluster.ended(images), "the images")
    assert cluster.statuses()["clips/scenes.mp4"]["status"] == "pending"
    assert message_count(url, cluster.queues["videos"]) == 1  # the video's plan job, waiting

    # Only a video worker from now on: if a chunk's message went anywhere but the video
    # queue, nobody would run it and the video would never finish.
    cluster.stop_worker(cluster.workers[0])
    cluster.start_worker("videos")
    cluster.wait_for(lambda: cluster.ended({"clips/scenes.mp4"}), "the video")
    video = cluster.statuses()["clips/scenes.mp4"]
    assert video["status"] == "done", video
    item = httpx.get(f"{cluster.server.url}/v1/media/clips/scenes.mp4", timeout=10).json()
    assert item["video"]["chunks"] == 3
    kinds = [(r.kind, r.state) for r in cluster.job_rows() if r.media_name == "clips/scenes.mp4"]
    assert sorted(kinds) == [("video", "done")] + [("video_chunk", "done")] * 3


@pytest.mark.slow
def test_poison_media_end_failed_with_the_reason_after_max_attempts(
    make_cluster: Callable[..., Cluster],
) -> None:
    analyzers = ["mq_test_plugins:PickyAnalyzer", "mq_test_plugins:CrashingAnalyzer"]
    cluster = make_cluster(any_broker(), MEDIAQUERY_ANALYZERS=json.dumps(analyzers),
                           MEDIAQUERY_QUEUE__MAX_ATTEMPTS="2")  # fmt: skip
    cluster.start("images")
    # red is fine; blue makes one analyzer raise; green kills the worker process outright
    names = {"red.jpg": photo(0), "green.jpg": photo(1), "blue.jpg": photo(2)}
    for name, data in names.items():
        cluster.put(name, data)
    cluster.wait_for(lambda: cluster.ended(set(names)), "every item to end", timeout=90)
    got = cluster.statuses()
    assert got["red.jpg"]["status"] == "done"
    assert got["blue.jpg"]["status"] == "failed"
    assert got["blue.jpg"]["error"] == (
        "Analysis failed after 2 attempts: ValueError: cannot handle blue"
    )
    assert got["green.jpg"]["status"] == "failed"
    assert got["green.jpg"]["error"] == (
        "Analysis failed after 2 attempts: the worker stopped (crashed or was killed) "
        "while analysing it"
    )
    failed = {r.media_name: r for r in cluster.job_rows() if r.state == jobs.FAILED}
    assert set(failed) == {"blue.jpg", "green.jpg"}
    assert failed["blue.jpg"].error.endswith("cannot handle blue")


@pytest.mark.slow
def test_ingest_without_a_server_hands_the_jobs_to_the_workers(
    make_cluster: Callable[..., Cluster], tmp_path: Path
) -> None:
    cluster = make_cluster(any_broker(), MQ_TEST_ANALYZE_SECONDS="0.05")
    cluster.start_worker()
    folder = tmp_path / "trip"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.jpg").write_bytes(photo(i))
    cli = [sys.executable, "-m", "mediaquery"]
    ingest = subprocess.run([*cli, "ingest", str(folder), "--prefix", "trip/", "--data-dir",
                             str(cluster.data_dir)], env=cluster.env, capture_output=True,
                            timeout=90)  # fmt: skip
    assert ingest.returncode == 0, ingest.stderr.decode()
    listed = subprocess.run([*cli, "ls", "--json", "--data-dir", str(cluster.data_dir)],
                            env=cluster.env, capture_output=True, timeout=60)  # fmt: skip
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {(r["name"], r["status"]) for r in rows} == {(f"trip/{i}.jpg", "done") for i in range(3)}


def test_the_worker_command_needs_a_broker_and_known_queues(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from mediaquery.cli import app

    runner = CliRunner()
    monkeypatch.delenv("MEDIAQUERY_BROKER_URL", raising=False)
    r = runner.invoke(app, ["worker", "--data-dir", str(tmp_path)])
    assert r.exit_code == 2 and "set MEDIAQUERY_BROKER_URL" in r.output
    monkeypatch.setenv("MEDIAQUERY_BROKER_URL", "redis://127.0.0.1:1/0")
    r = runner.invoke(app, ["worker", "--queues", "images,audio", "--data-dir", str(tmp_path)])
    assert r.exit_code == 2 and "--queues takes images and/or videos, not audio" in r.output


def test_the_relay_sends_each_try_once_and_messages_claim_only_runnable_jobs(
    make_settings: Callable[..., Settings],
) -> None:
    url = any_broker()
    tag = f"mq-test-{uuid.uuid4().hex[:10]}"
    settings = make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"], broker_url=url)
    settings.celery.image_queue, settings.celery.video_queue = f"{tag}.images", f"{tag}.videos"
    ctx = open_context(settings)
    publish = Publisher(settings)
    try:
        for i in range(3):
            store_upload(ctx, f"{i}.jpg", io.BytesIO(photo(i)))
        relay = Relay(ctx.engine, publish)
        assert relay.publish_due() == 3
        assert relay.publish_due() == 0  # nothing new
        assert message_count(url, settings.celery.image_queue) == 3
        first, second, third = (r.id for r in _rows(ctx.engine))

        [job] = jobs.claim_ids(ctx.engine, "w1", 60, [first])
        assert jobs.claim_ids(ctx.engine, "w2", 60, [first]) == []  # held by a live lease
        with ctx.engine.begin() as conn:
            jobs.finish(conn, job.id)
        assert jobs.claim_ids(ctx.engine, "w2", 60, [first]) == []  # done
        assert jobs.claim_ids(ctx.engine, "w2", 60, [12345]) == []  # gone

        [job] = jobs.claim_ids(ctx.engine, "w1", 60, [second])
        with ctx.engine.begin() as conn:  # a failed try, requeued for later
            jobs.fail(conn, job, "flaky", retry_delay=60, retry=True)
        assert jobs.claim_ids(ctx.engine, "w2", 60, [second]) == []  # not due yet
        assert relay.publish_due() == 0
        with ctx.engine.begin() as conn:
            conn.execute(update(jobs_table).where(jobs_table.c.id == second).values(run_after=0))
        assert relay.publish_due() == 1  # the retry, once it is due

        jobs.claim_ids(ctx.engine, "w1", 60, [third])
        with ctx.engine.begin() as conn:  # its worker died: the lease runs out
            conn.execute(update(jobs_table).where(jobs_table.c.id == third).values(locked_until=0))
        assert relay.publish_due() == 1
        assert relay.publish_due() == 0
        [job] = jobs.claim_ids(ctx.engine, "w2", 60, [third])
        assert job.attempts == 2

        restarted = Relay(ctx.engine, publish)  # a new server sends what is runnable again
        assert restarted.publish_due() == 1  # the due retry; the others are held or done
        assert message_count(url, settings.celery.image_queue) == 3 + 2 + 1
    finally:
        publish.close()
        ctx.close()
        drop_queues(url, tag, [settings.celery.image_queue, settings.celery.video_queue])


def test_a_first_try_takes_untried_image_jobs_along_and_a_retry_runs_alone(
    make_settings: Callable[..., Settings],
) -> None:
    ctx = open_context(make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"]))
    try:
        for i in range(7):
            store_upload(ctx, f"{i}.jpg", io.BytesIO(photo(i)))
        ids = [r.id for r in _rows(ctx.engine)]
        [retry] = jobs.claim_ids(ctx.engine, "w", 60, [ids[-1]])
        with ctx.engine.begin() as conn:  # a try that failed, due again at once
            jobs.fail(conn, retry, "flaky", retry_delay=0, retry=True)

        assert run_message(ctx, ids[0])  # one model call for four images (batch_size 4)
        assert [r.state for r in _rows(ctx.engine)] == ["done"] * 4 + ["queued"] * 3
        assert not run_message(ctx, ids[1])  # its own message comes later: already done
        assert run_message(ctx, ids[-1])  # the retry runs alone, the untried wait
        assert [r.state for r in _rows(ctx.engine)] == ["done"] * 4 + ["queued"] * 2 + ["done"]
    finally:
        ctx.close()


def test_a_job_whose_worker_died_on_every_try_fails_in_the_embedded_pool_too(
    make_settings: Callable[..., Settings],
) -> None:
    ctx = open_context(make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"]))
    try:
        store_upload(ctx, "a.jpg", io.BytesIO(photo(0)))
        with ctx.engine.begin() as conn:  # claimed three times, its worker killed each time
            conn.execute(update(jobs_table).values(attempts=3))
        Worker(ctx).run(burst=True)
        [row] = _rows(ctx.engine)
        assert row.state == jobs.FAILED
        with ctx.engine.connect() as conn:
            status, error = conn.execute(select(media.c.status, media.c.error)).one()
        assert status == "failed"
        assert error.startswith("Analysis failed after 3 attempts: the worker stopped")
    finally:
        ctx.close()


def _rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(jobs_table).order_by(jobs_table.c.id)))


def test_the_relay_sends_again_a_job_still_waiting_after_the_resend_time(
    make_settings: Callable[..., Settings],
) -> None:
    """A broker that lost a message (Redis without persistence) must not strand the job."""
    ctx = open_context(make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"]))
    sent: list[int] = []
    try:
        store_upload(ctx, "a.jpg", io.BytesIO(photo(0)))
        relay = Relay(
            ctx.engine,
            lambda job_id, kind: sent.append(job_id),
            sweep_seconds=0,
            resend_seconds=0.2,
        )
        assert relay.publish_due() == 1
        assert relay.publish_due() == 0  # just sent: the broker has it
        time.sleep(0.25)
        assert relay.publish_due() == 1  # still queued long after: sent again
        assert len(set(sent)) == 1
    finally:
        ctx.close()
