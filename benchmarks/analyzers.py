"""Per-analyzer cost on 640x480 JPEG photos, one thread each, with and without text.

Run: python benchmarks/analyzers.py [--images 20] [--cache-dir DIR]

Decodes JPEGs cut from scikit-image's photographs (and the same photos with a caption and a
sign drawn on them), runs every analyzer in pipeline order on each decoded image, and prints
the median wall and CPU milliseconds per image for each analyzer and for the whole chain.
`moderation` runs after `people` and reuses its NudeNet detections, as in a worker; the
`nudenet` row shows what that shared run costs on its own. The product target is 4 images/s
on 2 cores, i.e. about 450 ms of CPU per image for everything.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mediaquery.analyzers import nudenet_detector
from mediaquery.analyzers.base import Analyzer
from mediaquery.analyzers.moderation import ModerationAnalyzer
from mediaquery.analyzers.people import PeopleAnalyzer
from mediaquery.analyzers.text import TextAnalyzer
from mediaquery.decode import decode_image

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "mediaquery-bench"
SIZE = (640, 480)
MAX_PIXELS = 100_000_000


def make_photos(count: int, with_text: bool) -> list[bytes]:
    """640x480 JPEGs cut from scikit-image photos; optionally with a caption and a sign."""
    from skimage import data

    sources = [
        Image.fromarray(f()).convert("RGB")
        for f in (data.chelsea, data.coffee, data.rocket, data.astronaut, data.camera)
    ]
    rng = np.random.default_rng(0)
    out = []
    for i in range(count):
        src = sources[i % len(sources)]
        w, h = src.size
        cw, ch = int(w * rng.uniform(0.7, 1.0)), int(h * rng.uniform(0.7, 1.0))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        img = src.crop((x, y, x + cw, y + ch)).resize(SIZE, Image.Resampling.BICUBIC)
        if with_text:
            _draw_text(img, i)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def _draw_text(img: Image.Image, i: int) -> None:
    draw = ImageDraw.Draw(img)
    big, small = ImageFont.load_default(size=34), ImageFont.load_default(size=20)
    draw.rectangle((20, 380, 620, 460), fill="white")
    draw.text((30, 385), f"GRAND OPENING {2020 + i % 7}", font=big, fill="black")
    draw.text(
        (30, 428), "Open daily from nine to five, closed on Sundays", font=small, fill="black"
    )
    draw.rectangle((400, 30, 610, 80), fill=(200, 30, 30))
    draw.text((410, 38), f"EXIT {i % 9 + 1}", font=big, fill="white")


def _analyzers(cache_dir: Path) -> list[Analyzer]:
    found: list[Analyzer] = []
    try:
        from mediaquery.analyzers.imagenet import LabelsAnalyzer

        labels = LabelsAnalyzer(cache_dir, threads=1)
        labels.load()
        found.append(labels)
    except Exception as exc:  # noqa: BLE001 - its data file may not exist yet: skip it
        print(f"labels: skipped ({type(exc).__name__}: {exc})")
    for cls in (PeopleAnalyzer, ModerationAnalyzer, TextAnalyzer):
        found.append(cls(cache_dir, threads=1))
    return found


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def measure(analyzers: list[Analyzer], photos: list[bytes]) -> dict[str, list[tuple[float, float]]]:
    """Wall and CPU ms for each image and row: decode, each analyzer, nudenet, total."""
    rows: dict[str, list[tuple[float, float]]] = {"decode": []}
    rows.update({a.name: [] for a in analyzers})
    rows["nudenet"], rows["total"] = [], []
    warm = decode_image(io.BytesIO(photos[0]), MAX_PIXELS).image
    for analyzer in analyzers:  # load models and let every session allocate its buffers
        analyzer.analyze(warm)
    for jpeg in photos:
        for name, times in _one_image(analyzers, jpeg).items():
            rows[name].append(times)
    return rows


def _one_image(analyzers: list[Analyzer], jpeg: bytes) -> dict[str, tuple[float, float]]:
    decoded: list[Image.Image] = []
    out = {
        "decode": _timed(lambda: decoded.append(decode_image(io.BytesIO(jpeg), MAX_PIXELS).image))
    }
    image = decoded[0]
    for analyzer in analyzers:
        out[analyzer.name] = _timed(lambda a=analyzer: a.analyze(image))  # type: ignore[misc]
    out["total"] = (sum(t[0] for t in out.values()), sum(t[1] for t in out.values()))
    copy = image.copy()  # a new object: the detector cannot reuse its last run
    out["nudenet"] = _timed(lambda: nudenet_detector.detect(copy, 1))
    return out


def report(title: str, rows: dict[str, list[tuple[float, float]]]) -> None:
    print(f"\n{title} ({len(rows['total'])} images, 1 thread)")
    print(f"{'':12} {'wall ms':>9} {'cpu ms':>9}")
    for name, times in rows.items():
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        note = "  (shared with people, not in total)" if name == "nudenet" else ""
        print(f"{name:12} {wall:9.1f} {cpu:9.1f}{note}")
    cpu_mean = statistics.fmean(t[1] for t in rows["total"])
    print(f"-> {2000.0 / cpu_mean:.1f} images/s on 2 cores (mean CPU {cpu_mean:.0f} ms/image)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    analyzers = _analyzers(args.cache_dir)
    for with_text in (False, True):
        rows = measure(analyzers, make_photos(args.images, with_text))
        report("photos with text" if with_text else "photos without text", rows)


if __name__ == "__main__":
    main()
