"""Column types that behave the same on SQLite and PostgreSQL.

Shared by tables.py and the migrations, so they must never change meaning: add new ones.
SQLite's DDL stays exactly what it always was; PostgreSQL gets 64-bit ids and byte-order
("C") collation for names, so prefix ranges, keyset cursors and ORDER BY name agree with
SQLite's BINARY comparison."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.types import TypeEngine

# SQLite needs exactly INTEGER for a rowid primary key; PostgreSQL gets BIGSERIAL / BIGINT.
Id: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")


def name_type(length: int) -> TypeEngine[str]:
    """A VARCHAR compared byte by byte (code point order) on every backend."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def version_type() -> TypeEngine[str]:
    """An analyzer version: a video's lists every analyzer that ran, so it has no fixed length
    (SQLite never enforced the 50; PostgreSQL would)."""
    return String(50).with_variant(Text(), "postgresql")
