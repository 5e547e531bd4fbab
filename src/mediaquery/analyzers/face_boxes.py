"""The face boxes that the `people` analyzer found in recent images, for the `faces` analyzer.

Workers run analyzers over a batch one analyzer at a time, so `faces` (which encodes the faces
`people` found) reads people's boxes from this per-thread cache instead of detecting again.
Weak references: the cache neither keeps decoded images alive nor mistakes a new image that
reuses a freed object's id for an old one.
"""

from __future__ import annotations

import threading
import weakref

from PIL import Image

from mediaquery.domain import Box

RECENT = 16  # a whole worker batch
Found = tuple[tuple[Box, float], ...]  # each face's box (relative) and score (0-1)


class _Recent(threading.local):
    def __init__(self) -> None:
        self.runs: list[tuple[weakref.ref[Image.Image], tuple[int, int], Found]] = []


_recent = _Recent()


def remember(image: Image.Image, boxes: Found) -> None:
    """Keep the face boxes (and scores) found in `image`."""
    live = [r for r in _recent.runs if r[0]() is not None][-(RECENT - 1) :]
    _recent.runs = [*live, (weakref.ref(image), image.size, boxes)]


def recall(image: Image.Image) -> Found | None:
    """The face boxes found in this very image object, or None when it was not analysed."""
    for ref, size, boxes in _recent.runs:
        if ref() is image and size == image.size:
            return boxes
    return None
