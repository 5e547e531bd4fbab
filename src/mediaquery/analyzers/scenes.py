"""The `scenes` analyzer: scenes and activities by zero-shot CLIP, plus the image embedding.

The CLIP image embedding is stored (analyzer "scenes") for `GET /v1/search`. The class
embeddings of the vocabulary's prompt ensembles cost hundreds of text-encoder runs, so they are
computed once and kept in MODEL_DIR/cache, keyed by the vocabulary and the model files; a
worker that finds them there never loads the text encoder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import ClassVar

import numpy as np
from PIL import Image

from mediaquery.analyzers.base import Analyzer
from mediaquery.analyzers.zero_shot import (
    Vocabulary,
    class_embeddings,
    labels_for,
    load_vocabulary,
    probabilities,
)
from mediaquery.domain import Findings
from mediaquery.models.catalogue import require
from mediaquery.runtime.clip import (
    IMAGE_MODEL,
    SIZE,
    TEXT_MODEL,
    VOCAB,
    ClipImageEncoder,
    ClipTextEncoder,
)

log = logging.getLogger(__name__)
_lock = threading.Lock()


@cache
def image_encoder(path: Path, threads: int) -> ClipImageEncoder:
    """One image session per process and model file."""
    return ClipImageEncoder(path, threads)


def _file_key(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def cached_class_embeddings(
    vocabulary: Vocabulary, text_model: Path, vocab: Path, cache_dir: Path, threads: int = 1
) -> np.ndarray:
    """The vocabulary's class embeddings, from the disk cache or computed (and then cached)."""
    key = "\n".join((vocabulary.digest, _file_key(text_model), _file_key(vocab)))
    path = cache_dir / f"scenes-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npy"
    with _lock:
        if path.is_file():
            try:
                found = np.load(path)
                if found.ndim == 2 and found.shape[0] == len(vocabulary.classes):
                    return np.asarray(found, dtype=np.float32)
            except (OSError, ValueError):
                log.warning("ignoring unreadable class embedding cache %s", path)
        log.info("encoding %d zero-shot prompts (once)", len(vocabulary.prompts()))
        encoder = ClipTextEncoder(text_model, vocab, threads)
        classes = class_embeddings(vocabulary, encoder.encode)
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with partial.open("wb") as fh:
            np.save(fh, classes)
        os.replace(partial, path)  # other processes see the whole file or none
        return classes


class ScenesAnalyzer(Analyzer):
    """Scenes (beach, kitchen, night, ...) and activities (skiing, cooking, ...) by CLIP."""

    name: ClassVar[str] = "scenes"
    version: ClassVar[str] = f"clip-vit-b32.1+voc.{load_vocabulary().digest}"
    requires: ClassVar[tuple[str, ...]] = (IMAGE_MODEL, TEXT_MODEL, VOCAB)
    per_shot: ClassVar[bool] = True
    min_side: ClassVar[int | None] = SIZE

    def _load(self) -> None:
        image, text, vocab = (require(self.model_dir, n) for n in self.requires)
        self.vocabulary = load_vocabulary()
        self.classes = cached_class_embeddings(
            self.vocabulary, text, vocab, self.model_dir / "cache", self.threads
        )
        self.encoder = image_encoder(image.resolve(), self.threads)

    def _unload(self) -> None:
        del self.encoder
        image_encoder.cache_clear()

    def analyze_batch(self, images: Sequence[Image.Image]) -> list[Findings]:
        """One image-encoder call for the whole batch."""
        if not images:
            return []
        with self.in_use():
            return [self._findings(e) for e in self.encoder.encode(images)]

    def _analyze(self, image: Image.Image) -> Findings:
        return self._findings(self.encoder.encode([image])[0])

    def _findings(self, embedding: np.ndarray) -> Findings:
        if embedding.shape[-1] != self.classes.shape[1]:
            raise ValueError(
                f"{IMAGE_MODEL} gives {embedding.shape[-1]}-d embeddings but {TEXT_MODEL} "
                f"{self.classes.shape[1]}-d: the two files are not one CLIP model"
            )
        probs = probabilities(self.vocabulary, self.classes, embedding)
        labels = labels_for(self.vocabulary, probs)
        return Findings(self.name, self.version, labels, embedding=embedding.tolist())
