"""API keys: created with scopes, stored as a SHA-256 of the secret, listed, revoked.

A key reads `mq_<key_id>_<secret>`. The key id is public (it names the key in lists and logs);
the secret is 256 random bits, shown once at creation and never stored. A plain SHA-256 is
enough for a random secret that long: no password-style slow hash is needed to stop guessing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from mediaquery.errors import BadRequest, NotFound
from mediaquery.index.db import write_tx
from mediaquery.index.tables import api_keys

PREFIX = "mq_"
_TOKEN = re.compile(r"mq_([0-9a-f]{16})_([A-Za-z0-9_-]{20,200})")


class Scope(StrEnum):
    """What a key may do; each scope implies the ones before it (admin > write > read)."""

    read = "read"
    write = "write"
    admin = "admin"


ORDER = [Scope.read, Scope.write, Scope.admin]


def implied(scopes: Iterable[str]) -> set[Scope]:
    """The scopes a key really has: admin implies write, write implies read."""
    levels = [ORDER.index(Scope(s)) for s in scopes if s in Scope.__members__]
    return set(ORDER[: max(levels) + 1]) if levels else set()


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    name: str
    secret_hash: str
    scopes: tuple[str, ...]
    created_at: float
    last_used_at: float | None
    revoked_at: float | None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None

    def allows(self, scope: Scope) -> bool:
        """True when this key has `scope`, directly or implied by a higher one."""
        return scope in implied(self.scopes)

    def matches(self, secret: str) -> bool:
        """Constant-time comparison of a presented secret with the stored hash."""
        return hmac.compare_digest(hash_secret(secret), self.secret_hash)


def hash_secret(secret: str) -> str:
    """What is stored instead of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_token(token: str) -> tuple[str, str] | None:
    """(key_id, secret) of a well-formed key, else None."""
    m = _TOKEN.fullmatch(token.strip())
    return (m.group(1), m.group(2)) if m else None


def _row(r: Any) -> ApiKey:
    return ApiKey(r.key_id, r.name, r.secret_hash, tuple(r.scopes), r.created_at,
                  r.last_used_at, r.revoked_at)  # fmt: skip


def create_key(engine: Engine, name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
    """Store a new key; returns it and the full key text, which is never shown again."""
    name = name.strip()
    if not name or len(name) > 200:
        raise BadRequest("A key needs a name of 1-200 characters")
    wanted = sorted({Scope(s) for s in scopes}, key=ORDER.index)
    if not wanted:
        raise BadRequest("A key needs at least one scope: read, write or admin")
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    key = ApiKey(key_id, name, hash_secret(secret), tuple(s.value for s in wanted), time.time(),
                 None, None)  # fmt: skip
    with write_tx(engine) as conn:
        conn.execute(
            insert(api_keys).values(key_id=key.key_id, name=key.name, scopes=list(key.scopes),
                                    secret_hash=key.secret_hash, created_at=key.created_at)
        )  # fmt: skip
    return key, f"{PREFIX}{key_id}_{secret}"


def list_keys(conn: Connection) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at, api_keys.c.key_id))
    return [_row(r) for r in rows]


def revoke_key(engine: Engine, key_id: str) -> tuple[ApiKey, bool]:
    """Revoke a key (a full key text works too); returns it and whether it was active."""
    parsed = parse_token(key_id)
    key_id = parsed[0] if parsed else key_id.strip()
    with write_tx(engine) as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
        if row is None:
            raise NotFound(f"No API key with id {key_id}")
        key = _row(row)
        if not key.active:
            return key, False
        now = time.time()
        conn.execute(update(api_keys).where(api_keys.c.key_id == key_id).values(revoked_at=now))
    return ApiKey(key.key_id, key.name, key.secret_hash, key.scopes, key.created_at,
                  key.last_used_at, now), True  # fmt: skip


def touch_key(engine: Engine, key_id: str, when: float) -> None:
    """Record that a key was used."""
    with write_tx(engine) as conn:
        conn.execute(update(api_keys).where(api_keys.c.key_id == key_id).values(last_used_at=when))
