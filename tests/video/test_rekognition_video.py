"""The `rekognition` analyzer on videos: a video in S3 goes to Rekognition's own label job
(StartLabelDetection, GetLabelDetection polled), whose timestamps become our segments; a video
in the folder bucket, which Rekognition cannot read, is labelled from one frame per shot.

S3 is moto's server; Rekognition is the stand-in of tests/mq_rekognition.py (moto has no
video label jobs). Both are reached by boto3 over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import mq_s3
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.queue.worker import Worker
from mq_clips import three_scenes
from mq_rekognition import StandIn

pytestmark = [pytest.mark.slow]


def dog(ts: int, conf: float = 90.0) -> dict[str, Any]:
    return {"Timestamp": ts, "Label": {"Name": "Dog", "Confidence": conf,
                                       "Parents": [{"Name": "Animal"}]}}  # fmt: skip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return three_scenes(tmp_path_factory.mktemp("clips") / "clip.mp4").read_bytes()


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    s = StandIn()
    yield s
    s.close()


@pytest.fixture
def service(
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stand_in: StandIn,
) -> Iterator[Callable[..., tuple[TestClient, Callable[[], int]]]]:
    mq_s3.use_credentials(monkeypatch)
    opened: list[TestClient] = []

    def start(**overrides: Any) -> tuple[TestClient, Callable[[], int]]:
        settings = make_settings(
            analyzers=["rekognition"], models_dir=tmp_path / "models",
            rekognition={"endpoint_url": stand_in.url, "region": mq_s3.REGION,
                         "video_poll_seconds": 0.01}, **overrides,
        )  # fmt: skip
        settings.video.chunk_seconds = 4  # three chunks: the job runs once, not per chunk
        app = create_app(settings, background=False)
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return client, lambda: Worker(app.state.ctx).run(burst=True)

    yield start
    for c in opened:
        c.__exit__(None, None, None)


def segments(item: dict[str, Any], name: str) -> list[tuple[int, int]]:
    found = next(x for x in item["labels"] if x["name"] == name)
    return [(s["start_ms"], s["end_ms"]) for s in found["segments"]]


def test_a_video_in_s3_is_labelled_by_rekognitions_video_job(service, stand_in, clip) -> None:
    bucket = mq_s3.new_bucket()
    client, drain = service(storage_url=mq_s3.storage_url(bucket, "library"))
    stand_in.answer("StartLabelDetection", {"JobId": "job-1"})
    stand_in.answer("GetLabelDetection", {"JobStatus": "IN_PROGRESS"})
    stand_in.answer("GetLabelDetection", {"JobStatus": "IN_PROGRESS"})
    stand_in.answer("GetLabelDetection", {
        "JobStatus": "SUCCEEDED", "LabelModelVersion": "3.0", "NextToken": "page-2",
        "Labels": [dog(0), dog(500, 95.0), dog(1000)],
    })  # fmt: skip
    stand_in.answer("GetLabelDetection", {
        "JobStatus": "SUCCEEDED", "LabelModelVersion": "3.0",
        "Labels": [dog(1500), dog(6000, 80.0), dog(6500, 80.0)],
    })  # fmt: skip
    r = client.put("/v1/media/walks/park.mp4", content=clip)
    assert r.status_code == 201
    drain()
    item = client.get("/v1/media/walks/park.mp4").json()
    assert item["status"] == "done", item
    [start] = stand_in.calls("StartLabelDetection")
    assert start["Video"] == {"S3Object": {"Bucket": bucket, "Name": "library/walks/park.mp4"}}
    assert start["MinConfidence"] == 50.0 and len(start["ClientRequestToken"]) == 64
    pages = stand_in.calls("GetLabelDetection")
    assert len(pages) == 4 and pages[-1]["NextToken"] == "page-2"
    assert stand_in.calls("DetectLabels") == []  # no frame was sent
    # timestamps folded into segments (a second per observation, gaps of one sample joined)
    assert segments(item, "Dog") == [(0, 2500), (6000, 7500)]
    assert segments(item, "Animal") == segments(item, "Dog")
    dog_label = next(x for x in item["labels"] if x["name"] == "Dog")
    assert dog_label["confidence"] == 95.0 and dog_label["parents"] == [
        "Canine",
        "Mammal",
        "Animal",
    ]
    at = client.get("/v1/media/walks/park.mp4/labels", params={"at_ms": 6200}).json()
    assert "Dog" in [x["name"] for x in at["labels"]]
    found = client.get("/v1/media", params={"label": "dog", "from_ms": 5000, "to_ms": 9000})
    assert [x["name"] for x in found.json()["items"]] == ["walks/park.mp4"]
    assert [a["analyzer"] for a in item["analyses"]] == ["rekognition"]


def test_a_failed_video_job_fails_the_video_with_its_reason(service, stand_in, clip) -> None:
    client, drain = service(storage_url=mq_s3.storage_url(mq_s3.new_bucket()))
    stand_in.answer("StartLabelDetection", {"JobId": "job-2"})
    stand_in.answer("GetLabelDetection", {"JobStatus": "FAILED",
                                          "StatusMessage": "Unsupported codec"})  # fmt: skip
    client.put("/v1/media/odd.mp4", content=clip)
    drain()
    item = client.get("/v1/media/odd.mp4").json()
    assert item["status"] == "failed"
    assert item["error"] == "Rekognition label detection job job-2 failed: Unsupported codec"


def test_a_video_in_the_folder_is_labelled_from_one_frame_per_shot(service, stand_in, clip) -> None:
    client, drain = service()
    stand_in.default("DetectLabels", {"LabelModelVersion": "3.0", "Labels": [dog(0)["Label"]]})
    client.put("/v1/media/park.mp4", content=clip)
    drain()
    item = client.get("/v1/media/park.mp4").json()
    assert item["status"] == "done", item
    shots = len(item["video"]["shots"])  # cat, coffee, title card
    # one call per shot, and one more where a chunk (4 s) starts inside a shot (8 s)
    assert shots == 3 and len(stand_in.calls("DetectLabels")) == shots + 1
    assert stand_in.calls("StartLabelDetection") == []
    assert segments(item, "Dog") == [(0, 10_000)]
