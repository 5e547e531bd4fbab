"""Decode images safely: bounded pixels, upright orientation, RGB, first frame of animations.

Pillow reads JPEG, PNG, WebP, GIF, BMP, TIFF and AVIF; pillow-heif adds HEIC/HEIF (already
turned upright by libheif); camera RAW files (DNG, CR2, NEF ...) go through LibRaw (rawpy)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from mediaquery.errors import AnalysisError
from mediaquery.mediatypes import RAW_TYPES, SNIFF_BYTES, sniff

pillow_heif.register_heif_opener()

# We check the declared size ourselves, before any pixel is decoded, with a clear message.
Image.MAX_IMAGE_PIXELS = None


@dataclass(slots=True)
class Decoded:
    image: Image.Image  # RGB, upright
    width: int  # of the upright original, before any draft downscale
    height: int


def decode_image(src: Path | BinaryIO, max_pixels: int, min_side: int | None = None) -> Decoded:
    """Decode an image to upright RGB; `min_side` lets JPEGs decode at a reduced scale."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # EXIF and palette quirks are not failures
            return _decode(src, max_pixels, min_side)
    except AnalysisError:
        raise
    except UnidentifiedImageError as exc:
        raise AnalysisError("Not a readable image: the content matches no known format") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise AnalysisError(f"Image is damaged or truncated: {exc}") from exc
    except MemoryError as exc:
        raise AnalysisError("Image is too large to decode") from exc


def _head(src: Path | BinaryIO) -> bytes:
    if isinstance(src, Path):
        with src.open("rb") as fh:
            return fh.read(SNIFF_BYTES)
    at = src.tell()
    head = src.read(SNIFF_BYTES)
    src.seek(at)
    return head


def _decode(src: Path | BinaryIO, max_pixels: int, min_side: int | None) -> Decoded:
    if sniff(_head(src)).content_type in RAW_TYPES:
        return _decode_raw(src, max_pixels, min_side)
    with Image.open(src) as img:
        w, h = img.size
        check_pixels(w, h, max_pixels)
        img.seek(0)  # animated images: analyse the first frame
        upright_w, upright_h = _upright_size(img, w, h)
        if min_side and img.format == "JPEG":
            scale = min(w, h) / min_side
            if scale >= 2:
                img.draft("RGB", (max(1, int(w / scale)), max(1, int(h / scale))))
        img.load()
        out = ImageOps.exif_transpose(img) or img
        return Decoded(to_rgb(out), upright_w, upright_h)


def check_pixels(w: int, h: int, max_pixels: int) -> None:
    """Refuse an image by its declared size, before any pixel is decoded."""
    if w <= 0 or h <= 0:
        raise AnalysisError("Image has no pixels")
    if w * h > max_pixels:
        raise AnalysisError(
            f"Image declares {w}x{h} pixels, more than the limit of {max_pixels} "
            "(possible decompression bomb)"
        )


def _decode_raw(src: Path | BinaryIO, max_pixels: int, min_side: int | None) -> Decoded:
    """Develop a camera RAW with its camera's white balance; LibRaw turns it upright."""
    import rawpy  # only RAW files need LibRaw

    try:
        raw = rawpy.imread(str(src)) if isinstance(src, Path) else rawpy.imread(src)
    except (rawpy.LibRawError, OSError) as exc:
        raise AnalysisError(f"Camera RAW file is damaged or unsupported: {exc}") from exc
    with raw:
        w, h = raw.sizes.width, raw.sizes.height
        if w * h > max_pixels:
            raise AnalysisError(
                f"Image declares {w}x{h} pixels, more than the limit of {max_pixels} "
                "(possible decompression bomb)"
            )
        half = bool(min_side) and min(w, h) // 2 >= (min_side or 0)
        try:
            rgb = raw.postprocess(use_camera_wb=True, half_size=half, output_bps=8)
        except rawpy.LibRawError as exc:
            raise AnalysisError(f"Camera RAW file could not be developed: {exc}") from exc
        upright = (h, w) if raw.sizes.flip in (5, 6) else (w, h)
    return Decoded(Image.fromarray(rgb).convert("RGB"), *upright)


def _upright_size(img: Image.Image, w: int, h: int) -> tuple[int, int]:
    orientation = img.getexif().get(0x0112, 1)
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def to_rgb(img: Image.Image) -> Image.Image:
    """RGB pixels; transparency over white, 16-bit greyscale scaled to 8 bits."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale to 8 bits instead of clipping everything to white
        arr = np.asarray(img, dtype=np.float64)
        scale = 255.0 / 65535.0 if arr.max() > 255 else 1.0
        return Image.fromarray(np.clip(arr * scale, 0, 255).astype(np.uint8)).convert("RGB")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return img.convert("RGB")
