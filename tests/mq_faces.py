"""Real face photos for the people tests.

The photos are the test images of the `face_recognition` source package on PyPI (MIT):
five photos of Barack Obama and one of Joe Biden, downscaled to 1000 px. Biden's other
"photos" are derived from his one (mirrored, cropped, rescaled, relit) because no second
real photo of him ships there.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageEnhance, ImageOps

PHOTOS = Path(__file__).parent / "data" / "faces"


def photo(name: str) -> Image.Image:
    return Image.open(PHOTOS / name).convert("RGB")


def _crop(im: Image.Image, f: float) -> Image.Image:
    w, h = im.size
    return im.crop((round(w * f), round(h * f), round(w * (1 - f)), round(h * (1 - f))))


OBAMA = {
    "obama/1.jpg": photo("obama.jpg"),
    "obama/2.jpg": photo("obama3.jpg"),
    "obama/3.jpg": photo("obama_partial_face.jpg"),
    "obama/4.jpg": photo("obama_partial_face2.jpg"),
    "obama/5.jpg": ImageOps.mirror(photo("obama.jpg")),
    "obama/6.jpg": _crop(ImageOps.mirror(photo("obama3.jpg")), 0.08),
}
_BIDEN = photo("biden.jpg")
BIDEN = {
    "biden/1.jpg": _BIDEN,
    "biden/2.jpg": ImageOps.mirror(_BIDEN),
    "biden/3.jpg": _crop(_BIDEN, 0.1),
    "biden/4.jpg": _BIDEN.resize((_BIDEN.width * 3 // 4, _BIDEN.height * 3 // 4)),
    "biden/5.jpg": ImageEnhance.Brightness(_BIDEN).enhance(0.8),
    "biden/6.jpg": ImageOps.mirror(_crop(_BIDEN, 0.05)),
}
NEVER_INGESTED = "obama2.jpg"
