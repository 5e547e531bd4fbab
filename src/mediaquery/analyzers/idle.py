"""Free the models of analyzers left unused for a while, as Immich does: a process that sits
idle gives their memory back, and the next use loads them again (`models.idle_unload_seconds`)."""

from __future__ import annotations

import ctypes
import gc
import logging
import sys
import threading
import time
from collections.abc import Sequence

from mediaquery.analyzers.base import Analyzer

log = logging.getLogger(__name__)


def unload_idle(
    analyzers: Sequence[Analyzer], idle_seconds: float, now: float | None = None
) -> list[str]:
    """Unload each analyzer unused for `idle_seconds`; the names of those unloaded."""
    now = time.monotonic() if now is None else now
    freed = [a.name for a in analyzers if a.unload_if_idle(idle_seconds, now)]
    if freed:
        _give_back_memory()
        log.info("unloaded the models of %s (unused for %g s)", ", ".join(freed), idle_seconds)
    return freed


def _give_back_memory() -> None:
    """Return freed heap pages to the system: glibc keeps them otherwise, and the process's
    memory would not shrink (labels: 165 → 108 MB with this, 10 MB less without; see
    benchmarks/idle_unload.py)."""
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl): nothing to trim
            pass


def start_idle_unloader(
    analyzers: Sequence[Analyzer], idle_seconds: float
) -> threading.Event | None:
    """Check a few times per `idle_seconds` (at most every 30 s) in a daemon thread until the
    returned event is set; None (no thread) when `idle_seconds` is 0: never unload."""
    if idle_seconds <= 0 or not analyzers:
        return None
    stop = threading.Event()
    period = min(max(idle_seconds / 4, 0.05), 30.0)

    def run() -> None:
        while not stop.wait(period):
            unload_idle(analyzers, idle_seconds)

    threading.Thread(target=run, name="idle-unload", daemon=True).start()
    return stop
