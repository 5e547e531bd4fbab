"""Dominant colours: named from real photos, shown in the item, filtered with `color=`, kept
current by `reindex`, through the /v1 API and the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from skimage import data
from typer.testing import CliRunner

from conftest import jpeg_bytes
from mediaquery.analyzers.colors import NAMES, dominant_colors
from mediaquery.app import create_app
from mediaquery.cli import app as cli_app
from mediaquery.config import Settings
from mediaquery.queue.worker import Worker

# Real photos: a rocket under a blue sky, a retina (red), coffee (brown), a grey-scale camera.
PHOTOS = {
    "sky/rocket.jpg": data.rocket(),
    "eye/retina.jpg": data.retina(),
    "food/coffee.jpg": data.coffee(),
    "bw/camera.jpg": data.camera(),
}


def _colors(name: str) -> list[str]:
    return [str(c["name"]) for c in dominant_colors(Image.fromarray(PHOTOS[name]))]


def test_real_photos_get_the_colours_a_person_sees() -> None:
    assert _colors("sky/rocket.jpg")[0] == "blue"
    assert _colors("eye/retina.jpg")[0] == "red"
    assert "grey" in _colors("bw/camera.jpg") and "blue" not in _colors("bw/camera.jpg")
    assert not {"blue", "green", "grey"} & set(_colors("food/coffee.jpg"))


def _drain(client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    Worker(app.state.ctx).run(burst=True)


@pytest.fixture
def make_api(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def factory(**overrides: object) -> TestClient:
        client = TestClient(create_app(make_settings(**overrides), background=False))
        clients.append(client.__enter__())
        return client

    yield factory
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def api(make_api: Callable[..., TestClient]) -> TestClient:
    client = make_api(analyzers=["colors"])
    for name, pixels in PHOTOS.items():
        assert client.put(f"/v1/media/{name}", content=jpeg_bytes(pixels)).status_code == 201
    _drain(client)
    return client


def _names(client: TestClient, **params: object) -> list[str]:
    r = client.get("/v1/media", params=params)
    assert r.status_code == 200, r.text
    return [x["name"] for x in r.json()["items"]]


def test_item_shows_its_colours_with_hex_and_share(api: TestClient) -> None:
    colors = api.get("/v1/media/sky/rocket.jpg").json()["colors"]
    assert colors[0]["name"] == "blue" and colors[0]["share"] > 50
    assert all(c["hex"].startswith("#") and len(c["hex"]) == 7 for c in colors)
    shares = [c["share"] for c in colors]
    assert shares == sorted(shares, reverse=True) and sum(shares) <= 100.0


def test_color_filter_any_case_repeatable_and_combined(api: TestClient) -> None:
    assert _names(api, color="BLUE") == ["sky/rocket.jpg"]
    assert _names(api, color="Gray") == _names(api, color="grey") == ["bw/camera.jpg"]
    assert _names(api, color=["red", "black"]) == ["eye/retina.jpg"]  # all of them
    assert _names(api, color=["red", "blue"]) == []
    assert _names(api, color="blue", prefix="sky/") == ["sky/rocket.jpg"]
    assert _names(api, color="blue", prefix="eye/") == []
    assert api.get("/v1/labels", params={"color": "blue"}).status_code == 200


def test_unknown_colour_is_a_400_listing_the_accepted_ones(api: TestClient) -> None:
    r = api.get("/v1/media", params={"color": "mauve"})
    assert r.status_code == 400
    assert "mauve" in r.json()["message"] and all(n in r.json()["message"] for n in NAMES)


def test_reindex_adds_colours_to_media_analysed_before(
    make_api: Callable[..., TestClient], tmp_path: Path
) -> None:
    before = make_api(data_dir=tmp_path / "lib", analyzers=["mq_test_plugins:ColourAnalyzer"])
    assert before.put("/v1/media/rocket.jpg", content=jpeg_bytes(data.rocket())).status_code == 201
    _drain(before)
    assert before.get("/v1/media/rocket.jpg").json()["colors"] == []
    after = make_api(
        data_dir=tmp_path / "lib", analyzers=["mq_test_plugins:ColourAnalyzer", "colors"]
    )
    r = after.post("/v1/reindex", json={})
    assert r.status_code == 200 and r.json()["queued"] == 1
    _drain(after)
    assert [c["name"] for c in after.get("/v1/media/rocket.jpg").json()["colors"]][0] == "blue"
    assert _names(after, color="blue") == ["rocket.jpg"]
    assert after.post("/v1/reindex", json={}).json()["queued"] == 0  # current now


def test_cli_ls_color(tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIAQUERY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDIAQUERY_MODELS_DIR", str(model_cache))
    monkeypatch.setenv("MEDIAQUERY_ANALYZERS", '["colors"]')
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("sky/rocket.jpg", "eye/retina.jpg"):
        (folder / name.split("/")[1]).write_bytes(jpeg_bytes(PHOTOS[name]))
    run = CliRunner().invoke
    assert run(cli_app, ["ingest", str(folder)], catch_exceptions=False).exit_code == 0
    r = run(cli_app, ["ls", "--color", "Blue", "--json"], catch_exceptions=False)
    assert [json.loads(line)["name"] for line in r.output.splitlines()] == ["rocket.jpg"]
    r = run(cli_app, ["ls", "--color", "mauve"], catch_exceptions=False)
    assert r.exit_code == 2 and "red, orange" in r.output
