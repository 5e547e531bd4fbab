"""The `faces` analyzer: a 128-d embedding per face, which the index groups into people.

Face boxes are the `people` analyzer's (NudeNet + Haar, which find three-quarter faces that
dlib's HOG detector misses): read from its recent runs when it analysed the same image, else
found by running it here. Each box is aligned with dlib's 5-point landmarks and encoded by
dlib's face recognition ResNet (runtime/dlib_faces.py). No labels: `people` labels faces.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import ClassVar

import numpy as np
from PIL import Image

from mediaquery.analyzers import face_boxes
from mediaquery.analyzers.base import Analyzer
from mediaquery.analyzers.people import PeopleAnalyzer
from mediaquery.domain import Findings
from mediaquery.runtime import dlib_faces

# Faces smaller than this (pixels, shorter side of the box) give embeddings too blurred to
# tell people apart: the encoder works on 150 px chips.
MIN_FACE_PX = 40
MAX_FACES = 20  # per image: a crowd's 200 tiny faces would cost 75 ms each
EXTRA_KEY = "faces"  # Findings.extra[EXTRA_KEY]: [{"box", "score", "embedding"}]


class FacesAnalyzer(Analyzer):
    """Face embeddings (dlib ResNet, 128-d) for the faces that `people` finds."""

    name: ClassVar[str] = "faces"
    version: ClassVar[str] = "dlib-resnet-v1.5pt.1"
    # Faces keep enough pixels for 150 px chips; a 4000x3000 JPEG still decodes at 1/4 scale.
    min_side: ClassVar[int | None] = 600
    per_shot: ClassVar[bool] = True  # in videos: once per shot, after `people` found the faces

    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        super().__init__(model_dir, threads)
        self._people = PeopleAnalyzer(model_dir, threads)

    @classmethod
    def unavailable_reason(cls, model_dir: Path) -> str | None:
        return dlib_faces.available() or super().unavailable_reason(model_dir)

    def _load(self) -> None:
        self._encoder = dlib_faces.encoder()

    def _unload(self) -> None:
        del self._encoder
        dlib_faces.encoder.cache_clear()

    def _analyze(self, image: Image.Image) -> Findings:
        found = face_boxes.recall(image)
        if found is None:  # `people` did not run on this image (or is not enabled)
            self._people.analyze(image)
            found = face_boxes.recall(image) or ()
        w, h = image.size
        kept = [(b, s) for b, s in found if min(b.width * w, b.height * h) >= MIN_FACE_PX]
        kept = sorted(kept, key=lambda f: -f[1])[:MAX_FACES]
        crops = []
        for b, _ in kept:  # only the pixels around each face: no copy of the whole photo
            region, box = dlib_faces.crop_around(w, h, b.pixels(w, h))
            crops.append((np.asarray(image.crop(region).convert("RGB")), box))
        vectors = self._encoder.encode_crops(crops)
        faces = [
            {"box": asdict(b), "score": round(s, 4), "embedding": [float(x) for x in v]}
            for (b, s), v in zip(kept, vectors, strict=True)
        ]
        return Findings(analyzer=self.name, version=self.version, extra={EXTRA_KEY: faces})
