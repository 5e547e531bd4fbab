"""Faces become people, on real photos: two people are grouped apart, named, found with
`person=`, searched by a photo never ingested, merged, forgotten and reclustered.

Photos: tests/mq_faces.py (five real photos of one person, one of another plus variants).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from conftest import jpeg_bytes
from mediaquery.app import create_app
from mediaquery.config import load_settings
from mediaquery.queue.worker import Worker
from mediaquery.runtime.dlib_faces import available
from mq_faces import BIDEN, NEVER_INGESTED, OBAMA, PHOTOS

pytestmark = [
    pytest.mark.model,
    pytest.mark.slow,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]


@pytest.fixture(scope="module")
def indexed(
    tmp_path_factory: pytest.TempPathFactory, _module_database: str | None
) -> Iterator[tuple[TestClient, FastAPI]]:
    data = tmp_path_factory.mktemp("data")
    settings = load_settings(data_dir=data, database_url=_module_database,
                             analyzers=["people", "faces"], watch=False,
                             reconcile_on_start=False)  # fmt: skip
    settings.queue.workers = 0
    app = create_app(settings, background=False)
    with TestClient(app) as client:
        for name, image in {**OBAMA, **BIDEN}.items():
            assert client.put(f"/v1/media/{name}", content=jpeg_bytes(image)).status_code == 201
        Worker(app.state.ctx).run(burst=True)
        yield client, app


def _people(client: TestClient) -> list[dict]:
    r = client.get("/v1/people")
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def _photos_of(client: TestClient, person_id: int) -> set[str]:
    r = client.get(f"/v1/people/{person_id}")
    assert r.status_code == 200, r.text
    return {f["media"] for f in r.json()["face_list"]}


def _names(client: TestClient, **params: object) -> set[str]:
    r = client.get("/v1/media", params=params)
    assert r.status_code == 200, r.text
    return {x["name"] for x in r.json()["items"]}


def _who(client: TestClient) -> dict[str, int]:
    """Which person holds most of each set of photos: {"obama": id, "biden": id}."""
    found = {}
    for p in _people(client):
        photos = _photos_of(client, p["id"])
        for who, names in (("obama", OBAMA), ("biden", BIDEN)):
            if len(photos & set(names)) >= 4:
                found[who] = p["id"]
    return found


def test_two_people_become_two_people_holding_their_own_photos(
    indexed: tuple[TestClient, FastAPI],
) -> None:
    client, _ = indexed
    people = _people(client)
    assert len(people) == 2, people
    who = _who(client)
    assert set(who) == {"obama", "biden"}
    assert not _photos_of(client, who["obama"]) & set(BIDEN)
    assert not _photos_of(client, who["biden"]) & set(OBAMA)
    assert all(p["thumbnail"] == f"/v1/people/{p['id']}/thumbnail" for p in people)
    thumb = client.get(people[0]["thumbnail"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"


def test_naming_a_person_finds_their_photos_by_person(indexed: tuple[TestClient, FastAPI]) -> None:
    client, _ = indexed
    who = _who(client)
    r = client.patch(f"/v1/people/{who['obama']}", json={"name": "Barack"})
    assert r.status_code == 200 and r.json()["name"] == "Barack"
    found = _names(client, person="barack")
    assert len(found & set(OBAMA)) >= 4 and not found & set(BIDEN)
    assert _names(client, person=str(who["obama"])) == found
    assert _names(client, person=["BARACK", str(who["biden"])]) == set()  # never together
    assert _names(client, person="barack", prefix="biden/") == set()
    assert _names(client, person="nobody") == set()
    detail = client.get("/v1/media/obama/1.jpg").json()
    assert [f["person"]["name"] for f in detail["faces"]] == ["Barack"]


def test_searching_with_a_photo_never_ingested_finds_only_that_person(
    indexed: tuple[TestClient, FastAPI],
) -> None:
    client, _ = indexed
    blob = (PHOTOS / NEVER_INGESTED).read_bytes()
    r = client.post("/v1/faces/search", files={"file": ("q.jpg", blob, "image/jpeg")})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) >= 4
    assert all(x["name"] in OBAMA for x in items[:5])
    sims = [x["similarity"] for x in items]
    assert sims == sorted(sims, reverse=True) and 0 < sims[-1] <= sims[0] <= 100
    assert items[0]["person"]["id"] == _who(client)["obama"]


def test_search_answers_400_for_a_photo_without_a_face(
    indexed: tuple[TestClient, FastAPI],
) -> None:
    client, _ = indexed
    blank = jpeg_bytes(Image.new("RGB", (300, 200), (120, 160, 200)))
    r = client.post("/v1/faces/search", files={"file": ("q.jpg", blank, "image/jpeg")})
    assert r.status_code == 400 and "face" in r.json()["message"].lower()
    r = client.post("/v1/faces/search", files={"file": ("q.jpg", b"not an image", "image/jpeg")})
    assert r.status_code in (400, 415, 422) and r.headers["content-type"].startswith(
        "application/json"
    )


def test_people_paging_and_unknown_people(indexed: tuple[TestClient, FastAPI]) -> None:
    client, _ = indexed
    first = client.get("/v1/people", params={"limit": 1}).json()
    second = client.get("/v1/people", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert first["items"][0]["media"] >= second["items"][0]["media"]
    assert first["items"][0]["id"] != second["items"][0]["id"] and second["next_cursor"] is None
    assert client.get("/v1/people/999999").status_code == 404
    assert client.patch("/v1/people/999999", json={"name": "x"}).status_code == 404
    pid = first["items"][0]["id"]
    assert client.patch(f"/v1/people/{pid}", json={"name": "a\x00b"}).status_code == 400
    assert client.get("/v1/people", params={"cursor": "junk"}).status_code == 400
    assert client.get(f"/v1/people/{2**64}").status_code == 400  # beyond 64 bits: not a 500
    r = client.post(f"/v1/people/{first['items'][0]['id']}/merge", json={"from": []})
    assert r.status_code == 400 and "message" in r.json()


def test_a_video_answers_person_with_when_they_are_seen(
    indexed: tuple[TestClient, FastAPI], tmp_path: Path
) -> None:
    from mq_clips import SIZE, encode, photo

    client, app = indexed
    face = Image.open(PHOTOS / NEVER_INGESTED).convert("RGB")
    face = face.resize((face.width * SIZE[1] // face.height, SIZE[1]))
    card = Image.new("RGB", SIZE, (40, 60, 90))
    card.paste(face, ((SIZE[0] - face.width) // 2, 0))
    coffee = photo("coffee")
    clip = encode(tmp_path / "clip.mp4", [coffee] * 30 + [card] * 30 + [coffee] * 30)
    r = client.put("/v1/media/clips/visit.mp4", content=clip.read_bytes())
    assert r.status_code == 201, r.text
    Worker(app.state.ctx).run(burst=True)
    obama = _who(client)["obama"]
    faces = client.get("/v1/media/clips/visit.mp4").json()["faces"]
    seen = [f for f in faces if f["person"] and f["person"]["id"] == obama]
    assert seen and all(2000 <= f["start_ms"] <= 4000 < f["end_ms"] <= 7000 for f in seen)
    items = client.get("/v1/media", params={"person": str(obama), "type": "video"}).json()
    assert [x["name"] for x in items["items"]] == ["clips/visit.mp4"]
    spans = items["items"][0]["person_segments"]
    assert [s["person"]["id"] for s in spans] == [obama]
    assert 2000 <= spans[0]["start_ms"] <= 4000 < spans[0]["end_ms"] <= 7000
    biden = client.get("/v1/media", params={"person": str(_who(client)["biden"])}).json()
    assert "clips/visit.mp4" not in {x["name"] for x in biden["items"]}
    photos = client.get("/v1/media", params={"person": str(obama), "type": "image"}).json()
    assert all(x.get("person_segments") is None for x in photos["items"])


def test_recluster_keeps_names_then_merge_delete_and_forget(
    indexed: tuple[TestClient, FastAPI],
) -> None:
    client, app = indexed
    from mediaquery.people.recluster import recluster

    client.patch(f"/v1/people/{_who(client)['obama']}", json={"name": "Barack"})
    assert recluster(app.state.ctx.engine, batch=3) == 2  # several short write transactions
    who = _who(client)
    assert client.get(f"/v1/people/{who['obama']}").json()["name"] == "Barack"

    # A wrong face moves out; the person keeps the rest.
    detail = client.get(f"/v1/people/{who['obama']}").json()
    face = next(f for f in detail["face_list"] if f["media"] in OBAMA)
    r = client.delete(f"/v1/people/{who['obama']}/faces/{face['id']}")
    assert r.status_code == 204
    after = client.get(f"/v1/people/{who['obama']}").json()
    assert after["faces"] == detail["faces"] - 1
    assert face["id"] not in {f["id"] for f in after["face_list"]}
    assert client.delete(f"/v1/people/{who['obama']}/faces/{face['id']}").status_code == 404
    face_media = client.get(f"/v1/media/{face['media']}").json()["faces"]
    assert any(f["person"] is None for f in face_media)

    # Deleting a photo deletes its faces.
    before = client.get(f"/v1/people/{who['biden']}").json()["faces"]
    assert client.delete("/v1/media/biden/6.jpg").status_code == 204
    assert client.get(f"/v1/people/{who['biden']}").json()["faces"] == before - 1

    r = client.post(f"/v1/people/{who['obama']}/merge", json={"from": [who["biden"]]})
    assert r.status_code == 200, r.text
    assert client.get(f"/v1/people/{who['biden']}").status_code == 404
    assert len(_people(client)) == 1

    assert client.delete(f"/v1/people/{who['obama']}").status_code == 204
    assert _people(client) == []
    # Their embeddings are gone; only the face moved out earlier (nobody's now) is left.
    left = [f for n in OBAMA for f in client.get(f"/v1/media/{n}").json()["faces"]]
    assert len(left) == 1 and left[0]["person"] is None
