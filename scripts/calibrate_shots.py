"""Derive the video shot detector's THRESHOLD (``video/shots.py``).

    python scripts/calibrate_shots.py --photos DIR

on the calibration photos of ``scripts/calibration_photos.py`` (none is a photo the tests or
``benchmarks/video.py`` use). Each photo becomes one shot of 4-6 s, a slow pan and zoom as
``benchmarks/video.py`` makes them (640x360 at 25 fps), and the shots follow each other with
hard cuts. The detector sees one frame a second, as ``mediaquery`` samples videos (frames are
taken straight from the pan, not through a video encoder). Prints the histogram distances
within shots and across cuts and derives the threshold: halfway between the largest distance
within a shot and the smallest across a cut, to two decimals, or, where they overlap, the
value with the fewest missed cuts plus false cuts (the middle one of those that tie).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "benchmarks"))
from calibration_photos import add_arguments, calibration_photos  # noqa: E402

from mediaquery.video.shots import THRESHOLD, distance, signature  # noqa: E402
from video import FPS, SIZE, shot_frames  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    within: list[float] = []
    across: list[float] = []
    previous = None
    for shot, photo in enumerate(calibration_photos(args.photos, args.manifest)):
        image = photo.image().convert("RGB")
        image.thumbnail((2 * SIZE[0], 2 * SIZE[0]))  # as benchmarks/video.py: same look
        frames = int(rng.integers(4 * FPS, 6 * FPS + 1))
        for i, box in enumerate(shot_frames(image, frames, seed=shot)[::FPS]):
            current = signature(image.resize(SIZE, Image.Resampling.BILINEAR, box))
            if previous is not None:
                (across if i == 0 else within).append(distance(previous, current))
            previous = current
    inside, cuts = np.array(within), np.array(across)
    print(
        f"{len(inside)} distances within shots: max {inside.max():.3f}, "
        f"p99 {np.percentile(inside, 99):.3f}, p50 {np.median(inside):.3f}"
    )
    print(
        f"{len(cuts)} distances across cuts: min {cuts.min():.3f}, "
        f"p1 {np.percentile(cuts, 1):.3f}, p50 {np.median(cuts):.3f}"
    )
    print("\nthreshold  false cuts  missed cuts")
    grid = np.round(np.arange(0.20, 0.71, 0.02), 2)
    for t in grid:
        print(f"  {t:>7.2f}  {(inside > t).sum():>10}  {(cuts <= t).sum():>11}")
    if inside.max() < cuts.min():
        derived = round((inside.max() + cuts.min()) / 2, 2)
    else:
        fine = np.round(np.arange(0.0, 1.0, 0.01), 2)
        errors = np.array([(inside > t).sum() + (cuts <= t).sum() for t in fine])
        best = fine[errors == errors.min()]
        derived = float(best[len(best) // 2])  # the middle of the best values
    print(f"\nderived THRESHOLD {derived} (current {THRESHOLD})")


if __name__ == "__main__":
    main()
