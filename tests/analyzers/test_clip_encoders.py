"""CLIP pre-processing against a numpy rendering of the spec, and the encoders on tiny ONNX
models with the signatures of real exports (see mq_clip)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mq_clip
from mediaquery.runtime.clip import MEAN, STD, ClipImageEncoder, ClipTextEncoder, preprocess
from mediaquery.runtime.clip_tokenizer import ClipTokenizer


def _bicubic(x: np.ndarray) -> np.ndarray:
    a = -0.5  # the Keys kernel PIL (and so torchvision on PIL images) uses
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _resize_axis(pixels: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Antialiased bicubic resampling along one axis (the filter widens when shrinking)."""
    n = pixels.shape[axis]
    scale = n / size
    support = 2.0 * max(scale, 1.0)
    weights = np.zeros((size, n))
    for i in range(size):
        centre = (i + 0.5) * scale
        lo, hi = max(int(centre - support + 0.5), 0), min(int(centre + support + 0.5), n)
        taps = _bicubic((np.arange(lo, hi) - centre + 0.5) / max(scale, 1.0))
        weights[i, lo:hi] = taps / taps.sum()
    return np.moveaxis(np.tensordot(weights, np.moveaxis(pixels, axis, 0), axes=1), 0, axis)


def reference(image: Image.Image) -> np.ndarray:
    """The spec in numpy: shorter side 224 (bicubic), centre crop 224, /255, CLIP mean/std."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.float64)
    h, w = pixels.shape[:2]
    if w <= h:
        nw, nh = 224, math.floor(224 * h / w)
    else:
        nw, nh = math.floor(224 * w / h), 224
    wide = _resize_axis(pixels, nw, axis=1).clip(0, 255)  # 8-bit images clip between passes
    pixels = _resize_axis(wide, nh, axis=0).clip(0, 255)
    top, left = round((nh - 224) / 2), round((nw - 224) / 2)
    crop = pixels[top : top + 224, left : left + 224] / 255.0
    return ((crop - MEAN) / STD).transpose(2, 0, 1)


@pytest.mark.parametrize("turn", [False, True], ids=["landscape", "portrait"])
def test_preprocessing_matches_the_spec_on_a_real_photo(turn: bool) -> None:
    from skimage import data

    photo = Image.fromarray(data.chelsea())  # 451 x 300
    if turn:
        photo = photo.transpose(Image.Transpose.ROTATE_90)
    ours, spec = preprocess(photo), reference(photo)
    assert ours.shape == (3, 224, 224) and ours.dtype == np.float32
    # PIL rounds to 8 bits between its two passes; the reference does not.
    diff = np.abs(ours - spec) * STD[:, None, None] * 255  # back in 0-255 steps
    assert diff.max() <= 1.5
    assert diff.mean() < 0.4  # rounding alone costs ~0.25 on average


def test_small_images_are_enlarged_and_224_is_left_alone() -> None:
    small = Image.new("RGB", (40, 20), (255, 0, 0))
    assert preprocess(small).shape == (3, 224, 224)
    exact = Image.fromarray(np.random.default_rng(1).integers(0, 256, (224, 224, 3), np.uint8))
    expected = (np.asarray(exact, np.float32) / 255 - MEAN) / STD
    np.testing.assert_allclose(preprocess(exact), expected.transpose(2, 0, 1), atol=1e-6)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> tuple[ClipTokenizer, Path]:
    vocab = mq_clip.install_vocab(tmp_path_factory.mktemp("models"))
    return ClipTokenizer.from_file(vocab), vocab


def test_image_encoder_reads_the_input_name_and_picks_the_embedding(tmp_path: Path) -> None:
    path = mq_clip.image_encoder(tmp_path / "image.onnx", input_name="image", states=True)
    encoder = ClipImageEncoder(path)
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    out = encoder.encode([Image.new("RGB", (300, 200), c) for c in colours])
    assert out.shape == (3, mq_clip.DIM)  # image_embeds, not the [N, 50, D] states
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    assert [int(row.argmax()) for row in out] == [mq_clip.RED, mq_clip.GREEN, mq_clip.BLUE]


@pytest.mark.parametrize(
    ("variant", "mask"),
    [("embeds", True), ("embeds", False), ("int32", True)],
)
def test_text_encoder_handles_the_common_export_shapes(
    tmp_path: Path, tokenizer: tuple[ClipTokenizer, Path], variant: str, mask: bool
) -> None:
    tok, vocab = tokenizer
    path = mq_clip.text_encoder(tmp_path / "text.onnx", tok, variant=variant, mask=mask)
    encoder = ClipTextEncoder(path, vocab)
    texts = ["a red car", "green leaves", "blue", "a photo of an object"]
    out = encoder.encode(texts, batch_size=3)  # two model calls
    # The same numbers as summing the token vectors of each text by hand.
    table = mq_clip.token_table(tok)
    expected = np.stack([table[tok(t)[0]].sum(axis=0) for t in texts])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert [int(r.argmax()) for r in out] == [mq_clip.RED, mq_clip.GREEN, mq_clip.BLUE,
                                              mq_clip.GENERIC]  # fmt: skip


@pytest.mark.parametrize("mask", [True, False])
def test_text_encoder_refuses_an_export_without_the_projection(
    tmp_path: Path, tokenizer: tuple[ClipTokenizer, Path], mask: bool
) -> None:
    tok, vocab = tokenizer
    path = mq_clip.text_encoder(tmp_path / "text.onnx", tok, variant="states", mask=mask)
    with pytest.raises(ValueError, match="no .N, D. text embedding output.*projection"):
        ClipTextEncoder(path, vocab)
