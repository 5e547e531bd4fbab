"""EXIF of a photo (JPEG, HEIC, AVIF, TIFF, DNG, WebP, PNG): capture time, camera, GPS.

Capture time: DateTimeOriginal, else DateTimeDigitized, else the file's DateTime (its last
change); SubSecTimeOriginal adds the fraction and OffsetTimeOriginal (else OffsetTime) the
UTC offset."""

from __future__ import annotations

import math
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from mediaquery.metadata import Metadata, clean_text, offset_tz, valid_position

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL, _DATETIME = 0x010F, 0x0110, 0x0132
_ORIGINAL, _DIGITIZED = 0x9003, 0x9004
_OFFSET, _OFFSET_ORIGINAL, _OFFSET_DIGITIZED = 0x9010, 0x9011, 0x9012
_SUBSEC_ORIGINAL, _SUBSEC_DIGITIZED, _SUBSEC = 0x9291, 0x9292, 0x9290
_LENS_MODEL = 0xA434
_RAW_HEAD = 1 << 20  # a RAW's directories sit before its pixel data


def read_photo(path: Path) -> Metadata:
    """What the photo's EXIF says; an empty Metadata when it has none or cannot be read."""
    import pillow_heif  # noqa: F401 - registered by mediaquery.decode; HEIC EXIF comes through it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # EXIF quirks are not failures
            exif = _exif(path)
            ifd = dict(exif.get_ifd(_EXIF_IFD))
            gps = dict(exif.get_ifd(_GPS_IFD))
            top = dict(exif)
    except Exception:  # noqa: BLE001 - unreadable metadata is no metadata, the photo still counts
        return Metadata()
    meta = Metadata(
        taken=_taken(ifd, top),
        make=clean_text(top.get(_MAKE)),
        model=clean_text(top.get(_MODEL)),
        lens=clean_text(ifd.get(_LENS_MODEL) or top.get(_LENS_MODEL)),
    )
    _gps(meta, gps)
    return meta


def _exif(path: Path) -> Image.Exif:
    try:
        with Image.open(path) as img:
            return img.getexif()
    except UnidentifiedImageError:
        # A camera RAW Pillow cannot decode (a DNG's CFA data) is still a TIFF directory.
        exif = Image.Exif()
        with path.open("rb") as fh:
            exif.load(fh.read(_RAW_HEAD))
        return exif


def _taken(ifd: dict[int, Any], top: dict[int, Any]) -> datetime | None:
    both = {**top, **ifd}  # a DNG may keep the EXIF tags in its first directory
    for when, subsec, offset in (
        (_ORIGINAL, _SUBSEC_ORIGINAL, _OFFSET_ORIGINAL),
        (_DIGITIZED, _SUBSEC_DIGITIZED, _OFFSET_DIGITIZED),
        (_DATETIME, _SUBSEC, _OFFSET),
    ):
        taken = parse_exif_time(both.get(when), both.get(subsec))
        if taken is not None:
            tz = offset_tz(clean_text(both.get(offset)) or clean_text(both.get(_OFFSET)))
            return taken.replace(tzinfo=tz) if tz else taken
    return None


def parse_exif_time(value: Any, subsec: Any = None) -> datetime | None:
    """`YYYY:MM:DD HH:MM:SS` (+ sub-seconds) as a naive datetime; None for blanks and zeros."""
    text = clean_text(value)
    if not text or len(text) < 19:
        return None
    try:
        taken = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    fraction = clean_text(subsec)
    if fraction and fraction.isdigit():
        taken = taken.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    return taken


def _gps(meta: Metadata, gps: dict[int, Any]) -> None:
    lat = _degrees(gps.get(2), gps.get(1), "S")
    lon = _degrees(gps.get(4), gps.get(3), "W")
    if not valid_position(lat, lon):
        return
    meta.lat, meta.lon = round(lat or 0.0, 7), round(lon or 0.0, 7)
    alt = _number(gps.get(6))
    if alt is not None:
        below = gps.get(5) in (1, b"\x01")
        meta.alt = round(-alt if below else alt, 2)


def _degrees(dms: Any, ref: Any, negative: str) -> float | None:
    if not isinstance(dms, tuple | list) or not dms:
        return None
    parts = [_number(x) for x in dms[:3]]
    if any(p is None for p in parts):
        return None
    value = sum((p or 0.0) / 60**i for i, p in enumerate(parts))
    return -value if clean_text(ref) == negative else value


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None
