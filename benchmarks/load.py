"""Bursts of concurrent readers against a real `mediaquery serve`: latency, errors, /healthz.

Run: python benchmarks/load.py [--db sqlite|postgresql|both] [--keys no|yes|both]
         [--levels 50,200,500] [--seconds 8] [--media 300] [--pg-url URL]

For each database and with or without an API key, starts `mediaquery serve` on loopback (no
analysis workers, no watcher) over an index seeded with `--media` small JPEGs and their labels,
then for each level runs that many clients at once for `--seconds`, each sending mixed reads
back to back (`/api/`, `/v1/media?limit=100`, `/v1/labels`, a thumbnail), waiting as long as
`Retry-After` says after a 503, as a well-behaved client does. It prints latency
percentiles, answers by status, 503s without `Retry-After`, hangs (no answer within the client
timeout, 30 s), and the latency of `/healthz`, sampled every 100 ms by a separate process
throughout. Target at 500 clients: no 5xx but a fast 503 with Retry-After, no hang, /healthz
always under 1 s. Everything stops by itself; the PostgreSQL schema is dropped at the end.

The clients run on the same machine as the server and compete with it for CPU (on a 2-core
box the client's event loop takes about as much as the server): figures are a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from mediaquery.auth.keys import create_key
from mediaquery.config import load_settings
from mediaquery.context import open_context
from mediaquery.domain import Findings, LabelFinding
from mediaquery.index.db import write_tx
from mediaquery.index.findings import save_findings
from mediaquery.ingest.events import object_changed

CLIENT_TIMEOUT = 30.0
HEALTH_EVERY = 0.1
LABELS = [("Cat", ("Mammal", "Animal")), ("Dog", ("Canine", "Mammal", "Animal")),
          ("Car", ("Vehicle",)), ("Tree", ("Plant",)), ("Beach", ("Coast", "Outdoors")),
          ("Person", ()), ("Text", ()), ("Bicycle", ("Vehicle",))]  # fmt: skip


def seed_index(data_dir: Path, database_url: str | None, count: int) -> list[str]:
    """`count` small JPEGs in the bucket folder, indexed `done` with a few labels each."""
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    ctx = open_context(settings)
    rng = random.Random(7)
    names = []
    try:
        for i in range(count):
            name = f"album{i % 10}/photo{i:04d}.jpg"
            path = settings.media_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            colour = tuple(rng.randrange(256) for _ in range(3))
            buf = io.BytesIO()
            Image.new("RGB", (480, 360), colour).save(buf, "JPEG", quality=80)
            path.write_bytes(buf.getvalue())
            row = object_changed(ctx, name).row
            assert row is not None
            found = [LabelFinding(n, rng.uniform(30, 99), parents)
                     for n, parents in rng.sample(LABELS, 3)]  # fmt: skip
            with write_tx(ctx.engine) as conn:
                save_findings(conn, name, row.etag, [(Findings("labels", "bench.1", found), 1.0)],
                              floor=5.0, width=480, height=360)  # fmt: skip
            names.append(name)
    finally:
        ctx.close()
    return names


def make_key(data_dir: Path, database_url: str | None) -> str:
    """A read key (once one exists, the server requires keys)."""
    ctx = open_context(load_settings(data_dir=data_dir, database_url=database_url))
    try:
        return create_key(ctx.engine, "bench", ["read"])[1]
    finally:
        ctx.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, database_url: str | None) -> tuple[subprocess.Popen[bytes], str]:
    """`mediaquery serve` on a free loopback port, without workers, watcher or start-up scan."""
    port = free_port()
    env = {**os.environ, "MEDIAQUERY_QUEUE__WORKERS": "0", "MEDIAQUERY_WATCH": "false",
           "MEDIAQUERY_RECONCILE_ON_START": "false", "MEDIAQUERY_LOG_LEVEL": "WARNING"}  # fmt: skip
    if database_url:
        env["MEDIAQUERY_DATABASE_URL"] = database_url
    cmd = [sys.executable, "-m", "mediaquery", "serve", "--data-dir", str(data_dir),
           "--port", str(port)]  # fmt: skip
    log = (data_dir.parent / "server.log").open("ab")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start; see {data_dir.parent / 'server.log'}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def probe_health(url: str, seconds: float, out: Connection) -> None:
    """In a process of its own: GET /healthz every HEALTH_EVERY s; send back the latencies."""
    samples: list[float] = []
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                ok = client.get(f"{url}/healthz").status_code == 200
            except httpx.HTTPError:
                ok = False
            samples.append(time.perf_counter() - t0 if ok else float("inf"))
            time.sleep(max(0.0, HEALTH_EVERY - (time.perf_counter() - t0)))
    out.send(samples)
    out.close()


@dataclass
class Level:
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    no_retry_after: int = 0
    slowest_503: float = 0.0
    health: list[float] = field(default_factory=list)


def paths(names: list[str], rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return "/api/"
    if kind == 1:
        return "/v1/media?limit=100"
    if kind == 2:
        return "/v1/labels"
    return f"/v1/media/{rng.choice(names)}/thumbnail"


class Answer:
    """Status, headers and body of one HTTP/1.1 response."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> Answer:
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)
    }
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Answer(status, headers, body)


async def _client(
    url: str, names: list[str], deadline: float, level: Level, seed: int, headers: dict[str, str]
) -> None:
    """One keep-alive connection sending requests back to back. A bare HTTP/1.1 client: httpx
    spends more CPU per request with hundreds of connections than the server does."""
    rng = random.Random(seed)
    host, port = url.removeprefix("http://").split(":")
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while time.monotonic() < deadline:
        request = f"GET {paths(names, rng)} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n"
        t0 = time.perf_counter()
        try:
            if conn is None:
                conn = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 30)
            r = await asyncio.wait_for(_get(*conn, request.encode()), CLIENT_TIMEOUT)
        except TimeoutError:
            level.statuses["hang"] += 1
            conn = _close(conn)
            continue
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            level.statuses[type(exc).__name__] += 1
            conn = _close(conn)
            await asyncio.sleep(0.05)
            continue
        took = time.perf_counter() - t0
        level.latencies.append(took)
        level.statuses[str(r.status)] += 1
        if r.headers.get("connection", "").lower() == "close":
            conn = _close(conn)
        if r.status == 503:
            level.slowest_503 = max(level.slowest_503, took)
            level.no_retry_after += "retry-after" not in r.headers
            await asyncio.sleep(float(r.headers.get("retry-after", "1")))  # as a client should
    _close(conn)


def _close(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
    if conn is not None:
        conn[1].close()


async def _run(url: str, names: list[str], level: Level, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + level.seconds
    await asyncio.gather(
        *(_client(url, names, deadline, level, i, headers) for i in range(level.clients))
    )


def run_level(url: str, names: list[str], level: Level, headers: dict[str, str]) -> None:
    """One burst; /healthz is probed from another process for the whole of it."""
    ctx = multiprocessing.get_context("fork")  # no asyncio loop or thread runs yet
    recv, send = ctx.Pipe(duplex=False)
    probe = ctx.Process(target=probe_health, args=(url, level.seconds + 2, send))
    probe.start()
    asyncio.run(_run(url, names, level, headers))
    level.health = recv.recv()
    probe.join(CLIENT_TIMEOUT)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(db: str, keys: bool, level: Level) -> dict[str, Any]:
    """One line of figures (also returned for --json)."""
    ok = [h for h in level.health if h != float("inf")]
    server_errors = sum(n for s, n in level.statuses.items() if s.startswith("5") and s != "503")
    row = {
        "db": db, "keys": keys, "clients": level.clients,
        "requests": len(level.latencies), "per_s": len(level.latencies) / level.seconds,
        "p50_ms": _pct(level.latencies, 0.5) * 1000, "p95_ms": _pct(level.latencies, 0.95) * 1000,
        "p99_ms": _pct(level.latencies, 0.99) * 1000,
        "statuses": dict(sorted(level.statuses.items())),
        "other_5xx": server_errors, "503_without_retry_after": level.no_retry_after,
        "slowest_503_ms": level.slowest_503 * 1000,
        "healthz_p50_ms": _pct(ok, 0.5) * 1000, "healthz_max_ms": max(ok, default=0) * 1000,
        "healthz_failed": len(level.health) - len(ok),
        "healthz_over_1s": sum(h > 1.0 for h in level.health),
    }  # fmt: skip
    print(
        f"{db:<10} {'yes' if keys else 'no':<4} {level.clients:>4} {row['requests']:>7} "
        f"{row['per_s']:>6.0f} {row['p50_ms']:>7.0f} {row['p95_ms']:>7.0f} {row['p99_ms']:>7.0f}  "
        f"{json.dumps(row['statuses']):<38} {row['slowest_503_ms']:>6.0f} "
        f"{row['healthz_p50_ms']:>5.0f}/{row['healthz_max_ms']:<6.0f} {row['healthz_over_1s']}",
        flush=True,
    )
    return row


def _pg_schema(pg_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"mqload_{os.getpid()}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, url.render_as_string(hide_password=False)


def _drop_pg_schema(pg_url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def run_config(args: argparse.Namespace, db: str, keys: bool) -> list[dict[str, Any]]:
    """Seed, serve, run every level, stop; the data folder and schema are removed."""
    tmp = Path(tempfile.mkdtemp(prefix="mq-load-"))
    schema, url = (None, None) if db == "sqlite" else _pg_schema(args.pg_url)
    rows = []
    try:
        data_dir = tmp / "data"
        names = seed_index(data_dir, url, args.media)
        headers = {"X-API-Key": make_key(data_dir, url)} if keys else {}
        proc, base = start_server(data_dir, url)
        try:
            for clients in args.levels:
                level = Level(clients, args.seconds)
                run_level(base, names, level, headers)
                rows.append(report(db, keys, level))
        finally:
            stop_server(proc)
    finally:
        if schema is not None:
            _drop_pg_schema(args.pg_url, schema)
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--keys", choices=["no", "yes", "both"], default="both")
    p.add_argument("--levels", default="50,200,500")
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--media", type=int, default=300)
    p.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()
    args.levels = [int(x) for x in args.levels.split(",")]
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with_keys = [False, True] if args.keys == "both" else [args.keys == "yes"]
    print(f"{os.cpu_count()} CPUs shared by server, clients and the /healthz probe (the "
          f"clients compete with the server for them); {args.seconds:.0f} s per level; "
          f"no answer within {CLIENT_TIMEOUT:.0f} s = a hang")  # fmt: skip
    print(f"{'db':<10} {'keys':<4} {'conc':>4} {'answers':>7} {'per s':>6} {'p50 ms':>7} "
          f"{'p95 ms':>7} {'p99 ms':>7}  {'answers by status':<38} {'503max':>6} "
          f"{'healthz p50/max ms':<12} >1s")  # fmt: skip
    rows = [r for db in dbs for keys in with_keys for r in run_config(args, db, keys)]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    bad = [r for r in rows if r["clients"] >= 500 and (
        r["other_5xx"] or r["503_without_retry_after"] or r["statuses"].get("hang")
        or r["healthz_over_1s"] or r["healthz_failed"])]  # fmt: skip
    print("target at 500 clients:", "met" if not bad else f"MISSED in {len(bad)} runs")


if __name__ == "__main__":
    main()
