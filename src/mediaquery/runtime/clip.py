"""OpenAI CLIP (ViT-B/32) image and text encoders on ONNX Runtime.

Images are resized so the shorter side is 224 (bicubic, as torchvision does on PIL images),
centre-cropped to 224 x 224 and normalised with CLIP's mean and std. Text goes through CLIP's
BPE tokenizer (77 tokens). Both encoders return L2-normalised embeddings, so a dot product is
the cosine similarity; CLIP's logits are that times LOGIT_SCALE.

Exports differ in names and outputs: the input name is read from the session; the embedding
is the 2-D [N, D] output (names with "embed" first, never the unprojected "pooler_output").
A text export that only gives per-token states [N, 77, D] is refused: CLIP's text embedding is
the end token's state times the text projection, which such an export leaves out, and the
state alone is not in the space of the image embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from mediaquery.runtime.clip_tokenizer import ClipTokenizer
from mediaquery.runtime.onnx import OnnxModel

IMAGE_MODEL = "clip-vit-b32-image"
TEXT_MODEL = "clip-vit-b32-text"
VOCAB = "clip-bpe-vocab"
SIZE = 224
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
LOGIT_SCALE = 100.0
_IGNORED_OUTPUTS = ("pooler_output",)  # HF's unprojected pooled state: not in CLIP's joint space


def preprocess(image: Image.Image) -> np.ndarray:
    """float32 [3, 224, 224]: shorter side to 224 (bicubic), centre crop, CLIP mean/std."""
    image = image.convert("RGB")
    w, h = image.size
    # torchvision's Resize(224) on a PIL image: the longer side is truncated, not rounded.
    size = (SIZE, int(SIZE * h / w)) if w <= h else (int(SIZE * w / h), SIZE)
    if size != (w, h):
        image = image.resize(size, Image.Resampling.BICUBIC)
    left = int(round((size[0] - SIZE) / 2.0))
    top = int(round((size[1] - SIZE) / 2.0))
    image = image.crop((left, top, left + SIZE, top + SIZE))
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    return np.ascontiguousarray(((pixels - MEAN) / STD).transpose(2, 0, 1))


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)


def _embedding_output(outputs: dict[str, np.ndarray]) -> tuple[str, np.ndarray] | None:
    """The [N, D] output that holds the embedding, preferring names that say so."""
    flat = [
        (name, value)
        for name, value in outputs.items()
        if value.ndim == 2 and name not in _IGNORED_OUTPUTS
    ]
    flat.sort(key=lambda item: "embed" not in item[0].lower())
    return flat[0] if flat else None


class ClipImageEncoder:
    """Images → L2-normalised CLIP image embeddings [N, D]."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        self.model = OnnxModel(path, threads=threads)
        self.input_name = self.model.input_names[0]

    def encode(self, images: Sequence[Image.Image]) -> np.ndarray:
        """One model call for the batch."""
        batch = np.stack([preprocess(im) for im in images])
        found = _embedding_output(self.model.run({self.input_name: batch}))
        if found is None:
            raise ValueError(f"{self.model.path} has no [N, D] image embedding output")
        return normalise(found[1])


def _no_text_embedding(path: Path) -> ValueError:
    return ValueError(
        f"{path} has no [N, D] text embedding output (text_embeds): per-token states alone "
        "lack CLIP's text projection and do not match image embeddings; export the model "
        "with its projection (e.g. Hugging Face's CLIPTextModelWithProjection)"
    )


class ClipTextEncoder:
    """Texts → L2-normalised CLIP text embeddings [N, D]."""

    def __init__(self, path: Path, vocab: Path, threads: int = 1) -> None:
        self.model = OnnxModel(path, threads=threads)
        ranks = [
            rank
            for name, rank in zip(self.model.output_names, self.model.output_ranks, strict=True)
            if name not in _IGNORED_OUTPUTS
        ]
        if all(rank is not None and rank != 2 for rank in ranks):
            raise _no_text_embedding(self.model.path)
        self.tokenizer = ClipTokenizer.from_file(vocab)
        names = self.model.input_names
        self.ids_name = next((n for n in names if "mask" not in n.lower()), names[0])
        self.mask_name = next((n for n in names if "mask" in n.lower()), None)
        self._dtype: type[np.integer] = np.int64

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embeddings of the texts, `batch_size` per model call."""
        parts = [
            self._encode_ids(self.tokenizer(texts[i : i + batch_size]))
            for i in range(0, len(texts), batch_size)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)

    def _encode_ids(self, ids: np.ndarray) -> np.ndarray:
        found = _embedding_output(self._run(ids))
        if found is None:  # an export that did not declare its outputs' shapes
            raise _no_text_embedding(self.model.path)
        return normalise(found[1])

    def _run(self, ids: np.ndarray) -> dict[str, np.ndarray]:
        try:
            return self.model.run(self._feeds(ids, self._dtype))
        except Exception as first:
            if self._dtype is np.int32:
                raise
            # Some exports (Immich's, for one) take int32 ids: switch once and remember.
            try:
                outputs = self.model.run(self._feeds(ids, np.int32))
            except Exception:
                raise first from None
            self._dtype = np.int32
            return outputs

    def _feeds(self, ids: np.ndarray, dtype: type[np.integer]) -> dict[str, np.ndarray]:
        feeds = {self.ids_name: ids.astype(dtype)}
        if self.mask_name is not None:
            ends = ids.argmax(axis=1)[:, None]  # the end token; padding after it is masked
            feeds[self.mask_name] = (np.arange(ids.shape[1])[None] <= ends).astype(dtype)
        return feeds
