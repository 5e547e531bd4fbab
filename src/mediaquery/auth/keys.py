"""API keys: created with scopes, stored as a SHA-256 of the secret, listed, revoked.

A key reads `mq_<key_id>_<secret>`. The key id is public (it names the key in lists and logs);
the secret is 256 random bits, shown once at creation and never stored. A plain SHA-256 is
enough for a random secret that long: no password-style slow hash is needed to stop guessing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import Connection, Engine

from mediaquery.errors import BadRequest, NotFound
from mediaquery.index import keys as stored
from mediaquery.index.db import write_tx

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


@dataclasses.dataclass(frozen=True, slots=True)
class ApiKey(stored.StoredKey):
    """A stored key and what it allows."""

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


def _api_key(key: stored.StoredKey) -> ApiKey:
    return ApiKey(**{f.name: getattr(key, f.name) for f in dataclasses.fields(key)})


def create_key(engine: Engine, name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
    """Store a new key; returns it and the full key text, which is never shown again."""
    name = name.strip()
    if not name or len(name) > 200:
        raise BadRequest("A key needs a name of 1-200 characters")
    wanted = sorted({Scope(s) for s in scopes}, key=ORDER.index)
    if not wanted:
        raise BadRequest("A key needs at least one scope: read, write or admin")
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    scopes_held = tuple(s.value for s in wanted)
    key = ApiKey(key_id, name, hash_secret(secret), scopes_held, time.time(), None, None)
    with write_tx(engine) as conn:
        stored.add_key(conn, key)
    return key, f"{PREFIX}{key_id}_{secret}"


def list_keys(conn: Connection) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    return [_api_key(k) for k in stored.all_keys(conn)]


def revoke_key(engine: Engine, key_id: str) -> tuple[ApiKey, bool]:
    """Revoke a key (a full key text works too); returns it and whether it was active."""
    parsed = parse_token(key_id)
    key_id = parsed[0] if parsed else key_id.strip()
    with write_tx(engine) as conn:
        found = stored.get_key(conn, key_id)
        if found is None:
            raise NotFound(f"No API key with id {key_id}")
        key = _api_key(found)
        if not key.active:
            return key, False
        now = time.time()
        stored.set_revoked(conn, key_id, now)
    return dataclasses.replace(key, revoked_at=now), True


def touch_key(engine: Engine, key_id: str, when: float) -> None:
    """Record that a key was used."""
    with write_tx(engine) as conn:
        stored.set_last_used(conn, key_id, when)
