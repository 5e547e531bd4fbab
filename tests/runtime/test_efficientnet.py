"""EfficientNet-Lite0 and -Lite2 on ONNX Runtime: weights reader, graph, preprocessing, real
photos."""

from __future__ import annotations

import collections
import pickle
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaquery.runtime.efficientnet import (
    LITE0,
    LITE2,
    NUM_CLASSES,
    NUM_FEATURES,
    ensure_model,
    pool_views,
    preprocess,
    preprocess_views,
    stride2_blocks,
    view_count,
    weights_path,
)
from mediaquery.runtime.onnx import OnnxModel
from mediaquery.runtime.torch_pickle import load_state_dict

skimage_data = pytest.importorskip("skimage.data")

# ImageNet-1k class indices (sorted WordNet ids).
TABBY, TIGER_CAT, EGYPTIAN_CAT = 281, 282, 285
ESPRESSO, CUP, COFFEE_MUG = 967, 968, 504
MISSILE, PROJECTILE, SPACE_SHUTTLE = 657, 744, 812


def photo(name: str) -> Image.Image:
    loader: Callable[[], np.ndarray] = getattr(skimage_data, name)
    return Image.fromarray(loader())


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_model(tmp_path_factory.mktemp("model-cache"))


@pytest.fixture(scope="module")
def model(model_path: Path) -> OnnxModel:
    return OnnxModel(model_path, threads=2)


def classify(model: OnnxModel, name: str) -> dict[str, np.ndarray]:
    pixels = preprocess(photo(name))[None]
    return {k: v[0] for k, v in model.run({"pixels": pixels}).items()}


def top(probs: np.ndarray, k: int) -> list[int]:
    return [int(i) for i in np.argsort(-probs)[:k]]


# --- legacy torch pickle reader ------------------------------------------------------


def test_reader_loads_all_tensors() -> None:
    state = load_state_dict(weights_path())
    assert len(state) == 296
    floats = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert len(floats) == 247
    assert all(v.dtype == np.float32 and v.flags.c_contiguous for v in floats.values())
    # Batch-norm counters are int64 scalars (LongStorage), kept as such.
    assert all(state[k].dtype == np.int64 for k in state.keys() - floats.keys())
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_fc.weight"].shape == (NUM_CLASSES, NUM_FEATURES)


def test_reader_rejects_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pth"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError):
        load_state_dict(path)


def test_reader_rejects_zip_format(tmp_path: Path) -> None:
    path = tmp_path / "new-style.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    with pytest.raises(ValueError, match="zip"):
        load_state_dict(path)


def test_reader_refuses_globals_outside_allow_list(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, f, protocol=2)
        pickle.dump(collections.Counter(a=1), f, protocol=2)
    with pytest.raises(ValueError, match="not allowed"):
        load_state_dict(path)


# --- preprocessing ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P"])
def test_preprocess_shape_and_range(mode: str) -> None:
    image = photo("chelsea").convert(mode)
    pixels = preprocess(image)
    assert pixels.shape == (3, 224, 224)
    assert pixels.dtype == np.float32
    assert pixels.min() >= -127 / 128 and pixels.max() <= 128 / 128


def test_preprocess_large_image_matches_small() -> None:
    small = photo("astronaut")
    large = small.resize((4096, 4096), Image.Resampling.BICUBIC)
    # The pre-downscale shortcut must not visibly change what the model sees.
    assert np.abs(preprocess(large) - preprocess(small)).mean() < 0.02


def test_views_cut_the_centre_the_whole_photo_both_ends_and_a_mirror() -> None:
    wide = np.zeros((100, 200, 3), np.uint8)
    wide[:, :20] = (255, 0, 0)  # a red strip at the far left, a blue one at the far right
    wide[:, -20:] = (0, 0, 255)
    image = Image.fromarray(wide)
    views = ("centre", "whole", "ends", "flip")
    pixels = preprocess_views(image, views)
    assert pixels.shape == (view_count(views), 3, 224, 224) == (5, 3, 224, 224)
    np.testing.assert_array_equal(pixels[0], preprocess(image))
    centre, whole, left, right, flip = (p.mean(axis=(1, 2)) for p in pixels)
    assert centre[0] < -0.9 and centre[2] < -0.9  # the centre crop loses both strips
    assert whole[0] > -0.9 and whole[2] > -0.9  # the whole photo keeps them
    assert left[0] > whole[0] and left[2] < -0.9  # each end square holds one strip
    assert right[2] > whole[2] and right[0] < -0.9
    np.testing.assert_array_equal(flip, centre)
    np.testing.assert_array_equal(pixels[4], pixels[0][:, :, ::-1])
    with pytest.raises(ValueError, match="unknown view"):
        preprocess_views(image, ("corner",))


def test_pooled_views_average_the_mean_and_take_the_peak_per_photo() -> None:
    views = ("centre", "ends")  # three inputs per photo
    feats = np.arange(2 * 3 * 2, dtype=np.float32).reshape(6, 2)
    probs = np.arange(6, dtype=np.float32)[:, None]
    pooled = pool_views({"probs": probs, "features": feats, "features_max": feats}, views)
    np.testing.assert_array_equal(pooled["probs"], [[0.0], [3.0]])  # the first view's
    np.testing.assert_array_equal(pooled["features"], [[2.0, 3.0], [8.0, 9.0]])
    np.testing.assert_array_equal(pooled["features_max"], [[4.0, 5.0], [10.0, 11.0]])
    np.testing.assert_array_equal(pooled["features.centre"], [[0.0, 1.0], [6.0, 7.0]])
    np.testing.assert_array_equal(pooled["features.ends"], [[3.0, 4.0], [9.0, 10.0]])
    np.testing.assert_array_equal(pooled["features_max.ends"], [[4.0, 5.0], [10.0, 11.0]])


# --- the model -------------------------------------------------------------------------


@pytest.mark.model
def test_ensure_model_reuses_cache(model_path: Path) -> None:
    mtime = model_path.stat().st_mtime_ns
    assert ensure_model(model_path.parent) == model_path
    assert model_path.stat().st_mtime_ns == mtime
    assert [p.name for p in model_path.parent.iterdir()] == [model_path.name]


@pytest.mark.model
def test_ensure_model_concurrent_builders(tmp_path: Path) -> None:
    with ThreadPoolExecutor(2) as pool:
        paths = list(pool.map(ensure_model, [tmp_path, tmp_path]))
    assert paths[0] == paths[1]
    assert [p.name for p in tmp_path.iterdir()] == [paths[0].name]


@pytest.mark.model
def test_outputs(model: OnnxModel) -> None:
    out = classify(model, "chelsea")
    assert out["probs"].shape == (NUM_CLASSES,)
    assert out["features"].shape == (NUM_FEATURES,)
    assert out["probs"].sum() == pytest.approx(1.0, abs=1e-5)
    # Features are pooled ReLU6 activations.
    assert 0.0 <= out["features"].min() and out["features"].max() <= 6.0


@pytest.mark.model
def test_cat(model: OnnxModel) -> None:
    assert top(classify(model, "chelsea")["probs"], 1)[0] in {TABBY, TIGER_CAT, EGYPTIAN_CAT}


@pytest.mark.model
def test_coffee(model: OnnxModel) -> None:
    assert {ESPRESSO, CUP, COFFEE_MUG} & set(top(classify(model, "coffee")["probs"], 3))


@pytest.mark.model
def test_rocket(model: OnnxModel) -> None:
    assert {MISSILE, PROJECTILE, SPACE_SHUTTLE} & set(top(classify(model, "rocket")["probs"], 3))


@pytest.mark.model
def test_batch_equals_singles(model: OnnxModel) -> None:
    names = ["chelsea", "astronaut"]
    batch = model.run({"pixels": np.stack([preprocess(photo(n)) for n in names])})
    for i, name in enumerate(names):
        single = classify(model, name)
        for key in ("probs", "features"):
            np.testing.assert_allclose(batch[key][i], single[key], rtol=1e-4, atol=1e-5)


# --- the PyTorch reference ------------------------------------------------------------

# Outputs of the model definition these weights were published for (efficientnet-lite-pytorch,
# run in PyTorch) on scikit-image's photos, written by scripts/make_efficientnet_reference.py.
REFERENCE = Path(__file__).resolve().parent.parent / "data" / "efficientnet_reference.npz"


@pytest.mark.model
def test_matches_pytorch_reference(model: OnnxModel) -> None:
    with np.load(REFERENCE) as reference:
        names = [str(n) for n in reference["photos"]]
        probs, features = reference["probs"], reference["features"]
    assert len(names) >= 3
    out = model.run({"pixels": np.stack([preprocess(photo(n)) for n in names])})
    np.testing.assert_allclose(out["probs"], probs, rtol=0, atol=1e-4)
    np.testing.assert_allclose(out["features"], features, rtol=0, atol=1e-4)
    for i, name in enumerate(names):
        assert top(out["probs"][i], 3) == top(probs[i], 3), name


@pytest.fixture(scope="module")
def lite2(tmp_path_factory: pytest.TempPathFactory) -> OnnxModel:
    return OnnxModel(ensure_model(tmp_path_factory.mktemp("lite2-cache"), LITE2), threads=2)


def test_the_builder_reads_each_variants_blocks_and_strides_from_its_weights() -> None:
    # Lite0's stages open at blocks 0, 1, 3, 5, 8, 11, 15; Lite2 (depth x1.2) repeats more
    assert stride2_blocks(load_state_dict(weights_path(LITE0))) == (16, {1, 3, 5, 11})
    assert stride2_blocks(load_state_dict(weights_path(LITE2))) == (21, {1, 4, 7, 15})
    assert preprocess(photo("chelsea"), LITE2).shape == (3, 260, 260)


@pytest.mark.model
def test_lite2_matches_pytorch_reference(lite2: OnnxModel) -> None:
    with np.load(REFERENCE.with_name("efficientnet_lite2_reference.npz")) as reference:
        names = [str(n) for n in reference["photos"]]
        probs, features = reference["probs"], reference["features"]
    out = lite2.run({"pixels": np.stack([preprocess(photo(n), LITE2) for n in names])})
    np.testing.assert_allclose(out["probs"], probs, rtol=0, atol=1e-4)
    np.testing.assert_allclose(out["features"], features, rtol=0, atol=1e-4)
    assert top(out["probs"][names.index("chelsea")], 1)[0] in {TABBY, TIGER_CAT, EGYPTIAN_CAT}


# --- the max-pooled output -----------------------------------------------------------


@pytest.mark.model
def test_max_pooled_features_are_the_peak_of_the_head_map(model_path: Path, tmp_path: Path) -> None:
    """``features_max`` is the maximum over the 7x7 map whose mean is ``features``: the map
    recomputed here in numpy from the last block's output and the shipped weights."""
    import onnx

    graph = onnx.load(str(model_path))
    head = next(n for n in graph.graph.node if "_conv_head.w" in n.input)
    graph.graph.output.append(onnx.ValueInfoProto(name=head.input[0]))
    onnx.save(graph, str(tmp_path / "probe.onnx"))
    probe = OnnxModel(tmp_path / "probe.onnx", threads=2)
    out = probe.run({"pixels": np.stack([preprocess(photo(n)) for n in ("coffee", "rocket")])})
    blocks = out[head.input[0]].astype(np.float64)  # [N, 320, 7, 7]
    state = load_state_dict(weights_path())
    conv = state["_conv_head.weight"][:, :, 0, 0].astype(np.float64)  # [1280, 320]
    bn = {k: state[f"_bn1.{k}"].astype(np.float64)[:, None, None]
          for k in ("weight", "bias", "running_mean", "running_var")}  # fmt: skip
    pre = np.einsum("oc,nchw->nohw", conv, blocks)
    # batch norm as the weights define it (epsilon 1e-3), then ReLU6
    normed = (pre - bn["running_mean"]) / np.sqrt(bn["running_var"] + 1e-3)
    head_map = np.clip(normed * bn["weight"] + bn["bias"], 0.0, 6.0)
    np.testing.assert_allclose(out["features"], head_map.mean(axis=(2, 3)), atol=1e-4)
    np.testing.assert_allclose(out["features_max"], head_map.max(axis=(2, 3)), atol=1e-4)
    # a peak is no average: somewhere in the photo, a channel fires well above its mean
    assert (out["features_max"] > out["features"] + 0.5).mean() > 0.1
