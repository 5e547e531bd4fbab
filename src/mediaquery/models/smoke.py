"""`mediaquery models verify --smoke`: run an installed model once on a bundled photo.

The photo is `data/smoke.jpg` (Chelsea the cat from scikit-image, CC0). Where an installed
analyzer needs the model and has everything it needs, the analyzer itself runs on the photo
(`analyzers.smoke`); otherwise the ONNX file is loaded and run once with inputs of the
catalogue's shapes."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import numpy as np
from PIL import Image

from mediaquery.errors import BadModelFile, ModelNotInstalled
from mediaquery.models import store
from mediaquery.models.catalogue import CatalogueEntry, TensorSpec

log = logging.getLogger(__name__)

# CLIP's start- and end-of-text tokens: the shortest real prompt for a text encoder.
_INT_PREFIX = {"input_ids": (49406, 49407), "attention_mask": (1, 1)}
# onnxruntime's input types → numpy (the model decides, e.g. int32 or int64 token ids)
_DTYPES = {
    "tensor(float)": "float32",
    "tensor(float16)": "float16",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
}
# CLIP's merges file has a version line and at least this many merges (49152 - 256 - 2).
_BPE_MERGES = 48_894


def photo() -> Image.Image:
    """The bundled test photo, RGB."""
    with (files("mediaquery.models") / "data" / "smoke.jpg").open("rb") as fh:
        return Image.open(fh).convert("RGB")


# Runs the model through something that uses it (an analyzer); None when nothing can.
Runner = Callable[[Path, CatalogueEntry], str | None]


def smoke(model_dir: Path, entry: CatalogueEntry, runner: Runner | None = None) -> str:
    """Run the model once, through `runner` when it can (`analyzers.smoke` passes one that
    runs an analyzer), else on its own; a line saying what came out. BadModelFile when it
    does not run."""
    path = store.installed_path(model_dir, entry.name)
    if path is None:
        raise ModelNotInstalled(f"Model '{entry.name}' is not installed")
    if entry.format == "bpe-vocab":
        return _bpe(path, entry)
    if entry.format == "tflite":
        return _tflite(path, entry)
    ran = runner(model_dir, entry) if runner is not None else None
    return ran if ran is not None else _onnx(path, entry)


def _bpe(path: Path, entry: CatalogueEntry) -> str:
    try:
        lines = gzip.decompress(path.read_bytes()).decode("utf-8").split("\n")
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise BadModelFile(f"{entry.name}: not a gzip'd BPE vocabulary: {exc}") from exc
    merges = [line for line in lines[1:] if len(line.split(" ")) == 2]
    if not lines[0].startswith('"bpe_simple_vocab') or len(merges) < _BPE_MERGES:
        raise BadModelFile(f"{entry.name}: not CLIP's BPE vocabulary ({len(merges)} merges)")
    return f"{entry.name}: BPE vocabulary with {len(merges)} merges"


def _tflite(path: Path, entry: CatalogueEntry) -> str:
    from mediaquery.runtime import blazepose

    why = blazepose.available()
    if why is not None:
        raise BadModelFile(f"{entry.name}: cannot run here: {why}")
    try:
        poses = blazepose.PoseDetector(path).detect(photo(), floor=0.1)
    except Exception as exc:  # noqa: BLE001 - LiteRT raises its own error types
        raise BadModelFile(f"{entry.name}: the model does not run: {exc}") from exc
    best = max((p.score for p in poses), default=0.0)
    return f"{entry.name}: ran once on the test photo; best person score {best:.2f}"


def _onnx(path: Path, entry: CatalogueEntry) -> str:
    from mediaquery.runtime.onnx import OnnxModel

    try:
        model = OnnxModel(path)
        specs = {s.name: s for s in entry.inputs}
        if len(model.input_names) == 1 == len(entry.inputs):  # one input: whatever its name
            specs = {model.input_names[0]: entry.inputs[0]}
        unknown = [n for n in model.input_names if n not in specs]
        if unknown:
            raise BadModelFile(f"{entry.name}: unexpected model inputs {unknown}")
        feeds = {
            n: _tensor(specs[n], _DTYPES.get(t, specs[n].dtype))
            for n, t in zip(model.input_names, model.input_types, strict=True)
        }
        outputs = model.run(feeds)
    except BadModelFile:
        raise
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own error types
        raise BadModelFile(f"{entry.name}: the model does not run: {exc}") from exc
    shapes = {k: tuple(v.shape) for k, v in outputs.items()}
    if entry.output_shape and entry.output_shape not in shapes.values():
        raise BadModelFile(
            f"{entry.name}: expected an output of shape {entry.output_shape}, got {shapes}"
        )
    listed = ", ".join(f"{k} {list(v)}" for k, v in shapes.items())
    return f"{entry.name}: ran once on the test photo; outputs {listed}"


def _tensor(spec: TensorSpec, dtype: str) -> np.ndarray:
    if dtype.startswith("float") and len(spec.shape) == 4:
        height, width = spec.shape[2], spec.shape[3]
        pixels = np.asarray(photo().resize((width, height)), dtype=np.float32) / 255.0
        batch = np.repeat(pixels.transpose(2, 0, 1)[None], spec.shape[0], axis=0)
        return batch.astype(dtype)
    arr = np.zeros(spec.shape, dtype=dtype)
    prefix = _INT_PREFIX.get(spec.name, ())
    if prefix and arr.ndim == 2:
        arr[:, : len(prefix)] = prefix
    return arr
