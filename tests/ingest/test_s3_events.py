"""S3 bucket notifications: POST /v1/events/s3 with AWS / MinIO event JSON.

The bucket is moto's S3 server over real HTTP (no MinIO can be installed here; tests/mq_s3.py).
Most notifications are built in MinIO's format with chosen sequencers, to deliver them late,
twice or out of order; one test takes the notifications moto itself sends to its SQS queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import mq_s3
from conftest import jpeg_bytes
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.index.tables import jobs
from mediaquery.ingest.s3events import newer

RED = jpeg_bytes(np.full((48, 64, 3), (250, 5, 5), np.uint8))
BLUE = jpeg_bytes(np.full((48, 64, 3), (5, 5, 250), np.uint8))
TOKEN = "s3-events-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CREATED, REMOVED = "s3:ObjectCreated:Put", "s3:ObjectRemoved:Delete"


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> str:
    mq_s3.use_credentials(monkeypatch)
    return mq_s3.new_bucket()


@pytest.fixture
def app(make_settings: Callable[..., Settings], bucket: str) -> FastAPI:
    s = make_settings(storage_url=mq_s3.storage_url(bucket, "media"), s3_events_token=TOKEN,
                      analyzers=["mq_test_plugins:ColourAnalyzer"])  # fmt: skip
    return create_app(s, background=False)


def put(bucket: str, name: str, data: bytes) -> None:
    mq_s3.client().put_object(Bucket=bucket, Key=f"media/{name}", Body=data)


def remove(bucket: str, name: str) -> None:
    mq_s3.client().delete_object(Bucket=bucket, Key=f"media/{name}")


def post(client: TestClient, body: Any) -> Any:
    r = client.post("/v1/events/s3", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


def send(client: TestClient, *records: dict[str, Any]) -> Any:
    return post(client, mq_s3.notification(*records))


def event(kind: str, bucket: str, name: str, seq: str | None = None) -> dict[str, Any]:
    return mq_s3.record(kind, bucket, f"media/{name}", seq)


def item(client: TestClient, name: str) -> dict[str, Any] | None:
    r = client.get(f"/v1/media/{name}")
    return r.json() if r.status_code == 200 else None


def job_count(app: FastAPI) -> int:
    with app.state.ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(jobs)).scalar_one())


def test_create_overwrite_and_delete_through_events(
    client: TestClient, drain: Callable[[], int], bucket: str
) -> None:
    name = "trip 2/ünïcode + plus.jpg"  # sent as trip+2/%C3%BCn%C3%AF...%2B+plus.jpg
    put(bucket, name, RED)
    summary = send(client, event(CREATED, bucket, name, "0055AA10"))
    assert (summary["accepted"], summary["stale"], summary["ignored"]) == (1, 0, 0)
    assert summary["results"] == [{"key": f"media/{name}", "name": name,
                                   "event": CREATED, "action": "created"}]  # fmt: skip
    drain()
    found = item(client, name)
    assert found and found["status"] == "done" and "Red" in [x["name"] for x in found["labels"]]

    put(bucket, name, BLUE)
    assert send(client, event("s3:ObjectCreated:CompleteMultipartUpload", bucket, name,
                              "0055AA20"))["results"][0]["action"] == "replaced"  # fmt: skip
    drain()
    assert "Blue" in [x["name"] for x in item(client, name)["labels"]]  # type: ignore[index]

    remove(bucket, name)
    assert send(client, event(REMOVED, bucket, name, "0055AA30"))["results"][0]["action"] == (
        "removed"
    )
    assert item(client, name) is None


def test_a_late_create_cannot_bring_back_a_deleted_object(
    client: TestClient, app: FastAPI, bucket: str
) -> None:
    put(bucket, "a.jpg", RED)
    send(client, event(CREATED, bucket, "a.jpg", "10"))
    remove(bucket, "a.jpg")
    assert send(client, event(REMOVED, bucket, "a.jpg", "30"))["accepted"] == 1
    put(bucket, "a.jpg", BLUE)  # a newer object, whose event is still on its way
    late = send(client, event(CREATED, bucket, "a.jpg", "20"))  # older than the delete
    assert (late["accepted"], late["stale"]) == (0, 1)
    assert late["results"][0]["action"] == "stale"
    assert item(client, "a.jpg") is None  # dropped unseen, although the key exists again
    assert send(client, event(CREATED, bucket, "a.jpg", "40"))["results"][0]["action"] == (
        "created"
    )


def test_sequencers_of_different_lengths_compare_as_numbers(
    client: TestClient, bucket: str
) -> None:
    assert newer("100", "FF") and newer("0a", "9") and not newer("0FF", "FF")
    put(bucket, "b.jpg", RED)
    send(client, event(CREATED, bucket, "b.jpg", "FF"))
    remove(bucket, "b.jpg")
    # as plain strings "100" < "FF"; left-padded, "100" > "0FF" and the delete is newer
    assert send(client, event(REMOVED, bucket, "b.jpg", "100"))["results"][0]["action"] == (
        "removed"
    )


def test_duplicate_events_are_harmless(client: TestClient, app: FastAPI, bucket: str) -> None:
    put(bucket, "c.jpg", RED)
    first = send(client, event(CREATED, bucket, "c.jpg", "0A1"))
    queued = job_count(app)
    again = send(client, event(CREATED, bucket, "c.jpg", "0A1"), event(CREATED, bucket, "c.jpg"))
    assert first["results"][0]["action"] == "created"
    assert [r["action"] for r in again["results"]] == ["duplicate", "unchanged"]
    assert job_count(app) == queued  # no second analysis


def test_an_event_for_an_object_already_gone_creates_nothing(
    client: TestClient, bucket: str
) -> None:
    summary = send(client, event(CREATED, bucket, "ghost.jpg", "01"))
    assert summary["results"][0]["action"] == "missing"
    assert item(client, "ghost.jpg") is None
    put(bucket, "brief.jpg", RED)
    send(client, event(CREATED, bucket, "brief.jpg", "02"))
    remove(bucket, "brief.jpg")  # deleted; its delete event gets lost
    assert send(client, event(CREATED, bucket, "brief.jpg"))["results"][0]["action"] == "removed"


def test_records_for_elsewhere_are_ignored_with_a_note(client: TestClient, bucket: str) -> None:
    put(bucket, "d.jpg", RED)
    summary = send(
        client,
        mq_s3.record(CREATED, "another-bucket", "media/d.jpg"),
        mq_s3.record(CREATED, bucket, "elsewhere/d.jpg"),
        mq_s3.record(CREATED, bucket, "media/.hidden/d.jpg"),
        mq_s3.record("s3:ObjectAccessed:Get", bucket, "media/d.jpg"),
        {"eventName": CREATED},
        event(CREATED, bucket, "d.jpg"),
    )
    assert (summary["accepted"], summary["ignored"]) == (1, 5)
    notes = " | ".join(summary["notes"])
    assert "another bucket" in notes and "outside the prefix" in notes
    assert "neither ObjectCreated nor ObjectRemoved" in notes and "has no s3.bucket" in notes


def test_the_token_is_required(client: TestClient, bucket: str) -> None:
    body = mq_s3.notification(event(CREATED, bucket, "e.jpg"))
    missing = client.post("/v1/events/s3", json=body)
    assert missing.status_code == 401 and missing.json()["code"] == "Unauthorized"
    wrong = client.post("/v1/events/s3", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    raw = client.post("/v1/events/s3", json=body, headers={"Authorization": TOKEN})  # MinIO
    assert raw.status_code == 200
    bad = client.post("/v1/events/s3", content=b"{not json", headers=AUTH)
    assert bad.status_code == 400 and bad.json()["code"] == "BadRequest"
    assert client.post("/v1/events/s3", json=[1], headers=AUTH).status_code == 400
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": bucket}
    assert client.post("/v1/events/s3", json=test_event, headers=AUTH).json()["accepted"] == 0


def test_without_a_token_the_endpoint_is_off(
    make_settings: Callable[..., Settings], bucket: str
) -> None:
    s = make_settings(storage_url=mq_s3.storage_url(bucket))
    with TestClient(create_app(s, background=False)) as c:
        r = c.post("/v1/events/s3", json=mq_s3.notification(), headers=AUTH)
    assert r.status_code == 404 and "MEDIAQUERY_S3_EVENTS_TOKEN" in r.json()["message"]


def test_a_local_folder_takes_no_bucket_events(make_settings: Callable[..., Settings]) -> None:
    with TestClient(create_app(make_settings(s3_events_token=TOKEN), background=False)) as c:
        r = c.post("/v1/events/s3", json=mq_s3.notification(), headers=AUTH)
    assert r.status_code == 409 and "local folder" in r.json()["message"]


def test_notifications_as_the_s3_server_sends_them(
    client: TestClient, drain: Callable[[], int], bucket: str
) -> None:
    sqs, queue = mq_s3.client("sqs"), mq_s3.notify_queue(bucket)

    def deliver() -> list[str]:
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        for m in got:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
        return [r["action"] for m in got for r in post(client, json.loads(m["Body"]))["results"]]

    deliver()  # the test event S3 sends when notifications are set up
    put(bucket, "from s3/ça va.jpg", RED)
    assert deliver() == ["created"]
    drain()
    assert item(client, "from s3/ça va.jpg")["status"] == "done"  # type: ignore[index]
    remove(bucket, "from s3/ça va.jpg")
    assert deliver() == ["removed"]
    assert item(client, "from s3/ça va.jpg") is None
