"""The one place that imports LiteRT: MediaPipe's BlazePose person detector.

The model (``pose_detection.tflite``, Apache-2.0) is the first stage of MediaPipe's pose
tracker: an SSD over a 224x224 RGB image in [-1, 1] that finds a person by their head (the
box it regresses) and four keypoints: the middle of the hips, a point on the circle around
the whole body, the middle of the shoulders and a point on the circle around the upper body.
It sees people from the side, from behind and with a covered face, where a face detector sees
nothing. Anchors, decoding and suppression are written here from the model's published
options (MediaPipe's ``pose_detection_cpu.pbtxt``): MediaPipe itself is no dependency.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from mediaquery.runtime.boxes import nms

SIDE = 224  # the model's input, square
# SSD anchors, one group per distinct stride: cells of STRIDE px with PER_CELL anchors each.
# The options are 5 layers of strides 8, 16, 32, 32, 32 with one aspect ratio plus an
# interpolated scale (2 anchors a layer); layers of one stride share cells, so stride 32 has
# 3 x 2 = 6 per cell. `fixed_anchor_size` makes every anchor 1 x 1: only its centre matters.
ANCHOR_GROUPS = ((8, 2), (16, 2), (32, 6))
NUM_ANCHORS = 2254
KEYPOINTS = 4  # hips centre, full-body circle point, shoulders centre, upper-body circle point
SCORE_CLIP = 100.0  # raw scores are clipped to +-100 before the sigmoid, as MediaPipe does
SUPPRESS_IOU = 0.3  # MediaPipe's non-maximum suppression threshold for this model


@dataclass(frozen=True, slots=True)
class Pose:
    """One detected person; boxes are (x0, y0, x1, y1) in pixels of the image given."""

    score: float  # 0-1
    head: tuple[float, float, float, float]
    body: tuple[float, float, float, float]  # the circle around the whole body, as a square


def available() -> str | None:
    """Why the detector cannot run here (a package is missing), or None."""
    if importlib.util.find_spec("ai_edge_litert") is None:
        return "the ai-edge-litert package is not installed (pip install ai-edge-litert)"
    return None


@cache
def anchors() -> np.ndarray:
    """The NUM_ANCHORS anchor centres, [N, 2] as (x, y) in 0-1, in the model's output order."""
    rows = []
    for stride, per_cell in ANCHOR_GROUPS:
        cells = -(-SIDE // stride)  # ceil
        centre = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        ys, xs = np.meshgrid(centre, centre, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        rows.append(np.repeat(grid, per_cell, axis=0))
    out = np.concatenate(rows)
    if len(out) != NUM_ANCHORS:  # the options above are wrong, not the image
        raise RuntimeError(f"{len(out)} anchors, the model has {NUM_ANCHORS}")
    return out


def letterbox(image: Image.Image, region: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """A region of the image (the whole by default) scaled to fit SIDE x SIDE, centred on
    black as MediaPipe pads, as the model's [1, SIDE, SIDE, 3] float input in [-1, 1]."""
    crop = image.convert("RGB") if region is None else image.convert("RGB").crop(region)
    w, h = crop.size
    f = SIDE / max(w, h)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = np.asarray(crop.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0))
    out = np.full((SIDE, SIDE, 3), -1.0, dtype=np.float32)
    x0, y0 = (SIDE - size[0]) // 2, (SIDE - size[1]) // 2
    out[y0 : y0 + size[1], x0 : x0 + size[0]] = small.astype(np.float32) / 127.5 - 1.0
    return out[None]


def decode(boxes: np.ndarray, scores: np.ndarray, floor: float) -> list[Pose]:
    """The raw outputs ([1, N, 12] regressors, [1, N, 1] logits) as poses of at least
    ``floor``, overlapping heads suppressed, boxes in 0-1 of the model's input."""
    logits = np.clip(scores.reshape(-1).astype(np.float64), -SCORE_CLIP, SCORE_CLIP)
    prob = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(prob >= floor)
    if not len(keep):
        return []
    raw = boxes.reshape(-1, 4 + 2 * KEYPOINTS)[keep] / SIDE
    centre = anchors()[keep]
    cx, cy = raw[:, 0] + centre[:, 0], raw[:, 1] + centre[:, 1]
    hw, hh = raw[:, 2] / 2, raw[:, 3] / 2
    heads = np.stack([cx - hw, cy - hh, cx + hw, cy + hh], axis=1)
    points = raw[:, 4:].reshape(-1, KEYPOINTS, 2) + centre[:, None, :]
    # The whole body: a circle around the hips' centre through the second keypoint.
    hips, rim = points[:, 0], points[:, 1]
    radius = np.hypot(*(rim - hips).T)
    bodies = np.concatenate([hips - radius[:, None], hips + radius[:, None]], axis=1)
    kept = nms(heads, prob[keep], SUPPRESS_IOU)  # overlapping heads are one person
    return [Pose(float(prob[keep][i]), _box(heads[i]), _box(bodies[i])) for i in kept]


def _box(row: np.ndarray) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in row)
    return (x0, y0, x1, y1)


class PoseDetector:
    """BlazePose's person detector on LiteRT's CPU interpreter."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter  # only here: an optional runtime

        self.path = Path(path)
        self._interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self._interpreter.allocate_tensors()
        inputs = self._interpreter.get_input_details()
        outputs = {tuple(d["shape"]): d["index"] for d in self._interpreter.get_output_details()}
        if len(inputs) != 1 or tuple(inputs[0]["shape"]) != (1, SIDE, SIDE, 3):
            raise RuntimeError(f"{path} is not the pose detector: input {inputs}")
        self._input = inputs[0]["index"]
        self._boxes = outputs[(1, NUM_ANCHORS, 4 + 2 * KEYPOINTS)]
        self._scores = outputs[(1, NUM_ANCHORS, 1)]
        self._lock = threading.Lock()  # one interpreter's tensors serve one call at a time

    def detect(
        self, image: Image.Image, floor: float, region: tuple[int, int, int, int] | None = None
    ) -> list[Pose]:
        """People of at least ``floor`` in a region of the image (the whole by default),
        boxes in pixels of the image."""
        x, y, x1, y1 = region if region is not None else (0, 0, *image.size)
        w, h = x1 - x, y1 - y
        tensor = letterbox(image, region)
        with self._lock:
            self._interpreter.set_tensor(self._input, tensor)
            self._interpreter.invoke()
            boxes = self._interpreter.get_tensor(self._boxes)
            scores = self._interpreter.get_tensor(self._scores)
        # From 0-1 of the padded square back to the image's pixels.
        side = max(w, h)
        ox, oy = x - (side - w) / 2, y - (side - h) / 2

        def px(b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
            return (ox + b[0] * side, oy + b[1] * side, ox + b[2] * side, oy + b[3] * side)

        return [Pose(p.score, px(p.head), px(p.body)) for p in decode(boxes, scores, floor)]
