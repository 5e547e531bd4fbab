"""Engine creation and schema migrations for the index database."""

from __future__ import annotations

import sqlite3
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Pool, create_engine, event, text

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """Connections a process keeps (`size`), may add for a while (`overflow`), and how long
    a caller waits for one before the pool raises sqlalchemy's TimeoutError (`timeout`)."""

    size: int
    overflow: int
    timeout: float

    def kwargs(self) -> dict[str, Any]:
        return {"pool_size": self.size, "max_overflow": self.overflow, "pool_timeout": self.timeout}


def make_engine(url: str, pool: PoolLimits | None = None) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout for many processes.

    `pool` sizes the connection pool (the API server's, from `api.db_slots`); without it
    SQLAlchemy's defaults apply (5 connections, 10 more for a while, 30 s wait)."""
    limits = pool.kwargs() if pool is not None else {}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        else:
            limits = {}  # one in-memory database per connection: no pool to size
        args = {"timeout": 30, "check_same_thread": False}
        engine = create_engine(url, connect_args=args, **limits)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take it over so writes lock up-front
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]  # the driver we ship
    engine = create_engine(url, pool_pre_ping=True, **limits)
    # An engine nobody disposes (a short CLI command) still closes its server connections
    # when it is collected, instead of leaving that to each connection's garbage collection.
    pools = [engine.pool]
    event.listen(engine, "engine_disposed", lambda e: pools.append(e.pool))
    weakref.finalize(engine, _dispose_pools, pools)
    return engine


def _dispose_pools(pools: list[Pool]) -> None:
    for pool in pools:
        pool.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    _set_wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _set_wal(cur: Any, patience_s: float = 30.0) -> None:
    """Switch a new database to WAL. The switch needs the database to itself, and SQLite does not
    wait for that on its own: a process that starts while another creates the schema gets
    "database is locked" at once, so it waits and tries again."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_begin(conn: Any) -> None:
    write = conn.get_execution_options().get("mq_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


# pg_advisory_xact_lock(class, key): one write lock per schema, i.e. per index.
_PG_WRITE_LOCK = "SELECT pg_advisory_xact_lock(7411, hashtext(coalesce(current_schema(), '')))"


@contextmanager
def write_tx(engine: Engine, *, exclusive: bool = True) -> Iterator[Connection]:
    """A transaction that takes the index's write lock up-front, so it never fails to upgrade.

    SQLite has one writer at a time (BEGIN IMMEDIATE). PostgreSQL gets the same guarantee from
    a transaction-scoped advisory lock, so read-then-write code (dedupe on enqueue, the last
    video chunk merging, event ids growing in commit order for SSE and webhooks) is correct on
    both. `exclusive=False` skips that lock on PostgreSQL, for code that locks rows itself
    (claiming jobs with FOR UPDATE SKIP LOCKED)."""
    with engine.connect().execution_options(mq_write=True) as conn, conn.begin():
        if exclusive and conn.dialect.name == "postgresql":
            conn.exec_driver_sql(_PG_WRITE_LOCK)
        yield conn


def ping(engine: Engine) -> None:
    """Ask the database for one trivial answer; raises when it does not give one."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent).

    Several processes may start at once on a new index (`serve`, `mediaquery worker`, the
    CLI): each migrates under the index's write lock, so the first creates the schema and the
    others wait, then find it current. A plain transaction would let them all read "no
    schema" and all but one fail with "database is locked" on SQLite."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with write_tx(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
