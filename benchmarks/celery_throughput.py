"""Throughput of Celery workers against the embedded worker pool, on the same photos.

Run: python benchmarks/celery_throughput.py [--images 96] [--broker redis://127.0.0.1:6379/0]

For each setup it starts `mediaquery serve` in a fresh data folder (with the broker configured,
plus `mediaquery worker` processes, for the Celery ones), warms the model up in every worker,
uploads the 640x480 JPEGs of benchmarks/images.py over HTTP (4 at a time) and reports images/s
from the first upload to the last `media.done` event. The `labels` analyzer only. Figures, not
assertions: this machine is shared and its timing noisy. (Not named celery.py: run as a
script, its folder comes first on sys.path, and that name would shadow the celery package.)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from images import _wait_healthy, _wait_prefix_done, free_port, listen_done, make_photos  # noqa: E402

from mediaquery.runtime.efficientnet import ensure_model  # noqa: E402


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "mediaquery", *cmd], env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _stop(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _drop_queues(broker: str, tag: str, names: list[str]) -> None:
    """Delete the run's queues (and, on Redis, kombu's binding keys for them)."""
    if broker.startswith("redis"):
        import redis

        r = redis.Redis.from_url(broker)
        for key in r.scan_iter(match=f"*{tag}*"):
            r.delete(key)
        return
    from kombu import Connection

    with Connection(broker) as conn:
        for name in names:
            conn.channel().queue_delete(name)
            conn.channel().exchange_delete(name)


def run(photos: dict[str, bytes], workers: int, broker: str | None) -> float:
    """images/s for one setup: `workers` embedded processes, or Celery workers when `broker`."""
    data_dir = Path(tempfile.mkdtemp(prefix="mq-bench-celery-"))
    models = Path(tempfile.gettempdir()) / "mediaquery-bench"
    ensure_model(models)
    port, tag = free_port(), f"mq-bench-{uuid.uuid4().hex[:8]}"
    url = f"http://127.0.0.1:{port}"
    queues = [f"{tag}.images", f"{tag}.videos"]
    env = {
        **os.environ,
        "MEDIAQUERY_ANALYZERS": '["labels"]',
        "MEDIAQUERY_MODELS_DIR": str(models),
        "MEDIAQUERY_LOG_LEVEL": "WARNING",
        "MEDIAQUERY_QUEUE__WORKERS": str(workers),
        "MEDIAQUERY_QUEUE__POLL_INTERVAL": "0.05",
        "MEDIAQUERY_WATCH": "false",
        "MEDIAQUERY_RECONCILE_ON_START": "false",
    }
    if broker:
        env.update({"MEDIAQUERY_BROKER_URL": broker, "MEDIAQUERY_CELERY__IMAGE_QUEUE": queues[0],
                    "MEDIAQUERY_CELERY__VIDEO_QUEUE": queues[1]})  # fmt: skip
    server = _start(["serve", "--data-dir", str(data_dir), "--port", str(port)], env,
                    data_dir / "server.log")  # fmt: skip
    celery = [
        _start(["worker", "--data-dir", str(data_dir), "--concurrency", "1"], env,
               data_dir / f"worker-{i}.log")
        for i in range(workers if broker else 0)
    ]  # fmt: skip
    try:
        _wait_healthy(url)
        warm = make_photos(2 * workers)
        for name, blob in warm.items():  # load the model in every worker before timing
            httpx.put(f"{url}/v1/media/warm/{name}", content=blob).raise_for_status()
        _wait_prefix_done(url, "warm/", len(warm))
        done_at: dict[str, float] = {}
        listener = listen_done(url, set(photos), done_at)
        t0 = time.perf_counter()
        with httpx.Client(timeout=60) as client, ThreadPoolExecutor(4) as pool:

            def put(item: tuple[str, bytes]) -> None:
                client.put(f"{url}/v1/media/{item[0]}", content=item[1]).raise_for_status()

            list(pool.map(put, photos.items()))
        listener.join(600)
        if len(done_at) < len(photos):
            raise SystemExit(f"only {len(done_at)} of {len(photos)} finished; see {data_dir}")
        return len(photos) / (max(done_at.values()) - t0)
    finally:
        for proc in celery:
            _stop(proc, signal.SIGTERM)
        _stop(server, signal.SIGINT)
        if broker:
            _drop_queues(broker, tag, queues)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=96)
    ap.add_argument("--broker", default=os.environ.get("MEDIAQUERY_BENCH_BROKER_URL",
                                                       "redis://127.0.0.1:6379/0"))  # fmt: skip
    args = ap.parse_args()
    photos = make_photos(args.images)
    print(f"{args.images} images 640x480, labels analyzer, {os.cpu_count()} cores")
    for label, workers, broker in [
        ("embedded, 1 worker process", 1, None),
        ("embedded, 2 worker processes", 2, None),
        ("celery (redis), 1 worker", 1, args.broker),
        ("celery (redis), 2 workers", 2, args.broker),
    ]:
        rate = run(photos, workers, broker)
        print(f"{label:<32} {rate:6.1f} images/s")


if __name__ == "__main__":
    main()
