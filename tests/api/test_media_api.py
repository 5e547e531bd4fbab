"""The /v1 media API, driven like a client would, with a small real colour analyzer."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import jpeg_bytes
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.queue.worker import Worker


def _red_with_white_stripe() -> bytes:
    arr = np.full((40, 60, 3), (250, 5, 5), np.uint8)
    arr[:, :15] = 255  # a quarter white: Red covers ~75 %
    return jpeg_bytes(arr)


RED = _red_with_white_stripe()
GREEN = jpeg_bytes(np.full((40, 60, 3), (5, 250, 5), np.uint8))
BLUE = jpeg_bytes(np.full((40, 60, 3), (5, 5, 250), np.uint8))


@pytest.fixture
def colour_app(make_settings: Callable[..., Settings]) -> FastAPI:
    return create_app(make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"]), background=False)


@pytest.fixture
def api(colour_app: FastAPI):
    with TestClient(colour_app) as c:
        yield c


def drain(app: FastAPI) -> None:
    Worker(app.state.ctx).run(burst=True)


def test_upload_then_item_is_pending_then_done_with_labels(api: TestClient, colour_app) -> None:
    r = api.put("/v1/media/shots/red.jpg", content=RED)
    assert r.status_code == 201
    item = r.json()
    assert (item["name"], item["type"], item["status"]) == ("shots/red.jpg", "image", "pending")
    assert item["content_type"] == "image/jpeg" and item["size"] == len(RED)
    drain(colour_app)
    item = api.get("/v1/media/shots/red.jpg").json()
    assert item["status"] == "done" and item["error"] is None
    assert (item["width"], item["height"]) == (60, 40)
    red = next(x for x in item["labels"] if x["name"] == "Red")
    assert (
        70 < red["confidence"] < 80
        and red["parents"] == ["Colour"]
        and red["aliases"] == ["redish"]
    )
    assert red["analyzer"] == "colour" and red["analyzer_version"] == "1"
    assert item["analyses"][0]["analyzer"] == "colour"


def test_reupload_replaces_labels_without_duplicates(api: TestClient, colour_app) -> None:
    api.put("/v1/media/x.jpg", content=RED)
    drain(colour_app)
    etag = api.get("/v1/media/x.jpg").json()["etag"]
    r = api.put("/v1/media/x.jpg", content=BLUE)
    assert r.status_code == 200 and r.json()["status"] == "pending"
    drain(colour_app)
    item = api.get("/v1/media/x.jpg").json()
    names = [x["name"] for x in item["labels"]]
    assert "Blue" in names and "Red" not in names
    assert len(names) == len(set(names))
    assert item["etag"] != etag
    assert api.get("/v1/media", params={"label": "red"}).json()["items"] == []


def test_same_content_twice_is_not_analysed_again(api: TestClient, colour_app) -> None:
    api.put("/v1/media/x.jpg", content=RED)
    drain(colour_app)
    assert api.put("/v1/media/x.jpg", content=RED).json()["status"] == "done"
    assert Worker(colour_app.state.ctx).run(burst=True) == 0


def test_filters_combine_with_and(api: TestClient, colour_app) -> None:
    for name, data in [("a/red.jpg", RED), ("a/green.jpg", GREEN), ("b/red.jpg", RED)]:
        api.put(f"/v1/media/{name}", content=data)
    drain(colour_app)

    def names(**params) -> list[str]:
        r = api.get("/v1/media", params=params)
        assert r.status_code == 200, r.text
        return [x["name"] for x in r.json()["items"]]

    assert names() == ["a/green.jpg", "a/red.jpg", "b/red.jpg"]
    assert names(prefix="a/") == ["a/green.jpg", "a/red.jpg"]
    assert names(label="RED") == ["a/red.jpg", "b/red.jpg"]
    assert names(label="redish") == ["a/red.jpg", "b/red.jpg"]  # aliases match too
    assert names(label="Red", prefix="b/") == ["b/red.jpg"]
    assert names(label=["Red", "Colour"]) == ["a/red.jpg", "b/red.jpg"]
    assert names(label=["Red", "Green"]) == []
    assert names(type="video") == []
    assert names(status="done") == names()
    assert names(label="Red", min_confidence=90) == []
    assert names(label="Red", min_confidence=70) == ["a/red.jpg", "b/red.jpg"]


def test_keyset_paging_visits_every_item_once(api: TestClient, colour_app) -> None:
    expected = [f"p/{i:03d}.jpg" for i in range(23)]
    for name in reversed(expected):
        api.put(f"/v1/media/{name}", content=GREEN)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        body = api.get("/v1/media", params=params).json()
        seen += [x["name"] for x in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and pages == 5


def test_label_facets_count_media(api: TestClient, colour_app) -> None:
    for name, data in [("1.jpg", RED), ("2.jpg", RED), ("3.jpg", GREEN)]:
        api.put(f"/v1/media/{name}", content=data)
    drain(colour_app)
    facets = {x["name"]: x["count"] for x in api.get("/v1/labels").json()["labels"]}
    assert facets == {"Colour": 3, "Red": 2, "Green": 1}
    narrowed = {x["name"]: x["count"] for x in api.get("/v1/labels?label=green").json()["labels"]}
    assert narrowed == {"Colour": 1, "Green": 1}


def test_multipart_upload_of_several_files(api: TestClient, colour_app) -> None:
    files = [("files", ("r.jpg", RED, "image/jpeg")), ("files", ("g.jpg", GREEN, "image/jpeg"))]
    r = api.post("/v1/media", files=files, data={"prefix": "batch/"})
    assert r.status_code == 201
    assert [x["name"] for x in r.json()["items"]] == ["batch/r.jpg", "batch/g.jpg"]


def test_multipart_with_one_bad_file_stores_nothing(api: TestClient) -> None:
    files = [("files", ("r.jpg", RED, "image/jpeg")), ("files", ("t.jpg", b"text", "image/jpeg"))]
    r = api.post("/v1/media", files=files)
    assert r.status_code == 415 and "t.jpg" in r.json()["message"]
    assert api.get("/v1/media").json()["items"] == []


def test_delete_removes_file_and_index_entry(api: TestClient, colour_app, settings) -> None:
    api.put("/v1/media/gone/red.jpg", content=RED)
    drain(colour_app)
    assert api.delete("/v1/media/gone/red.jpg").status_code == 204
    assert api.get("/v1/media/gone/red.jpg").status_code == 404
    assert api.get("/v1/labels").json()["labels"] == []
    assert not (colour_app.state.ctx.settings.media_dir / "gone").exists()
    r = api.delete("/v1/media/gone/red.jpg")
    assert r.status_code == 404 and r.json()["code"] == "NotFoundError"


@pytest.mark.parametrize(
    "path",
    ["%2E%2E/x.jpg", "a/%2E%2E/%2E%2E/x.jpg", "a%00b.jpg", "a%0Ab.jpg", "a//b.jpg", ".hidden.jpg"],
)
def test_unsafe_names_are_rejected(api: TestClient, path: str) -> None:
    r = api.put(f"/v1/media/{path}", content=RED)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "InvalidName"


def test_upload_size_limit(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(max_upload_bytes=1000), background=False)
    with TestClient(app) as c:
        r = c.put("/v1/media/big.jpg", content=RED + b"\0" * 2000)
        assert r.status_code == 413 and "1000 bytes" in r.json()["message"]
        assert c.get("/v1/media/big.jpg").status_code == 404


def test_unsupported_and_empty_uploads(api: TestClient) -> None:
    r = api.put("/v1/media/notes.jpg", content=b"just some text, not a picture")
    assert r.status_code == 415 and r.json()["code"] == "UnsupportedMediaType"
    r = api.put("/v1/media/doc.pdf", content=b"%PDF-1.7\n%...")
    assert r.status_code == 415
    r = api.put("/v1/media/empty.jpg", content=b"")
    assert r.status_code == 400 and "empty" in r.json()["message"]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=abc", "min_confidence=101", "type=gif", "status=nope", "cursor=%%%"],
)
def test_bad_query_parameters_are_client_errors(api: TestClient, query: str) -> None:
    r = api.get(f"/v1/media?{query}")
    assert r.status_code == 400, r.text
    assert r.json()["message"]


def test_service_endpoints(api: TestClient, colour_app) -> None:
    api.put("/v1/media/r.jpg", content=RED)
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/v1/jobs").json()["jobs"] == {"queued": 1}
    drain(colour_app)
    metrics = api.get("/metrics").text
    assert 'mediaquery_jobs{state="done"} 1.0' in metrics
    assert 'mediaquery_media{status="done"} 1.0' in metrics
    assert "mediaquery_http_requests_total" in metrics
    spec = api.get("/openapi.json").json()
    assert {"/api/", "/v1/media", "/v1/labels", "/v1/media/{name}"} <= set(spec["paths"])
    docs = api.get("/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text  # works offline
    assert api.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert api.get("/docs-assets/swagger-ui.css").status_code == 200


def test_moderation_labels_are_stored_apart(make_settings: Callable[..., Settings]) -> None:
    analyzers = ["mq_test_plugins:ColourAnalyzer", "mq_test_plugins:FlagRedAnalyzer"]
    app = create_app(make_settings(analyzers=analyzers), background=False)
    with TestClient(app) as c:
        c.put("/v1/media/red.jpg", content=RED)
        c.put("/v1/media/green.jpg", content=GREEN)
        drain(app)

        def names(**params: str) -> list[str]:
            return [x["name"] for x in c.get("/v1/media", params=params).json()["items"]]

        assert names(moderation="any") == ["red.jpg"]
        assert names(moderation="none") == ["green.jpg"]
        assert names(moderation="suggestive") == ["red.jpg"]  # the parent matches
        assert names(moderation="Revealing Clothes") == ["red.jpg"]
        assert names(moderation="Explicit Nudity") == []
        assert names(label="Suggestive") == []  # never an ordinary label
        assert "Suggestive" not in c.get("/api/red.jpg").json()["labels"]
        item = c.get("/v1/media/red.jpg").json()
        assert [m["name"] for m in item["moderation"]] == ["Revealing Clothes", "Suggestive"]
        assert item["moderation"][0]["parents"] == ["Suggestive"]


def test_newest_first_paging(api: TestClient) -> None:
    names = [f"n/{c}.jpg" for c in "dacb"]  # uploaded in this order, so newest is b
    for name in names:
        api.put(f"/v1/media/{name}", content=GREEN)
    seen, cursor = [], None
    while True:
        params = {"order": "newest", "limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api.get("/v1/media", params=params).json()
        seen += [x["name"] for x in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert seen == list(reversed(names))
    by_name = api.get("/v1/media", params={"limit": 3}).json()["next_cursor"]
    r = api.get("/v1/media", params={"order": "newest", "cursor": by_name})
    assert r.status_code == 200  # a name cursor also carries the newest-first position
    assert api.get("/v1/media", params={"order": "oldest"}).status_code == 400


def test_items_named_like_a_route_suffix_stay_reachable(api: TestClient) -> None:
    for suffix in ("similar", "labels", "poster", "file", "thumbnail"):
        api.put(f"/v1/media/album/{suffix}", content=RED)
        r = api.get(f"/v1/media/album/{suffix}")
        assert r.status_code == 200 and r.json()["name"] == f"album/{suffix}", suffix
    assert api.get("/v1/media/album").status_code == 404
