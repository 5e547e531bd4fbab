"""The event log: one row per finished or failed analysis, read by webhooks and SSE clients."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select

from mediaquery.index.tables import events

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
        return {"id": self.id, "type": self.type, "name": self.media_name,
                "created_at": self.created_at, **self.payload}  # fmt: skip


def emit(conn: Connection, type: str, media_name: str, **payload: Any) -> None:
    """Record an event inside the caller's transaction (it appears only if that commits)."""
    conn.execute(
        insert(events).values(type=type, media_name=media_name, payload=payload,
                              created_at=time.time())
    )  # fmt: skip


def since(conn: Connection, after_id: int, limit: int = 100) -> list[Event]:
    """Events newer than `after_id`, oldest first."""
    q = select(events).where(events.c.id > after_id).order_by(events.c.id).limit(limit)
    return [Event(r.id, r.type, r.media_name, r.payload, r.created_at) for r in conn.execute(q)]


def last_id(conn: Connection) -> int:
    """The newest event id (0 when there is none)."""
    return int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())
