"""Processes that start together on a new index (`serve`, `mediaquery worker`, the CLI) all
bring it up: one creates the schema, the others wait for it and find it current."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

from sqlalchemy import inspect

from mediaquery.config import Settings
from mediaquery.index.db import make_engine

STARTERS = 4
# Each process imports everything first, then all migrate at the same instant.
START = """
import sys, time
from mediaquery.index.db import make_engine, migrate
engine = make_engine(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
migrate(engine)
"""


def test_processes_starting_at_once_on_a_new_index_all_migrate_it(
    make_settings: Callable[..., Settings],
) -> None:
    url = make_settings().db_url
    at = str(time.time() + 8)  # time enough for every interpreter to start on a busy machine
    procs = [
        subprocess.Popen([sys.executable, "-c", START, url, at], stderr=subprocess.PIPE)
        for _ in range(STARTERS)
    ]
    errors = [p.communicate(timeout=120)[1].decode()[-400:] for p in procs]
    assert [p.returncode for p in procs] == [0] * STARTERS, errors
    engine = make_engine(url)
    try:
        assert {"media", "jobs", "alembic_version"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
