"""Searched words find labels however people type them: plurals, spacing, hyphens, case."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import jpeg_bytes
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.index.words import candidates
from mediaquery.queue.worker import Worker

PHOTO = jpeg_bytes(np.full((40, 60, 3), (90, 140, 60), np.uint8))
# what a user types -> the label it should find (see mq_test_plugins.WordsAnalyzer)
WORDS = {
    "ferris wheels": "Ferris Wheel",
    "Ferris-Wheel": "Ferris Wheel",
    "  FERRIS   wheel ": "Ferris Wheel",
    "lady bird": "Ladybug",
    "ladybirds": "Ladybug",
    "lady-beetles": "Ladybug",
    "german shepherds": "German Shepherd",
    "Alsatians": "German Shepherd",
    "mice": "Mouse",
    "leaves": "Leaf",
}


def test_plurals_go_back_to_wordnet_base_forms() -> None:
    for typed, base in [("flowers", "flower"), ("leaves", "leaf"), ("mice", "mouse"),
                        ("geese", "goose"), ("dishes", "dish"), ("berries", "berry"),
                        ("women", "woman"), ("boxes", "box"),
                        ("wolves", "wolf"), ("sea lions", "sea lion")]:  # fmt: skip
        assert base in candidates(typed), typed
    assert candidates("grass") == ["grass"]  # no "gras": -ss is no plural
    assert candidates("people") == ["people"]  # its own label (two or more persons)


@pytest.fixture
def words_app(make_settings: Callable[..., Settings]) -> Iterator[TestClient]:
    app: FastAPI = create_app(
        make_settings(analyzers=["mq_test_plugins:WordsAnalyzer"]), background=False
    )
    with TestClient(app) as client:
        assert client.put("/v1/media/fair.jpg", content=PHOTO).status_code == 201
        Worker(app.state.ctx).run(burst=True)
        yield client


def test_v1_media_matches_plurals_and_multi_word_names(words_app: TestClient) -> None:
    for typed in WORDS:
        r = words_app.get("/v1/media", params={"label": typed})
        assert r.status_code == 200, r.text
        assert [x["name"] for x in r.json()["items"]] == ["fair.jpg"], typed
    for typed in ["ferris", "wheel", "lady", "shepherd", "mices"]:  # no partial words
        assert words_app.get("/v1/media", params={"label": typed}).json()["items"] == []


def test_seed_api_and_facets_match_the_same_words(words_app: TestClient) -> None:
    for typed in WORDS:
        r = words_app.get("/api/", params={"label": typed})
        assert [x["name"] for x in r.json()] == ["fair.jpg"], typed
        facets = words_app.get("/v1/labels", params={"label": typed}).json()["labels"]
        assert {x["name"] for x in facets} >= {"Ferris Wheel", "Ladybug"}, typed
    assert words_app.get("/v1/labels", params={"label": "wheels of cheese"}).json()["labels"] == []


def test_label_words_name_the_label_a_typed_word_finds(words_app: TestClient) -> None:
    # what the web page's label box completes a typed word to
    for typed, label in WORDS.items():
        r = words_app.get("/v1/labels/words", params={"q": typed})
        assert r.status_code == 200, r.text
        assert r.json() == {"word": typed, "labels": [label]}, typed
    for typed in ["ferris", "lady", "mices", "  "]:  # no partial words
        assert words_app.get("/v1/labels/words", params={"q": typed}).json()["labels"] == []
    assert words_app.get("/v1/labels/words").status_code == 400  # q is required
