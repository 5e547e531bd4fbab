"""Video pipeline throughput: real-time factor at 1 sample/s on synthetic 60 s and 10 min clips.

    .venv/bin/python benchmarks/video.py [--only 60|600] [--threads 1]

The clips are made once (cached in the temp folder; the 10 min one takes ~3 min):
scikit-image photos, each shown for 4-6 s with a slow pan and zoom (so consecutive frames
differ like camera footage), hard cuts between them, 640x360 at 25 fps, H.264 as x264
`veryfast` writes it by default (keyframe at most every 10 s, plus at cuts, B-frames).
`labels` runs on every sample; `text` and `people` (when importable) once per shot, in a
second thread. It prints the real-time factor (video seconds per wall second), where the
time went (decoding vs each analyzer), and the shot detector's histogram distances within
shots and across cuts (shots.THRESHOLD is derived on other photos, by
scripts/calibrate_shots.py: these distances show how it fares here). It calls the video
analyser directly, in one process: no upload, queue or index writes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from bisect import bisect_right
from pathlib import Path

import av
import numpy as np
from PIL import Image

from mediaquery.analyzers.base import Analyzer
from mediaquery.analyzers.imagenet import LabelsAnalyzer
from mediaquery.video.analyze import analyze_video
from mediaquery.video.decode import sample_frames
from mediaquery.video.shots import ShotDetector

SIZE = (640, 360)
FPS = 25
PHOTOS = (
    "chelsea astronaut coffee rocket camera coins hubble_deep_field immunohistochemistry "
    "moon clock retina page colorwheel brick cell grass"
).split()
Box = tuple[float, float, float, float]
CACHE = Path(tempfile.gettempdir()) / "mediaquery-video-bench"


def _photo(name: str) -> Image.Image:
    from skimage import data

    return Image.fromarray(getattr(data, name)()).convert("RGB")


def shot_frames(photo: Image.Image, frames: int, seed: int) -> list[Box]:
    """Crop boxes for a pan-and-zoom across `photo` (16:9, 60-85% of its width)."""
    rng = np.random.default_rng(seed)
    w, h = photo.size
    boxes: list[Box] = []
    (s0, s1), (x0, x1), (y0, y1) = (
        rng.uniform(0.6, 0.85, 2),
        rng.uniform(0, 1, 2),
        rng.uniform(0, 1, 2),
    )
    for i in range(frames):
        t = i / max(1, frames - 1)
        cw = min(w, (s0 + (s1 - s0) * t) * w)
        ch = min(h, cw * SIZE[1] / SIZE[0])
        cw = ch * SIZE[0] / SIZE[1]
        left = (x0 + (x1 - x0) * t) * (w - cw)
        top = (y0 + (y1 - y0) * t) * (h - ch)
        boxes.append((left, top, left + cw, top + ch))
    return boxes


def make_clip(path: Path, seconds: int) -> list[int]:
    """Write the clip (if missing) and return the cut times in ms."""
    rng = np.random.default_rng(seconds)
    lengths: list[int] = []
    while sum(lengths) < seconds * FPS:
        lengths.append(min(int(rng.integers(4 * FPS, 6 * FPS + 1)), seconds * FPS - sum(lengths)))
    cuts = [sum(lengths[:i]) * 1000 // FPS for i in range(1, len(lengths))]
    if path.exists():
        return cuts
    photos = {name: _photo(name) for name in PHOTOS}
    for photo in photos.values():  # crops of a 2x-sized copy look the same, 3x faster
        photo.thumbnail((2 * SIZE[0], 2 * SIZE[0]))
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=FPS, options={"preset": "veryfast"})
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        pts = 0
        for shot, n in enumerate(lengths):
            photo = photos[PHOTOS[shot % len(PHOTOS)]]
            for box in shot_frames(photo, n, seed=shot):
                frame = av.VideoFrame.from_image(photo.resize(SIZE, Image.Resampling.BILINEAR, box))
                frame.pts = pts
                pts += 1
                out.mux(stream.encode(frame))
        out.mux(stream.encode())
    tmp.rename(path)
    return cuts


def shot_distances(path: Path, cuts: list[int]) -> None:
    """Print the detector's distances within shots and across cuts, at 1 sample/s."""
    detector = ShotDetector()
    within: list[float] = []
    across: list[float] = []
    prev = -1
    for frame in sample_frames(path):
        detector.is_new_shot(frame.image)
        if prev >= 0:
            cut = any(prev < c <= frame.ts_ms for c in cuts)
            (across if cut else within).append(detector.last_distance)
        prev = frame.ts_ms
    print(
        f"  shot distance within shots: max {max(within):.3f}, p99 "
        f"{np.percentile(within, 99):.3f}; across cuts: min {min(across):.3f}, "
        f"p1 {np.percentile(across, 1):.3f} (threshold {detector.threshold})"
    )


def expensive_analyzers(models: Path, threads: int) -> list[Analyzer]:
    """`text` and `people`, whichever are importable."""
    found: list[Analyzer] = []
    try:
        from mediaquery.analyzers.text import TextAnalyzer

        found.append(TextAnalyzer(models, threads=threads))
    except ImportError:
        print("  (text analyzer not importable: skipped)")
    try:
        from mediaquery.analyzers.people import PeopleAnalyzer

        found.append(PeopleAnalyzer(models, threads=threads))
    except ImportError:
        print("  (people analyzer not importable: skipped)")
    return found


def bench(path: Path, seconds: int, cuts: list[int], threads: int) -> None:
    models = CACHE / "models"
    cheap: list[Analyzer] = [LabelsAnalyzer(models, threads=threads)]
    expensive = expensive_analyzers(models, threads)
    warm = Image.new("RGB", SIZE)
    for a in cheap + expensive:  # load models outside the timing
        a.analyze(warm)
    start = time.perf_counter()
    result = analyze_video(path, cheap, expensive, interval_ms=1000)
    wall = time.perf_counter() - start
    st = result.stats
    # A shot shorter than the sampling interval may hold no sampling point: it cannot be seen.
    visible = len({bisect_right(cuts, t) for t in range(0, seconds * 1000, 1000)})
    print(
        f"{seconds:>4} s clip: {wall:6.2f} s wall, real-time factor {seconds / wall:5.1f}x, "
        f"{result.frames_analyzed} samples, {len(result.shots)} shots ({visible} in the clip "
        f"hold a sample), {st.seeks} seeks, {st.frames_decoded} frames decoded"
    )
    # Decoding, the cheap analyzers and the expensive ones run in three threads on two cores:
    # their busy times overlap, so they are shown as shares of the total busy time.
    busy = {"decode": st.decode_s, **st.analyze_s}
    total = sum(busy.values())
    shares = ", ".join(f"{k} {v:.2f} s ({100 * v / total:.0f}%)" for k, v in busy.items())
    print(f"  busy time {total:.2f} s in {wall:.2f} s wall: {shares}")
    print(
        f"  decoding {100 * st.decode_s / total:.0f}% vs analysing "
        f"{100 * (total - st.decode_s) / total:.0f}% of the busy time; the analyzers waited "
        f"{st.wait_s:.2f} s for frames"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, choices=(60, 600))
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime threads per model")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    for seconds in (60, 600):
        if args.only and args.only != seconds:
            continue
        path = CACHE / f"clip-{seconds}s.mp4"
        t = time.perf_counter()
        cuts = make_clip(path, seconds)
        print(f"{path} ready in {time.perf_counter() - t:.1f} s")
        shot_distances(path, cuts)
        bench(path, seconds, cuts, args.threads)


if __name__ == "__main__":
    main()
