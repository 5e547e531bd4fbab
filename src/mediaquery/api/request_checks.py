"""Checks every API request passes before its parameters are read: a path that is valid UTF-8
once percent-decoded, and no query parameter the route does not know (a misspelt filter must
not quietly return everything)."""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from mediaquery.errors import BadRequest, InvalidName

CHECKED_PREFIXES = ("/api/", "/v1/")
# Query parameters a route reads without declaring them: the API key that EventSource cannot
# send as a header (see auth/guard.py).
UNDECLARED = {"/v1/events": ("api_key",)}


def _query_names(dependant: Dependant) -> list[str]:
    names = [p.alias for p in dependant.query_params]
    for sub in dependant.dependencies:
        names += _query_names(sub)
    return names


def accepted_query_names(route: APIRoute) -> tuple[str, ...]:
    """The query parameters a route takes, in the order they are declared (a walk over a few
    dependencies: cheap enough for the requests that carry a query)."""
    names = _query_names(route.dependant) + list(UNDECLARED.get(route.path, ()))
    return tuple(dict.fromkeys(names))


def check_path_encoding(request: Request) -> None:
    """Refuse percent-escapes that are not UTF-8 (`%ff`): decoded, every such byte becomes
    U+FFFD, and two different names would become the same one."""
    raw = request.scope.get("raw_path")
    if not raw:
        return
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidName(
            "The path holds percent-escapes that are not UTF-8 (such as %ff); "
            "names are UTF-8 text, percent-encoded byte by byte"
        ) from exc


def check_query_names(request: Request) -> None:
    """400 naming the accepted parameters when a GET under /api/ or /v1/ has an unknown one."""
    route = request.scope.get("route")
    if request.method != "GET" or not request.query_params or not isinstance(route, APIRoute):
        return
    if not request.url.path.startswith(CHECKED_PREFIXES):
        return
    accepted = accepted_query_names(route)
    unknown = sorted(set(request.query_params) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) if accepted else "no query parameters"
        path = re.sub(r":\w+}", "}", route.path)  # /v1/media/{name:name} -> /v1/media/{name}
        raise BadRequest(
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}: {path} takes {takes}"
        )


def check_request(request: Request) -> None:
    """Both checks, as one dependency of every route."""
    if request.url.path.startswith(CHECKED_PREFIXES):
        check_path_encoding(request)
    check_query_names(request)
