"""`mediaquery serve` in a subprocess of its own process group, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The real service; its own process group, so a crash can take all of it down."""

    def __init__(
        self,
        data_dir: Path,
        model_cache: Path,
        workers: int = 2,
        *,
        cwd: Path | None = None,
        data_dir_option: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """With `cwd`, the server runs in that folder and `--data-dir` is `data_dir_option`
        (None: no option, the default `./mediaquery-data`, as `make run` starts it); `data_dir`
        is then where the test expects the data folder. `env` adds or overrides variables."""
        self.data_dir, self.port = data_dir, free_port()
        self.cwd = cwd
        self.data_dir_args = ["--data-dir", str(data_dir)]
        if cwd is not None:
            self.data_dir_args = ["--data-dir", data_dir_option] if data_dir_option else []
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (cwd or data_dir.parent) / "server.log"
        self.env = {
            **os.environ,
            "MEDIAQUERY_MODELS_DIR": str(model_cache),
            "MEDIAQUERY_QUEUE__WORKERS": str(workers),
            "MEDIAQUERY_LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        if cwd is not None:
            self.env.pop("MEDIAQUERY_DATA_DIR", None)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until /healthz answers."""
        cmd = [sys.executable, "-m", "mediaquery", "serve", *self.data_dir_args,
               "--port", str(self.port)]  # fmt: skip
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError(f"server did not start:\n{self.log.read_text()}")

    def kill9(self) -> None:
        """Crash the server and its workers at once."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """Ctrl-C, then SIGKILL if it does not stop in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.kill9()

    def item(self, name: str) -> dict[str, Any] | None:
        """The full item, or None when it is not indexed."""
        r = httpx.get(f"{self.url}/v1/media/{name}", timeout=10)
        return r.json() if r.status_code == 200 else None

    def put(self, name: str, data: bytes) -> None:
        """Upload over HTTP."""
        r = httpx.put(f"{self.url}/v1/media/{name}", content=data, timeout=30)
        assert r.status_code in (200, 201), r.text


@contextmanager
def embedded_api(data_dir: Path, model_cache: Path, **env: str) -> Iterator[Server]:
    """A running server without analysis workers, for tests of API behaviour; stopped on exit."""
    server = Server(data_dir, model_cache, workers=0)
    server.env.update(env)
    server.start()
    try:
        yield server
    finally:
        server.stop()
