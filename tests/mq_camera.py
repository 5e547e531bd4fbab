"""Real phone and camera files (tests/data/camera), and files written with real libraries for
the edge cases: EXIF by piexif, a DNG by tifffile, a video with an ISO 6709 location by PyAV."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

CAMERA = Path(__file__).parent / "data" / "camera"


def camera_file(name: str) -> bytes:
    return (CAMERA / name).read_bytes()


def _rational(value: float, den: int = 10000) -> tuple[int, int]:
    return round(abs(value) * den), den


def _dms(value: float) -> tuple[tuple[int, int], ...]:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return (d, 1), (m, 1), _rational(s, 1000)


def exif_jpeg(
    *,
    taken: str | None = None,
    offset: str | None = None,
    subsec: str | None = None,
    make: str | None = None,
    model: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    alt: float | None = None,
    colour: tuple[int, int, int] = (90, 140, 200),
) -> bytes:
    """A small JPEG whose EXIF piexif writes."""
    import piexif

    zeroth: dict[int, Any] = {}
    exif: dict[int, Any] = {}
    gps: dict[int, Any] = {}
    if make:
        zeroth[piexif.ImageIFD.Make] = make
    if model:
        zeroth[piexif.ImageIFD.Model] = model
    if taken:
        exif[piexif.ExifIFD.DateTimeOriginal] = taken
    if offset:
        exif[piexif.ExifIFD.OffsetTimeOriginal] = offset
    if subsec:
        exif[piexif.ExifIFD.SubSecTimeOriginal] = subsec
    if lat is not None and lon is not None:
        gps[piexif.GPSIFD.GPSLatitudeRef] = "S" if lat < 0 else "N"
        gps[piexif.GPSIFD.GPSLatitude] = _dms(lat)
        gps[piexif.GPSIFD.GPSLongitudeRef] = "W" if lon < 0 else "E"
        gps[piexif.GPSIFD.GPSLongitude] = _dms(lon)
        if alt is not None:
            gps[piexif.GPSIFD.GPSAltitudeRef] = 1 if alt < 0 else 0
            gps[piexif.GPSIFD.GPSAltitude] = _rational(alt, 100)
    raw = piexif.dump({"0th": zeroth, "Exif": exif, "GPS": gps})
    buf = io.BytesIO()
    Image.new("RGB", (48, 32), colour).save(buf, "JPEG", exif=raw)
    return buf.getvalue()


def dng_bytes(tmp: Path, width: int = 96, height: int = 64) -> bytes:
    """A real DNG, written by tifffile: a 12-bit RGGB mosaic with the DNG tags LibRaw needs,
    camera make/model and a capture time."""
    import tifffile

    yy, xx = np.mgrid[0:height, 0:width]
    mosaic = ((xx * 40 + yy * 20) % 4096).astype(np.uint16)
    identity = tuple(x for i in range(9) for x in (int(i % 4 == 0), 1))
    tags = [
        (33421, "H", 2, (2, 2)),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2)),  # CFAPattern: RGGB
        (50706, "B", 4, (1, 4, 0, 0)),  # DNGVersion
        (50707, "B", 4, (1, 2, 0, 0)),  # DNGBackwardVersion
        (50708, "s", 0, "Raspberry Pi HQ Camera"),  # UniqueCameraModel
        (50717, "H", 1, 4095),  # WhiteLevel
        (50721, "2i", 9, identity),  # ColorMatrix1
        (50778, "H", 1, 21),  # CalibrationIlluminant1: D65
        (50728, "2I", 3, (1, 1, 1, 1, 1, 1)),  # AsShotNeutral
        (271, "s", 0, "Raspberry Pi"),  # Make
        (272, "s", 0, "HQ Camera"),  # Model
        (36867, "s", 0, "2024:06:01 10:20:30"),  # DateTimeOriginal
    ]
    path = tmp / "raw.dng"
    tifffile.imwrite(path, mosaic, photometric=32803, extratags=tags, metadata=None)
    return path.read_bytes()


def located_video(tmp: Path, fmt: str = "mp4", location: str = "+38.7223-009.1393+012.0/") -> bytes:
    """A short video whose container carries a creation time and an ISO 6709 location."""
    import av

    path = tmp / f"located.{fmt}"
    with av.open(str(path), "w", format=fmt) as c:
        c.metadata["location"] = location
        c.metadata["creation_time"] = "2024-06-01T10:20:30.000000Z"
        stream = c.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            frame = np.full((48, 64, 3), i * 20, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)
    return path.read_bytes()
