"""Container metadata of a video (MP4, QuickTime, Matroska) through PyAV: time, camera, place.

Capture time: QuickTime's `com.apple.quicktime.creationdate` (local time with its offset, as
iPhones write it), else the container's `creation_time` (UTC by the QuickTime spec). Place: the
ISO 6709 string of `com.apple.quicktime.location.ISO6709` or `location` (©xyz, Android)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from mediaquery.metadata import Metadata, clean_text, offset_tz, valid_position

_ISO6709 = re.compile(r"^([+-])(\d+(?:\.\d*)?)([+-])(\d+(?:\.\d*)?)(?:([+-]\d+(?:\.\d*)?))?")


def read_video(path: Path) -> Metadata:
    """What the container's tags say; an empty Metadata when it has none or cannot be read."""
    import av

    try:
        with av.open(str(path)) as container:
            tags = {k.lower(): v for k, v in container.metadata.items()}
    except (av.FFmpegError, OSError, ValueError):
        return Metadata()
    meta = Metadata(
        taken=_taken(tags),
        make=clean_text(tags.get("com.apple.quicktime.make") or tags.get("make")),
        model=clean_text(tags.get("com.apple.quicktime.model") or tags.get("model")),
    )
    where = tags.get("com.apple.quicktime.location.iso6709") or tags.get("location")
    position = parse_iso6709(where or "")
    if position is not None:
        meta.lat, meta.lon, meta.alt = position
    return meta


def _taken(tags: dict[str, str]) -> datetime | None:
    for key in ("com.apple.quicktime.creationdate", "creation_time", "date"):
        taken = parse_iso_time(tags.get(key))
        if taken is not None and taken.year > 1970:  # 1904/1970: an unset QuickTime clock
            return taken
    return None


def parse_iso_time(text: str | None) -> datetime | None:
    """An ISO 8601 time (`2024-06-01T10:20:30.000000Z`, `...+0100`); None if malformed."""
    text = clean_text(text)
    if not text:
        return None
    match = re.match(r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)?$", text)
    if not match:
        return None
    try:
        taken = datetime.fromisoformat(match.group(1).replace(" ", "T")[:26])
    except ValueError:
        return None
    tz = offset_tz(match.group(2)) if match.group(2) else UTC
    return taken.replace(tzinfo=tz or UTC)


def parse_iso6709(text: str) -> tuple[float, float, float | None] | None:
    """`+38.7223-009.1393+012.5/` (degrees, or ±DDMM.M / ±DDMMSS.S) as (lat, lon, alt)."""
    match = _ISO6709.match(text.strip())
    if not match:
        return None
    lat = _angle(match.group(1), match.group(2), 2)
    lon = _angle(match.group(3), match.group(4), 3)
    if lat is None or lon is None or not valid_position(lat, lon):
        return None
    alt = float(match.group(5)) if match.group(5) else None
    return round(lat, 7), round(lon, 7), alt


def _angle(sign: str, digits: str, degree_digits: int) -> float | None:
    whole = digits.split(".")[0]
    value = float(digits)
    if len(whole) == degree_digits + 2:  # DDMM.M
        value = int(whole[:degree_digits]) + (value - int(whole[:degree_digits]) * 100) / 60
    elif len(whole) == degree_digits + 4:  # DDMMSS.S
        d, m = int(whole[:degree_digits]), int(whole[degree_digits : degree_digits + 2])
        value = d + m / 60 + (value - d * 10000 - m * 100) / 3600
    elif len(whole) > degree_digits:
        return None
    return -value if sign == "-" else value
