"""Memory a process gives back when an idle model is unloaded, and what reloading costs.

Runs the labels analyzer (EfficientNet-Lite0) on a real photo, unloads it as the idle
unloader does, and runs it again, printing the process's resident memory at each step:

    MEDIAQUERY_TEST_MODEL_CACHE=/work/mq-models python benchmarks/idle_unload.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from PIL import Image
from skimage import data

from mediaquery.analyzers.idle import unload_idle
from mediaquery.analyzers.imagenet import LabelsAnalyzer


def rss_mb() -> float:
    """Resident memory of this process (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def main() -> None:
    cache = os.environ.get("MEDIAQUERY_TEST_MODEL_CACHE") or tempfile.mkdtemp()
    photo = Image.fromarray(data.chelsea())
    labels = LabelsAnalyzer(Path(cache))
    print(f"before the first image:   {rss_mb():6.0f} MB")
    t = time.perf_counter()
    labels.analyze(photo)
    print(f"loaded, one image:        {rss_mb():6.0f} MB  ({time.perf_counter() - t:.2f} s)")
    unload_idle([labels], 0, now=time.monotonic() + 1)
    print(f"after the idle unload:    {rss_mb():6.0f} MB")
    t = time.perf_counter()
    labels.analyze(photo)
    print(f"reloaded, one image:      {rss_mb():6.0f} MB  ({time.perf_counter() - t:.2f} s)")
    t = time.perf_counter()
    labels.analyze(photo)
    print(f"loaded, the next image:   {rss_mb():6.0f} MB  ({time.perf_counter() - t:.2f} s)")


if __name__ == "__main__":
    main()
