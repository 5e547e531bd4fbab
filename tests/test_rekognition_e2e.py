"""The real service configured with `MEDIAQUERY_ANALYZERS='["rekognition"]'`, Rekognition being
moto's server: a photo uploaded over HTTP ends `done` with the labels moto answered, queryable
through `/api/` and `/v1/`, with provenance naming the analyzer."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import mq_s3
from mq_server import Server

pytestmark = [pytest.mark.slow]


@pytest.fixture
def server(tmp_path: Path, model_cache: Path) -> Iterator[Server]:
    s = Server(tmp_path / "data", model_cache)
    s.env.update(mq_s3.CREDENTIALS)  # boto3's usual chain: environment variables
    s.env.update({
        "MEDIAQUERY_ANALYZERS": json.dumps(["rekognition"]),
        "MEDIAQUERY_MODELS_DIR": str(tmp_path / "models"),  # no model needed; versions seen
        "MEDIAQUERY_REKOGNITION__ENDPOINT_URL": mq_s3.endpoint(),
        "MEDIAQUERY_REKOGNITION__REGION": mq_s3.REGION,
    })  # fmt: skip
    yield s
    s.stop()


def wait_finished(server: Server, name: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = server.item(name)
        if item and item["status"] in ("done", "failed"):
            return item
        time.sleep(0.2)
    raise AssertionError(f"{name} not analysed: {server.item(name)}\n{server.log.read_text()}")


def test_an_uploaded_photo_ends_done_with_rekognitions_labels(server: Server, photos) -> None:
    server.start()
    server.put("desk/phone.jpg", photos["coffee.jpg"])
    item = wait_finished(server, "desk/phone.jpg")
    assert item["status"] == "done", item
    # moto answers one label, "Mobile Phone" (parent "Phone"): our taxonomy calls it "Cell Phone"
    names = {x["name"]: x for x in item["labels"]}
    assert set(names) == {"Cell Phone", "Phone", "Electronics"}
    assert names["Cell Phone"]["confidence"] == pytest.approx(99.936, abs=0.01)
    assert "Mobile Phone" in names["Cell Phone"]["aliases"]
    assert {x["analyzer"] for x in item["labels"]} == {"rekognition"}
    assert [(a["analyzer"], a["version"], a["status"]) for a in item["analyses"]] == [
        ("rekognition", "rekognition.1.labels@labels-3.0", "done")
    ]
    for label in ("Mobile Phone", "cell phone", "Phone"):
        listed = httpx.get(f"{server.url}/api/", params={"label": label}).json()
        assert listed == [{"name": "desk/phone.jpg", "type": "image",
                           "labels": ["Cell Phone", "Electronics", "Phone"]}]  # fmt: skip
        page = httpx.get(f"{server.url}/v1/media", params={"label": label}).json()
        assert [x["name"] for x in page["items"]] == ["desk/phone.jpg"]
    seed = httpx.get(f"{server.url}/api/desk/phone.jpg").json()
    assert seed["labels"] == ["Cell Phone", "Electronics", "Phone"]
