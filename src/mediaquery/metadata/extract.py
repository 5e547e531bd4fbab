"""One entry point for the jobs: read a file's metadata and find its place."""

from __future__ import annotations

import logging
from pathlib import Path

from mediaquery.domain import MediaType
from mediaquery.metadata import Metadata

log = logging.getLogger(__name__)


def extract(path: Path, media_type: str, store_location: bool = True) -> Metadata:
    """Capture time, camera and (unless `store_location` is off) location and place.

    Never fails: a file whose metadata cannot be read is still analysed, without metadata."""
    from mediaquery.metadata.photo import read_photo
    from mediaquery.metadata.places import place_of
    from mediaquery.metadata.video import read_video

    try:
        meta = read_video(path) if media_type == MediaType.VIDEO else read_photo(path)
        if not store_location:
            return meta.without_location()
        if meta.lat is not None and meta.lon is not None:
            meta.place = place_of(meta.lat, meta.lon)
        return meta
    except Exception:  # noqa: BLE001 - metadata is a bonus, never a reason to fail analysis
        log.exception("reading the metadata of %s failed", path.name)
        return Metadata()
