import io

import pytest
from PIL import Image

from mediaquery.domain import MediaType
from mediaquery.mediatypes import SNIFF_BYTES, sniff


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("WEBP", "image/webp"),
        ("GIF", "image/gif"),
        ("BMP", "image/bmp"),
        ("TIFF", "image/tiff"),
    ],
)
def test_images_are_recognised_by_content(fmt: str, content_type: str) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, fmt)
    got = sniff(buf.getvalue()[:64])
    assert (got.type, got.content_type) == (MediaType.IMAGE, content_type)


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "video/x-msvideo"),
    ],
)
def test_videos_are_recognised_by_content(head: bytes, content_type: str) -> None:
    got = sniff(head)
    assert (got.type, got.content_type) == (MediaType.VIDEO, content_type)


@pytest.mark.parametrize("head", [b"", b"hello, this is text", b"%PDF-1.7\n", b"PK\x03\x04"])
def test_other_content_is_unknown(head: bytes) -> None:
    assert sniff(head).type == MediaType.UNKNOWN


@pytest.mark.parametrize(
    "name, content_type",
    [
        ("iphone_xs.heic", "image/heic"),
        ("xiaomi.heic", "image/heic"),
        ("sony_a7s3.heic", "image/heic"),
        ("rotated.avif", "image/avif"),
        ("pixel_6.jpg", "image/jpeg"),
    ],
)
def test_phone_formats_are_recognised_by_content(name: str, content_type: str) -> None:
    from mq_camera import camera_file

    got = sniff(camera_file(name)[:SNIFF_BYTES])
    assert (got.type, got.content_type) == (MediaType.IMAGE, content_type)


def test_camera_raw_is_recognised_by_content(tmp_path) -> None:
    from mq_camera import dng_bytes

    assert sniff(dng_bytes(tmp_path)[:SNIFF_BYTES]).content_type == "image/x-adobe-dng"
    cr2 = b"II*\x00\x10\x00\x00\x00CR\x02\x00" + bytes(50)
    assert sniff(cr2).content_type == "image/x-canon-cr2"
    assert sniff(b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom").type == MediaType.IMAGE
    assert sniff(b"FUJIFILMCCD-RAW 0201FF383501").content_type == "image/x-fuji-raf"
