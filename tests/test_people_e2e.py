"""Faces become people through the real service: `mediaquery serve` with every default
analyzer, photos uploaded over HTTP, then what a user checks — two people become two
people holding their own photos, naming one finds their photos by `person=`, and a photo
never ingested finds only that person's photos.

Photos: tests/mq_faces.py (the `face_recognition` source package's real photos of two people;
one of them extended with derived variants, as no second real photo of him ships there).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import jpeg_bytes
from mediaquery.runtime.dlib_faces import available
from mq_faces import BIDEN, NEVER_INGESTED, OBAMA, PHOTOS
from mq_server import Server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.model,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]


@pytest.fixture
def server(tmp_path: Path, model_cache: Path, database_url: str | None) -> Iterator[Server]:
    env = {"MEDIAQUERY_DATABASE_URL": database_url} if database_url else {}
    s = Server(tmp_path / "data", model_cache, env=env)  # every default analyzer
    s.start()
    yield s
    s.stop()


def _get(server: Server, path: str, **params: object) -> dict:
    r = httpx.get(f"{server.url}{path}", params=params, timeout=30)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    return dict(r.json())


def _wait_done(server: Server, names: set[str], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = _get(server, "/v1/media", limit=1000)["items"]
        done = {x["name"] for x in items if x["status"] in ("done", "failed")}
        if names <= done:
            assert all(x["status"] == "done" for x in items), items
            return
        time.sleep(0.5)
    raise AssertionError("photos not analysed in time")


def test_two_people_are_named_found_and_searched_through_the_service(server: Server) -> None:
    photos = {**OBAMA, **BIDEN}
    for name, image in photos.items():
        server.put(name, jpeg_bytes(image))
    _wait_done(server, set(photos))
    item = _get(server, "/v1/media/obama/1.jpg")
    assert {a["analyzer"] for a in item["analyses"]} >= {"labels", "people", "faces"}

    people = _get(server, "/v1/people")["items"]
    held = {
        p["id"]: {f["media"] for f in _get(server, f"/v1/people/{p['id']}")["face_list"]}
        for p in people
    }
    who = {}
    for pid, names in held.items():
        for label, mine, theirs in (("obama", OBAMA, BIDEN), ("biden", BIDEN, OBAMA)):
            if len(names & set(mine)) >= 4:
                assert not names & set(theirs), (label, names)
                who[label] = pid
    assert set(who) == {"obama", "biden"}, held

    r = httpx.patch(f"{server.url}/v1/people/{who['biden']}", json={"name": "Joe"}, timeout=30)
    assert r.status_code == 200, r.text
    found = {x["name"] for x in _get(server, "/v1/media", person="JOE")["items"]}
    assert len(found & set(BIDEN)) >= 4 and not found & set(OBAMA)

    blob = (PHOTOS / NEVER_INGESTED).read_bytes()
    r = httpx.post(f"{server.url}/v1/faces/search", timeout=60,
                   files={"file": ("q.jpg", blob, "image/jpeg")})  # fmt: skip
    assert r.status_code == 200, r.text
    top = r.json()["items"][:5]
    assert len(top) >= 4 and all(x["name"] in OBAMA for x in top), top
