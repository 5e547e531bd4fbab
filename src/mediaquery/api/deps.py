"""Dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from mediaquery.context import Context


def get_ctx(request: Request) -> Context:
    """The app's services."""
    ctx: Context = request.app.state.ctx
    return ctx


def get_conn(request: Request) -> Iterator[Connection]:
    """A read connection for the duration of one route call (given back before the response
    is sent, so a slow client never holds one; see api/admission.py)."""
    with get_ctx(request).engine.connect() as conn:
        yield conn


CtxDep = Annotated[Context, Depends(get_ctx)]
ConnDep = Annotated[Connection, Depends(get_conn, scope="function")]
