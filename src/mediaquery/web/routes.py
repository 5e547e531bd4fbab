"""Serve the single page (at `/` and at `/media/{name}` for deep links) and its static files."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

import mediaquery.api.convertors  # noqa: F401 - registers the {name:name} convertor

STATIC_DIR = Path(__file__).parent / "static"
# The page and its modules are small; browsers revalidate them (ETag) so upgrades show at once.
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@cache
def _page() -> str:
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse)
def index() -> HTMLResponse:
    """The gallery."""
    return HTMLResponse(_page(), headers=NO_CACHE)


@router.get("/media/{name:name}", response_class=HTMLResponse)
def media_page(name: str) -> HTMLResponse:
    """The same page; it opens the item's detail view from the URL."""
    return HTMLResponse(_page(), headers=NO_CACHE)


class RevalidatedStaticFiles(StaticFiles):
    """Static files that browsers check for changes before reusing (cheap 304s)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


def mount(app: FastAPI) -> None:
    """Add the page routes and the static files to the app."""
    app.include_router(router)
    app.mount("/static", RevalidatedStaticFiles(directory=STATIC_DIR), name="static")
