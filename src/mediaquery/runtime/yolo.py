"""A YOLOv8-style COCO detector on ONNX Runtime: letterbox in, boxes and classes out.

Input: [1, 3, 640, 640] float32 RGB in 0-1, the image scaled to fit and centred on grey
(114). Output: [1, 4 + classes, anchors] (or transposed), each anchor a box (centre x, centre
y, width, height in input pixels) and one score per class, no objectness. Decoding keeps the
best class of each anchor above a confidence, then greedy non-maximum suppression per class.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from mediaquery.runtime.boxes import nms
from mediaquery.runtime.onnx import OnnxModel

INPUT_SIZE = 640
PAD_VALUE = 114
CONFIDENCE = 0.3
IOU = 0.5
MAX_DETECTIONS = 100


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How the image was placed on the input: per-axis scale and the left/top padding."""

    scale_x: float
    scale_y: float
    pad_x: int
    pad_y: int
    width: int  # of the original image
    height: int

    def to_image(self, boxes: np.ndarray) -> np.ndarray:
        """[N, 4] x0, y0, x1, y1 from input pixels back to original pixels, clipped."""
        out = np.empty_like(boxes, dtype=np.float64)
        out[:, [0, 2]] = (boxes[:, [0, 2]] - self.pad_x) / self.scale_x
        out[:, [1, 3]] = (boxes[:, [1, 3]] - self.pad_y) / self.scale_y
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, self.width)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, self.height)
        return out


@dataclass(frozen=True, slots=True)
class Detection:
    class_id: int
    score: float  # 0-1
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in original image pixels


def letterbox(image: Image.Image, size: int = INPUT_SIZE) -> tuple[np.ndarray, Letterbox]:
    """float32 [1, 3, size, size] in 0-1, and where the image went (Ultralytics' layout)."""
    rgb = np.asarray(image.convert("RGB"))
    h, w = rgb.shape[:2]
    r = min(size / h, size / w)
    nw, nh = max(1, round(w * r)), max(1, round(h * r))
    if (nw, nh) != (w, h):
        rgb = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_LINEAR)
    # An odd padding puts the extra pixel on the right/bottom, as Ultralytics does.
    left, top = round((size - nw) / 2 - 0.1), round((size - nh) / 2 - 0.1)
    canvas = np.full((size, size, 3), PAD_VALUE, dtype=np.uint8)
    canvas[top : top + nh, left : left + nw] = rgb
    tensor = canvas.transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    return np.ascontiguousarray(tensor), Letterbox(nw / w, nh / h, left, top, w, h)


def decode(
    output: np.ndarray,
    num_classes: int,
    confidence: float = CONFIDENCE,
    iou_threshold: float = IOU,
    max_detections: int = MAX_DETECTIONS,
) -> list[tuple[int, float, np.ndarray]]:
    """(class, score, x0 y0 x1 y1 in input pixels) from one raw output, after class-wise NMS."""
    rows, cols = int(output.shape[-2]), int(output.shape[-1])
    pred = np.asarray(output, dtype=np.float32).reshape(rows, cols)
    width = 4 + num_classes
    if rows == width and cols != width:
        pred = pred.T  # [4 + classes, anchors] -> [anchors, 4 + classes]
    if pred.shape[1] != width:
        raise ValueError(f"expected {width} values per anchor, got output {output.shape}")
    scores = pred[:, 4:]
    classes = scores.argmax(axis=1)
    best = scores[np.arange(len(pred)), classes]
    hit = best >= confidence
    cx, cy, bw, bh = pred[hit, :4].T
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    classes, best = classes[hit], best[hit]
    found: list[tuple[int, float, np.ndarray]] = []
    for c in np.unique(classes):
        idx = np.flatnonzero(classes == c)
        kept = idx[nms(boxes[idx], best[idx], iou_threshold)]
        found.extend((int(c), float(best[i]), boxes[i]) for i in kept)
    found.sort(key=lambda d: -d[1])
    return found[:max_detections]


class YoloDetector:
    """Detections in original image pixels for one RGB image."""

    def __init__(self, path: Path, num_classes: int = 80, threads: int = 1) -> None:
        self.model = OnnxModel(path, threads=threads)
        self.input_name = self.model.input_names[0]
        self.num_classes = num_classes

    def detect(
        self, image: Image.Image, confidence: float = CONFIDENCE, iou_threshold: float = IOU
    ) -> list[Detection]:
        """Letterbox, run, decode, suppress duplicates, map boxes back to the image."""
        tensor, placed = letterbox(image)
        output = next(iter(self.model.run({self.input_name: tensor}).values()))
        found = decode(output, self.num_classes, confidence, iou_threshold)
        if not found:
            return []
        boxes = placed.to_image(np.stack([box for _, _, box in found]))
        return [
            Detection(c, s, (float(b[0]), float(b[1]), float(b[2]), float(b[3])))
            for (c, s, _), b in zip(found, boxes, strict=True)
        ]
