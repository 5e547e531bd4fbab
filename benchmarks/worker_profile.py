"""CPU time and memory of one analysis worker, step by step, on real photos.

Run: python benchmarks/worker_profile.py PHOTOS_DIR [--analyzers default] [--batch 4]

Decodes the photos as a worker does (at the reduced JPEG scale the enabled analyzers allow),
runs every analyzer over batches, and prints CPU milliseconds per image for decoding and for
each analyzer (process CPU time, so it holds on a machine shared with other work), with the
process's resident memory after loading the models and its peak. PHOTOS_DIR: the label
evaluation photos (benchmarks/label_eval); the mix is that of `images.py --camera-mix`.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from images import camera_mix  # noqa: E402
from proc_usage import rss_mib  # noqa: E402

from mediaquery.analyzers import registry  # noqa: E402
from mediaquery.config import Settings  # noqa: E402
from mediaquery.decode import decode_image  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("photos", type=Path)
    ap.add_argument("--analyzers", default="default")
    ap.add_argument("--batch", type=int, default=4)
    args = ap.parse_args()
    settings = Settings()
    names = settings.analyzers if args.analyzers == "default" else args.analyzers.split(",")
    analyzers = registry.build(names, settings.model_dir, 1, settings)
    sides = [a.min_side for a in analyzers]
    min_side = None if None in sides else max(s for s in sides if s)
    blobs = list(camera_mix(args.photos).values())
    pid = os.getpid()
    start = rss_mib(pid)
    probe = decode_image(io.BytesIO(blobs[0]), settings.max_image_pixels, min_side).image
    for a in analyzers:
        a.analyze(probe)  # load every model
    loaded = rss_mib(pid)
    cpu = {"decode": 0.0, **{a.name: 0.0 for a in analyzers}}
    for i in range(0, len(blobs), args.batch):
        t = time.process_time()
        images = [
            decode_image(io.BytesIO(b), settings.max_image_pixels, min_side).image
            for b in blobs[i : i + args.batch]
        ]
        cpu["decode"] += time.process_time() - t
        for a in analyzers:
            t = time.process_time()
            a.analyze_batch(images)
            cpu[a.name] += time.process_time() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(cpu.values())
    n = len(blobs)
    print(f"{n} photos, batches of {args.batch}, decoded with min_side {min_side}")
    print(f"RSS: {start:.0f} MiB at start, {loaded:.0f} MiB with models loaded, peak {peak:.0f}")
    for name, s in cpu.items():
        print(f"  {name:<12} {1000 * s / n:7.1f} ms CPU/image  {100 * s / total:4.1f} %")
    print(f"  {'total':<12} {1000 * total / n:7.1f} ms CPU/image")


if __name__ == "__main__":
    main()
