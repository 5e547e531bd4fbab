"""The `colors` analyzer: an image's dominant colours, named from a fixed palette, with shares.

Like Rekognition's ImageProperties DominantColors and PhotoPrism's colour search, each pixel of
a small downscale is named by simple hue / saturation / brightness rules (names people search
for: red, blue, green ...), and every name that covers at least MIN_SHARE per cent of the image
is reported with its share and its average colour. No model: it costs about a millisecond.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from PIL import Image

from mediaquery.analyzers.base import Analyzer
from mediaquery.domain import Findings

# The names a `color=` filter accepts, in the order they are listed; `gray` is an alias.
NAMES = (
    "red",
    "orange",
    "yellow",
    "green",
    "teal",
    "blue",
    "purple",
    "pink",
    "brown",
    "black",
    "white",
    "grey",
)
ALIASES = {"gray": "grey"}

# Derived on the calibration half of benchmarks/label_eval (scripts/calibrate_colors.py): the
# share with the best F1 against the colours a person names on 84 photos (precision 84 %,
# recall 79 %: a red flower is red, a blue sky blue; off-white wool in shade counts as grey).
MIN_SHARE = 17.0

SIDE = 64  # pixels of the longer side of the downscale that is counted

# Hue boundaries in degrees (upper bound of each hue family, red wraps around 360).
_HUES = (
    (15, "red"),
    (40, "orange"),
    (62, "yellow"),
    (150, "green"),
    (182, "teal"),
    (255, "blue"),
    (290, "purple"),
    (340, "pink"),
    (360, "red"),
)
_BLACK_V = 0.2  # darker than this: black, whatever the hue
_GREY_S = 0.16  # less saturated than this: black, grey or white by brightness
_WHITE_V = 0.78
_GREY_V = 0.35  # an unsaturated pixel darker than this is black
_BROWN_V = 0.62  # red, orange and yellow-ish hues darker than this are brown
_PINK_S = 0.45  # red hues this pale (and bright) are pink


def canonical(name: str) -> str | None:
    """The palette name a query word means (any case, `gray` = grey), or None."""
    key = name.strip().casefold()
    key = ALIASES.get(key, key)
    return key if key in NAMES else None


def name_pixels(rgb: np.ndarray) -> np.ndarray:
    """The palette index of each pixel of an (..., 3) uint8 RGB array."""
    x = rgb.astype(np.float32) / 255.0
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = x.max(axis=-1)
    c = v - x.min(axis=-1)
    s = np.where(v > 0, c / np.maximum(v, 1e-6), 0.0)
    safe = np.maximum(c, 1e-6)
    h = np.where(
        v == r, ((g - b) / safe) % 6, np.where(v == g, (b - r) / safe + 2, (r - g) / safe + 4)
    )
    hue = h * 60.0
    out = np.zeros(v.shape, dtype=np.int8)
    lower = 0.0
    for upper, name in _HUES:
        out[(hue >= lower) & (hue < upper)] = NAMES.index(name)
        lower = upper
    warm = (hue < 62) | (hue >= 340)
    out[warm & (v < _BROWN_V) & (s > _GREY_S)] = NAMES.index("brown")
    red = (hue < 15) | (hue >= 340)
    out[red & (s < _PINK_S) & (v >= _BROWN_V)] = NAMES.index("pink")
    grey = s < _GREY_S
    out[grey] = NAMES.index("grey")
    out[grey & (v >= _WHITE_V)] = NAMES.index("white")
    out[(grey & (v < _GREY_V)) | (v < _BLACK_V)] = NAMES.index("black")
    return out


def dominant_colors(image: Image.Image, min_share: float = MIN_SHARE) -> list[dict[str, object]]:
    """Palette names covering at least `min_share` per cent of the image, largest first, each
    with its share (0-100) and the average colour of its pixels as #rrggbb."""
    rgb_image = image if image.mode == "RGB" else image.convert("RGB")
    w, h = rgb_image.size
    f = min(1.0, SIDE / max(w, h))
    size = (max(1, round(w * f)), max(1, round(h * f)))
    # resize, not thumbnail: no full-size copy of a large photo (it reduces in steps first)
    small = rgb_image.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    rgb = np.asarray(small).reshape(-1, 3)
    names = name_pixels(rgb)
    counts = np.bincount(names, minlength=len(NAMES))
    found = []
    for idx in np.argsort(-counts, kind="stable"):
        share = 100.0 * float(counts[idx]) / max(1, names.size)
        if share < min_share or counts[idx] == 0:
            break
        mean = rgb[names == idx].mean(axis=0).round().astype(int)
        hexa = "#" + "".join(f"{int(c):02x}" for c in mean)
        found.append({"name": NAMES[int(idx)], "hex": hexa, "share": round(share, 1)})
    return found


class ColorsAnalyzer(Analyzer):
    """Dominant colours by name (red, blue, ...), each with its share of the image."""

    name: ClassVar[str] = "colors"
    version: ClassVar[str] = "palette12.1"
    min_side: ClassVar[int | None] = SIDE

    def _analyze(self, image: Image.Image) -> Findings:
        return Findings(
            analyzer=self.name, version=self.version, extra={"colors": dominant_colors(image)}
        )
