"""Bad input gets a 4xx with a JSON message in the documented shape, never a plain-text 500:
`mediaquery serve` in a subprocess, spoken to over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from mediaquery.app import create_app
from mediaquery.config import Settings
from mq_server import Server, embedded_api

BEYOND_64_BITS = str(2**64)
LONG = "x" * 252 + ".jpg"  # 256 bytes: one more than a file name may have


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[Server]:
    with embedded_api(tmp_path_factory.mktemp("bad-input") / "data", model_cache) as s:
        yield s


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def error(r: httpx.Response, status: int = 400) -> str:
    """The message of a JSON error answer in the shape of its API."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json", r.text
    body = r.json()
    return str(body["Message"] if r.url.path.startswith("/api/") else body["message"])


def test_a_path_segment_over_255_bytes_is_a_400(
    http: httpx.Client, photos: dict[str, bytes]
) -> None:
    assert "255 bytes" in error(http.put(f"/v1/media/trip/{LONG}", content=photos["cat.jpg"]))
    assert "255 bytes" in error(http.delete(f"/v1/media/{LONG}"))
    files = {"files": (LONG, photos["cat.jpg"], "image/jpeg")}
    assert "255 bytes" in error(http.post("/v1/media", files=files))
    assert http.put("/v1/media/" + "x" * 251 + ".jpg", content=photos["cat.jpg"]).status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        f"/v1/media?label=dog&from_ms={BEYOND_64_BITS}",
        f"/v1/media?label=dog&to_ms={BEYOND_64_BITS}",
        f"/v1/labels?label=dog&from_ms={BEYOND_64_BITS}",
        f"/v1/media/clip.mp4/labels?at_ms={BEYOND_64_BITS}",
        f"/v1/events?after={BEYOND_64_BITS}",
    ],
)
def test_numbers_beyond_64_bits_are_a_400(http: httpx.Client, url: str) -> None:
    assert "less than or equal to" in error(http.get(url))


@pytest.mark.parametrize("last_id", ["9" * 30, "²", "x1"])
def test_a_bad_last_event_id_is_a_400_not_a_broken_stream(http: httpx.Client, last_id: str) -> None:
    r = http.get("/v1/events?timeout=1", headers={"Last-Event-ID": last_id.encode()})
    assert "Last-Event-ID" in error(r)


def test_percent_escapes_that_are_not_utf8_are_refused(
    http: httpx.Client, photos: dict[str, bytes]
) -> None:
    for raw in ("v%fe.jpg", "v%ff.jpg", "v%c3.jpg"):
        assert "UTF-8" in error(http.put(f"/v1/media/{raw}", content=photos["cat.jpg"]))
    assert http.put("/v1/media/caf%C3%A9.jpg", content=photos["cat.jpg"]).status_code == 201
    names = [x["name"] for x in http.get("/v1/media").json()["items"]]
    assert "café.jpg" in names and not any("\ufffd" in n for n in names)


def test_same_mistake_same_status_on_both_apis(http: httpx.Client) -> None:
    assert "media-type" in error(http.get("/api/?media-type=gif"))
    assert "type" in error(http.get("/v1/media?type=gif"))
    assert "order" in error(http.get("/v1/media?order=oldest"))
    assert "limit" in error(http.get("/v1/media?limit=0"))


def test_enum_values_match_in_any_case(http: httpx.Client, photos: dict[str, bytes]) -> None:
    assert http.put("/v1/media/case/cat.jpg", content=photos["cat.jpg"]).status_code == 201
    assert [x["name"] for x in http.get("/api/?media-type=IMAGE&startswith=case/").json()] == [
        "case/cat.jpg"
    ]
    r = http.get("/v1/media?type=Image&status=PENDING&order=Newest&moderation=NONE&prefix=case/")
    assert [x["name"] for x in r.json()["items"]] == ["case/cat.jpg"], r.text
    assert http.get("/v1/labels?type=VIDEO").status_code == 200


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("/api/?media_type=video", "startswith, media-type, label"),
        ("/api/?limit=1", "startswith, media-type, label"),
        ("/v1/media?media_type=video", "prefix, type, label"),
        ("/v1/labels?labels=dog", "label"),
        ("/v1/media/a.jpg?min_conf=5", "min_confidence"),
        ("/v1/media/a.jpg/file?api_key=k", "v"),
        ("/v1/events?name=a.jpg&timout=1", "after, name, limit, timeout"),
    ],
)
def test_unknown_query_parameters_are_a_400_naming_the_accepted_ones(
    http: httpx.Client, url: str, named: str
) -> None:
    message = error(http.get(url))
    assert "Unknown query parameter" in message and named in message


def test_parameters_the_page_and_clients_send_are_accepted(http: httpx.Client) -> None:
    page = "label=dog&prefix=a/&type=image&text=x&min_confidence=30&status=done"
    assert http.get(f"/v1/media?{page}&limit=60&order=newest").status_code == 200
    assert http.get(f"/v1/labels?{page}&limit=60").status_code == 200
    r = http.get("/v1/events?api_key=ignored&name=a.jpg&timeout=0.2")  # EventSource's carrier
    assert r.status_code == 200
    assert http.get("/?label=Dog&type=image&order=name").status_code == 200  # the page's own


def test_unexpected_errors_are_json_and_logged(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(), background=False)

    def boom() -> None:
        raise RuntimeError("a bug")

    for path in ("/v1/boom", "/api/boom"):
        app.add_api_route(path, boom)
        app.router.routes.insert(0, app.router.routes.pop())  # before /api/{name}
    with TestClient(app) as c, caplog.at_level(logging.ERROR):
        r = c.get("/v1/boom")
        assert r.status_code == 500 and r.json()["code"] == "InternalError", r.text
        assert "a bug" not in r.text  # details stay in the log
        assert c.get("/api/boom").json()["Code"] == "InternalError"
    logged = [r for r in caplog.records if r.exc_info and "GET /v1/boom" in r.getMessage()]
    assert logged and "a bug" in str(logged[0].exc_info[1])
