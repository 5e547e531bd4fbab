"""The sample's API on real photos and the real classifier: what a user of the sample sees."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.queue.worker import Worker

pytestmark = pytest.mark.model

UPLOADS = {
    "pets/cat.jpg": "cat.jpg",
    "kitchen/coffee.jpg": "coffee.jpg",
    "space/rocket.jpg": "rocket.jpg",
}


@pytest.fixture
def seeded(
    make_settings: Callable[..., Settings], photos: dict[str, bytes]
) -> Iterator[TestClient]:
    app: FastAPI = create_app(make_settings(analyzers=["labels"]), background=False)
    with TestClient(app) as client:
        for name, photo in UPLOADS.items():
            assert client.put(f"/v1/media/{name}", content=photos[photo]).status_code == 201
        Worker(app.state.ctx).run(burst=True)
        yield client


def names(client: TestClient, **params: str) -> list[str]:
    r = client.get("/api/", params=params)
    assert r.status_code == 200, r.text
    return [x["name"] for x in r.json()]


def test_list_everything_in_the_samples_shape(seeded: TestClient) -> None:
    items = seeded.get("/api/").json()
    assert [x["name"] for x in items] == ["kitchen/coffee.jpg", "pets/cat.jpg", "space/rocket.jpg"]
    for item in items:
        assert set(item) == {"name", "type", "labels"} and item["type"] == "image"
    cat = next(x for x in items if x["name"] == "pets/cat.jpg")
    assert {"Cat", "Mammal", "Animal"} <= set(cat["labels"])
    coffee = next(x for x in items if x["name"] == "kitchen/coffee.jpg")
    assert "Espresso" in coffee["labels"] and "Animal" not in coffee["labels"]


def test_label_filter_is_case_insensitive_and_matches_parents(seeded: TestClient) -> None:
    assert names(seeded, label="cat") == ["pets/cat.jpg"]
    assert names(seeded, label="ANIMAL") == ["pets/cat.jpg"]
    assert names(seeded, label="espresso") == ["kitchen/coffee.jpg"]
    assert names(seeded, label="Dog") == []


def test_label_filter_matches_aliases(seeded: TestClient) -> None:
    item = seeded.get("/v1/media/kitchen/coffee.jpg").json()
    with_alias = next(x for x in item["labels"] if x["aliases"])
    alias = with_alias["aliases"][0]
    assert "kitchen/coffee.jpg" in names(seeded, label=alias.upper())


def test_startswith_media_type_and_label_combine(seeded: TestClient) -> None:
    assert names(seeded, startswith="space/") == ["space/rocket.jpg"]
    assert names(seeded, startswith="pets/", label="cat", **{"media-type": "image"}) == [
        "pets/cat.jpg"
    ]
    assert names(seeded, startswith="kitchen/", label="cat") == []
    assert names(seeded, **{"media-type": "video"}) == []


def test_get_one_and_missing_like_the_sample(seeded: TestClient) -> None:
    cat = seeded.get("/api/pets/cat.jpg").json()
    assert cat["name"] == "pets/cat.jpg" and "Cat" in cat["labels"]
    r = seeded.get("/api/pets/dog.jpg")
    assert r.status_code == 404
    assert r.json() == {
        "Code": "NotFoundError",
        "Message": "NotFoundError: Media file (pets/dog.jpg) not found",
    }


def test_bad_media_type_is_a_400(seeded: TestClient) -> None:
    r = seeded.get("/api/", params={"media-type": "audio"})
    assert r.status_code == 400 and "media-type" in r.json()["Message"]


def test_full_item_has_confidence_parents_and_provenance(seeded: TestClient) -> None:
    item = seeded.get("/v1/media/pets/cat.jpg").json()
    assert item["status"] == "done" and (item["width"], item["height"]) == (451, 300)
    cat = next(x for x in item["labels"] if x["name"] == "Cat")
    assert cat["confidence"] > 80 and cat["parents"][-1] == "Animal"
    assert cat["analyzer"] == "labels" and cat["analyzer_version"].startswith("efficientnet-lite0")
    breeds = [x for x in item["labels"] if "Cat" in x["parents"]]
    assert breeds, "the likeliest cat breed is listed too"
    # a parent's confidence is the summed probability of the classes under it
    assert cat["confidence"] >= max(b["confidence"] for b in breeds)
    assert [a["analyzer"] for a in item["analyses"]] == ["labels"]
    low = seeded.get("/v1/media/pets/cat.jpg", params={"min_confidence": 0}).json()["labels"]
    assert len(low) > len(item["labels"])


def test_a_label_two_analyzers_give_is_listed_once(
    make_settings: Callable[..., Settings], photos: dict[str, bytes]
) -> None:
    app: FastAPI = create_app(make_settings(analyzers=["labels", "people"]), background=False)
    with TestClient(app) as client:
        assert client.put("/v1/media/astronaut.jpg", content=photos["astronaut.jpg"]).status_code
        Worker(app.state.ctx).run(burst=True)
        full = client.get("/v1/media/astronaut.jpg", params={"min_confidence": 0}).json()
        by = {x["analyzer"] for x in full["labels"] if x["name"] == "Person"}
        assert by == {"labels", "people"}  # the face and body, and the embedding's head
        seed = client.get("/api/astronaut.jpg").json()["labels"]
        assert seed.count("Person") == 1 and len(seed) == len(set(seed))
        listed = client.get("/api/").json()[0]["labels"]
        assert listed.count("Person") == 1 and len(listed) == len(set(listed))
