"""Everything found in an image, through the API: faces, text, moderation, similar images."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFont

from conftest import jpeg_bytes
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.queue.worker import Worker

pytestmark = pytest.mark.model


def text_page() -> bytes:
    img = Image.new("RGB", (800, 300), "white")
    draw = ImageDraw.Draw(img)
    draw.text((40, 60), "INVOICE NUMBER 4711", fill="black", font=ImageFont.load_default(size=48))
    draw.text((40, 170), "Paid in full", fill="black", font=ImageFont.load_default(size=40))
    return jpeg_bytes(img, quality=95)


def png_bytes(img: Image.Image, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, model_cache) -> Iterator[TestClient]:
    from skimage import data

    from mediaquery.config import load_settings

    settings = load_settings(data_dir=tmp_path_factory.mktemp("data"), models_dir=model_cache,
                             watch=False, reconcile_on_start=False)  # fmt: skip
    settings.queue.workers = 0
    app: FastAPI = create_app(settings, background=False)
    uploads = {
        "people/astronaut.jpg": jpeg_bytes(data.astronaut()),
        "docs/invoice.jpg": text_page(),
        "food/coffee.jpg": jpeg_bytes(data.coffee()),
        "pets/chelsea.jpg": jpeg_bytes(data.chelsea()),
        "pets/cat.jpg": jpeg_bytes(data.cat()),
        "space/rocket.jpg": jpeg_bytes(data.rocket()),
    }
    with TestClient(app) as client:
        for name, blob in uploads.items():
            assert client.put(f"/v1/media/{name}", content=blob).status_code == 201
        Worker(app.state.ctx).run(burst=True)
        yield client


def names(client: TestClient, **params: object) -> list[str]:
    r = client.get("/v1/media", params=params)
    assert r.status_code == 200, r.text
    return [x["name"] for x in r.json()["items"]]


def test_every_default_analyzer_ran_and_is_recorded(indexed: TestClient) -> None:
    item = indexed.get("/v1/media/food/coffee.jpg").json()
    assert item["status"] == "done"
    assert {a["analyzer"] for a in item["analyses"]} == {
        "labels",
        "people",
        "text",
        "moderation",
        "faces",
        "colors",
    }


def test_portrait_has_one_face_with_a_box_over_the_face(indexed: TestClient) -> None:
    item = indexed.get("/v1/media/people/astronaut.jpg").json()
    face = next(x for x in item["labels"] if x["name"] == "Face")
    assert len(face["boxes"]) == 1
    box = face["boxes"][0]
    # the face of Eileen Collins sits around x 175-272, y 65-178 of the 512x512 portrait
    cx, cy = (box["left"] + box["width"] / 2) * 512, (box["top"] + box["height"] / 2) * 512
    assert 175 < cx < 272 and 65 < cy < 178
    assert any(x["name"] == "Person" for x in item["labels"])
    assert names(indexed, label="face") == ["people/astronaut.jpg"]
    assert names(indexed, label="human") == ["people/astronaut.jpg"]  # Person's alias


def test_text_is_read_and_searchable(indexed: TestClient) -> None:
    item = indexed.get("/v1/media/docs/invoice.jpg").json()
    assert [x["text"] for x in item["text"]] == ["INVOICE NUMBER 4711", "Paid in full"]
    assert all(x["box"]["top"] < 1 for x in item["text"])
    assert "Text" in [x["name"] for x in item["labels"]]
    assert names(indexed, text="invoice") == ["docs/invoice.jpg"]
    assert names(indexed, text="paid FULL") == ["docs/invoice.jpg"]
    assert names(indexed, text="4711 missing") == []
    assert names(indexed, text="coffee") == []
    r = indexed.get("/v1/media", params={"text": "  ***  "})
    assert r.status_code == 400


def test_moderation_is_kept_apart_and_filterable(indexed: TestClient) -> None:
    every = names(indexed)
    assert names(indexed, moderation="none") == every  # nothing here is flagged
    assert names(indexed, moderation="any") == []
    assert names(indexed, moderation="Explicit Nudity") == []
    item = indexed.get("/v1/media/people/astronaut.jpg").json()
    assert item["moderation"] == []
    assert all(x["category"] != "Moderation" for x in item["labels"])


def test_similar_images_rank_the_other_cat_first(indexed: TestClient) -> None:
    r = indexed.get("/v1/media/pets/chelsea.jpg/similar", params={"limit": 3})
    assert r.status_code == 200
    items = r.json()["items"]
    assert items[0]["name"] == "pets/cat.jpg"
    assert items[0]["similarity"] > items[1]["similarity"]
    assert "pets/chelsea.jpg" not in [x["name"] for x in items]
    assert indexed.get("/v1/media/nope.jpg/similar").status_code == 404


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("odd/tall.png", lambda: png_bytes(Image.new("RGB", (1, 4000), "gray"))),
        ("odd/wide.jpg", lambda: jpeg_bytes(Image.new("RGB", (4000, 1), "gray"))),
        ("odd/dot.png", lambda: png_bytes(Image.new("RGB", (1, 1), "red"))),
        ("odd/16bit.png", lambda: png_bytes(Image.fromarray(
            (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)))),
        ("odd/cmyk.jpg", lambda: _cmyk()),
        ("odd/anim.gif", lambda: _animated()),
        ("odd/rotated.jpg", lambda: _rotated()),
    ],
)  # fmt: skip
def test_unusual_images_are_analysed(
    make_settings: Callable[..., Settings], name: str, make: Callable[[], bytes]
) -> None:
    app = create_app(make_settings(), background=False)
    with TestClient(app) as client:
        assert client.put(f"/v1/media/{name}", content=make()).status_code == 201
        Worker(app.state.ctx).run(burst=True)
        item = client.get(f"/v1/media/{name}").json()
    assert item["status"] == "done", item["error"]
    if name == "odd/rotated.jpg":
        assert (item["width"], item["height"]) == (512, 512)
        face = next(x for x in item["labels"] if x["name"] == "Face")
        box = face["boxes"][0]
        assert box["top"] < 0.35 and 0.3 < box["left"] + box["width"] / 2 < 0.55  # upright


def _cmyk() -> bytes:
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.coffee()).convert("CMYK").save(buf, "JPEG")
    return buf.getvalue()


def _animated() -> bytes:
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "green", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def _rotated() -> bytes:
    """The astronaut stored sideways with EXIF Orientation=6, as phones do."""
    from skimage import data

    upright = Image.fromarray(data.astronaut())
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # undone by orientation 6
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, "JPEG", exif=exif, quality=92)
    return buf.getvalue()
