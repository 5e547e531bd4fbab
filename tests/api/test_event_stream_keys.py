"""An open event stream ends once the API key that opened it is revoked (real server, CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from mediaquery.auth.guard import CACHE_SECONDS
from mq_server import Server

MARGIN = 10.0  # seconds beyond the key cache's interval (a loaded machine, a poll interval)


def keys_cli(data: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "mediaquery", "keys", *args, "--data-dir", str(data)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.slow
def test_revoking_a_key_ends_the_event_stream_it_opened(tmp_path: Path, model_cache: Path) -> None:
    data = tmp_path / "data"
    key = keys_cli(data, "create", "dashboard", "--scope", "read")
    server = Server(data, model_cache, workers=0)
    server.start()
    opened, ended = threading.Event(), threading.Event()
    client = httpx.Client(timeout=httpx.Timeout(10, read=120))

    def follow() -> None:
        try:
            with client.stream("GET", f"{server.url}/v1/events", headers={"X-API-Key": key}) as r:
                assert r.status_code == 200
                for line in r.iter_lines():
                    if line.startswith("retry:"):
                        opened.set()
            ended.set()
        except httpx.HTTPError:
            pass  # closed by the test after a failure

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    try:
        assert opened.wait(60), "the stream did not open"
        keys_cli(data, "revoke", key.split("_")[1])
        revoked_at = time.monotonic()
        assert ended.wait(CACHE_SECONDS + MARGIN), "the stream outlived its revoked key"
        assert time.monotonic() - revoked_at >= 0  # ended after the revocation, not before
        again = httpx.get(f"{server.url}/v1/events", headers={"X-API-Key": key}, timeout=30)
        assert again.status_code == 401 and "revoked" in again.json()["message"]
    finally:
        client.close()
        server.stop()
