"""`mediaquery listen`: S3 notifications taken from an SQS queue (the AWS way to receive them).

moto's server stands in for both S3 and SQS over real HTTP (no MinIO or AWS here; see
tests/mq_s3.py): moto itself sends the bucket's notifications to its queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import mq_s3
from conftest import jpeg_bytes
from mediaquery.cli import app
from mediaquery.config import load_settings
from mediaquery.context import open_context
from mediaquery.index import repo

RED = jpeg_bytes(np.full((48, 64, 3), (250, 5, 5), np.uint8))


@pytest.fixture
def notified_bucket(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A bucket that notifies a queue of every create and delete: (bucket, queue URL)."""
    mq_s3.use_credentials(monkeypatch)
    bucket = mq_s3.new_bucket()
    queue = mq_s3.notify_queue(bucket)
    return bucket, queue


@pytest.fixture
def listen(tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch, notified_bucket):
    bucket, queue = notified_bucket
    monkeypatch.setenv("MEDIAQUERY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDIAQUERY_MODELS_DIR", str(model_cache))
    monkeypatch.setenv("MEDIAQUERY_ANALYZERS", '["mq_test_plugins:ColourAnalyzer"]')
    monkeypatch.setenv("MEDIAQUERY_STORAGE_URL", mq_s3.storage_url(bucket))
    runner = CliRunner()
    args = ["listen", queue, "--endpoint-url", mq_s3.endpoint(), "--region", mq_s3.REGION]
    return lambda: runner.invoke(app, [*args, "--burst"], catch_exceptions=False)


def statuses(tmp_path: Path) -> dict[str, Any]:
    ctx = open_context(load_settings(data_dir=tmp_path / "data"))
    with ctx.engine.connect() as conn:
        found = repo.statuses(conn, sorted(repo.all_media_versions(conn)))
    ctx.close()
    return found


def test_listen_applies_what_the_bucket_sends(
    listen, notified_bucket: tuple[str, str], tmp_path: Path
) -> None:
    bucket, queue = notified_bucket
    s3 = mq_s3.client()
    s3.put_object(Bucket=bucket, Key="a b/ç.jpg", Body=RED)
    s3.put_object(Bucket=bucket, Key="gone.jpg", Body=RED)
    s3.delete_object(Bucket=bucket, Key="gone.jpg")  # created and deleted before we listen
    sqs = mq_s3.client("sqs")
    sqs.send_message(QueueUrl=queue, MessageBody="not json at all")
    wrapped = {"Type": "Notification", "Message": json.dumps(mq_s3.notification())}  # via SNS
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(wrapped))

    r = listen()
    assert r.exit_code == 0, r.output
    assert "applied: 5" in r.output and "dropped: 1" in r.output  # test event, 3 S3 events, SNS
    assert statuses(tmp_path) == {"a b/ç.jpg": ("pending", None)}
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)  # every message was consumed

    s3.delete_object(Bucket=bucket, Key="a b/ç.jpg")
    assert listen().exit_code == 0
    assert statuses(tmp_path) == {}


def test_listen_needs_a_bucket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache: Path
) -> None:
    monkeypatch.setenv("MEDIAQUERY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MEDIAQUERY_STORAGE_URL", raising=False)
    r = CliRunner().invoke(app, ["listen", "http://127.0.0.1:1/q", "--burst"])
    assert r.exit_code == 2 and "local folder" in r.output
