"""The original file (with Range requests), thumbnails, and the page's own routes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from conftest import jpeg_bytes
from mediaquery.config import Settings


def _sideways_jpeg() -> bytes:
    """400x200 pixels stored with EXIF orientation 6: upright it is 200x400."""
    img = Image.new("RGB", (400, 200), (200, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    return jpeg_bytes(img, exif=exif.tobytes())


def test_thumbnail_is_an_upright_jpeg_made_once(client: TestClient, settings: Settings) -> None:
    item = client.put("/v1/media/trip/side.jpg", content=_sideways_jpeg()).json()
    r = client.get("/v1/media/trip/side.jpg/thumbnail")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.headers["cache-control"] == "no-cache"
    thumb = Image.open(io.BytesIO(r.content))
    assert thumb.format == "JPEG" and thumb.size == (160, 320)  # upright, longer side 320
    cached = settings.data_dir / "thumbnails" / f"{item['etag']}.jpg"
    assert cached.read_bytes() == r.content
    # made once: later requests are served from the cache, even without the original
    (settings.data_dir / "media" / "trip" / "side.jpg").unlink()
    again = client.get("/v1/media/trip/side.jpg/thumbnail", params={"v": item["etag"][:16]})
    assert again.content == r.content
    assert "immutable" in again.headers["cache-control"]


def test_small_images_are_not_enlarged(client: TestClient) -> None:
    client.put("/v1/media/tiny.png", content=_png((40, 30)))
    thumb = Image.open(io.BytesIO(client.get("/v1/media/tiny.png/thumbnail").content))
    assert thumb.size == (40, 30)


def _png(size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, "PNG")
    return buf.getvalue()


def test_file_is_the_original_with_range_requests(client: TestClient) -> None:
    data = jpeg_bytes(Image.new("RGB", (64, 48), (10, 120, 200)))
    client.put("/v1/media/a b/blue.jpg", content=data)
    r = client.get("/v1/media/a%20b/blue.jpg/file")
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["content-disposition"].startswith("inline")
    part = client.get("/v1/media/a%20b/blue.jpg/file", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    tail = client.get("/v1/media/a%20b/blue.jpg/file", headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == data[-5:]
    bad = client.get("/v1/media/a%20b/blue.jpg/file", headers={"Range": f"bytes={len(data)}-"})
    assert bad.status_code == 416


def test_unknown_names_are_404_json(client: TestClient) -> None:
    for suffix in ("file", "thumbnail"):
        r = client.get(f"/v1/media/nope/missing.jpg/{suffix}")
        assert r.status_code == 404
        assert r.json() == {
            "code": "NotFoundError",
            "message": "NotFoundError: Media file (nope/missing.jpg) not found",
        }


def test_undecodable_image_has_no_thumbnail(client: TestClient) -> None:
    broken = jpeg_bytes(Image.new("RGB", (64, 64), "red"))[:200]  # a JPEG header, no pixels
    assert client.put("/v1/media/broken.jpg", content=broken).status_code == 201
    r = client.get("/v1/media/broken.jpg/thumbnail")
    assert r.status_code == 409 and r.json()["code"] == "Conflict"
    assert r.json()["message"].startswith("broken.jpg has no thumbnail: ")
    assert client.get("/v1/media/broken.jpg/file").content == broken


def test_missing_file_is_a_conflict(client: TestClient, settings: Settings) -> None:
    client.put("/v1/media/gone.jpg", content=jpeg_bytes(Image.new("RGB", (8, 8))))
    (settings.data_dir / "media" / "gone.jpg").unlink()
    r = client.get("/v1/media/gone.jpg/file")
    assert r.status_code == 409 and "its file is gone" in r.json()["message"]


def test_an_item_named_like_the_route_wins(client: TestClient) -> None:
    client.put("/v1/media/docs/file", content=jpeg_bytes(Image.new("RGB", (8, 8))))
    r = client.get("/v1/media/docs/file")
    assert r.status_code == 200 and r.json()["name"] == "docs/file"


@pytest.mark.slow
def test_video_file_and_poster_thumbnail(client: TestClient, tmp_path: Path) -> None:
    from mq_clips import three_scenes

    data = three_scenes(tmp_path / "clip.mp4").read_bytes()
    assert client.put("/v1/media/clips/clip.mp4", content=data).status_code == 201
    thumb = client.get("/v1/media/clips/clip.mp4/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size == (320, 180)
    r = client.get("/v1/media/clips/clip.mp4/file", headers={"Range": "bytes=0-1023"})
    assert r.status_code == 206 and r.headers["content-type"] == "video/mp4"
    assert r.content == data[:1024]


def test_page_is_served_at_root_and_for_deep_links(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/app.js"></script>' in page.text
    deep = client.get("/media/trip/2024/cat.jpg")
    assert deep.status_code == 200 and deep.text == page.text
    for asset, kind in [("app.js", "javascript"), ("style.css", "text/css"), ("icon.svg", "svg")]:
        r = client.get(f"/static/{asset}")
        assert r.status_code == 200 and kind in r.headers["content-type"], asset
        assert r.headers["cache-control"] == "no-cache"
    missing = client.get("/static/nope.js")
    assert missing.status_code == 404 and missing.json()["code"] == "NotFoundError"
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and "/media/{name}" not in paths
    assert {"/v1/media/{name}/file", "/v1/media/{name}/thumbnail"} <= set(paths)


def test_every_module_the_page_imports_is_served(client: TestClient) -> None:
    """The ES modules import each other by relative path; each one must exist."""
    import re

    seen, todo = set(), ["app.js"]
    while todo:
        name = todo.pop()
        seen.add(name)
        r = client.get(f"/static/{name}")
        assert r.status_code == 200, name
        for dep in re.findall(r'from "\./([\w-]+\.js)"', r.text):
            if dep not in seen:
                todo.append(dep)
    assert {"api.js", "gallery.js", "detail.js", "timeline.js", "overlay.js"} <= seen


def test_thumbnails_of_deleted_or_replaced_content_are_dropped(
    client: TestClient, settings: Settings
) -> None:
    client.put("/v1/media/a.jpg", content=_sideways_jpeg())
    assert client.get("/v1/media/a.jpg/thumbnail").status_code == 200
    assert len(list(settings.thumbnail_dir.glob("*.jpg"))) == 1
    client.put("/v1/media/a.jpg", content=_png((64, 48)))  # replaced: the old one goes
    assert list(settings.thumbnail_dir.glob("*.jpg")) == []
    assert client.get("/v1/media/a.jpg/thumbnail").status_code == 200
    client.delete("/v1/media/a.jpg")
    assert list(settings.thumbnail_dir.glob("*.jpg")) == []
