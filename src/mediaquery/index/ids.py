"""A condition that a column is one of a page's ids, as each backend reads it fastest."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, BigInteger, ColumnElement, Connection, any_, bindparam


def one_of(conn: Connection, column: Any, ids: list[int]) -> ColumnElement[bool]:
    """`column IN ids`. PostgreSQL gets one array parameter: the same short statement for
    every page, which psycopg caches and prepares (a hundred parameters made a statement it
    parsed each time)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(BigInteger)))
    return column.in_(ids)
