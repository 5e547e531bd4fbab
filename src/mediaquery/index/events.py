"""The event log: one row per finished or failed analysis, read by webhooks and SSE clients;
and each webhook's cursor in it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from mediaquery.index.tables import events, webhook_cursors

MEDIA_DONE = "media.done"
MEDIA_FAILED = "media.failed"


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    type: str
    media_name: str
    payload: dict[str, Any]
    created_at: float

    def as_json(self) -> dict[str, Any]:
        """The event as sent to webhooks and SSE clients."""
        return {
            "id": self.id,
            "type": self.type,
            "name": self.media_name,
            "created_at": self.created_at,
            **self.payload,
        }


def emit(conn: Connection, type: str, media_name: str, **payload: Any) -> None:
    """Record an event inside the caller's transaction (it appears only if that commits)."""
    row = {"type": type, "media_name": media_name, "payload": payload, "created_at": time.time()}
    conn.execute(insert(events).values(row))


def since(conn: Connection, after_id: int, limit: int = 100) -> list[Event]:
    """Events newer than `after_id`, oldest first."""
    q = select(events).where(events.c.id > after_id).order_by(events.c.id).limit(limit)
    return [Event(r.id, r.type, r.media_name, r.payload, r.created_at) for r in conn.execute(q)]


def last_id(conn: Connection) -> int:
    """The newest event id (0 when there is none)."""
    return int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())


def webhook_cursor(conn: Connection, url: str) -> int:
    """Id of the last event a webhook handled; a new webhook starts with events from now on."""
    q = select(webhook_cursors.c.last_event_id).where(webhook_cursors.c.url == url)
    found = conn.execute(q).scalar()
    if found is not None:
        return int(found)
    start = last_id(conn)
    row = {"url": url, "last_event_id": start, "updated_at": time.time()}
    conn.execute(insert(webhook_cursors).values(row))
    return start


def advance_webhook(conn: Connection, url: str, event_id: int, error: str | None) -> None:
    """Move a webhook's cursor past an event, counting a delivery that failed for good."""
    values: dict[str, object] = {"last_event_id": event_id, "updated_at": time.time()}
    if error:
        values.update(failures=webhook_cursors.c.failures + 1, last_error=error)
    conn.execute(update(webhook_cursors).where(webhook_cursors.c.url == url).values(values))
