"""An S3 endpoint for the tests: moto's S3 server, run over real HTTP in a thread.

No MinIO (or AWS) can run here, so moto's server mode stands in for it: the code under test
talks to it with boto3 over HTTP exactly as it would to MinIO or AWS. Event notifications are
built in the AWS / MinIO JSON format by `notification()`; moto itself can also send them to its
SQS (see tests/ingest/test_s3_events.py)."""

from __future__ import annotations

import functools
import logging
import uuid
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from botocore.config import Config

REGION = "us-east-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "mediaquery-test",
    "AWS_SECRET_ACCESS_KEY": "mediaquery-test-secret",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}


@functools.cache
def endpoint() -> str:
    """Start moto's S3 server once per test process; its http:// address."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"


def use_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials for boto3's usual chain (environment variables), as a user would set them."""
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)


def client(service: str = "s3") -> Any:
    """A boto3 client of the test endpoint (for the test's own view of the bucket)."""
    return boto3.client(
        service,
        endpoint_url=endpoint(),
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(s3={"addressing_style": "path"}),
    )


def new_bucket() -> str:
    """A fresh, empty bucket."""
    name = f"mq-{uuid.uuid4().hex[:12]}"
    client().create_bucket(Bucket=name)
    return name


def storage_url(bucket: str, prefix: str = "") -> str:
    """MEDIAQUERY_STORAGE_URL for the bucket on the test endpoint."""
    path = f"/{prefix}" if prefix else ""
    return f"s3://{bucket}{path}?endpoint_url={endpoint()}&region={REGION}"


def keys(bucket: str) -> list[str]:
    """Every key in the bucket."""
    listed = client().list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in listed.get("Contents", [])]


def record(
    event: str, bucket: str, key: str, sequencer: str | None = None, etag: str = "", size: int = 0
) -> dict[str, Any]:
    """One record as MinIO sends it (`s3:` prefix, URL-encoded key with `+` for spaces)."""
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag}
    if sequencer is not None:
        obj["sequencer"] = sequencer
    return {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "awsRegion": "",
        "eventName": event,
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket}, "object": obj},
    }


def notification(*records: dict[str, Any]) -> dict[str, Any]:
    """A notification body holding the records."""
    return {"Records": list(records)}


def notify_queue(bucket: str) -> str:
    """Make the bucket notify a new SQS queue of every create and delete; the queue's URL."""
    sqs = client("sqs")
    queue: str = sqs.create_queue(QueueName=f"{bucket}-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    client().put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{
            "QueueArn": arn["QueueArn"], "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
        }]},
    )  # fmt: skip
    return queue
