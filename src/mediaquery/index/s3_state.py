"""What the index remembers about a remote bucket: the newest notification seen per key
(`object_sequencers`) and the saved progress of a paged scan (`service_state`)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from mediaquery.index.db import write_tx
from mediaquery.index.tables import object_sequencers, service_state


def last_sequencer(conn: Connection, name: str) -> str | None:
    """The sequencer of the newest notification seen for a key, or None."""
    q = select(object_sequencers.c.sequencer).where(object_sequencers.c.name == name)
    found = conn.execute(q).scalar()
    return str(found) if found is not None else None


def save_sequencer(conn: Connection, name: str, sequencer: str, deleted: bool) -> None:
    """Keep `sequencer` as the newest of the key (replacing the one there)."""
    values = {"sequencer": sequencer, "deleted": int(deleted), "updated_at": time.time()}
    mine = object_sequencers.c.name == name
    if conn.execute(update(object_sequencers).where(mine).values(values)).rowcount == 0:
        conn.execute(insert(object_sequencers).values(name=name, **values))


def load_state(engine: Engine, key: str) -> dict[str, Any]:
    """The saved progress under key, or {} when there is none."""
    q = select(service_state.c.value).where(service_state.c.key == key)
    with engine.connect() as conn:
        value = conn.execute(q).scalar()
    return dict(value) if isinstance(value, dict) else {}


def save_state(engine: Engine, key: str, value: dict[str, Any]) -> None:
    """Keep progress under key (replacing what was there)."""
    now = time.time()
    mine = service_state.c.key == key
    with write_tx(engine) as conn:
        done = conn.execute(update(service_state).where(mine).values(value=value, updated_at=now))
        if done.rowcount == 0:
            conn.execute(insert(service_state).values(key=key, value=value, updated_at=now))


def drop_state(engine: Engine, key: str) -> None:
    """Forget the progress under key: the operation is complete."""
    with write_tx(engine) as conn:
        conn.execute(delete(service_state).where(service_state.c.key == key))
