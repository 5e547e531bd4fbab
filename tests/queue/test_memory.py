"""Workers give memory freed after a batch back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

import pytest

from mediaquery.queue.memory import release_free_memory


def _rss_mib() -> float:
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_freed_heap_memory_goes_back_to_the_system() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    # 160 MiB in 64 KiB blocks (under glibc's mmap threshold: from the heap), each touched;
    # the last block stays, so the heap cannot shrink from its top by itself.
    blocks = [libc.malloc(64 * 1024) for _ in range(2560)]
    for b in blocks:
        ctypes.memset(b, 1, 64 * 1024)
    for b in blocks[:-1]:
        libc.free(b)
    held = _rss_mib()
    assert release_free_memory()
    assert _rss_mib() < held - 100  # most of the 160 MiB is back
    libc.free(blocks[-1])
