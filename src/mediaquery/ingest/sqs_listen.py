"""Take S3 event notifications from an SQS(-compatible) queue instead of over HTTP.

AWS S3 delivers notifications to SQS, SNS or Lambda rather than to a URL; `mediaquery listen`
reads them from the queue and applies them exactly as POST /v1/events/s3 does. A message is
deleted only once it was applied, so a crash or a bucket hiccup leaves it to be delivered
again (after the queue's visibility timeout); duplicates are harmless."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from typing import Any

from mediaquery.context import Context
from mediaquery.errors import BadRequest, MediaQueryError
from mediaquery.ingest.s3events import apply_notification

log = logging.getLogger(__name__)


def sqs_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    """A boto3 SQS client; credentials and, unless given, the region from boto3's chain."""
    import boto3

    return boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)


def unwrap(body: str) -> Any:
    """The S3 notification in a message body, also when SNS wrapped it (no raw delivery)."""
    data = json.loads(body)
    if isinstance(data, dict) and data.get("Type") == "Notification":
        data = json.loads(str(data.get("Message", "")))
    return data


def listen(
    ctx: Context,
    sqs: Any,
    queue_url: str,
    *,
    stop: threading.Event | None = None,
    burst: bool = False,
    wait_seconds: int = 20,
) -> Counter[str]:
    """Apply notifications until `stop` is set (or, with `burst`, the queue is empty)."""
    counts: Counter[str] = Counter()
    while stop is None or not stop.is_set():
        wait = 0 if burst else wait_seconds
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
        messages = got.get("Messages", [])
        if not messages and burst:
            break
        for message in messages:
            outcome = _apply(ctx, message["Body"])
            counts[outcome] += 1
            if outcome != "retry":
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return counts


def _apply(ctx: Context, body: str) -> str:
    """applied, dropped (not a notification: retrying cannot help) or retry."""
    try:
        summary = apply_notification(ctx, unwrap(body))
    except (ValueError, BadRequest) as exc:
        log.warning("dropped a message that is no S3 notification: %s", exc)
        return "dropped"
    except MediaQueryError as exc:
        log.warning("notification left for a retry: %s", exc.message)
        return "retry"
    except Exception:  # noqa: BLE001 - the message stays in the queue for another try
        log.exception("notification left for a retry")
        return "retry"
    for note in summary.notes:
        log.info("%s", note)
    return "applied"
