"""Choose the cloud statistic of the label heads on the label evaluation's calibration half.

``mediaquery.analyzers.label_heads.soft_sky_texture`` measures, in the top third of a photo,
the share of sky-coloured pixels (blue, or pale and grey) whose neighbours differ by a band
of values at a reduced resolution: clouds have soft edges and texture, a clear or hazy sky
is smoother, roofs and leaves are rougher. This script scores every resolution and band of
a small grid by how well the statistic alone ranks the calibration photos showing a cloud
(area under the ROC curve), first among the photos that show the sky (telling a cloudy sky
from a clear one is its job; the heads already see how much sky there is), then over all
photos to break ties, and prints the grid and the best choice, which
``label_heads.CLOUD_SCALE`` and ``CLOUD_BAND`` hold::

    python scripts/calibrate_cloud_texture.py --manifest M --photos DIR

Only the calibration half is read (photos decoded and preprocessed as the analyzer does).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from calibrate_labels import calibration_half, read_manifest  # noqa: E402

SCALES = (1, 2, 4)
LOWS = (0.01, 0.015, 0.025, 0.04)
HIGHS = (0.12, 0.2)
WORD = "cloud"


def auc(score: np.ndarray, truth: np.ndarray) -> float:
    """Area under the ROC curve (ties counted half)."""
    pos, neg = score[truth], score[~truth]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def top_thirds(manifest: Path, photos_dir: Path) -> tuple[list[set[str]], list[np.ndarray]]:
    """Each calibration photo's words (without its `maybe` words for WORD) and the top third
    of its preprocessed pixels as RGB in 0..1."""
    from mediaquery.decode import decode_image
    from mediaquery.runtime.efficientnet import RESIZE_SHORTER, preprocess

    words, tops = [], []
    for photo in calibration_half(read_manifest(manifest)):
        if WORD in photo.maybe:
            continue
        decoded = decode_image(photos_dir / photo.file, 10**9, RESIZE_SHORTER)
        rgb = np.clip(preprocess(decoded.image) * 128.0 + 127.0, 0.0, 255.0) / 255.0
        tops.append(rgb[:, : rgb.shape[1] // 3])
        words.append(set(photo.words))
    return words, tops


def main(argv: list[str] | None = None) -> int:
    from mediaquery.analyzers.label_heads import soft_sky_texture

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", type=Path, required=True)
    ap.add_argument("--photos", type=Path, required=True, help="folder the files are in")
    args = ap.parse_args(argv)
    words, tops = top_thirds(args.manifest, args.photos)
    truth = np.array([WORD in w for w in words])
    sky = np.array(["sky" in w for w in words])
    batch = np.stack(tops)
    print(f"{len(words)} calibration photos, {truth.sum()} show a {WORD}, {sky.sum()} the sky")
    print("scale  band          AUC among sky  AUC all")
    trials = []
    for scale, low, high in itertools.product(SCALES, LOWS, HIGHS):
        share = soft_sky_texture(batch, scale, (low, high))
        among, overall = auc(share[sky], truth[sky]), auc(share, truth)
        trials.append(((round(among, 3), round(overall, 3)), scale, (low, high)))
        print(f"{scale:5d}  {low:.3f}-{high:.3f}   {among:13.3f}  {overall:7.3f}")
    (among, overall), scale, band = max(trials, key=lambda t: t[0])
    print(f"best: CLOUD_SCALE = {scale}, CLOUD_BAND = {band}")
    print(f"(AUC {among} among the photos showing the sky, {overall} over all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
