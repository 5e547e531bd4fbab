"""Thumbnail pixels: decode just enough of an image, shrink it, encode a JPEG.

No index and no storage here: `python -m mediaquery.thumbnail_image SOURCE MAX_PIXELS` runs
the same code in a child process for images too large to decode in the API process.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image

from mediaquery.decode import check_pixels, to_rgb
from mediaquery.errors import AnalysisError

THUMBNAIL_SIDE = 320
_NATIVE = frozenset({"RGB", "RGBA", "L", "LA"})  # modes that resize well without converting
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def jpeg(image: Image.Image) -> bytes:
    """The image as thumbnail-quality JPEG bytes."""
    buf = io.BytesIO()
    to_rgb(image).save(buf, "JPEG", quality=82, optimize=True)
    return buf.getvalue()


def fit(image: Image.Image) -> Image.Image:
    """A new image, longer side THUMBNAIL_SIDE (never enlarged); big ones are box-reduced first."""
    w, h = image.size
    scale = min(1.0, THUMBNAIL_SIDE / max(w, h))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if image.mode not in _NATIVE:
        image = to_rgb(image)
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def image_thumbnail(source: Path, max_pixels: int) -> bytes:
    """Decode just enough of an image for its thumbnail, upright, as JPEG bytes."""
    try:
        with Image.open(source) as img:
            check_pixels(*img.size, max_pixels)
            img.seek(0)  # animations: the first frame
            orientation = img.getexif().get(0x0112, 1)
            if img.format == "JPEG":
                img.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))  # decode at 1/2..1/8 scale
            small = fit(img)
    except AnalysisError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise AnalysisError(f"Image is damaged or not readable: {exc}") from exc
    if orientation in _TRANSPOSE:
        small = small.transpose(_TRANSPOSE[orientation])
    return jpeg(small)


def decoded_pixels(source: Path) -> int:
    """Pixels a thumbnail decode would hold: JPEGs count at their reduced scale."""
    try:
        with Image.open(source) as img:
            if img.format == "JPEG":
                img.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            w, h = img.size
    except (OSError, SyntaxError, ValueError, EOFError):
        return 0  # image_thumbnail says what is wrong with it
    return w * h


def main(argv: list[str]) -> int:
    """The child process: the JPEG on stdout, or the reason on stderr and exit 1."""
    try:
        sys.stdout.buffer.write(image_thumbnail(Path(argv[0]), int(argv[1])))
    except AnalysisError as exc:
        sys.stderr.write(exc.message + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
