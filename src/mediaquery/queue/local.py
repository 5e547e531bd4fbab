"""The embedded queue: a pool of worker processes inside `mediaquery serve`."""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess

from mediaquery.config import Settings

log = logging.getLogger(__name__)


def _worker_main(settings_json: str, index: int) -> None:
    """Entry point of one worker process (spawned, so it starts clean)."""
    from mediaquery.config import Settings
    from mediaquery.context import open_context
    from mediaquery.logs import setup_logging
    from mediaquery.queue.worker import Worker, parent_watch

    setup_logging()
    stop = threading.Event()
    # Ctrl-C reaches the whole process group: let the server decide when workers stop, and
    # stop on SIGTERM only after the current job. (No multiprocessing.Event: a worker killed
    # while waiting on one deadlocks the server's set().)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ctx = open_context(Settings.model_validate_json(settings_json), run_migrations=False)
    try:
        Worker(ctx, index, stop, parent_watch()).run()
    finally:
        ctx.close()


class WorkerPool:
    """Starts N worker processes and restarts any that die (a crash in a decoder, say)."""

    def __init__(
        self, settings: Settings, on_worker_death: Callable[[], object] | None = None
    ) -> None:
        self.settings = settings
        # called when a worker died: its job can be requeued now instead of at lease expiry
        self.on_worker_death = on_worker_death
        self._mp = mp.get_context("spawn")
        self._procs: list[BaseProcess] = []
        self._monitor: threading.Thread | None = None
        self._closing = threading.Event()

    def start(self) -> None:
        """Start the worker processes and the monitor that keeps them alive."""
        for i in range(self.settings.queue.workers):
            self._procs.append(self._spawn(i))
        self._monitor = threading.Thread(target=self._watch, name="worker-monitor", daemon=True)
        self._monitor.start()

    def _spawn(self, index: int) -> BaseProcess:
        proc = self._mp.Process(
            target=_worker_main,
            args=(self.settings.model_dump_json(), index),
            name=f"mediaquery-worker-{index}",
            daemon=True,
        )
        proc.start()
        return proc

    def _watch(self) -> None:
        while not self._closing.wait(1.0):
            for i, proc in enumerate(self._procs):
                if not proc.is_alive() and not self._closing.is_set():
                    log.warning("worker %s exited with %s; restarting", i, proc.exitcode)
                    self._procs[i] = self._spawn(i)
                    if self.on_worker_death is not None:
                        self.on_worker_death()

    @property
    def alive(self) -> int:
        """How many worker processes are running."""
        return sum(p.is_alive() for p in self._procs)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask workers to finish their current job, then stop them."""
        self._closing.set()
        if self._monitor is not None:
            self._monitor.join()
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()  # SIGTERM: finish the current job, then exit
        deadline = time.monotonic() + timeout
        for proc in self._procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()  # its job stays `running` and is requeued at the next start
                proc.join(2)
        self._procs.clear()
