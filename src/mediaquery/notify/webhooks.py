"""Deliver events to configured webhooks: HMAC-signed JSON, in order, with retries and backoff.

The signature covers a timestamp and the body (`t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`), so
a receiver can refuse a delivery replayed later. URLs are logged without their credentials.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from sqlalchemy import Engine

from mediaquery.config import WebhookSettings
from mediaquery.index import events
from mediaquery.index.db import write_tx

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-MediaQuery-Signature"


TOLERANCE_SECONDS = 300  # how old a signed delivery a receiver should still accept


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_mac(secret, t, body)}"


def verify(
    secret: str,
    body: bytes,
    signature: str,
    tolerance: float = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What a receiver does: the signature matches (constant time) and its timestamp is within
    `tolerance` seconds of now, so a delivery captured and replayed later is refused."""
    fields = [part.strip().partition("=") for part in signature.split(",")]
    stamps = [v for k, _, v in fields if k == "t"]
    if len(stamps) != 1 or not stamps[0].isascii() or not stamps[0].isdigit():
        return False
    t = int(stamps[0])
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = _mac(secret, t, body)
    return any(hmac.compare_digest(expected, v) for k, _, v in fields if k == "v1")


def redact_url(url: str) -> str:
    """The URL as logs may show it: no password or user, no query-string values."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        if "@" in parts.netloc:
            netloc = "***@" + netloc
        query = urlencode([(k, "***") for k, _ in parse_qsl(parts.query, keep_blank_values=True)])
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    except ValueError:
        return "<unparsable URL>"


class WebhookSender:
    """Sends every new event to one webhook, oldest first; a dead endpoint delays only itself."""

    def __init__(self, engine: Engine, hook: WebhookSettings, poll: float = 0.5) -> None:
        self.engine, self.hook, self.poll = engine, hook, poll
        self.client = httpx.Client(timeout=hook.timeout)
        self.shown_url = redact_url(hook.url)

    def cursor(self) -> int:
        """Id of the last event handled; a new webhook starts with events from now on."""
        with write_tx(self.engine) as conn:
            return events.webhook_cursor(conn, self.hook.url)

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
        headers = {
            "Content-Type": "application/json",
            "X-MediaQuery-Event": event.type,
            "X-MediaQuery-Delivery": str(event.id),
        }
        error = None
        for attempt in range(self.hook.max_attempts):
            headers[SIGNATURE_HEADER] = sign(self.hook.secret, body)  # fresh time on each try
            try:
                r = self.client.post(self.hook.url, content=body, headers=headers)
                if r.is_success:
                    return None
                error = f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:  # its text may quote the URL: never its secrets
                error = f"{type(exc).__name__}: {exc}".replace(self.hook.url, self.shown_url)
            if attempt + 1 < self.hook.max_attempts and stop.wait(
                self.hook.retry_delay * 2**attempt
            ):
                break
        log.warning("webhook %s gave up on event %s: %s", self.shown_url, event.id, error)
        return error

    def _advance(self, event_id: int, error: str | None) -> None:
        with write_tx(self.engine) as conn:
            events.advance_webhook(conn, self.hook.url, event_id, error)
