"""Rekognition's stored-video label job: StartLabelDetection on the object in S3, then
GetLabelDetection polled with backoff until the job ends, its pages read in time order.

Polling rather than an SNS topic → SQS queue: nothing more to set up (no topic, no role for
Rekognition to publish with, no queue to read), and Get* calls are not billed; a job's labels
are ready minutes after it starts, so a poll every few seconds to a minute costs nothing that
matters. The request carries a `ClientRequestToken` derived from the object and its version,
so a worker that crashes while waiting gets the same job back when the chunk runs again,
instead of paying for a second one."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from mediaquery.analyzers import rekognition_map as rmap
from mediaquery.domain import LabelFinding
from mediaquery.errors import AnalysisError

Call = Callable[..., dict[str, Any]]
Observation = tuple[int, list[LabelFinding]]
MAX_POLL_SECONDS = 60.0
PAGE = 1000  # GetLabelDetection's largest page


def request_token(bucket: str, key: str, version: str, settings: str) -> str:
    """Rekognition's idempotency token (≤ 64 of [a-zA-Z0-9-_]) for this object and request."""
    return hashlib.sha256(f"{bucket}\0{key}\0{version}\0{settings}".encode()).hexdigest()[:64]


def label_video(
    call: Call,
    bucket: str,
    key: str,
    *,
    token: str,
    min_confidence: float,
    first_wait: float,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[Observation], str | None]:
    """Labels seen in the video at `s3://bucket/key`, per timestamp (ms), and the label model
    version; a failed job raises `AnalysisError`, one still running past `timeout` seconds a
    RuntimeError (the queue retries, and the token finds the same job)."""
    started = call(
        "start_label_detection",
        Video={"S3Object": {"Bucket": bucket, "Name": key}},
        MinConfidence=min_confidence,
        ClientRequestToken=token,
        JobTag="mediaquery",
    )
    job_id = str(started["JobId"])
    deadline = time.monotonic() + timeout
    wait = max(first_wait, 0.0)
    while True:
        page = call("get_label_detection", JobId=job_id, SortBy="TIMESTAMP", MaxResults=PAGE)
        status = page.get("JobStatus")
        if status == "SUCCEEDED":
            break
        if status == "FAILED":
            reason = page.get("StatusMessage") or "no reason given"
            raise AnalysisError(f"Rekognition label detection job {job_id} failed: {reason}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Rekognition label detection job {job_id} still {status}")
        sleep(random.uniform(wait / 2, wait))  # jitter: workers polling together spread out
        wait = min(wait * 2, MAX_POLL_SECONDS)
    items = list(page.get("Labels") or [])
    while page.get("NextToken"):
        page = call(
            "get_label_detection",
            JobId=job_id,
            SortBy="TIMESTAMP",
            MaxResults=PAGE,
            NextToken=page["NextToken"],
        )
        items += page.get("Labels") or []
    model = page.get("LabelModelVersion")
    return observations(items), str(model) if model else None


def observations(items: Sequence[dict[str, Any]]) -> list[Observation]:
    """GetLabelDetection's `Labels` (Timestamp + Label) as labels per timestamp, in our terms."""
    by_ts: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        if item.get("Label") and item.get("Timestamp") is not None:
            by_ts.setdefault(int(item["Timestamp"]), []).append(item["Label"])
    return [(ts, rmap.labels(found)) for ts, found in sorted(by_ts.items())]
