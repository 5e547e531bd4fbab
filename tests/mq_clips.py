"""Videos the tests make with PyAV's bundled x264 encoder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

SIZE = (640, 360)
TITLE = "MEDIA QUERY VIDEO"


def photo(name: str) -> Image.Image:
    """A scikit-image sample photo at the clip size."""
    from skimage import data

    return Image.fromarray(getattr(data, name)()).convert("RGB").resize(SIZE)


def title_card(title: str = TITLE) -> Image.Image:
    """Big black text on white."""
    card = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(card)
    draw.text((SIZE[0] // 2, SIZE[1] // 2), title, "black", ImageFont.load_default(size=52),
              anchor="mm")  # fmt: skip
    return card


def encode(path: Path, frames: Iterable[Image.Image], fps: int = 10) -> Path:
    """H.264 in MP4, a keyframe every 2 s."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(
            "libx264", rate=fps, options={"preset": "veryfast", "g": str(2 * fps)}
        )
        stream.pix_fmt = "yuv420p"
        stream.width, stream.height = SIZE
        for pts, image in enumerate(frames):
            frame = av.VideoFrame.from_image(image)
            frame.pts = pts
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def three_scenes(path: Path, fps: int = 10) -> Path:
    """10 s: the cat (0-4 s), a cup of coffee (4-7 s), a title card (7-10 s)."""
    scenes = [(photo("chelsea"), 4), (photo("coffee"), 3), (title_card(), 3)]
    return encode(path, (img for img, seconds in scenes for _ in range(seconds * fps)), fps)
