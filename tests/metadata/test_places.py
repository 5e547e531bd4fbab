"""Offline reverse geocoding: the right town, in little memory."""

from __future__ import annotations

import subprocess
import sys

from mediaquery.metadata.places import place_of

MEASURE = """
import os
from pathlib import Path
def rss():
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
from mediaquery.metadata.places import place_of
before = rss()
assert place_of(38.7139, -9.1335)["city"] == "Lisbon"
print(rss() - before)
"""


def test_nearest_town_region_and_country() -> None:
    assert place_of(38.7139, -9.1335) == {
        "city": "Lisbon", "region": "Lisbon", "country": "Portugal", "country_code": "PT"
    }  # fmt: skip
    assert place_of(35.68, 139.69)["country"] == "Japan"  # type: ignore[index]
    assert place_of(0.0, -30.0) is None  # mid-Atlantic: no town within 50 km


def test_the_towns_take_little_memory_in_the_process_that_looks_them_up() -> None:
    # parsed here, the package's JSON kept 161 MiB of this process for good
    out = subprocess.run([sys.executable, "-c", MEASURE], capture_output=True, text=True,
                         check=True, timeout=300)  # fmt: skip
    assert float(out.stdout) < 60, out.stdout
