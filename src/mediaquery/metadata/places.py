"""Offline reverse geocoding: the nearest city or town (GeoNames cities1000, CC BY 4.0, as the
`reverse-geocode` package ships it) with its region and country. No network is used."""

from __future__ import annotations

import math
import threading
from typing import Any

MAX_KM = 50.0  # farther than this from any town (at sea, in a desert): no place
CANDIDATES = 10
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
    """{city, region, country, country_code} of the town the point is in, within MAX_KM.

    GeoNames also lists a city's quarters ("Intendente" in Lisbon): of the nearest places,
    the most populous one whose extent (growing with its population) reaches the point wins,
    so a photo in central Lisbon is in Lisbon, and one in a village stays in the village."""
    data = _geocoder()
    _, indices = data._tree.query([(lat, lon)], k=CANDIDATES)
    found, best = None, -1
    for i in indices[0]:
        loc = data._locations[i]
        d = distance_km(lat, lon, loc["latitude"], loc["longitude"])
        reach = max(math.sqrt(loc.get("population") or 0) / 100, 1.0)
        if d <= MAX_KM and (found is None or d <= reach) and loc.get("population", 0) > best:
            found, best = loc, loc.get("population", 0)
    if found is None:
        return None
    country = data._countries.get(found["country_code"], "")
    return {
        "city": found.get("city") or None,
        "region": found.get("state") or None,
        "country": country or None,
        "country_code": found.get("country_code") or None,
    }


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))
