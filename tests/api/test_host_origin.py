"""Web pages on other sites cannot drive the keyless loopback server: `mediaquery serve` in a
subprocess, spoken to over real HTTP with the headers a browser would send."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mq_server import Server, embedded_api

EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[Server]:
    with embedded_api(
        tmp_path_factory.mktemp("host-origin") / "data",
        model_cache,
        MEDIAQUERY_ALLOWED_HOSTS='["photos.example.com"]',
        MEDIAQUERY_ALLOWED_ORIGINS='["https://dashboard.example.com"]',
    ) as s:
        yield s


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def test_a_rebound_host_name_gets_nothing(server: Server, http: httpx.Client) -> None:
    r = http.get("/v1/media", headers={"Host": f"attacker.example:{server.port}"})
    assert r.status_code == 400 and r.json()["code"] == "InvalidHost", r.text
    assert "MEDIAQUERY_ALLOWED_HOSTS" in r.json()["message"]
    r = http.get("/api/", headers={"Host": "attacker.example"})
    assert r.status_code == 400 and r.json()["Code"] == "InvalidHost"
    r = http.put("/v1/media/x.jpg", content=b"x", headers={"Host": "attacker.example"})
    assert r.status_code == 400
    assert http.get("/", headers={"Host": "attacker.example"}).status_code == 400  # the page too


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST.", "127.0.0.1", "127.3.4.5", "[::1]", "photos.example.com"]
)
def test_loopback_addresses_and_allowed_names_are_served(
    server: Server, http: httpx.Client, host: str
) -> None:
    r = http.get("/v1/media", headers={"Host": f"{host}:{server.port}"})
    assert r.status_code == 200, r.text


def test_s3_notifications_and_liveness_answer_under_any_name(http: httpx.Client) -> None:
    # MinIO addresses the API by its service name; the endpoint has its own token
    r = http.post("/v1/events/s3", json={"Records": []}, headers={"Host": "api:8000"})
    assert r.json()["code"] == "S3EventsOff"  # not a Host refusal (no token is configured)
    assert http.get("/healthz", headers={"Host": "api:8000"}).status_code == 200


def _upload(http: httpx.Client, photo: bytes, **headers: str) -> httpx.Response:
    files = {"files": ("cross.jpg", photo, "image/jpeg")}
    return http.post("/v1/media", files=files, headers=headers)


def test_cross_site_writes_are_refused(
    server: Server, http: httpx.Client, photos: dict[str, bytes]
) -> None:
    photo = photos["cat.jpg"]
    r = _upload(http, photo, Origin=EVIL)
    assert r.status_code == 403 and r.json()["code"] == "CrossOriginRefused", r.text
    assert http.post("/v1/reconcile", headers={"Origin": EVIL}).status_code == 403
    assert http.put("/v1/media/x.jpg", content=photo, headers={"Origin": "null"}).status_code == 403
    other_port = f"http://127.0.0.1:{server.port + 1}"  # another local site is another origin
    assert http.delete("/v1/media/x.jpg", headers={"Origin": other_port}).status_code == 403
    assert _upload(http, photo, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert http.get("/v1/media").json()["items"] == []
    r = http.get("/v1/media", headers={"Origin": EVIL})  # reads: the browser keeps the answer
    assert r.status_code == 200


def test_own_pages_allowed_origins_and_programs_may_write(
    server: Server, http: httpx.Client, photos: dict[str, bytes]
) -> None:
    photo = photos["cat.jpg"]
    same = {"Origin": server.url, "Sec-Fetch-Site": "same-origin"}
    assert http.put("/v1/media/own/page.jpg", content=photo, headers=same).status_code == 201
    allowed = {"Origin": "https://dashboard.example.com"}
    assert http.put("/v1/media/own/dash.jpg", content=photo, headers=allowed).status_code == 201
    assert http.put("/v1/media/own/curl.jpg", content=photo).status_code == 201  # no Origin
    assert http.post("/v1/reconcile").status_code == 200
    names = {x["name"] for x in http.get("/v1/media").json()["items"]}
    assert {"own/page.jpg", "own/dash.jpg", "own/curl.jpg"} <= names
    for name in names:
        assert http.delete(f"/v1/media/{name}", headers=same).status_code == 204
