"""`mediaquery models list|pull|import|verify|rm`, as a user types them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediaquery.cli import app
from mediaquery.models import catalogue, store
from mq_models import TINY, TINY_SHA, FileServer, Served, tiny_entry


@pytest.fixture
def cli(tmp_path: Path, model_dir: Path, file_server: FileServer, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MEDIAQUERY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDIAQUERY_MODELS_DIR", str(model_dir))
    monkeypatch.setenv("MEDIAQUERY_MODELS__MIRROR", file_server.url)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["models", *args], catch_exceptions=False)


def test_list_shows_the_catalogue_with_sizes_licences_and_sources(cli, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    r = cli("list")
    assert r.exit_code == 0
    for name in ("clip-vit-b32-image", "clip-vit-b32-text", "clip-bpe-vocab", "yolov8n-coco"):
        assert name in r.output
    assert "AGPL-3.0" in r.output and "MIT" in r.output and "objects" in r.output
    assert "member open_clip/bpe_simple_vocab_16e6.txt.gz" in r.output
    rows = {x["name"]: x for x in map(json.loads, cli("list", "--json").output.splitlines())}
    assert rows["yolov8n-coco"]["licence"] == "AGPL-3.0" and rows["yolov8n-coco"]["size"] > 10e6
    assert rows["clip-bpe-vocab"]["source"].startswith("http://127.0.0.1:")  # the mirror
    assert rows["clip-bpe-vocab"]["source"].endswith(
        "/clip-bpe-vocab/open_clip_torch-3.3.0-py3-none-any.whl"
    )
    assert not any(x["installed"] for x in rows.values())


def test_pull_list_verify_smoke_and_rm(cli, tiny, model_dir: Path) -> None:
    r = cli("pull", "tiny-model")
    assert r.exit_code == 0, r.output
    assert f"sha256 {TINY_SHA}" in r.output
    row = [x for x in map(json.loads, cli("list", "--json").output.splitlines())
           if x["name"] == "tiny-model"][0]  # fmt: skip
    assert row["installed"] is True
    r = cli("verify", "--smoke")
    assert r.exit_code == 0, r.output
    assert "tiny-model: ok" in r.output and "outputs y [1, 3]" in r.output
    assert cli("rm", "tiny-model").exit_code == 0
    assert store.installed_path(model_dir, "tiny-model") is None
    r = cli("rm", "tiny-model")
    assert r.exit_code == 1 and "is not installed" in r.output


def test_verify_detects_a_corrupted_file(cli, tiny, model_dir: Path) -> None:
    assert cli("pull", "tiny-model").exit_code == 0
    path = store.installed_path(model_dir, "tiny-model")
    data = bytearray(path.read_bytes())
    data[1000] ^= 0xFF  # one flipped byte, same size
    path.write_bytes(bytes(data))
    r = cli("verify")
    assert r.exit_code == 1
    bad = hashlib.sha256(bytes(data)).hexdigest()
    assert "corrupt" in r.output and TINY_SHA in r.output and bad in r.output.replace("\n", "")
    assert cli("pull", "tiny-model", "--force").exit_code == 0  # the way back
    assert cli("verify").exit_code == 0


def test_pull_errors_are_clear_and_exit_non_zero(cli, file_server: FileServer, monkeypatch):
    monkeypatch.setitem(catalogue.CATALOGUE, "tiny-model", tiny_entry(sha256="ab" * 32))
    file_server.files["/tiny-model/tiny.onnx"] = Served(TINY)
    r = cli("pull", "tiny-model")
    assert r.exit_code == 1
    flat = r.output.replace("\n", "")
    assert f"expected sha256 {'ab' * 32}, got sha256 {TINY_SHA}" in flat
    r = cli("pull", "no-such-model")
    assert r.exit_code == 1 and "Unknown model 'no-such-model'" in r.output
    assert "yolov8n-coco" in r.output  # the names it knows
    del file_server.files["/tiny-model/tiny.onnx"]
    r = cli("pull", "tiny-model")
    assert r.exit_code == 1 and "HTTP 404" in r.output


def test_import_from_disk_for_air_gapped_machines(cli, tiny, tmp_path, file_server) -> None:
    good = tmp_path / "tiny.onnx"
    good.write_bytes(TINY)
    wrong = tmp_path / "other.onnx"
    wrong.write_bytes(TINY[:-1] + b"\x00")
    r = cli("import", "tiny-model", str(wrong))
    assert r.exit_code == 1 and "checksum mismatch" in r.output
    assert cli("verify", "tiny-model").exit_code == 1  # still missing
    r = cli("import", "tiny-model", str(good))
    assert r.exit_code == 0, r.output
    assert cli("verify", "tiny-model").exit_code == 0
    assert good.read_bytes() == TINY  # the user's file is left alone
    assert file_server.requests == []  # nothing was downloaded
    r = cli("import", "tiny-model", str(tmp_path / "missing.onnx"))
    # a path that does not exist is a usage error (2), as for every command
    assert r.exit_code == 2 and "no such file" in r.output
