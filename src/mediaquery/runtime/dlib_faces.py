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
        if not boxes:
            return np.zeros((0, DIM), dtype=np.float32)
        image = np.ascontiguousarray(rgb, dtype=np.uint8)
        with self._lock:
            shapes = self._dlib.full_object_detections()
            for left, top, right, bottom in boxes:
                shapes.append(self._shape(image, self._dlib.rectangle(left, top, right, bottom)))
            chips = self._dlib.get_face_chips(image, shapes, size=CHIP_SIZE, padding=CHIP_PADDING)
            vectors = self._encoder.compute_face_descriptor(chips)
        return np.asarray([np.asarray(v) for v in vectors], dtype=np.float32).reshape(-1, DIM)


_lock = threading.Lock()


@cache
def encoder() -> FaceEncoder:
    """The process's one encoder (loaded on first use, ~30 MB of weights)."""
    with _lock:
        return FaceEncoder()
