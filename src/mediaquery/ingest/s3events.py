"""S3 bucket notifications (AWS and MinIO JSON) turned into the same ingest calls as any event.

Notifications can arrive late, twice or out of order. Each record's `sequencer` orders the
events of one key: the newest seen is kept in `object_sequencers` (deletions too, so a late
create cannot bring a deleted object back) and older ones are dropped. Whatever gets through
is checked against the bucket itself, so an object created and deleted before we got to it
is treated as removed instead of becoming a broken item."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from mediaquery.context import Context
from mediaquery.errors import BadRequest, Conflict
from mediaquery.index import s3_state
from mediaquery.index.db import write_tx
from mediaquery.ingest.events import object_changed, object_removed

log = logging.getLogger(__name__)

_HEX = re.compile(r"[0-9A-Fa-f]{1,64}")


@dataclass(frozen=True, slots=True)
class Record:
    """One notification record, decoded."""

    kind: str  # created | removed
    event_name: str
    bucket: str
    key: str  # decoded: `+` is a space, %XX are UTF-8 bytes
    sequencer: str | None  # upper-case hex, or None when the sender gave none


@dataclass
class Summary:
    """What became of each record of one notification."""

    accepted: int = 0
    stale: int = 0
    ignored: int = 0
    notes: list[str] = field(default_factory=list)
    results: list[dict[str, str | None]] = field(default_factory=list)

    def add(self, key: str, name: str | None, event: str, action: str) -> None:
        """Count one record and keep what happened to it."""
        if action in ("stale", "duplicate"):
            self.stale += 1
        elif action == "ignored":
            self.ignored += 1
        else:
            self.accepted += 1
        self.results.append({"key": key, "name": name, "event": event, "action": action})


def newer(a: str, b: str) -> bool:
    """True when sequencer a comes after b: hex strings compared at equal length (left-padded)."""
    width = max(len(a), len(b))
    return a.upper().rjust(width, "0") > b.upper().rjust(width, "0")


def parse_record(raw: Any) -> Record | str:
    """A Record, or the reason the raw record cannot be used."""
    if not isinstance(raw, dict):
        return "a record is not a JSON object"
    event_name = str(raw.get("eventName", ""))
    s3 = raw.get("s3")
    bucket = s3.get("bucket") if isinstance(s3, dict) else None
    obj = s3.get("object") if isinstance(s3, dict) else None
    if not (isinstance(bucket, dict) and isinstance(obj, dict)):
        return f"{event_name or 'a record'} has no s3.bucket / s3.object"
    bucket_name, key = bucket.get("name"), obj.get("key")
    if not isinstance(bucket_name, str) or not isinstance(key, str) or not key:
        return f"{event_name or 'a record'} has no bucket name or object key"
    bare = event_name.removeprefix("s3:")
    if bare.startswith("ObjectCreated:"):
        kind = "created"
    elif bare.startswith("ObjectRemoved:"):
        kind = "removed"
    else:
        return f"{event_name or 'an event'} for {key} is neither ObjectCreated nor ObjectRemoved"
    seq = obj.get("sequencer")
    sequencer = seq.upper() if isinstance(seq, str) and _HEX.fullmatch(seq) else None
    return Record(kind, event_name, bucket_name, unquote_plus(key), sequencer)


def records_of(body: Any) -> list[Any]:
    """The `Records` list of a notification body (an AWS test event has none)."""
    if not isinstance(body, dict):
        raise BadRequest("An S3 event notification is a JSON object with a Records list")
    records = body.get("Records", [])
    if not isinstance(records, list):
        raise BadRequest("Records must be a list")
    return records


def apply_notification(ctx: Context, body: Any) -> Summary:
    """Apply every record of one notification in order; returns what became of each."""
    storage = ctx.storage.event_source()
    if storage is None:
        raise Conflict(
            "The bucket is a local folder (watched directly); S3 notifications need "
            "MEDIAQUERY_STORAGE_URL=s3://..."
        )
    summary = Summary()
    records = records_of(body)
    if not records and isinstance(body, dict) and "Event" in body:
        summary.notes.append(f"{body['Event']}: nothing to do")
    for raw in records:
        record = parse_record(raw)
        if isinstance(record, str):
            summary.notes.append(record)
            summary.add("", None, "", "ignored")
            continue
        name = storage.name_of(record.key)
        if record.bucket != storage.bucket or name is None:
            where = "another bucket" if record.bucket != storage.bucket else "outside the prefix"
            summary.notes.append(
                f"{record.event_name} for {record.bucket}/{record.key} ignored: {where} "
                f"(or not a valid media name); this service indexes {ctx.storage.description}"
            )
            summary.add(record.key, name, record.event_name, "ignored")
            continue
        summary.add(record.key, name, record.event_name, apply_record(ctx, record, name))
    return summary


def apply_record(ctx: Context, record: Record, name: str) -> str:
    """Apply one record unless a newer event for its key was seen; returns the action."""
    if record.sequencer is not None:
        with ctx.engine.connect() as conn:
            last = s3_state.last_sequencer(conn, name)
        if last is not None and not newer(record.sequencer, last):
            log.info("dropped %s for %s: not newer than %s", record.event_name, name, last)
            return "duplicate" if last.lstrip("0") == record.sequencer.lstrip("0") else "stale"
    # The bucket is the truth: a create whose object is gone removes it, a delete whose key
    # holds an object again (a newer create on its way) indexes that object.
    if record.kind == "created" or ctx.storage.stat(name) is not None:
        action = object_changed(ctx, name).action
    else:
        action = object_removed(ctx, name).action
    if record.sequencer is not None:
        _remember(ctx, name, record.sequencer, deleted=record.kind == "removed")
    return action


def _remember(ctx: Context, name: str, sequencer: str, deleted: bool) -> None:
    """Keep the newest sequencer of the key (a slower, older request never overwrites it)."""
    with write_tx(ctx.engine) as conn:
        last = s3_state.last_sequencer(conn, name)
        if last is None or newer(sequencer, last):
            s3_state.save_sequencer(conn, name, sequencer, deleted)
