"""Which scope each request needs, and when keys are required at all."""

from __future__ import annotations

import ipaddress

from mediaquery.auth.keys import ApiKey, Scope, list_keys
from mediaquery.config import Settings
from mediaquery.context import Context

# The page's static shell (its data comes from the API), liveness, the API docs, and the S3
# notification endpoint, which checks a token of its own (MEDIAQUERY_S3_EVENTS_TOKEN).
OPEN_PATHS = frozenset({"/", "/healthz", "/docs", "/openapi.json", "/v1/events/s3"})
OPEN_PREFIXES = ("/static/", "/docs-assets/", "/media/")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CREATE_HINT = "mediaquery keys create NAME --scope read"


def required_scope(method: str, path: str) -> Scope | None:
    """None for open routes; `read` for every read; `write` to upload or delete media;
    `admin` for anything else that changes state (reindex, reconcile, jobs, keys)."""
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return None
    if method in READ_METHODS:
        return Scope.read
    if path == "/v1/media" or path.startswith("/v1/media/"):
        return Scope.write
    return Scope.admin


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def keys_required(settings: Settings, any_key: bool) -> bool:
    """MEDIAQUERY_AUTH__REQUIRED when set; else beyond loopback, or once any key was created.

    A revoked key still counts: revoking the only key (say, a leaked one) must not open the API
    to everything on this machine again. Only the setting turns keys off.
    """
    if settings.auth.required is not None:
        return settings.auth.required
    return any_key or not is_loopback(settings.host)


def startup_warnings(settings: Settings, keys: list[ApiKey]) -> list[str]:
    """What `serve` says before it starts listening, about who can reach what."""
    host = settings.host
    if settings.auth.required is False and not is_loopback(host):
        return [
            f"ACCESS CONTROL IS OFF (MEDIAQUERY_AUTH__REQUIRED=false) while listening on {host}: "
            "anyone who can reach this port can upload, read and delete media"
        ]
    if keys_required(settings, bool(keys)) and not any(k.active for k in keys):
        return [
            f"API keys are required (listening on {host}) but no active key exists: every "
            f"request answers 401 until you create one with `{CREATE_HINT}`"
        ]
    return []


def access_warnings(ctx: Context) -> list[str]:
    """startup_warnings for the keys in this context's index."""
    with ctx.engine.connect() as conn:
        return startup_warnings(ctx.settings, list_keys(conn))
