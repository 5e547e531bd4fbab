"""When, where and with what a photo or video was taken, read from the file (never written).

Extractors take a local file and return a `Metadata`; they never import the index, the API or
storage. The analysis job stores what they return through index/metadata.py."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

# Bumped when extraction changes: `mediaquery reindex` then reads the files again.
VERSION = "1"
NAME = "metadata"  # its row in the analyses (provenance) table


@dataclass(slots=True)
class Metadata:
    taken: datetime | None = None  # aware when the file gives its UTC offset
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    lat: float | None = None
    lon: float | None = None
    alt: float | None = None
    place: dict[str, str | None] | None = None  # city, region, country, country_code

    @property
    def taken_at(self) -> str | None:
        """ISO 8601, with the UTC offset when the file gives one."""
        return self.taken.isoformat() if self.taken else None

    @property
    def taken_utc(self) -> float | None:
        """Seconds since the epoch; a time without offset is taken as UTC (documented)."""
        if self.taken is None:
            return None
        aware = self.taken if self.taken.tzinfo else self.taken.replace(tzinfo=UTC)
        return aware.timestamp()

    def camera(self) -> dict[str, str | None] | None:
        if not (self.make or self.model or self.lens):
            return None
        return {"make": self.make, "model": self.model, "lens": self.lens}

    def location(self) -> dict[str, float | None] | None:
        if self.lat is None or self.lon is None:
            return None
        return {"lat": self.lat, "lon": self.lon, "alt": self.alt}

    def public(self) -> dict[str, Any]:
        """The item fields: taken_at, camera, location, place (null when absent)."""
        return {
            "taken_at": self.taken_at,
            "camera": self.camera(),
            "location": self.location(),
            "place": self.place,
        }

    def without_location(self) -> Metadata:
        return Metadata(self.taken, self.make, self.model, self.lens)


def clean_text(value: Any) -> str | None:
    """An EXIF/QuickTime string without padding and NULs; None when empty."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", " ").strip()
    return " ".join(value.split()) or None


def valid_position(lat: float | None, lon: float | None) -> bool:
    """A real position: in range, finite, and not (0, 0), which devices write without a fix."""
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return False
    return not (lat == 0 and lon == 0)


def offset_tz(text: str | None) -> timezone | None:
    """`+03:00`, `-0500` or `Z` as a timezone; None when absent or malformed."""
    text = (text or "").strip()
    if text in ("Z", "z"):
        return UTC
    digits = text[1:].replace(":", "")
    if len(text) < 3 or text[0] not in "+-" or not digits.isdigit() or len(digits) not in (2, 4):
        return None
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)
