"""Build the benchmark index: the real migrations, then a bulk load of a synthetic corpus.

SQLite gets big `executemany` transactions (journal off, synchronous off: a throw-away file),
PostgreSQL gets COPY (foreign-key triggers off for the session: the rows are consistent by
construction). Secondary indexes are dropped for the load and re-created afterwards from the
very DDL the migrations created, so the queries run against the real indexes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from index_scale_data import COLUMNS, Corpus, Rows
from sqlalchemy import create_engine, make_url

from mediaquery.config import LabelSettings
from mediaquery.index import label_counts, label_months, meta_counts, text_search
from mediaquery.index.db import make_engine, migrate

LOADED = tuple(COLUMNS)


@dataclass
class Build:
    """What a build made and what it cost."""

    db: str
    url: str
    seconds: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    size_bytes: int = 0
    largest: list[tuple[str, int]] = field(default_factory=list)  # (table or index, bytes)

    @property
    def rows_per_s(self) -> float:
        return sum(self.rows.values()) / max(self.seconds["load"], 1e-9)


class _Clock:
    def __init__(self, build: Build) -> None:
        self.build, self.t = build, time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.build.seconds[step] = self.build.seconds.get(step, 0.0) + now - self.t
        self.t = now


def _load(corpus: Corpus, chunk: int, clock: _Clock, write: Callable[[Rows], None]) -> None:
    for rows in corpus.chunks(chunk):
        clock.lap("generate")
        write(rows)
        clock.lap("write")
    clock.build.seconds["load"] = clock.build.seconds["generate"] + clock.build.seconds["write"]
    clock.build.rows = dict(corpus.rows_written)


def build_sqlite(path: Path, corpus: Corpus, chunk: int = 25_000) -> Build:
    """A fresh SQLite index at `path` holding `corpus`."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    build = Build("sqlite", f"sqlite:///{path}")
    clock = _Clock(build)
    engine = make_engine(build.url)
    migrate(engine)
    engine.dispose()
    clock.lap("migrate")
    db = sqlite3.connect(path, isolation_level=None)
    marks = ",".join("?" * len(LOADED))
    ddl = db.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY name",
        LOADED,
    ).fetchall()
    for name, _ in ddl:
        db.execute(f'DROP INDEX "{name}"')
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-524288"):
        db.execute(f"PRAGMA {pragma}")
    inserts = {
        t: f"INSERT INTO {t} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        for t, cols in COLUMNS.items()
    }
    inserts["media_text"] = "INSERT INTO media_text (rowid, body) VALUES (?, ?)"

    def write(rows: Rows) -> None:
        db.execute("BEGIN")
        for table, got in rows.items():
            db.executemany(inserts[table], got)
        db.execute("COMMIT")

    clock.lap("migrate")
    _load(corpus, chunk, clock, write)
    for _, sql in ddl:
        db.execute(sql)
    clock.lap("indexes")
    db.execute("PRAGMA journal_mode=WAL")  # as the service runs it
    _count_labels(build.url)
    clock.lap("counts")
    build.size_bytes = path.stat().st_size
    build.largest = db.execute(
        "SELECT name, SUM(pgsize) AS n FROM dbstat GROUP BY name ORDER BY n DESC LIMIT 8"
    ).fetchall()
    db.close()
    return build


def _count_labels(url: str) -> None:
    # The load bypassed save_findings and save_metadata, which keep label_counts and the
    # month/place/camera/label counts in step: count once.
    engine = make_engine(url)
    with engine.begin() as conn:
        label_counts.rebuild(conn)
        meta_counts.rebuild(conn)
        label_months.rebuild(conn, LabelSettings.model_fields["default_min_confidence"].default)
    engine.dispose()


def reuse_sqlite(path: Path) -> Build | None:
    """The SQLite index an earlier --keep run left at `path`, migrated to head; None if none."""
    if not path.exists():
        return None
    build = Build("sqlite", f"sqlite:///{path}", seconds={"reused": 0.0, "load": 0.0})
    _migrate_reused(build)
    build.size_bytes = path.stat().st_size
    return build


def reuse_postgresql(url: str, database: str) -> Build | None:
    """The PostgreSQL database an earlier --keep run left, migrated to head; None if none."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %(d)s", {"d": database}
        ).first()
    admin.dispose()
    if not found:
        return None
    build = Build("postgresql", make_url(url).set(database=database).render_as_string(False),
                  seconds={"reused": 0.0, "load": 0.0})  # fmt: skip
    _migrate_reused(build)
    return build


def _migrate_reused(build: Build) -> None:
    t = time.perf_counter()
    engine = make_engine(build.url)
    migrate(engine)
    engine.dispose()
    build.seconds["reused"] = time.perf_counter() - t


def recreate_postgresql(url: str, database: str) -> str:
    """Drop and create `database` next to the one `url` names; the new database's URL."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
    admin.dispose()
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def drop_postgresql(url: str, database: str) -> None:
    """Drop the benchmark database."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin.dispose()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def build_postgresql(url: str, database: str, corpus: Corpus, chunk: int = 25_000) -> Build:
    """A fresh PostgreSQL database `database` (next to `url`'s) holding `corpus`."""
    build = Build("postgresql", recreate_postgresql(url, database))
    clock = _Clock(build)
    engine = make_engine(build.url)
    migrate(engine)
    engine.dispose()
    with psycopg.connect(_libpq(build.url)) as db:
        ddl = db.execute(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema() "
            "AND tablename = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) ORDER BY indexname",
            (list(LOADED),),
        ).fetchall()
        for name, _ in ddl:
            db.execute(f'DROP INDEX "{name}"')
        for setting in ("session_replication_role = replica", "synchronous_commit = off",
                        "maintenance_work_mem = '512MB'"):  # fmt: skip
            db.execute(f"SET {setting}")
        db.commit()
        clock.lap("migrate")
        _load(corpus, chunk, clock, lambda rows: _copy(db, rows))
        for _, sql in ddl:
            db.execute(sql)
        for table in ("media", "labels", "text_lines"):
            db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE(MAX(id), 0) + 1, false) FROM {table}"
            )
        db.commit()
        clock.lap("indexes")
        _count_labels(build.url)
        clock.lap("counts")
        db.autocommit = True
        db.execute("VACUUM ANALYZE")  # what autovacuum does soon after a bulk load
        clock.lap("vacuum analyze")
        build.size_bytes = _one(db.execute("SELECT pg_database_size(current_database())"))
        build.largest = db.execute(
            "SELECT relname, pg_relation_size(oid) AS n FROM pg_class "
            "WHERE relnamespace = current_schema()::regnamespace ORDER BY n DESC LIMIT 8"
        ).fetchall()
    return build


def _one(cur: Any) -> int:
    row = cur.fetchone()
    return int(row[0]) if row else 0


def _copy(db: psycopg.Connection[Any], rows: Rows) -> None:
    with db.cursor() as cur:
        for table, got in rows.items():
            if table != "media_text":
                _copy_rows(cur, table, COLUMNS[table], got)
        _copy_text(cur, rows["media_text"])
    db.commit()


def _copy_text(cur: psycopg.Cursor[Any], rows: list[tuple[Any, ...]]) -> None:
    # As text_search.set_text writes it: the body, and a tsvector of its folded words.
    cur.execute(
        "CREATE TEMP TABLE IF NOT EXISTS text_load (media_id bigint, body text, words text)"
    )
    fold = text_search._folded_words
    staged = [(i, body, " ".join(fold(body))) for i, body in rows]
    _copy_rows(cur, "text_load", ("media_id", "body", "words"), staged)
    cur.execute(
        "INSERT INTO media_text (media_id, body, doc) "
        "SELECT media_id, body, to_tsvector('simple', words) FROM text_load"
    )
    cur.execute("TRUNCATE text_load")


def _copy_rows(
    cur: psycopg.Cursor[Any], table: str, columns: Iterable[str], rows: list[tuple[Any, ...]]
) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
