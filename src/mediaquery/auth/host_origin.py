"""What keeps web pages out: a page on another site may make the browser send requests here.

DNS rebinding points the page's own host name at 127.0.0.1, and the browser then lets it read
the answers: so a request must address this server by a name it knows (`Host`). A plain
cross-site form or fetch can still send a POST, PUT or DELETE (it just cannot read the
answer): so a request that changes something must come from this server's own pages, from a
configured origin, or from a program that is no browser (no `Origin`, like curl and the CLI).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from mediaquery.api.error_render import error_response
from mediaquery.config import Settings

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Reached by other services under names of their own and never by a page: MinIO's bucket
# notifications (token-checked) and liveness probes.
ANY_HOST_PATHS = frozenset({"/v1/events/s3", "/healthz"})
_WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})


def split_host(host: str) -> tuple[str, int | None]:
    """`Example.com.:8000` → (`example.com`, 8000); `[::1]:80` → (`::1`, 80)."""
    host = host.strip().lower()
    port: str | None = None
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None
    elif host.count(":") == 1:
        name, port = host.split(":")
    else:
        name = host
    return name.rstrip("."), int(port) if port and port.isdigit() else None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostOriginGuard:
    """Refuses foreign `Host`s (400) and unsafe methods from foreign origins (403), as JSON."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.any_host = "*" in settings.allowed_hosts
        bind = split_host(settings.host)[0]
        self.hosts = {split_host(h)[0] for h in settings.allowed_hosts} | (
            set() if bind in _WILDCARD_BINDS else {bind}
        )
        self.origins = {o.strip().rstrip("/").lower() for o in settings.allowed_origins}

    def host_allowed(self, host: str) -> bool:
        """Loopback names, IP addresses (no page can rebind those), the address the server
        listens on, and the configured names."""
        name = split_host(host)[0]
        return (
            self.any_host
            or name == "localhost"
            or name.endswith(".localhost")
            or _is_ip(name)
            or name in self.hosts
        )

    def origin_allowed(self, origin: str | None, fetch_site: str | None, host: str) -> bool:
        """No Origin (not a browser, or a same-origin form of an old one) unless the browser
        says cross-site; the server's own origin; a configured one."""
        if origin is None:
            return fetch_site != "cross-site"
        origin = origin.strip().rstrip("/").lower()
        if origin in self.origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False  # "null": sandboxed frames, file: pages, data: URLs
        default = 443 if parts.scheme == "https" else 80
        want_name, want_port = split_host(host)
        same = (parts.hostname.rstrip("."), parts.port or default) == (
            want_name,
            want_port or default,
        )
        return same and fetch_site != "cross-site"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path, host = scope["path"], headers.get("host")
        refusal = None
        if host is not None and path not in ANY_HOST_PATHS and not self.host_allowed(host):
            refusal = (400, "InvalidHost", (
                f"This server is not {split_host(host)[0]!r}: requests must address it by a "
                "loopback name, an IP address or a name in MEDIAQUERY_ALLOWED_HOSTS (a web page "
                "may be trying DNS rebinding)"
            ))  # fmt: skip
        elif scope["method"] in UNSAFE_METHODS and not self.origin_allowed(
            headers.get("origin"), headers.get("sec-fetch-site"), host or ""
        ):
            origin = headers.get("origin") or "another site"
            refusal = (403, "CrossOriginRefused", (
                f"{scope['method']} from {origin} refused: only this server's own pages and "
                "programs that are no browser may change things here; allow a site's pages with "
                "MEDIAQUERY_ALLOWED_ORIGINS"
            ))  # fmt: skip
        if refusal is None:
            await self.app(scope, receive, send)
            return
        await error_response(path, *refusal)(scope, receive, send)
