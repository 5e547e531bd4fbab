"""The outbox relay: publishes runnable jobs from the job table to the Celery broker.

Whoever queues work only writes the job table (in the same transaction as the media row), and
this relay turns rows into messages: new jobs as they appear, retries once they are due, and
jobs whose lease ran out because their worker died. It remembers in memory what it sent for
which try of a job; after a restart it sends every runnable job again, which is harmless
because a message for a job that is not runnable claims nothing. A job still waiting
`resend_seconds` after its message went out (a broker that lost it, e.g. Redis without
persistence) is sent again."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from mediaquery.config import Settings
from mediaquery.context import Context
from mediaquery.errors import MediaQueryError
from mediaquery.index.jobs import runnable_since

log = logging.getLogger(__name__)

Publish = Callable[[int, str], None]
_Mark = tuple[int, float | None]  # (attempts, locked_until): one try of one job


class Relay:
    """Sends each try of each runnable job to the broker once."""

    def __init__(
        self,
        engine: Engine,
        publish: Publish,
        sweep_seconds: float = 10.0,
        resend_seconds: float = 21600.0,
    ) -> None:
        self.engine = engine
        self.publish = publish
        self.sweep_seconds = sweep_seconds
        self.resend_seconds = resend_seconds
        self._sent: dict[int, tuple[_Mark, float]] = {}  # job -> (try, when its message went)
        self._last_id = 0
        self._next_sweep = 0.0  # the first pass sends everything runnable

    def publish_due(self) -> int:
        """Publish what became runnable since the last call; returns messages sent."""
        now = time.time()
        sweep = now >= self._next_sweep
        with self.engine.connect() as conn:
            # between sweeps: new jobs, and jobs that ran before (retries, recovered orphans)
            rows = runnable_since(conn, None if sweep else self._last_id)
        sent = 0
        for job_id, kind, attempts, locked_until in rows:
            mark = (int(attempts), locked_until)
            before = self._sent.get(job_id)
            if before is None or before[0] != mark or now - before[1] >= self.resend_seconds:
                self.publish(job_id, kind)
                self._sent[job_id] = (mark, now)
                sent += 1
            self._last_id = max(self._last_id, job_id)
        if sweep:
            # forget jobs that ended or were claimed; the sweep also catches any job whose
            # row became visible after a later one (concurrent writers)
            runnable = {r[0] for r in rows}
            self._sent = {k: v for k, v in self._sent.items() if k in runnable}
            self._next_sweep = now + self.sweep_seconds
        return sent

    def run(self, stop: threading.Event, interval: float) -> None:
        """Publish every `interval` seconds until stopped; back off while the broker is down."""
        delay = interval
        while not stop.is_set():
            try:
                sent = self.publish_due()
                if sent:
                    log.debug("relay published %d job messages", sent)
                delay = interval
            except Exception as exc:  # noqa: BLE001 - broker or database away: try again
                delay = min(30.0, max(1.0, delay * 2))
                log.warning("relay could not publish jobs (%s); retrying in %.0f s", exc, delay)
            stop.wait(delay)


def publisher(settings: Settings) -> tuple[Publish, Callable[[], None]]:
    """A function that publishes a job message to the configured broker, and its closer."""
    try:
        from mediaquery.queue.celery_app import Publisher
    except ImportError as exc:
        raise MediaQueryError(
            "MEDIAQUERY_BROKER_URL is set but Celery is not installed: "
            "pip install 'mediaquery[scale]'"
        ) from exc
    p = Publisher(settings)
    return p, p.close


def start_relay(ctx: Context, stop: threading.Event) -> threading.Thread:
    """Run a relay in a daemon thread until `stop` is set (used by `serve` and the CLI)."""
    publish, close = publisher(ctx.settings)

    def loop() -> None:
        try:
            relay = Relay(
                ctx.engine, publish, resend_seconds=ctx.settings.celery.visibility_timeout
            )
            relay.run(stop, ctx.settings.queue.poll_interval)
        finally:
            close()

    thread = threading.Thread(target=loop, name="relay", daemon=True)
    thread.start()
    return thread


def publish_now(ctx: Context) -> int:
    """Publish every runnable job once (`ingest --no-wait` with a broker and no server)."""
    publish, close = publisher(ctx.settings)
    try:
        return Relay(ctx.engine, publish).publish_due()
    finally:
        close()
