"""GET /v1/search: natural-language search over stored CLIP image embeddings, on the tiny
CLIP stand-ins of mq_clip (their "red" text embedding matches red pictures)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

import mq_clip
import mq_clips
from conftest import jpeg_bytes
from mediaquery.app import create_app
from mediaquery.config import Settings, load_settings
from mediaquery.models.store import model_file
from mediaquery.queue.worker import Worker

PICTURES = {
    "a/red.jpg": (220, 30, 30),
    "a/green.jpg": (30, 200, 40),
    "b/blue.jpg": (20, 40, 230),
    "b/pale-red.jpg": (200, 60, 60),
    "b/grey.jpg": (128, 128, 128),
}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, FastAPI]]:
    models = tmp_path_factory.mktemp("models")
    mq_clip.install_clip(models)
    data = tmp_path_factory.mktemp("data")
    settings = load_settings(data_dir=data, models_dir=models, analyzers=["scenes"],
                             watch=False, reconcile_on_start=False)  # fmt: skip
    settings.queue.workers = 0
    app = create_app(settings, background=False)
    with TestClient(app) as client:
        for name, rgb in PICTURES.items():
            blob = jpeg_bytes(Image.new("RGB", (200, 150), rgb))
            assert client.put(f"/v1/media/{name}", content=blob).status_code == 201
        Worker(app.state.ctx).run(burst=True)
        yield client, app


def search(client: TestClient, **params: str | int) -> list[tuple[str, float]]:
    r = client.get("/v1/search", params=params)
    assert r.status_code == 200, r.text
    return [(x["name"], x["score"]) for x in r.json()["items"]]


def test_the_best_match_comes_first(indexed: tuple[TestClient, FastAPI]) -> None:
    client, _ = indexed
    found = search(client, q="red")
    assert [n for n, _ in found[:2]] == ["a/red.jpg", "b/pale-red.jpg"]
    assert len(found) == len(PICTURES)
    scores = [s for _, s in found]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.9
    assert search(client, q="  a GREEN  forest ")[0][0] == "a/green.jpg"
    assert search(client, q="something blue", limit=1) == [
        ("b/blue.jpg", pytest.approx(0.95, abs=0.05))
    ]


def test_items_carry_the_usual_fields(indexed: tuple[TestClient, FastAPI]) -> None:
    client, _ = indexed
    body = client.get("/v1/search", params={"q": "green"}).json()
    assert body["query"] == "green"
    top = body["items"][0]
    assert top["status"] == "done" and top["type"] == "image"
    assert "Forest" in [x["name"] for x in top["labels"]]


def test_filters_combine_with_the_ranking(indexed: tuple[TestClient, FastAPI]) -> None:
    client, _ = indexed
    in_b = [n for n, _ in search(client, q="red", prefix="b/")]
    assert in_b[0] == "b/pale-red.jpg"
    assert sorted(in_b) == ["b/blue.jpg", "b/grey.jpg", "b/pale-red.jpg"]
    assert search(client, q="red", label="forest") == [("a/green.jpg", pytest.approx(0.0, abs=0.2))]
    assert search(client, q="red", type="video") == []
    assert search(client, q="red", label="forest", prefix="b/") == []


def test_the_text_encoder_is_loaded_once(indexed: tuple[TestClient, FastAPI]) -> None:
    client, app = indexed
    search(client, q="red")
    first = app.state.clip_text
    search(client, q="blue")
    assert app.state.clip_text is first


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "   "}, {}])
def test_an_empty_query_is_a_bad_request(
    indexed: tuple[TestClient, FastAPI], params: dict[str, str]
) -> None:
    client, _ = indexed
    r = client.get("/v1/search", params=params)
    assert r.status_code == 400
    assert r.json()["code"] == "BadRequest" and "q=" in r.json()["message"]


def test_without_the_clip_models_search_says_how_to_get_them(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    models = tmp_path / "models"
    app = create_app(make_settings(models_dir=models), background=False)
    with TestClient(app) as client:
        r = client.get("/v1/search", params={"q": "a dog playing in the snow"})
        assert r.status_code == 503
        body = r.json()
        assert body["code"] == "SearchUnavailable"
        assert "mediaquery models pull clip-vit-b32-text clip-bpe-vocab" in body["message"]
        # With the text model but no vocabulary, only the vocabulary is asked for.
        mq_clip.image_encoder(model_file(models, "clip-vit-b32-image"))
        model_file(models, "clip-vit-b32-text").write_bytes(b"not yet")
        r = client.get("/v1/search", params={"q": "a dog"})
        assert r.status_code == 503 and "pull clip-bpe-vocab" in r.json()["message"]


def test_a_text_export_without_the_projection_is_refused_with_the_reason(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    models = tmp_path / "models"
    mq_clip.install_clip(models, variant="states")  # per-token states only
    app = create_app(make_settings(models_dir=models), background=False)
    with TestClient(app) as client:
        r = client.get("/v1/search", params={"q": "red"})
        assert r.status_code == 503
        assert r.json()["code"] == "SearchUnavailable"
        assert "CLIPTextModelWithProjection" in r.json()["message"]


def test_videos_are_found_by_what_their_shots_show(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A video's CLIP embedding is the mean of its shots': mostly green, it fits "green"."""
    models = tmp_path / "models"
    mq_clip.install_clip(models)
    settings = make_settings(models_dir=models, analyzers=["scenes"])
    frames = [Image.new("RGB", (160, 120), (30, 200, 40))] * 30
    frames += [Image.new("RGB", (160, 120), (128, 128, 128))] * 10
    clip = mq_clips.encode(tmp_path / "green.mp4", frames, fps=10)
    app = create_app(settings, background=False)
    with TestClient(app) as client:
        for name, rgb in (("red.jpg", (220, 30, 30)), ("blue.jpg", (20, 40, 230))):
            blob = jpeg_bytes(Image.new("RGB", (200, 150), rgb))
            assert client.put(f"/v1/media/{name}", content=blob).status_code == 201
        assert client.put("/v1/media/clip.mp4", content=clip.read_bytes()).status_code == 201
        Worker(app.state.ctx).run(burst=True)
        assert client.get("/v1/media/clip.mp4").json()["status"] == "done"
        found = search(client, q="green")
        assert found[0][0] == "clip.mp4" and len(found) == 3
        assert search(client, q="green", type="video") == [("clip.mp4", found[0][1])]
        assert search(client, q="red")[0][0] == "red.jpg"
