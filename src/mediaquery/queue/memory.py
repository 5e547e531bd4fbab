"""Give memory freed by a batch back to the system, so idle workers do not sit on their peak.

Analysing an image allocates large short-lived buffers (the OCR detector's feature maps are
over 100 MB for a 960 px input). glibc keeps such freed memory in the process heap for reuse,
so each worker's resident size stayed near its largest batch ever (about 900 MiB with every
default analyzer on camera photos) and, summed over workers, passed 1.5 GiB. `malloc_trim`
returns the free pages; it costs about a millisecond per batch.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_free_memory() -> bool:
    """Return freed heap memory to the system (glibc); False where there is no such call."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
