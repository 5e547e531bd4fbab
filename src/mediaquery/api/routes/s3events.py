"""S3 bucket notifications (AWS S3 or MinIO webhooks) in, index updates and jobs out."""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from mediaquery.api.deps import CtxDep
from mediaquery.errors import BadRequest, EventsOff, PayloadTooLarge, Unauthorized
from mediaquery.ingest.s3events import apply_notification

router = APIRouter(prefix="/v1/events", tags=["events"])

MAX_BODY = 4 * 1024 * 1024


class S3EventResult(BaseModel):
    key: str
    name: str | None
    event: str
    action: str  # created, replaced, unchanged, removed, missing, stale, duplicate, ignored


class S3EventSummary(BaseModel):
    accepted: int
    stale: int
    ignored: int
    notes: list[str]
    results: list[S3EventResult]


def check_token(expected: str | None, authorization: str | None) -> None:
    """Accept `Authorization: Bearer <token>` (AWS-style senders) or the raw token (MinIO)."""
    if not expected:
        raise EventsOff(
            "S3 event notifications are off: set MEDIAQUERY_S3_EVENTS_TOKEN and send it as "
            "'Authorization: Bearer <token>'"
        )
    given = (authorization or "").strip()
    if given[:7].lower() == "bearer ":
        given = given[7:].strip()
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("Missing or wrong S3 events token (Authorization: Bearer <token>)")


async def _json_body(request: Request) -> Any:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise PayloadTooLarge(f"An event notification is limited to {MAX_BODY} bytes")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The event notification is not valid JSON: {exc}") from exc


@router.post("/s3", response_model=S3EventSummary)
async def s3_notification(ctx: CtxDep, request: Request) -> S3EventSummary:
    """Receive an S3 event notification (Records[] of ObjectCreated/ObjectRemoved events)."""
    check_token(ctx.settings.s3_events_token, request.headers.get("authorization"))
    body = await _json_body(request)
    summary = await run_in_threadpool(apply_notification, ctx, body)
    return S3EventSummary(
        accepted=summary.accepted,
        stale=summary.stale,
        ignored=summary.ignored,
        notes=summary.notes,
        results=[S3EventResult.model_validate(r) for r in summary.results],
    )
