"""The `rekognition` analyzer through the service: upload, analyse (a burst worker), query.

Rekognition itself is played by moto's server (fixed DetectLabels / DetectText answers) and,
for what moto lacks (faces, moderation, throttling, refusals, new model versions), by the
stand-in server of tests/mq_rekognition.py. Both are reached by boto3 over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import mq_s3
from mediaquery.app import create_app
from mediaquery.config import Settings
from mq_rekognition import StandIn

LABELS = {
    "LabelModelVersion": "3.0",
    "Labels": [
        {"Name": "Dog", "Confidence": 96.0, "Parents": [{"Name": "Animal"}, {"Name": "Pet"}],
         "Aliases": [], "Categories": [{"Name": "Animals and Pets"}],
         "Instances": [{"BoundingBox": {"Left": 0.1, "Top": 0.2, "Width": 0.3, "Height": 0.4},
                        "Confidence": 96.0}]},
        {"Name": "Pet", "Confidence": 96.0, "Parents": [{"Name": "Animal"}]},
    ],
}  # fmt: skip


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    s = StandIn()
    yield s
    s.close()


@pytest.fixture
def service(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[TestClient, Callable[[], int]]]:
    """An app whose only analyzer is `rekognition` at `endpoint`, and its burst worker."""
    mq_s3.use_credentials(monkeypatch)
    opened: list[TestClient] = []

    def start(endpoint: str, **rekognition: Any) -> tuple[TestClient, Callable[[], int]]:
        from mediaquery.queue.worker import Worker

        settings = make_settings(
            analyzers=["rekognition"],
            models_dir=tmp_path / "models",  # the model versions seen are kept there
            rekognition={"endpoint_url": endpoint, "region": mq_s3.REGION,
                         "backoff_seconds": 0.01, **rekognition},
        )  # fmt: skip
        app = create_app(settings, background=False)
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return client, lambda: Worker(app.state.ctx).run(burst=True)

    yield start
    for c in opened:
        c.__exit__(None, None, None)


def put(client: TestClient, name: str, data: bytes) -> None:
    r = client.put(f"/v1/media/{name}", content=data)
    assert r.status_code == 201, r.text


def test_a_photo_gets_motos_labels_and_text_queryable_everywhere(service, photos) -> None:
    client, drain = service(mq_s3.endpoint(), features=["labels", "text"])
    put(client, "pets/cat.jpg", photos["cat.jpg"])
    drain()
    item = client.get("/v1/media/pets/cat.jpg").json()
    assert item["status"] == "done", item
    labels = {x["name"]: x for x in item["labels"]}
    # moto answers "Mobile Phone" (parent Phone, alias Cell Phone): our "Cell Phone"
    assert labels["Cell Phone"]["confidence"] == pytest.approx(99.936, abs=0.01)
    assert labels["Cell Phone"]["parents"] == ["Phone", "Electronics"]
    assert "Mobile Phone" in labels["Cell Phone"]["aliases"]
    assert {x["analyzer"] for x in item["labels"]} == {"rekognition"}
    [analysis] = item["analyses"]
    assert analysis["analyzer"] == "rekognition"
    assert analysis["version"] == "rekognition.1.labels+text@labels-3.0,text-3.0"
    assert [x["text"] for x in item["text"]] == ["IT'S", "MONDAY", "but keep", "Smiling"]
    seed = client.get("/api/", params={"label": "mobile phone"}).json()
    assert seed == [{"name": "pets/cat.jpg", "type": "image",
                     "labels": ["Cell Phone", "Electronics", "Phone", "Text"]}]  # fmt: skip
    assert client.get("/api/", params={"label": "phone"}).json()[0]["name"] == "pets/cat.jpg"
    found = client.get("/v1/media", params={"text": "monday"}).json()["items"]
    assert [x["name"] for x in found] == ["pets/cat.jpg"]


def test_throttling_is_retried_with_backoff_then_succeeds(service, stand_in, photos) -> None:
    client, drain = service(stand_in.url)
    stand_in.fail("DetectLabels", "ThrottlingException", "Rate exceeded")
    stand_in.fail("DetectLabels", "ProvisionedThroughputExceededException", "Slow down")
    stand_in.default("DetectLabels", LABELS)
    put(client, "dog.jpg", photos["cat.jpg"])
    drain()
    item = client.get("/v1/media/dog.jpg").json()
    assert item["status"] == "done", item
    assert len(stand_in.calls("DetectLabels")) == 3
    dog = next(x for x in item["labels"] if x["name"] == "Dog")
    assert dog["parents"] == ["Canine", "Mammal", "Animal"]  # joined our taxonomy's Dog
    assert dog["boxes"] == [{"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.4}]
    assert client.get("/api/", params={"label": "pet"}).json()[0]["name"] == "dog.jpg"
    # what was sent: the photo's bytes (a JPEG) and the configured threshold
    [sent, *_] = stand_in.calls("DetectLabels")
    assert sent["MinConfidence"] == 50.0 and sent["Image"]["Bytes"].startswith("/9j/")


def test_a_refused_image_fails_at_once_with_rekognitions_reason(service, stand_in, photos) -> None:
    client, drain = service(stand_in.url)
    stand_in.fail("DetectLabels", "InvalidImageFormatException", "Request has invalid image format")
    put(client, "bad.jpg", photos["cat.jpg"])
    drain()
    item = client.get("/v1/media/bad.jpg").json()
    assert item["status"] == "failed"
    assert item["error"] == (
        "Rekognition DetectLabels: InvalidImageFormatException: Request has invalid image format"
    )
    assert len(stand_in.calls("DetectLabels")) == 1  # a refusal is not retried


def test_throttling_past_the_bound_is_left_to_the_queue(service, stand_in, photos) -> None:
    client, drain = service(stand_in.url, max_attempts=2)
    for _ in range(6):
        stand_in.fail("DetectLabels", "ThrottlingException", "Rate exceeded")
    put(client, "busy.jpg", photos["cat.jpg"])
    drain()
    item = client.get("/v1/media/busy.jpg").json()
    # 3 queue attempts (the test settings' max_attempts) of 2 tries each
    assert len(stand_in.calls("DetectLabels")) == 6
    assert item["status"] == "failed"
    assert "Rekognition DetectLabels: ThrottlingException" in item["error"]


def test_faces_and_moderation_are_stored_apart(service, stand_in, photos) -> None:
    client, drain = service(stand_in.url, features=["labels", "faces", "moderation"])
    stand_in.default("DetectLabels", LABELS)
    stand_in.default("DetectFaces", {"FaceDetails": [
        {"BoundingBox": {"Left": 0.5, "Top": 0.1, "Width": 0.2, "Height": 0.3}, "Confidence": 99.9}
    ]})  # fmt: skip
    suggestive = [
        {"Name": "Suggestive", "ParentName": "", "Confidence": 77.0, "TaxonomyLevel": 1},
        {"Name": "Swimwear or Underwear", "ParentName": "Suggestive", "Confidence": 77.0,
         "TaxonomyLevel": 2},
    ]  # fmt: skip
    stand_in.default(
        "DetectModerationLabels", {"ModerationModelVersion": "7.0", "ModerationLabels": suggestive}
    )
    put(client, "beach.jpg", photos["astronaut.jpg"])
    drain()
    item = client.get("/v1/media/beach.jpg").json()
    assert item["status"] == "done", item
    face = next(x for x in item["labels"] if x["name"] == "Face")
    assert face["parents"] == ["Person"] and len(face["boxes"]) == 1
    assert "Person" in {x["name"] for x in item["labels"]}
    assert {x["name"] for x in item["moderation"]} == {"Suggestive", "Swimwear or Underwear"}
    assert not {"Suggestive", "Swimwear or Underwear"} & {x["name"] for x in item["labels"]}
    found = client.get("/v1/media", params={"moderation": "suggestive"}).json()["items"]
    assert [x["name"] for x in found] == ["beach.jpg"]
    assert item["analyses"][0]["version"] == (
        "rekognition.1.faces+labels+moderation@labels-3.0,moderation-7.0"
    )


def test_reindex_redoes_what_an_older_label_model_produced(service, stand_in, photos) -> None:
    client, drain = service(stand_in.url)
    stand_in.answer("DetectLabels", LABELS)
    put(client, "old.jpg", photos["cat.jpg"])
    drain()
    assert client.post("/v1/reindex", json={}).json()["queued"] == 0  # nothing changed
    stand_in.default("DetectLabels", {**LABELS, "LabelModelVersion": "3.1"})
    put(client, "new.jpg", photos["coffee.jpg"])
    drain()  # AWS upgraded its model: this result is the first to say so
    plan = client.post("/v1/reindex", json={}).json()
    assert plan["queued"] == 1
    drain()
    versions = {n: client.get(f"/v1/media/{n}").json()["analyses"][0]["version"]
                for n in ("old.jpg", "new.jpg")}  # fmt: skip
    assert versions == dict.fromkeys(versions, "rekognition.1.labels@labels-3.1")
