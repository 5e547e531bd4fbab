"""Completion notifications: signed webhooks with retries, and Server-Sent Events."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from conftest import jpeg_bytes, stored_index_bytes
from mediaquery.app import create_app
from mediaquery.config import Settings, WebhookSettings, load_settings
from mediaquery.index import events
from mediaquery.notify.webhooks import SIGNATURE_HEADER, WebhookSender, verify
from mediaquery.queue.worker import Worker
from mq_server import free_port

RED = jpeg_bytes(np.full((32, 32, 3), (250, 5, 5), np.uint8))
COLOUR = "mq_test_plugins:ColourAnalyzer"


class Receiver:
    """A real HTTP endpoint on loopback that fails the first `failures` deliveries."""

    def __init__(self, failures: int = 0) -> None:
        self.failures, self.received = failures, []  # type: ignore[var-annotated]
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.failures > 0:
                    outer.failures -= 1
                    self.send_response(500)
                else:
                    outer.received.append((dict(self.headers), body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=2)
    yield r
    r.close()


def test_webhook_gets_signed_events_after_retries(
    make_settings: Callable[..., Settings], receiver: Receiver
) -> None:
    hook = WebhookSettings(url=receiver.url, secret="s3cret", retry_delay=0.05)
    app = create_app(make_settings(analyzers=[COLOUR], webhooks=[hook]), background=False)
    ctx = app.state.ctx
    sender = WebhookSender(ctx.engine, hook, poll=0.05)
    sender.cursor()  # subscribe before anything happens
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
    thread.start()
    try:
        with TestClient(app) as client:
            client.put("/v1/media/red.jpg", content=RED)
            client.put("/v1/media/bad.jpg", content=RED[:200])  # truncated: fails
            Worker(ctx).run(burst=True)
            deadline = time.monotonic() + 30  # generous: the machine may be busy
            while len(receiver.received) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert len(receiver.received) == 2
    bodies = []
    for headers, body in receiver.received:
        assert verify("s3cret", body, headers[SIGNATURE_HEADER])
        assert not verify("wrong", body, headers[SIGNATURE_HEADER])
        bodies.append(json.loads(body))
    done = next(b for b in bodies if b["type"] == "media.done")
    failed = next(b for b in bodies if b["type"] == "media.failed")
    assert done["name"] == "red.jpg" and "Red" in done["labels"]
    assert failed["name"] == "bad.jpg" and "truncated" in failed["error"]
    assert receiver.failures == 0  # the two 500s were retried


def test_sse_stream_announces_completion(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(analyzers=[COLOUR]), background=False)
    with TestClient(app) as client:
        client.put("/v1/media/red.jpg", content=RED)
        Worker(app.state.ctx).run(burst=True)
        with client.stream("GET", "/v1/events", params={"after": 0, "limit": 1}) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            text = "".join(r.iter_text())
        assert "event: media.done" in text
        data = json.loads(next(x for x in text.splitlines() if x.startswith("data: "))[6:])
        assert data["name"] == "red.jpg" and data["status"] == "done"
        event_id = data["id"]
        client.put("/v1/media/red2.jpg", content=RED)
        Worker(app.state.ctx).run(burst=True)
        headers = {"Last-Event-ID": str(event_id)}
        with client.stream("GET", "/v1/events", params={"limit": 1}, headers=headers) as r:
            text = "".join(r.iter_text())
        assert '"name": "red2.jpg"' in text  # resumed after the last event seen


def test_an_empty_webhook_secret_is_refused_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for secret in ("", "  "):
        with pytest.raises(ValidationError, match="needs a secret"):
            WebhookSettings(url="https://example.com/hook", secret=secret)
    monkeypatch.setenv("MEDIAQUERY_WEBHOOKS", '[{"url": "https://example.com/hook", "secret": ""}]')
    with pytest.raises(ValidationError, match="needs a secret"):
        load_settings()


def test_signature_binds_a_timestamp_so_replays_are_refused(
    make_settings: Callable[..., Settings],
) -> None:
    receiver = Receiver()
    try:
        hook = WebhookSettings(url=receiver.url, secret="s3cret")
        app = create_app(make_settings(analyzers=[COLOUR]), background=False)
        ctx = app.state.ctx
        sender = WebhookSender(ctx.engine, hook)
        sender.cursor()
        with TestClient(app) as client:
            client.put("/v1/media/red.jpg", content=RED)
        Worker(ctx).run(burst=True)
        with ctx.engine.connect() as conn:
            (event,) = events.since(conn, 0)
        sent_at = time.time()
        assert sender.deliver(event, threading.Event()) is None
    finally:
        receiver.close()
    ((headers, body),) = receiver.received
    signature = headers[SIGNATURE_HEADER]
    stamp, mac = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", signature).groups()  # type: ignore[union-attr]
    assert abs(int(stamp) - sent_at) < 60
    expected = hmac.new(b"s3cret", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert mac == expected  # the documented recipe
    assert verify("s3cret", body, signature)
    assert not verify("s3cret", body + b" ", signature)
    assert not verify("s3cret", body, signature, now=int(stamp) + 301)  # replayed later
    assert not verify("s3cret", body, f"t={int(stamp) + 1},v1={mac}")  # time changed


def test_webhook_credentials_never_reach_the_logs(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()  # nobody listens: every try fails
    url = f"http://hookuser:pa55word@127.0.0.1:{port}/hook?token=t0ken&x=1"
    hook = WebhookSettings(url=url, secret="s3cret", max_attempts=2, retry_delay=0)
    app = create_app(make_settings(analyzers=[COLOUR]), background=False)
    ctx = app.state.ctx
    sender = WebhookSender(ctx.engine, hook)
    sender.cursor()
    with TestClient(app) as client:
        client.put("/v1/media/red.jpg", content=RED)
    Worker(ctx).run(burst=True)
    stop = threading.Event()
    with caplog.at_level(logging.DEBUG):
        thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while "gave up" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        thread.join(5)
    assert f"127.0.0.1:{port}/hook" in caplog.text and "gave up" in caplog.text
    for secret in ("pa55word", "t0ken", "hookuser"):
        assert secret not in caplog.text
        assert secret.encode() not in stored_index_bytes(ctx.settings.data_dir).replace(
            url.encode(), b""
        )  # the cursor is keyed by the URL; its error text holds no secret
