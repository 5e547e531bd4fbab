"""The `labels` analyzer: EfficientNet-Lite0 ImageNet classes turned into searchable labels."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import ClassVar

import numpy as np
from PIL import Image

from mediaquery.analyzers.base import Analyzer
from mediaquery.analyzers.label_heads import HEADS_FILE, Heads, apply_heads, image_stats, load_heads
from mediaquery.analyzers.taxonomy import (
    CALIBRATION_FILE,
    DATA_FILE,
    Taxonomy,
    labels_from_probs,
    load_taxonomy,
)
from mediaquery.domain import Findings
from mediaquery.runtime.efficientnet import RESIZE_SHORTER, ensure_model, preprocess
from mediaquery.runtime.onnx import OnnxModel

# Labels this weak are noise; the index applies its own (configurable) floor on top.
ANALYZER_FLOOR = 1.0
_build_lock = threading.Lock()


def _taxonomy_digest() -> str:
    # Part of the analyzer version: a new taxonomy or calibration re-labels media on `reindex`.
    digest = hashlib.sha256()
    for name in (DATA_FILE, CALIBRATION_FILE, HEADS_FILE):
        digest.update((files("mediaquery.analyzers") / "data" / name).read_bytes())
    return digest.hexdigest()[:8]


@cache
def _model(cache_dir: Path, threads: int) -> OnnxModel:
    # One session per process and model file, shared by every analyzer instance (and test).
    with _build_lock:
        path = ensure_model(cache_dir)
    return OnnxModel(path, threads=threads)


class LabelsAnalyzer(Analyzer):
    """Objects, animals, food and scenes from the 1000 ImageNet classes, with parent labels."""

    name: ClassVar[str] = "labels"
    version: ClassVar[str] = f"efficientnet-lite0.2+tax.{_taxonomy_digest()}"
    min_side: ClassVar[int | None] = RESIZE_SHORTER

    def _load(self) -> None:
        self.model = _model(self.model_dir.resolve(), self.threads)
        self.taxonomy: Taxonomy = load_taxonomy()
        self.heads: Heads = load_heads()

    def _unload(self) -> None:
        del self.model
        _model.cache_clear()

    def classify(self, image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities (1000) and the 1280-d image embedding for one RGB image."""
        with self.in_use():
            out = self.model.run({"pixels": preprocess(image)[None]})
        return out["probs"][0], out["features"][0]

    def analyze_batch(self, images: Sequence[Image.Image]) -> list[Findings]:
        """One model call for the whole batch."""
        if not images:
            return []
        with self.in_use():
            pixels = np.stack([preprocess(im) for im in images])
            out = self.model.run({"pixels": pixels})
            heads = self.heads.confidences(out, image_stats(pixels))
        return [
            self._findings(p, f, h)
            for p, f, h in zip(out["probs"], out["features"], heads, strict=True)
        ]

    def _analyze(self, image: Image.Image) -> Findings:
        return self.analyze_batch([image])[0]

    def _findings(self, probs: np.ndarray, features: np.ndarray, heads: np.ndarray) -> Findings:
        labels = labels_from_probs(probs, self.taxonomy, floor=ANALYZER_FLOOR)
        labels = apply_heads(labels, heads, self.heads, self.taxonomy, floor=ANALYZER_FLOOR)
        return Findings(self.name, self.version, labels, embedding=features.tolist())
