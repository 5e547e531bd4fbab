"""Box arithmetic for tests that check where something was found."""

from __future__ import annotations

from mediaquery.domain import Box

Rect = tuple[float, float, float, float]  # left, top, right, bottom in pixels


def iou(box: Box, size: tuple[int, int], ref: Rect) -> float:
    """Intersection over union of a relative box (on an image of `size`) and a pixel rectangle."""
    w, h = size
    x0, y0 = box.left * w, box.top * h
    x1, y1 = (box.left + box.width) * w, (box.top + box.height) * h
    iw = max(0.0, min(x1, ref[2]) - max(x0, ref[0]))
    ih = max(0.0, min(y1, ref[3]) - max(y0, ref[1]))
    inter = iw * ih
    return inter / ((x1 - x0) * (y1 - y0) + (ref[2] - ref[0]) * (ref[3] - ref[1]) - inter)
