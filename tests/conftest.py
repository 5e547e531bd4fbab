"""Fixtures: isolated data folders and databases, apps, real photos, a session-wide model cache.

With MEDIAQUERY_TEST_DATABASE_URL set (a PostgreSQL URL), every test, and every module and the
session for their wider fixtures, gets a schema of its own in that database, dropped afterwards;
MEDIAQUERY_DATABASE_URL points at it while it is in use, so servers started in subprocesses and
the CLI use it too. Without it, each test's index is SQLite in its data folder."""

from __future__ import annotations

import io
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from mediaquery.app import create_app
from mediaquery.config import Settings, load_settings
from mediaquery.queue.worker import Worker

TEST_DATABASE_URL = os.environ.get("MEDIAQUERY_TEST_DATABASE_URL") or None
DATABASE_ENV = "MEDIAQUERY_DATABASE_URL"


def on_postgresql() -> bool:
    """True when this run's indexes live in PostgreSQL (MEDIAQUERY_TEST_DATABASE_URL)."""
    return TEST_DATABASE_URL is not None


@pytest.fixture(scope="session")
def _admin_engine() -> Iterator[Engine | None]:
    """Creates and drops the test schemas (PostgreSQL only)."""
    if TEST_DATABASE_URL is None:
        yield None
        return
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)
    _drop_stale_schemas(engine)
    yield engine
    engine.dispose()


def _drop_stale_schemas(admin: Engine, max_age_s: float = 6 * 3600) -> None:
    """Schemas left by an interrupted run (their names carry their creation time); recent ones
    may belong to a run going on beside this one."""
    with admin.connect() as conn:
        found = conn.execute(
            text(r"SELECT nspname FROM pg_namespace WHERE nspname ~ '^mqt_[0-9]+_[0-9a-f]+$'")
        ).scalars()
        for schema in [n for n in found if int(n.split("_")[1]) < time.time() - max_age_s]:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def _database(admin: Engine | None) -> Iterator[str | None]:
    """A fresh, empty schema and the URL that uses it; MEDIAQUERY_DATABASE_URL points at it."""
    if admin is None or TEST_DATABASE_URL is None:
        yield None
        return
    schema = f"mqt_{int(time.time())}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # application_name marks every connection to the schema, so teardown can end stragglers
    url = make_url(TEST_DATABASE_URL).update_query_dict(
        {"options": f"-csearch_path={schema}", "application_name": schema}
    )
    rendered = url.render_as_string(hide_password=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DATABASE_ENV, rendered)
        yield rendered
    with admin.connect() as conn:
        conn.execute(text("SET lock_timeout = '20s'"))
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE application_name = :n AND pid <> pg_backend_pid()"),
            {"n": schema},
        )  # fmt: skip
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="session", autouse=True)
def _testclient_host() -> Iterator[None]:
    """Starlette's TestClient addresses the app as `testserver`: a name, so the Host check
    refuses it unless allowed (servers in subprocesses inherit this; tests reach them on
    127.0.0.1, and the Host tests set their own)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MEDIAQUERY_ALLOWED_HOSTS", '["testserver"]')
        yield


@pytest.fixture(scope="session", autouse=True)
def _session_database(_admin_engine: Engine | None) -> Iterator[str | None]:
    yield from _database(_admin_engine)


@pytest.fixture(scope="module", autouse=True)
def _module_database(_admin_engine: Engine | None) -> Iterator[str | None]:
    """For module-wide fixtures (a shared server or app)."""
    yield from _database(_admin_engine)


@pytest.fixture(autouse=True)
def database_url(_admin_engine: Engine | None) -> Iterator[str | None]:
    """This test's own database URL on PostgreSQL; None on SQLite (the data folder's index)."""
    yield from _database(_admin_engine)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the whole session, so each model is built once."""
    shared = os.environ.get("MEDIAQUERY_TEST_MODEL_CACHE")
    return Path(shared) if shared else tmp_path_factory.mktemp("models")


@pytest.fixture
def make_settings(
    tmp_path: Path, model_cache: Path, database_url: str | None
) -> Callable[..., Settings]:
    """Settings for an isolated data folder and database; background work off unless asked for.
    Every call in one test shares that test's index (like a restart on the same data)."""

    def factory(**overrides: Any) -> Settings:
        base: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "models_dir": model_cache,
            "watch": False,
            "reconcile_on_start": False,
        }
        base.update(overrides)
        s = load_settings(**base)
        s.queue.workers = overrides.get("workers", 0)
        s.queue.retry_delay = 0.0
        return s

    return factory


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings, background=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def drain(app: FastAPI) -> Callable[[], int]:
    """Run queued jobs to completion in this process (arq-style burst worker)."""
    return lambda: Worker(app.state.ctx).run(burst=True)


def stored_index_bytes(data_dir: Path) -> bytes:
    """Everything the index of this test holds, as bytes to search for leaked secrets: the
    SQLite files in the data folder, or every row of every table of this test's schema."""
    url = os.environ.get(DATABASE_ENV)
    if url is None:
        return b"".join(p.read_bytes() for p in Path(data_dir).glob("index.db*"))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                text("SELECT table_name FROM information_schema.tables "
                     "WHERE table_schema = current_schema()")
            ).scalars().all()  # fmt: skip
            rows = [r for t in tables for r in conn.execute(text(f'SELECT t::text FROM "{t}" t'))]
    finally:
        engine.dispose()
    return "\n".join(r[0] for r in rows).encode()


def jpeg_bytes(arr: np.ndarray | Image.Image, quality: int = 90, **kw: Any) -> bytes:
    """Encode pixels as JPEG."""
    img = arr if isinstance(arr, Image.Image) else Image.fromarray(arr)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality, **kw)
    return buf.getvalue()


@pytest.fixture(scope="session")
def photos() -> dict[str, bytes]:
    """Real photographs shipped in scikit-image, as JPEG files."""
    from skimage import data

    return {
        "cat.jpg": jpeg_bytes(data.chelsea()),
        "coffee.jpg": jpeg_bytes(data.coffee()),
        "rocket.jpg": jpeg_bytes(data.rocket()),
        "astronaut.jpg": jpeg_bytes(data.astronaut()),
    }
