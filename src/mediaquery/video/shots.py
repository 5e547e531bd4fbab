"""A cheap shot-change detector: colour and brightness histograms of a tiny thumbnail."""

from __future__ import annotations

import numpy as np
from PIL import Image

THUMB = (64, 36)
HUE_BINS, SAT_BINS, VAL_BINS = 8, 4, 4
GRAY_BINS = 16
# Distances run from 0 (same histograms) to 1 (disjoint). Derived by scripts/calibrate_shots.py
# on shots made from the calibration photos (kept apart from the photos of the tests and of
# benchmarks/video.py; each panned and zoomed for 4-6 s, hard cuts, one frame a second): at
# most 0.30 within a shot (p99 0.20); across cuts p1 0.44, but one cut between two similar
# photos measures 0.22. Every value from 0.31 to 0.43 makes that one error; the threshold is
# the middle of them.
THRESHOLD = 0.37


def signature(image: Image.Image) -> np.ndarray:
    """A frame's histogram signature: HSV joint histogram, then a gray histogram; each sums to 1."""
    thumb = image.convert("RGB").resize(THUMB, Image.Resampling.BILINEAR)
    hsv = np.asarray(thumb.convert("HSV"), dtype=np.uint16)
    # Hue means nothing for near-grey pixels; they all count in hue bin 0 (by saturation bin 0).
    idx = (
        (hsv[..., 0] * HUE_BINS // 256) * SAT_BINS * VAL_BINS
        + (hsv[..., 1] * SAT_BINS // 256) * VAL_BINS
        + hsv[..., 2] * VAL_BINS // 256
    )
    joint = np.bincount(idx.ravel(), minlength=HUE_BINS * SAT_BINS * VAL_BINS).astype(np.float64)
    gray = np.asarray(thumb.convert("L"), dtype=np.uint16) * GRAY_BINS // 256
    grays = np.bincount(gray.ravel(), minlength=GRAY_BINS).astype(np.float64)
    return np.concatenate([joint / joint.sum(), grays / grays.sum()])


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """How different two signatures are, 0-1: the larger of the colour and gray distances."""
    split = HUE_BINS * SAT_BINS * VAL_BINS
    colour = 0.5 * float(np.abs(a[:split] - b[:split]).sum())
    gray = 0.5 * float(np.abs(a[split:] - b[split:]).sum())
    return max(colour, gray)


class ShotDetector:
    """Compares each sample with the previous one; a big histogram change starts a new shot."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self.previous: np.ndarray | None = None
        self.last_distance = 1.0  # to the previous sample, for tuning and logs

    def is_new_shot(self, image: Image.Image) -> bool:
        """True for the first frame and for frames unlike the previous sample."""
        current = signature(image)
        previous, self.previous = self.previous, current
        if previous is None:
            self.last_distance = 1.0
            return True
        self.last_distance = distance(previous, current)
        return self.last_distance > self.threshold
