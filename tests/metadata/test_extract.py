"""Metadata read from real phone and camera files, and from files written for edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediaquery.domain import MediaType
from mediaquery.metadata.extract import extract
from mediaquery.metadata.video import parse_iso6709
from mq_camera import CAMERA, dng_bytes, exif_jpeg, located_video


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_iphone_heic_gives_local_time_with_offset_camera_lens_gps_and_place() -> None:
    got = extract(CAMERA / "iphone_xs.heic", MediaType.IMAGE).public()
    assert got["taken_at"] == "2021-07-06T16:08:14.164000+03:00"
    assert got["camera"] == {
        "make": "Apple",
        "model": "iPhone XS",
        "lens": "iPhone XS back dual camera 4.25mm f/1.8",
    }
    loc = got["location"]
    assert loc["lat"] == pytest.approx(46.7547, abs=1e-4)
    assert loc["lon"] == pytest.approx(33.3361, abs=1e-4)
    assert loc["alt"] == pytest.approx(7.69, abs=0.01)
    assert got["place"] == {
        "city": "Nova Kakhovka",
        "region": "Kherson",
        "country": "Ukraine",
        "country_code": "UA",
    }


def test_pixel_jpeg_and_sony_heic_and_canon_without_offset() -> None:
    pixel = extract(CAMERA / "pixel_6.jpg", MediaType.IMAGE)
    assert pixel.taken_at == "2024-05-07T09:33:04.046000+08:00"
    assert pixel.place and pixel.place["country_code"] == "CN"
    assert pixel.place["region"] == "Zhejiang"
    sony = extract(CAMERA / "sony_a7s3.heic", MediaType.IMAGE)
    assert sony.taken_at == "2020-09-14T11:09:34.641000-05:00"
    assert (sony.make, sony.model, sony.lens) == ("SONY", "ILCE-7SM3", "FE 24-70mm F2.8 GM")
    assert sony.location() is None and sony.place is None
    canon = extract(CAMERA / "canon_g1x.jpg", MediaType.IMAGE)
    assert canon.taken_at == "2013-12-17T14:04:24"  # no offset in the file: none made up
    assert canon.taken_utc == pytest.approx(1387289064.0)


def test_gps_on_the_equator_and_prime_meridian_is_a_location(tmp_path: Path) -> None:
    # 0° is a real coordinate: Greenwich's latitude 51.48 with longitude 0, and the equator
    greenwich = _write(tmp_path, "g.jpg", exif_jpeg(lat=51.4779, lon=0.0, alt=-3.5))
    got = extract(greenwich, MediaType.IMAGE)
    assert (got.lat, got.lon, got.alt) == (pytest.approx(51.4779, abs=1e-4), 0.0, -3.5)
    assert got.place and got.place["country_code"] == "GB"
    equator = extract(_write(tmp_path, "e.jpg", exif_jpeg(lat=0.0, lon=32.58)), MediaType.IMAGE)
    assert (equator.lat, equator.lon) == (0.0, pytest.approx(32.58, abs=1e-4))
    assert equator.place and equator.place["country_code"] == "UG"


def test_null_island_and_the_open_sea(tmp_path: Path) -> None:
    # (0, 0) is what devices write without a fix (Apple Vision Pro does): no location
    zero = extract(_write(tmp_path, "z.jpg", exif_jpeg(lat=0.0, lon=0.0)), MediaType.IMAGE)
    assert zero.location() is None
    # mid-Atlantic: a location, but no town within reach
    sea = extract(_write(tmp_path, "s.jpg", exif_jpeg(lat=-30.0, lon=-25.0)), MediaType.IMAGE)
    assert sea.location() == {"lat": -30.0, "lon": -25.0, "alt": None} and sea.place is None


def test_exif_time_subseconds_offsets_and_blanks(tmp_path: Path) -> None:
    data = exif_jpeg(taken="2024:06:01 10:20:30", offset="-03:30", subsec="25", make="Nikon ")
    got = extract(_write(tmp_path, "t.jpg", data), MediaType.IMAGE)
    assert got.taken_at == "2024-06-01T10:20:30.250000-03:30"
    assert got.camera() == {"make": "Nikon", "model": None, "lens": None}
    blank = exif_jpeg(taken="    :  :     :  :  ", offset="+99:00")
    assert extract(_write(tmp_path, "b.jpg", blank), MediaType.IMAGE).public() == {
        "taken_at": None,
        "camera": None,
        "location": None,
        "place": None,
    }


def test_store_location_off_keeps_time_and_camera_only() -> None:
    got = extract(CAMERA / "iphone_xs.heic", MediaType.IMAGE, store_location=False)
    assert got.taken_at and got.make == "Apple"
    assert got.location() is None and got.place is None


def test_dng_camera_and_time(tmp_path: Path) -> None:
    got = extract(_write(tmp_path, "r.dng", dng_bytes(tmp_path)), MediaType.IMAGE)
    assert (got.make, got.model, got.taken_at) == (
        "Raspberry Pi",
        "HQ Camera",
        "2024-06-01T10:20:30",
    )


@pytest.mark.parametrize("fmt", ["mp4", "mov"])
def test_video_creation_time_and_iso6709_location(tmp_path: Path, fmt: str) -> None:
    path = _write(tmp_path, f"v.{fmt}", located_video(tmp_path, fmt))
    got = extract(path, MediaType.VIDEO)
    assert got.taken_at == "2024-06-01T10:20:30+00:00"
    assert got.location() == {"lat": 38.7223, "lon": -9.1393, "alt": 12.0}
    assert got.place and got.place["country"] == "Portugal"


def test_iso6709_forms() -> None:
    assert parse_iso6709("+40.7128-074.0060/") == (40.7128, -74.006, None)
    lat, lon, _ = parse_iso6709("+4042.768-07400.360/") or (0, 0, 0)  # ±DDMM.MMM
    assert (lat, lon) == (pytest.approx(40.7128), pytest.approx(-74.006))
    assert parse_iso6709("+404246.1-0740021.6/")[0] == pytest.approx(40.71281, abs=1e-5)  # type: ignore[index]
    assert parse_iso6709("garbage") is None and parse_iso6709("+95.0+010.0/") is None
