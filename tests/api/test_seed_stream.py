"""The sample's `GET /api/` is streamed page by page: the same JSON as one answer would be."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from conftest import jpeg_bytes
from mediaquery.api.seed_stream import seed_json_chunks
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.index.query import MediaFilter
from mediaquery.queue.worker import Worker

NAMES = [
    "b/red.jpg",
    "a/green.jpg",
    "a/blue.jpg",
    "c/ünïcode ☃.jpg",
    "b/red2.jpg",
    "z.jpg",
    "c/x.jpg",
]
RED, GREEN, BLUE = (jpeg_bytes(np.full((32, 32, 3), rgb, np.uint8))
                    for rgb in ((250, 5, 5), (5, 250, 5), (5, 5, 250)))  # fmt: skip


@pytest.fixture
def colour_app(make_settings: Callable[..., Settings]) -> FastAPI:
    return create_app(make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"]), background=False)


@pytest.fixture
def api(colour_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(colour_app) as c:
        yield c


def expected(api: TestClient, **params: Any) -> bytes:
    """What the endpoint answered when it built the list at once: JSONResponse of the items."""
    items = api.get("/v1/media", params={"limit": 1000, **params}).json()["items"]
    seed = [{"name": x["name"], "type": x["type"], "labels": [lab["name"] for lab in x["labels"]]}
            for x in items]  # fmt: skip
    return bytes(JSONResponse(seed).body)


def test_streamed_list_is_the_json_of_the_whole_list(api: TestClient, colour_app: FastAPI) -> None:
    for i, name in enumerate(NAMES):
        assert api.put(f"/v1/media/{name}", content=(RED, GREEN, BLUE)[i % 3]).status_code == 201
    Worker(colour_app.state.ctx).run(burst=True)
    r = api.get("/api/")
    assert r.headers["content-type"] == "application/json"
    assert r.content == expected(api) and len(r.json()) == len(NAMES)
    assert {"Red", "Colour"} <= set(next(x for x in r.json() if x["name"] == "b/red.jpg")["labels"])
    assert api.get("/api/", params={"startswith": "b/"}).content == expected(api, prefix="b/")
    assert api.get("/api/", params={"label": "blue"}).content == expected(api, label="blue")
    assert api.get("/api/", params={"startswith": "nothing/"}).content == b"[]"
    # pages of two: four pages, joined into the same document
    engine = colour_app.state.ctx.engine
    f = MediaFilter(min_confidence=colour_app.state.ctx.settings.labels.default_min_confidence)
    chunks = list(seed_json_chunks(engine, f, size=2))
    assert len(chunks) == 2 + 4 and b"".join(chunks) == expected(api)
