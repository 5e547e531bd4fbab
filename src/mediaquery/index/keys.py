"""The API key table: stored keys (a hash of the secret, never the secret) and their use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from mediaquery.index.tables import api_keys


@dataclass(frozen=True, slots=True)
class StoredKey:
    key_id: str
    name: str
    secret_hash: str
    scopes: tuple[str, ...]
    created_at: float
    last_used_at: float | None
    revoked_at: float | None


def _key(r: Any) -> StoredKey:
    return StoredKey(
        r.key_id,
        r.name,
        r.secret_hash,
        tuple(r.scopes),
        r.created_at,
        r.last_used_at,
        r.revoked_at,
    )


def add_key(conn: Connection, key: StoredKey) -> None:
    """Store a new key."""
    row = {
        "key_id": key.key_id,
        "name": key.name,
        "scopes": list(key.scopes),
        "secret_hash": key.secret_hash,
        "created_at": key.created_at,
    }
    conn.execute(insert(api_keys).values(row))


def all_keys(conn: Connection) -> list[StoredKey]:
    """Every key, revoked ones included, oldest first."""
    rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at, api_keys.c.key_id))
    return [_key(r) for r in rows]


def get_key(conn: Connection, key_id: str) -> StoredKey | None:
    """One key by its id, or None."""
    row = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
    return _key(row) if row is not None else None


def set_revoked(conn: Connection, key_id: str, when: float) -> None:
    """Record when a key was revoked."""
    conn.execute(update(api_keys).where(api_keys.c.key_id == key_id).values(revoked_at=when))


def set_last_used(conn: Connection, key_id: str, when: float) -> None:
    """Record when a key was last used."""
    conn.execute(update(api_keys).where(api_keys.c.key_id == key_id).values(last_used_at=when))
