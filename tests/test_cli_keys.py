"""`mediaquery keys`: create, list and revoke API keys as a user types it, then use them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import stored_index_bytes
from mediaquery.app import create_app
from mediaquery.cli import app
from mediaquery.config import load_settings


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def keys(data_dir: Path):
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["keys", *args, "--data-dir", str(data_dir)])


def listed(keys) -> list[dict]:
    r = keys("list", "--json")
    assert r.exit_code == 0, r.output
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_create_prints_the_key_once_and_list_never_shows_it(keys, data_dir: Path) -> None:
    r = keys("create", "laptop", "--scope", "read", "--scope", "write")
    assert r.exit_code == 0, r.output
    key = r.stdout.strip()  # alone on stdout, for scripts
    assert key.startswith("mq_") and len(key.split("_", 2)[2]) >= 40
    assert "not shown again" in r.stderr
    [row] = listed(keys)
    assert row["key_id"] == key.split("_")[1] and row["name"] == "laptop"
    assert row["scopes"] == ["read", "write"]
    assert row["last_used_at"] is None and row["revoked_at"] is None
    table = keys("list")
    assert row["key_id"] in table.stdout and "read, write" in table.stdout
    secret = key.split("_", 2)[2]
    assert secret not in table.stdout + json.dumps(listed(keys))
    stored = stored_index_bytes(data_dir)  # SQLite files or PostgreSQL rows
    assert stored and secret.encode() not in stored


def test_scope_defaults_to_read_and_bad_input_is_refused(keys) -> None:
    assert keys("create", "ci").exit_code == 0
    assert listed(keys)[0]["scopes"] == ["read"]
    bad = keys("create", "x", "--scope", "root")
    assert bad.exit_code == 2 and "root" in bad.output
    assert keys("create", "   ").exit_code == 2
    assert len(listed(keys)) == 1


def test_revoke_then_the_server_refuses_the_key(keys, data_dir: Path) -> None:
    key = keys("create", "old", "--scope", "admin").stdout.strip()
    keep = keys("create", "new", "--scope", "read").stdout.strip()
    settings = load_settings(data_dir=data_dir, watch=False, reconcile_on_start=False)
    settings.queue.workers = 0
    key_id = key.split("_")[1]
    r = keys("revoke", key_id)
    assert r.exit_code == 0 and f"revoked API key {key_id}" in r.stdout
    assert keys("revoke", key_id).stdout.startswith(f"API key {key_id} (old) was already revoked")
    assert keys("revoke", "0000000000000000").exit_code == 1
    rows = {x["name"]: x for x in listed(keys)}
    assert rows["old"]["revoked_at"] is not None and rows["new"]["revoked_at"] is None
    with TestClient(create_app(settings, background=False)) as c:
        assert c.get("/v1/media", headers={"X-API-Key": key}).status_code == 401
        assert c.get("/v1/media", headers={"X-API-Key": keep}).status_code == 200
    assert [x["last_used_at"] is not None for x in listed(keys)] == [False, True]


def test_list_with_no_keys_says_how_to_make_one(keys) -> None:
    r = keys("list")
    assert r.exit_code == 0 and "mediaquery keys create" in r.stderr
