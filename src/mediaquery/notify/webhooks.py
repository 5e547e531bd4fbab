"""Deliver events to configured webhooks: HMAC-signed JSON, in order, with retries and backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time

import httpx
from sqlalchemy import Engine, insert, select, update

from mediaquery.config import WebhookSettings
from mediaquery.index.db import write_tx
from mediaquery.index.tables import webhook_cursors
from mediaquery.notify import events

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-MediaQuery-Signature"


def sign(secret: str, body: bytes) -> str:
    """The signature header value: `sha256=` + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Check a signature in constant time (what a receiver does)."""
    return hmac.compare_digest(sign(secret, body), signature)


class WebhookSender:
    """Sends every new event to one webhook, oldest first; a dead endpoint delays only itself."""

    def __init__(self, engine: Engine, hook: WebhookSettings, poll: float = 0.5) -> None:
        self.engine, self.hook, self.poll = engine, hook, poll
        self.client = httpx.Client(timeout=hook.timeout)

    def cursor(self) -> int:
        """Id of the last event handled; a new webhook starts with events from now on."""
        with write_tx(self.engine) as conn:
            found = conn.execute(
                select(webhook_cursors.c.last_event_id).where(
                    webhook_cursors.c.url == self.hook.url
                )
            ).scalar()
            if found is not None:
                return int(found)
            start = events.last_id(conn)
            conn.execute(insert(webhook_cursors).values(url=self.hook.url, last_event_id=start,
                                                        updated_at=time.time()))  # fmt: skip
            return start

    def run(self, stop: threading.Event) -> None:
        """Deliver until stopped."""
        after = self.cursor()
        while not stop.is_set():
            with self.engine.connect() as conn:
                pending = events.since(conn, after)
            if not pending:
                stop.wait(self.poll)
                continue
            for event in pending:
                if stop.is_set():
                    return
                error = self.deliver(event, stop)
                after = event.id
                self._advance(after, error)

    def deliver(self, event: events.Event, stop: threading.Event) -> str | None:
        """POST one event, retrying with exponential backoff; the last error, or None."""
        body = json.dumps(event.as_json(), separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-MediaQuery-Event": event.type,
                   "X-MediaQuery-Delivery": str(event.id),
                   SIGNATURE_HEADER: sign(self.hook.secret, body)}  # fmt: skip
        error = None
        for attempt in range(self.hook.max_attempts):
            try:
                r = self.client.post(self.hook.url, content=body, headers=headers)
                if r.is_success:
                    return None
                error = f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            if attempt + 1 < self.hook.max_attempts and stop.wait(
                self.hook.retry_delay * 2**attempt
            ):
                break
        log.warning("webhook %s gave up on event %s: %s", self.hook.url, event.id, error)
        return error

    def _advance(self, event_id: int, error: str | None) -> None:
        values: dict[str, object] = {"last_event_id": event_id, "updated_at": time.time()}
        if error:
            values.update(failures=webhook_cursors.c.failures + 1, last_error=error)
        with write_tx(self.engine) as conn:
            conn.execute(update(webhook_cursors).where(webhook_cursors.c.url == self.hook.url)
                         .values(**values))  # fmt: skip
