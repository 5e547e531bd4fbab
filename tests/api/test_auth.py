"""API keys over HTTP: who gets in, with which key, where, and what they are told otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import jpeg_bytes, stored_index_bytes
from mediaquery.app import create_app
from mediaquery.auth.guard import CACHE_SECONDS, COOKIE
from mediaquery.auth.keys import create_key, list_keys, revoke_key
from mediaquery.auth.rules import access_warnings
from mediaquery.config import Settings
from mediaquery.queue.worker import Worker

RED = jpeg_bytes(np.full((40, 40, 3), (250, 5, 5), np.uint8))
COLOUR = "mq_test_plugins:ColourAnalyzer"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class Keyed:
    """An app with one key per scope, created before its first request."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        engine = app.state.ctx.engine
        self.read = create_key(engine, "reader", ["read"])[1]
        self.write = create_key(engine, "uploader", ["write"])[1]
        self.admin = create_key(engine, "operator", ["admin"])[1]
        self.client = TestClient(app)

    def seed(self) -> None:
        """One analysed photo, r.jpg."""
        assert self.client.put(
            "/v1/media/r.jpg", content=RED, headers=bearer(self.write)
        ).is_success
        Worker(self.app.state.ctx).run(burst=True)


@pytest.fixture
def keyed(make_settings: Callable[..., Settings]) -> Iterator[Keyed]:
    k = Keyed(create_app(make_settings(analyzers=[COLOUR]), background=False))
    with k.client:
        yield k


def test_loopback_without_keys_stays_open(client: TestClient) -> None:
    assert client.put("/v1/media/r.jpg", content=RED).status_code == 201
    assert client.get("/v1/media/r.jpg").status_code == 200
    assert client.post("/v1/reconcile").status_code == 200
    assert client.delete("/v1/media/r.jpg").status_code == 204


def test_without_a_key_the_api_answers_401_and_says_how_to_send_one(keyed: Keyed) -> None:
    r = keyed.client.get("/v1/media")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["code"] == "Unauthorized"
    assert "Authorization: Bearer <key>" in r.json()["message"]
    # the sample's API keeps the sample's error shape
    seed = keyed.client.get("/api/")
    assert seed.status_code == 401 and set(seed.json()) == {"Code", "Message"}
    assert seed.json()["Code"] == "Unauthorized"
    assert keyed.client.put("/v1/media/x.jpg", content=RED).status_code == 401


@pytest.mark.parametrize(
    "key",
    ["nonsense", "mq_0123456789abcdef_" + "x" * 43, "Bearer", ""],
    ids=["malformed", "unknown", "word", "empty"],
)
def test_unknown_keys_are_refused(keyed: Keyed, key: str) -> None:
    r = keyed.client.get("/v1/media", headers={"X-API-Key": key})
    assert r.status_code == 401 and r.json()["code"] == "Unauthorized"


def test_a_right_id_with_a_wrong_secret_is_refused(keyed: Keyed) -> None:
    forged = keyed.admin[: -len("secret")] + "secret"
    assert keyed.client.get("/v1/media", headers=bearer(forged)).status_code == 401


def test_both_headers_carry_a_key(keyed: Keyed) -> None:
    assert keyed.client.get("/v1/media", headers=bearer(keyed.read)).status_code == 200
    assert keyed.client.get("/v1/media", headers={"X-API-Key": keyed.read}).status_code == 200


def test_a_revoked_key_is_refused_and_says_so(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(), background=False)
    key, text = create_key(app.state.ctx.engine, "old laptop", ["admin"])
    create_key(app.state.ctx.engine, "new laptop", ["admin"])
    revoke_key(app.state.ctx.engine, key.key_id)
    with TestClient(app) as c:
        r = c.get("/v1/media", headers=bearer(text))
    assert r.status_code == 401
    assert r.json() == {
        "code": "Unauthorized",
        "message": f"API key {key.key_id} (old laptop) was revoked",
    }


READS = [
    ("GET", "/api/"),
    ("GET", "/api/r.jpg"),
    ("GET", "/v1/media"),
    ("GET", "/v1/media/r.jpg"),
    ("GET", "/v1/media/r.jpg/file"),
    ("GET", "/v1/media/r.jpg/thumbnail"),
    ("GET", "/v1/media/r.jpg/similar"),
    ("GET", "/v1/labels"),
    ("GET", "/v1/events?timeout=0.1"),
    ("GET", "/v1/jobs"),
    ("GET", "/metrics"),
]
WRITES = [("PUT", "/v1/media/new.jpg"), ("POST", "/v1/media"), ("DELETE", "/v1/media/gone.jpg")]
ADMIN = [("POST", "/v1/reindex"), ("POST", "/v1/reconcile")]


def _call(c: TestClient, method: str, path: str, key: str) -> int:
    kw: dict[str, object] = {"headers": bearer(key)}
    if path == "/v1/media/new.jpg":
        kw["content"] = RED
    elif path == "/v1/media" and method == "POST":
        kw["files"] = [("files", ("up.jpg", RED, "image/jpeg"))]
    elif path == "/v1/reindex":
        kw["json"] = {}
    return c.request(method, path, **kw).status_code  # type: ignore[arg-type]


def test_each_scope_reaches_its_routes_and_implies_the_lower_ones(keyed: Keyed) -> None:
    keyed.seed()
    for key, allowed in [
        (keyed.read, READS),
        (keyed.write, READS + WRITES),
        (keyed.admin, READS + WRITES + ADMIN),
    ]:
        keyed.client.put("/v1/media/gone.jpg", content=RED, headers=bearer(keyed.admin))
        for method, path in allowed:
            status = _call(keyed.client, method, path, key)
            # /similar answers 409: the colour analyzer makes no embeddings (past the check)
            assert status < 400 or status == 409, (key[:19], method, path, status)


@pytest.mark.parametrize(("method", "path"), WRITES + ADMIN)
def test_a_missing_scope_is_403_and_names_it(keyed: Keyed, method: str, path: str) -> None:
    needed = "admin" if (method, path) in ADMIN else "write"
    weaker = keyed.write if needed == "admin" else keyed.read
    r = keyed.client.request(method, path, headers=bearer(weaker))
    assert r.status_code == 403
    assert r.json()["code"] == "Forbidden"
    assert f"{method} {path} needs scope {needed}" in r.json()["message"]


def test_open_routes_need_no_key(keyed: Keyed) -> None:
    c = keyed.client
    for path in ["/healthz", "/", "/media/r.jpg", "/static/app.js", "/docs", "/openapi.json",
                 "/docs-assets/swagger-ui.css"]:  # fmt: skip
        assert c.get(path).status_code == 200, path


def test_s3_notifications_use_their_own_token_not_an_api_key(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(host="0.0.0.0", s3_events_token="s3-secret"), background=False)
    with TestClient(app) as c:
        assert c.get("/v1/media").status_code == 401
        r = c.post("/v1/events/s3", json={"Records": []}, headers=bearer("s3-secret"))
        # reached the endpoint itself (which refuses a local-folder bucket), past the key check
        assert r.status_code not in (401, 403), r.text
        assert c.post("/v1/events/s3", json={"Records": []}).status_code == 401  # its own check


def test_browser_carriers_only_count_where_a_browser_needs_them(keyed: Keyed) -> None:
    keyed.seed()
    c = keyed.client
    # EventSource cannot set headers: ?api_key= works on the event stream, and only there
    assert c.get("/v1/events", params={"timeout": 0.1, "api_key": keyed.read}).status_code == 200
    assert c.get("/v1/media", params={"api_key": keyed.read}).status_code == 401
    # <img>/<video> cannot either: the cookie works for the bytes of media, and only for reads
    c.cookies.set(COOKIE, keyed.admin)
    assert c.get("/v1/media/r.jpg/thumbnail").status_code == 200
    assert c.get("/v1/media/r.jpg/file").status_code == 200
    assert c.get("/v1/media/r.jpg").status_code == 401
    assert c.delete("/v1/media/r.jpg/file").status_code == 401
    c.cookies.clear()


def test_beyond_loopback_keys_are_required_even_before_one_exists(
    make_settings: Callable[..., Settings],
) -> None:
    with TestClient(create_app(make_settings(host="0.0.0.0"), background=False)) as c:
        r = c.get("/v1/media")
        assert r.status_code == 401
        assert "mediaquery keys create NAME --scope read" in r.json()["message"]
        assert c.get("/healthz").status_code == 200  # the server is up all the same


def test_the_setting_forces_or_disables_keys(make_settings: Callable[..., Settings]) -> None:
    forced = create_app(make_settings(auth={"required": True}), background=False)
    with TestClient(forced) as c:
        assert c.get("/v1/media").status_code == 401
    off = create_app(make_settings(host="0.0.0.0", auth={"required": False}), background=False)
    create_key(off.state.ctx.engine, "unused", ["read"])
    with TestClient(off) as c:
        assert c.get("/v1/media").status_code == 200


def test_serve_warns_about_who_can_reach_it(make_settings: Callable[..., Settings]) -> None:
    ctx = create_app(make_settings(host="0.0.0.0"), background=False).state.ctx
    assert "no active key exists" in access_warnings(ctx)[0]
    create_key(ctx.engine, "laptop", ["read"])
    assert access_warnings(ctx) == []
    loopback = create_app(make_settings(), background=False).state.ctx
    assert access_warnings(loopback) == []
    ctx.settings.auth.required = False
    assert "ACCESS CONTROL IS OFF" in access_warnings(ctx)[0]


def test_use_is_recorded_at_most_once_a_minute(keyed: Keyed) -> None:
    engine = keyed.app.state.ctx.engine
    before = time.time()
    keyed.client.get("/v1/media", headers=bearer(keyed.read))
    with engine.connect() as conn:
        first = {k.name: k.last_used_at for k in list_keys(conn)}
    assert first["reader"] is not None and first["reader"] >= before
    assert first["uploader"] is None
    keyed.client.get("/v1/media", headers=bearer(keyed.read))
    with engine.connect() as conn:
        assert {k.name: k.last_used_at for k in list_keys(conn)} == first


def test_only_a_hash_of_the_secret_is_stored(keyed: Keyed, settings: Settings) -> None:
    keyed.client.get("/v1/media", headers=bearer(keyed.read))
    secret = keyed.read.rsplit("_", 1)[-1].encode()
    stored = stored_index_bytes(settings.data_dir)  # SQLite files or PostgreSQL rows
    assert stored and secret not in stored
    assert keyed.read[3:19].encode() in stored  # the public id is


@pytest.mark.slow
def test_keys_created_or_revoked_while_serving_take_effect_within_the_cache_time(
    client: TestClient, app: FastAPI
) -> None:
    assert client.get("/v1/media").status_code == 200
    key, text = create_key(app.state.ctx.engine, "late", ["read"])
    assert _within(CACHE_SECONDS + 1, lambda: client.get("/v1/media").status_code == 401)
    assert client.get("/v1/media", headers=bearer(text)).status_code == 200
    revoke_key(app.state.ctx.engine, key.key_id)
    assert _within(
        CACHE_SECONDS + 1,
        lambda: client.get("/v1/media", headers=bearer(text)).status_code == 401,
    )
    # revoking the only key does not open the API again: it just has no key that works now
    r = client.get("/v1/media")
    assert r.status_code == 401 and "mediaquery keys create" in r.json()["message"]


def _within(seconds: float, condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
